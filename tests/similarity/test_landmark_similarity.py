"""``dataset_meta`` with landmark meta-features: compared on the landmarks both tasks carry, and
exactly the counts cosine when they share none (benchmark tasks, tasks recorded before)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metanas.similarity import cosine, dataset_meta, meta_feature_vector
from metanas.similarity.meta_features import (
    LANDMARK_SCALE,
    LANDMARK_WEIGHT,
    landmark_similarity,
    shared_landmarks,
)
from metanas.tasks import TaskMetadata

COUNTS = {"num_nodes": 2000.0, "num_edges": 24000.0, "num_node_features": 16.0, "num_classes": 4.0}


def graph(task_id: str, **landmarks: float) -> TaskMetadata:
    return TaskMetadata(task_id, task_id, 2000, 4, None, "node_classification", {**COUNTS, **landmarks})


RELATED_A = graph("a", edge_homophily=0.55, class_homophily=0.4, landmark_linear=0.62, landmark_sgc=0.80,
                  landmark_label_propagation=0.70)
RELATED_B = graph("b", edge_homophily=0.58, class_homophily=0.44, landmark_linear=0.60, landmark_sgc=0.83,
                  landmark_label_propagation=0.72)
UNRELATED = graph("u", edge_homophily=0.85, class_homophily=0.8, landmark_linear=0.30, landmark_sgc=0.82,
                  landmark_label_propagation=0.90)
PLAIN = graph("plain")


def test_tasks_without_landmarks_compare_exactly_as_before(nbg_suite):
    tasks = [nbg_suite.task(t) for t in nbg_suite.task_ids()]
    for a in tasks:
        for b in tasks:
            if a.problem_type == b.problem_type:
                assert dataset_meta(a, b) == cosine(meta_feature_vector(a), meta_feature_vector(b))
    by_name = {t.task_id.split("/")[1]: t for t in tasks}
    # the figures the similarity docs quote (metanas.similarity.meta_features)
    assert dataset_meta(by_name["cora"], by_name["citeseer"]) == pytest.approx(0.88, abs=0.005)
    assert dataset_meta(by_name["cora"], by_name["arxiv"]) == 0.0


def test_a_task_without_landmarks_compares_by_its_counts():
    assert shared_landmarks(PLAIN, RELATED_A) == ()
    assert landmark_similarity(PLAIN, RELATED_A) is None
    assert dataset_meta(PLAIN, RELATED_A) == cosine(meta_feature_vector(PLAIN), meta_feature_vector(RELATED_A))
    assert dataset_meta(RELATED_A, PLAIN) == dataset_meta(PLAIN, RELATED_A)


def test_shared_landmarks_blend_with_the_counts_by_hand():
    diff = np.array([0.03, 0.04, -0.02, 0.03, 0.02])
    by_hand = max(0.0, 1.0 - math.sqrt(float(np.mean(diff**2))) / LANDMARK_SCALE)
    assert landmark_similarity(RELATED_A, RELATED_B) == pytest.approx(by_hand)
    counts = cosine(meta_feature_vector(RELATED_A), meta_feature_vector(RELATED_B))
    assert counts == 1.0  # the same counts: the counts alone cannot tell these tasks apart
    assert dataset_meta(RELATED_A, RELATED_B) == pytest.approx((1 - LANDMARK_WEIGHT) * counts
                                                               + LANDMARK_WEIGHT * by_hand)


def test_landmarks_rank_the_related_task_above_the_unrelated_one():
    assert dataset_meta(RELATED_A, RELATED_B) > 0.9
    assert dataset_meta(RELATED_A, UNRELATED) < 0.6  # below the default min_similarity
    assert landmark_similarity(RELATED_A, UNRELATED) == 0.0  # RMS difference above LANDMARK_SCALE


def test_only_the_landmarks_both_carry_are_compared():
    partial = graph("p", landmark_linear=0.62, landmark_sgc=0.80)  # no homophily, no label propagation
    assert shared_landmarks(partial, UNRELATED) == ("landmark_linear", "landmark_sgc")
    rms = math.sqrt(((0.62 - 0.30) ** 2 + (0.80 - 0.82) ** 2) / 2)
    assert landmark_similarity(partial, UNRELATED) == pytest.approx(max(0.0, 1 - rms / LANDMARK_SCALE))
    assert landmark_similarity(partial, RELATED_A) == 1.0  # equal on what both carry


def test_identity_symmetry_and_range_with_landmarks():
    tasks = [RELATED_A, RELATED_B, UNRELATED, PLAIN]
    for a in tasks:
        assert dataset_meta(a, a) == 1.0
        for b in tasks:
            v = dataset_meta(a, b)
            assert 0.0 <= v <= 1.0 and v == dataset_meta(b, a)


def test_tasks_of_other_modalities_share_no_landmarks():
    table = TaskMetadata("t", "t", 500, 2, None, "tabular_classification",
                         {"num_features": 8.0, "landmark_linear": 0.62})
    assert shared_landmarks(table, RELATED_A) == ()
    assert dataset_meta(table, RELATED_A) == 0.0


def test_old_tasks_without_landmarks_load_from_a_database_and_compare(tmp_path):
    from metanas.db import ExperimentDatabase

    with ExperimentDatabase(tmp_path / "h.db") as db:
        db.add_task(PLAIN)  # as recorded before landmarks existed
        db.add_task(RELATED_A)
        db.add_task(UNRELATED)
    with ExperimentDatabase(tmp_path / "h.db") as db:
        stored = {t.task_id: t for t in db.get_all_tasks()}
    assert stored["a"] == RELATED_A and stored["plain"] == PLAIN
    assert "landmark_linear" not in stored["plain"].meta_features
    assert dataset_meta(stored["plain"], stored["a"]) == dataset_meta(PLAIN, RELATED_A)
    assert dataset_meta(stored["a"], stored["u"]) == dataset_meta(RELATED_A, UNRELATED)
