"""Landmark meta-features (`metanas.landmarks`): homophily against hand-computed graphs, landmarks
on data whose answer is known, and that labels outside the training part are never read."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.exceptions import InvalidTaskError
from metanas.landmarks import (
    GRAPH_LANDMARKS,
    LANDMARK_NAMES,
    SAMPLE_LANDMARKS,
    class_homophily,
    edge_homophily,
    graph_landmarks,
    sample_landmarks,
)

# a 6-cycle 0-1-2-3-4-5-0, classes 0 0 0 1 1 1: edges 0-1, 1-2, 3-4, 4-5 join one class, 2-3 and 5-0 two
CYCLE = np.array([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]])
CYCLE_Y = np.array([0, 0, 0, 1, 1, 1])


def test_edge_homophily_of_a_hand_computed_cycle():
    assert edge_homophily(CYCLE, CYCLE_Y) == pytest.approx(4 / 6)


def test_class_homophily_of_a_hand_computed_cycle():
    # class 0: nodes 0 (1 of 2 neighbours in class 0), 1 (2 of 2), 2 (1 of 2): h_0 = 4/6; class 1 the same;
    # each class holds half the nodes: (1 / (2 - 1)) * ((4/6 - 1/2) + (4/6 - 1/2)) = 1/3
    assert class_homophily(CYCLE, CYCLE_Y) == pytest.approx(1 / 3)


def test_homophily_reads_only_the_labelled_nodes():
    # without node 5: edges 0-1, 1-2, 2-3, 3-4 remain, 3 of them within a class
    labelled = np.array([0, 1, 2, 3, 4])
    assert edge_homophily(CYCLE, CYCLE_Y, labelled) == pytest.approx(3 / 4)
    # class 0 (3 of 5 nodes): degrees 1, 2, 2 with 1, 2, 1 same -> h_0 = 4/5; class 1 (2 of 5): nodes 3 (1 of 2),
    # 4 (1 of 1) -> h_1 = 2/3; (4/5 - 3/5) + (2/3 - 2/5) = 0.2 + 0.2667
    assert class_homophily(CYCLE, CYCLE_Y, labelled) == pytest.approx(0.2 + 2 / 3 - 0.4)
    mask = np.ones(6, dtype=bool)
    mask[5] = False
    assert edge_homophily(CYCLE, CYCLE_Y, mask) == pytest.approx(3 / 4)
    # the label of an unlabelled node is never read: any value gives the same result
    other = CYCLE_Y.copy()
    other[5] = 0
    assert edge_homophily(CYCLE, other, labelled) == edge_homophily(CYCLE, CYCLE_Y, labelled)
    assert class_homophily(CYCLE, other, labelled) == class_homophily(CYCLE, CYCLE_Y, labelled)


def test_homophily_is_undirected_and_ignores_self_loops_and_duplicates():
    both = np.concatenate([CYCLE, CYCLE[::-1], [[0, 3], [0, 3]], CYCLE], axis=1)  # reversed copies, loops at 0 and 3
    assert edge_homophily(both, CYCLE_Y) == pytest.approx(4 / 6)
    assert class_homophily(both, CYCLE_Y) == pytest.approx(1 / 3)


def test_homophily_extremes_and_undefined_values():
    # two disjoint triangles, one per class: every edge within a class
    tri = np.array([[0, 1, 2, 3, 4, 5], [1, 2, 0, 4, 5, 3]])
    assert edge_homophily(tri, CYCLE_Y) == 1.0
    assert class_homophily(tri, CYCLE_Y) == 1.0
    # a complete bipartite graph between the classes: no edge within a class
    bip = np.array([[a for a in range(3) for _ in range(3)], [b for _ in range(3) for b in range(3, 6)]])
    assert edge_homophily(bip, CYCLE_Y) == 0.0
    assert class_homophily(bip, CYCLE_Y) == 0.0
    assert edge_homophily(CYCLE, CYCLE_Y, [0, 3]) is None  # no edge between labelled nodes
    assert class_homophily(CYCLE, CYCLE_Y, [0, 1, 2]) is None  # one labelled class
    assert class_homophily(np.zeros((2, 0), dtype=int), CYCLE_Y) is None


@pytest.mark.parametrize("bad, match", [
    (np.array([0, 9]), "outside"), (np.ones(5, dtype=bool), "6 entries"), (np.array([0.5, 1.0]), "indices"),
])
def test_bad_training_indices_are_refused(bad, match):
    with pytest.raises(InvalidTaskError, match=match):
        edge_homophily(CYCLE, CYCLE_Y, bad)


def test_bad_edges_are_refused():
    with pytest.raises(InvalidTaskError, match="outside"):
        edge_homophily(np.array([[0], [6]]), CYCLE_Y)
    with pytest.raises(InvalidTaskError, match=r"\[2, E\]"):
        edge_homophily(np.zeros((3, 2), dtype=int), CYCLE_Y)


def _clustered_graph(n_per: int, k: int, noise_features: bool, seed: int = 0):
    """``k`` classes of ``n_per`` nodes; each node linked to 4 random nodes of its own class; features
    pure noise (``noise_features``) or the one-hot class plus small noise."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n_per)
    src, dst = [], []
    for c in range(k):
        members = np.flatnonzero(y == c)
        for v in members:
            for u in rng.choice(members, size=4, replace=False):
                src.append(v)
                dst.append(u)
    x = rng.normal(size=(len(y), 8))
    if not noise_features:
        x[:, :k] += 5.0 * np.eye(k)[y]
    return x, np.array([src, dst]), y


def test_graph_landmarks_see_a_homophilous_graph_with_noise_features():
    x, ei, y = _clustered_graph(150, 3, noise_features=True)
    train = np.random.default_rng(1).permutation(len(y))[:300]
    lm = graph_landmarks(x, ei, y, train)
    assert set(lm) == set(GRAPH_LANDMARKS)
    assert lm["edge_homophily"] == 1.0
    assert lm["class_homophily"] == 1.0
    assert lm["landmark_label_propagation"] > 0.95  # the graph carries every label
    assert lm["landmark_linear"] < 0.5  # the raw features are noise (chance 1/3)
    assert all(0.0 <= v <= 1.0 for v in lm.values())


def test_graph_landmarks_see_informative_features_on_a_random_graph():
    x, _, y = _clustered_graph(150, 3, noise_features=False)
    rng = np.random.default_rng(2)
    ei = rng.integers(0, len(y), size=(2, 2000))  # edges blind to the classes
    train = rng.permutation(len(y))[:300]
    lm = graph_landmarks(x, ei, y, train)
    assert lm["landmark_linear"] > 0.95
    assert lm["landmark_label_propagation"] < 0.6
    assert lm["class_homophily"] < 0.1


def test_graph_landmarks_never_read_labels_outside_the_training_part():
    x, ei, y = _clustered_graph(100, 3, noise_features=False)
    rng = np.random.default_rng(3)
    train = np.sort(rng.permutation(len(y))[:180])
    rest = np.setdiff1d(np.arange(len(y)), train)
    shuffled = y.copy()
    shuffled[rest] = rng.permutation(y[rest])  # the validation / test labels permuted
    assert graph_landmarks(x, ei, shuffled, train) == graph_landmarks(x, ei, y, train)
    mask = np.zeros(len(y), dtype=bool)
    mask[train] = True
    assert graph_landmarks(x, ei, y, mask) == graph_landmarks(x, ei, y, train)  # a mask reads the same


def test_graph_landmarks_with_too_few_training_nodes_keep_the_homophilies():
    lm = graph_landmarks(np.eye(6), CYCLE, CYCLE_Y, [0, 1, 2])
    assert set(lm) == {"edge_homophily"}  # one labelled class: no class homophily, no split to score on


def test_sample_landmarks_on_a_linearly_separable_table():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 5))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    x[:, 0] += np.where(y == 1, 1.0, -1.0)  # a margin: separable
    lm = sample_landmarks(x, y, np.arange(400))
    assert set(lm) == set(SAMPLE_LANDMARKS)
    assert lm["landmark_linear"] == 1.0
    assert lm["landmark_1nn"] > 0.9


def test_sample_landmarks_on_noise_are_near_chance():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(1000, 10)), rng.integers(0, 2, size=1000)
    lm = sample_landmarks(x, y, np.arange(1000))
    assert 0.35 < lm["landmark_linear"] < 0.65 and 0.35 < lm["landmark_1nn"] < 0.65


def test_sample_landmarks_of_a_regression_table_are_clipped_r2():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 4))
    lm = sample_landmarks(x, x @ np.array([1.0, -2.0, 0.5, 0.0]), np.arange(500), "regression")
    assert lm["landmark_linear"] > 0.999
    noise = sample_landmarks(x, rng.normal(size=500), np.arange(500), "regression")
    assert noise["landmark_1nn"] == 0.0  # 1-NN on noise is worse than the mean: R^2 < 0, recorded as 0
    assert 0.0 <= noise["landmark_linear"] < 0.1


def test_sample_landmarks_of_images_are_flattened_projected_and_label_blind_outside_training():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    x = rng.normal(size=(300, 3, 12, 12)).astype(np.float32)  # 432 inputs: projected to MAX_DIM
    x[np.arange(300), y, :2, :2] += 4.0
    train = np.arange(200)
    lm = sample_landmarks(x, y, train)
    assert lm["landmark_linear"] > 0.9
    shuffled = y.copy()
    shuffled[200:] = rng.permutation(y[200:])
    assert sample_landmarks(x, shuffled, train) == lm


def test_sample_landmarks_subsample_large_training_parts_deterministically():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5000, 3)), rng.integers(0, 2, size=5000)
    assert sample_landmarks(x, y, np.arange(5000)) == sample_landmarks(x, y, np.arange(5000))


def test_sample_landmarks_refuse_bad_input_and_skip_tiny_training_parts():
    x, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(InvalidTaskError, match="classification"):
        sample_landmarks(x, y, np.arange(10), "ranking")
    with pytest.raises(InvalidTaskError, match="one target each"):
        sample_landmarks(x, y[:5], np.arange(5))
    assert sample_landmarks(x, y, [0, 1, 2]) == {}


def test_landmark_names_cover_every_modality():
    assert set(LANDMARK_NAMES) == {"graph", "image", "tabular"}
