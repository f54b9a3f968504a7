"""The landmark block of the meta-learner's task features: opt-in, explicit about what a task
lacks, and invisible to the shipped checkpoints (which name the base features)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from metanas.models.checkpoint import load_embedder
from metanas.models.features import LANDMARK_MIN_STD, FeatureNormalizer, feature_names, task_features

from metanas.exceptions import CheckpointError
from metanas.landmarks import GRAPH_LANDMARKS
from metanas.tasks import TaskMetadata

ROOT = Path(__file__).resolve().parents[2] / "checkpoints"
LANDMARKS = dict(zip(GRAPH_LANDMARKS, (0.8, 0.6, 0.5, 0.7, 0.75)))


def _with(task: TaskMetadata, **values: float) -> TaskMetadata:
    return TaskMetadata(task.task_id, task.dataset_name, task.num_samples, task.num_classes, task.input_size,
                        task.problem_type, {**task.meta_features, **values})


def test_landmark_block_is_opt_in_with_a_missing_indicator(nbg_suite):
    cora = nbg_suite.task("nbg/cora")
    base = feature_names("graph")
    assert feature_names("graph", landmarks=True) == (*base, *GRAPH_LANDMARKS, "landmarks_missing")
    assert np.array_equal(task_features(cora), task_features(cora, landmarks=True)[: len(base)])
    without = task_features(cora, landmarks=True)[len(base):]
    assert np.isnan(without[:-1]).all() and without[-1] == 1.0  # lacks all five: NaN, not 0
    full = task_features(_with(cora, **LANDMARKS), landmarks=True)[len(base):]
    assert full.tolist() == [*LANDMARKS.values(), 0.0]
    part = task_features(_with(cora, landmark_linear=0.5), landmarks=True)[len(base):]
    assert part[-1] == pytest.approx(4 / 5) and part[2] == 0.5 and math.isnan(part[0])


def test_normaliser_fills_a_lacking_landmark_with_the_training_mean(nbg_suite):
    cora, photo, arxiv = (nbg_suite.task(t) for t in ("nbg/cora", "nbg/photo", "nbg/arxiv"))
    tasks = [_with(cora, **LANDMARKS), _with(photo, **{k: v - 0.3 for k, v in LANDMARKS.items()}), arxiv]
    norm = FeatureNormalizer.fit(tasks, landmarks=True)
    assert norm.landmarks and norm.names == feature_names("graph", landmarks=True)
    n = len(feature_names("graph"))
    # mean and std over the two tasks that carry each landmark (0.3 apart: std 0.15)
    assert norm.mean[n] == pytest.approx(0.65) and norm.std[n] == pytest.approx(0.15)
    z = norm.transform(arxiv)
    assert np.isfinite(z).all()
    assert np.allclose(z[n:-1], 0.0)  # lacking: the training mean
    assert z[-1] > 0  # and the indicator says so (1 against a training mean of 1/3)
    again = FeatureNormalizer.from_dict(norm.to_dict())
    assert again.landmarks and np.array_equal(again.transform(arxiv), z)


def test_a_landmark_no_training_task_varies_is_floored(nbg_suite):
    tasks = [nbg_suite.task(t) for t in ("nbg/cora", "nbg/photo")]  # none carries landmarks
    norm = FeatureNormalizer.fit(tasks, landmarks=True)
    n = len(feature_names("graph"))
    assert min(norm.std[n:]) >= LANDMARK_MIN_STD
    z = norm.transform(_with(tasks[0], **LANDMARKS))
    assert np.abs(z).max() <= 1.0 / LANDMARK_MIN_STD + 1e-6  # values on [0, 1]: at most 10 units


def test_base_normaliser_ignores_landmarks_and_refuses_unknown_sets(nbg_suite):
    tasks = [nbg_suite.task(t) for t in ("nbg/cora", "nbg/photo", "nbg/arxiv")]
    norm = FeatureNormalizer.fit(tasks)
    assert not norm.landmarks
    assert np.array_equal(norm.transform(_with(tasks[0], **LANDMARKS)), norm.transform(tasks[0]))
    odd = FeatureNormalizer("graph", (*norm.names, "landmark_linear"), (*norm.mean, 0.0), (*norm.std, 1.0))
    with pytest.raises(CheckpointError, match="meta-feature set"):
        odd.transform(tasks[0])


def test_shipped_checkpoint_embeds_a_task_with_landmarks_as_without(nbg_suite):
    emb = load_embedder(ROOT / "nbg")
    assert not emb.normalizer.landmarks
    cora = nbg_suite.task("nbg/cora")
    with_lm = _with(cora, **LANDMARKS).with_id("mine/cora-like")
    emb.check(with_lm, "nbg")
    np.testing.assert_array_equal(emb.prior(with_lm), emb.prior(cora.with_id("mine/cora-like")))
