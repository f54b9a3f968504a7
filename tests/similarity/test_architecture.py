"""Architecture similarity: invariants on both suites' spaces, references (networkx, hand
computations), the fast path, pairwise == scalar, the registry and its errors."""

from __future__ import annotations

import math
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from metanas.exceptions import ConfigError, InvalidArchitectureError, UnknownNameError
from metanas.graph import ModelGraph
from metanas.similarity import (
    ArchitectureSimilarity,
    GraphEditSimilarity,
    OpDistributionSimilarity,
    PathSimilarity,
    arch_metric_names,
    arch_similarity,
    edit_distance,
    get_arch_metric,
    label_mismatch_bound,
    pairwise,
    paths,
)
from metanas.spaces import DAGSpace, get_space

METRICS = ("ged", "path", "opdist")
SPACES = ("nb201", "nbg", "nbg-proteins")


def renumber(graph: ModelGraph, rng: np.random.Generator) -> ModelGraph:
    """The same graph with its operation nodes renumbered (input first, output last)."""
    n = graph.num_nodes
    while True:
        mid = rng.permutation(np.arange(1, n - 1))
        if n <= 3 or not np.array_equal(mid, np.arange(1, n - 1)):
            break
    perm = [0, *mid.tolist(), n - 1]  # old node i becomes perm[i]
    ops = [""] * n
    for i, op in enumerate(graph.ops):
        ops[perm[i]] = op
    return ModelGraph(tuple(ops), tuple((perm[u], perm[v]) for u, v in graph.edges), graph.space_id)


def nx_ged(a: ModelGraph, b: ModelGraph) -> float:
    return nx.graph_edit_distance(a.to_networkx(), b.to_networkx(), node_match=lambda x, y: x["op"] == y["op"])


def sample(space_id: str, n: int, seed: int) -> list[ModelGraph]:
    space = get_space(space_id)
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(n)]


@pytest.fixture(scope="module")
def nb201():
    return get_space("nb201")


# ----------------------------------------------------------------------------- invariants
@pytest.mark.parametrize("space_id", SPACES)
@pytest.mark.parametrize("metric", METRICS)
def test_range_symmetry_identity(space_id, metric):
    graphs = sample(space_id, 25, seed=1)
    m = get_arch_metric(metric)
    mat = m.pairwise(graphs)
    assert mat.shape == (25, 25)
    assert np.all(np.isfinite(mat)) and mat.min() >= 0.0 and mat.max() <= 1.0
    np.testing.assert_array_equal(mat, mat.T)
    np.testing.assert_array_equal(np.diag(mat), 1.0)
    assert mat.min() < 1.0  # the metric does discriminate
    for a, b in zip(graphs[:8], graphs[8:16]):
        assert m(a, b) == m(b, a)
        assert m(a, a) == 1.0


@pytest.mark.parametrize("space_id", SPACES)
@pytest.mark.parametrize("metric", METRICS)
def test_isomorphism_invariance(space_id, metric):
    rng = np.random.default_rng(7)
    graphs = sample(space_id, 8, seed=2)
    m = get_arch_metric(metric)
    for a, b in zip(graphs[:4], graphs[4:]):
        a2 = renumber(a, rng)
        assert a2.edges != a.edges or a2.ops != a.ops or a.num_nodes <= 3
        assert m(a, a2) == 1.0
        assert m.pairwise([a], [a2])[0, 0] == 1.0
        assert m(a2, b) == pytest.approx(m(a, b), abs=1e-12)
        assert m.pairwise([a2], [b])[0, 0] == pytest.approx(m.pairwise([a], [b])[0, 0], abs=1e-12)


@pytest.mark.parametrize("space_id", SPACES)
@pytest.mark.parametrize("metric", METRICS)
def test_pairwise_equals_scalar(space_id, metric):
    rng = np.random.default_rng(3)
    graphs = sample(space_id, 10, seed=4)
    graphs += [renumber(g, rng) for g in graphs[:3]]  # other topologies, isomorphic ones
    other = sample(space_id, 5, seed=5)
    m = get_arch_metric(metric)
    mat = m.pairwise(graphs, other)
    expected = np.array([[m(a, b) for b in other] for a in graphs])
    np.testing.assert_allclose(mat, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(pairwise(graphs, other, metric=metric), expected, rtol=0, atol=1e-12)


def test_empty_inputs_give_empty_matrices(nb201):
    g = sample("nb201", 3, seed=0)
    for metric in METRICS:
        assert get_arch_metric(metric).pairwise([], g).shape == (0, 3)
        assert get_arch_metric(metric).pairwise(g, []).shape == (3, 0)


# ----------------------------------------------------------------------------- graph edit distance
def test_ged_normalisation_by_hand(nb201):
    a = nb201.from_ops(["nor_conv_3x3"] * 6)
    b = nb201.from_ops(["nor_conv_3x3"] * 5 + ["avg_pool_3x3"])
    c = nb201.from_ops(["avg_pool_3x3"] * 6)
    assert edit_distance(a, b) == 1.0
    assert arch_similarity(a, b, "ged") == pytest.approx(1 - 1 / 8)
    assert arch_similarity(a, c, "ged") == pytest.approx(1 - 6 / 8)
    # Different sizes: normalised by the larger graph.
    tiny = ModelGraph(("input", "nor_conv_3x3", "output"), ((0, 1), (1, 2)))
    d = edit_distance(tiny, a)
    assert d == nx_ged(tiny, a)
    assert arch_similarity(tiny, a, "ged") == pytest.approx(1 - min(d / 8, 1))


@pytest.mark.slow
def test_ged_equals_networkx_nb201(nb201):
    rng = np.random.default_rng(11)
    ged = GraphEditSimilarity(timeout=None)
    for _ in range(6):
        a = nb201.sample(rng)
        b = nb201.mutate(nb201.mutate(a, rng), rng)  # close pairs: the interesting regime
        c = nb201.sample(rng)
        assert ged.distance(a, b) == nx_ged(a, b)
        assert ged.distance(a, c) == nx_ged(a, c)


@pytest.mark.parametrize("space_id", ["nbg", "nbg-proteins"])
def test_ged_equals_networkx_nbg_any_pattern(space_id):
    graphs = sample(space_id, 30, seed=12)
    ged = GraphEditSimilarity(timeout=None)
    dist = ged.distance_matrix(graphs[:15], graphs[15:])
    for i, a in enumerate(graphs[:15]):
        b = graphs[15 + i]
        assert dist[i, i] == ged.distance(a, b) == nx_ged(a, b)


def test_ged_equals_networkx_dag_space_mixed_sizes():
    space = DAGSpace(["conv", "pool", "fc"], max_nodes=4)
    rng = np.random.default_rng(13)
    ged = GraphEditSimilarity(timeout=None)
    for _ in range(12):
        a, b = space.sample(rng), space.sample(rng)
        assert ged.distance(a, b) == nx_ged(a, b)


def test_fast_path_beats_label_bound_where_bound_is_loose():
    """NAS-Bench-Graph pattern (0,0,0,0): four parallel nodes, any permutation is free."""
    nbg = get_space("nbg")
    a = nbg.from_arch((0, 0, 0, 0), ["gcn", "gat", "sage", "gin"])
    b = nbg.from_arch((0, 0, 0, 0), ["gat", "sage", "gin", "gcn"])
    assert a.edges == b.edges
    assert label_mismatch_bound(a, b) == 4
    assert nx_ged(a, b) == 0
    assert edit_distance(a, b) == 0
    assert arch_similarity(a, b, "ged") == 1.0
    assert get_arch_metric("ged").pairwise([a], [b])[0, 0] == 1.0


def test_fast_path_is_automatic_and_within_documented_bound_on_nb201(monkeypatch, nb201):
    """Same topology: no networkx; label mismatches exceed the exact GED by at most 1 (documented)."""
    reference = nx.graph_edit_distance

    def boom(*args, **kwargs):
        raise AssertionError("networkx must not run for graphs sharing one topology")

    monkeypatch.setattr(nx, "graph_edit_distance", boom)
    rng = np.random.default_rng(14)
    graphs = [nb201.sample(rng) for _ in range(30)]
    graphs += [nb201.mutate(g, rng) for g in graphs[:30]]
    dist = GraphEditSimilarity().distance_matrix(graphs)
    bound = np.array([[label_mismatch_bound(a, b) for b in graphs] for a in graphs])
    gap = bound - dist
    assert set(np.unique(gap)) == {0, 1}
    i, j = np.argwhere(gap == 1)[0]
    a, b = graphs[i], graphs[j]
    assert dist[i, j] == reference(a.to_networkx(), b.to_networkx(), node_match=lambda x, y: x["op"] == y["op"])
    assert edit_distance(graphs[0], graphs[30]) == 1  # a mutation is one relabelling


def test_networkx_tier_and_alignment_bound():
    """Above exact_max_nodes the scalar runs networkx; pairwise uses an upper bound of the distance."""
    space = DAGSpace(["conv", "pool", "fc"], max_nodes=4, min_nodes=3)
    rng = np.random.default_rng(15)
    small = GraphEditSimilarity(timeout=None, exact_max_nodes=4, pairwise_exact_max_nodes=4)
    exact = GraphEditSimilarity(timeout=None)
    looser = 0
    for _ in range(10):
        a, b = space.sample(rng), space.sample(rng)
        ref = nx_ged(a, b)
        assert small.distance(a, b) == ref == exact.distance(a, b)
        bound = small.distance_matrix([a], [b])[0, 0]
        assert bound >= ref
        assert small.pairwise([a], [b])[0, 0] <= small(a, b)
        looser += bound > ref
    assert looser > 0  # the bound is a bound, not the exact value


def test_isomorphic_topologies_above_the_exact_limit_use_the_isomorphism(nb201):
    rng = np.random.default_rng(16)
    ged = GraphEditSimilarity(exact_max_nodes=4, pairwise_exact_max_nodes=4)
    a = nb201.sample(rng)
    a2 = renumber(a, rng)
    assert ged.pairwise([a], [a2])[0, 0] == 1.0


def test_ged_timeout_gives_an_upper_bound(caplog):
    space = DAGSpace(["conv", "pool", "fc", "skip"], max_nodes=9, min_nodes=9, edge_prob=0.4)
    rng = np.random.default_rng(17)
    a, b = space.sample(rng), space.sample(rng)
    ged = GraphEditSimilarity(timeout=0.05)
    with caplog.at_level("INFO", logger="metanas.similarity._ged"):
        d = ged.distance(a, b)
    assert d <= ged.distance_matrix([a], [b])[0, 0]
    assert 0 < d <= a.num_nodes + b.num_nodes + len(a.edges) + len(b.edges)
    assert "timeout" in caplog.text
    assert 0.0 <= ged(a, b) <= 1.0


# ----------------------------------------------------------------------------- path encoding
def test_paths_of_a_cell(nb201):
    g = nb201.from_ops(["nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "skip_connect", "none", "nor_conv_1x1"])
    # Edges (0,1) (0,2) (1,2) (0,3) (1,3) (2,3) -> paths 0-3, 0-1-3, 0-2-3, 0-1-2-3.
    assert paths(g) == Counter({
        ("skip_connect",): 1,
        ("nor_conv_1x1", "none"): 1,
        ("nor_conv_3x3", "nor_conv_1x1"): 1,
        ("nor_conv_1x1", "avg_pool_3x3", "nor_conv_1x1"): 1,
    })


def test_path_similarity_by_hand(nb201):
    a = nb201.from_ops(["nor_conv_3x3"] * 6)
    b = nb201.from_ops(["nor_conv_3x3"] * 3 + ["avg_pool_3x3"] + ["nor_conv_3x3"] * 2)  # edge 0->3 differs
    # a: {(c,):1, (c,c):2, (c,c,c):1}; b: {(p,):1, (c,c):2, (c,c,c):1} -> min 3, max 5.
    assert PathSimilarity()(a, b) == pytest.approx(3 / 5)
    # Weighted Jaccard, not cosine: proportional counts are not identical.
    x = ModelGraph(("input", "conv", "output"), ((0, 1), (1, 2)))
    y = ModelGraph(("input", "conv", "conv", "output"), ((0, 1), (0, 2), (1, 3), (2, 3)))
    assert PathSimilarity()(x, y) == pytest.approx(1 / 2)


# ----------------------------------------------------------------------------- op distribution
def test_opdist_by_hand_and_empty_graphs(nb201):
    a = ModelGraph(("input", "conv", "conv", "pool", "output"), ((0, 1), (1, 2), (2, 3), (3, 4)))
    b = ModelGraph(("input", "conv", "pool", "pool", "output"), ((0, 1), (1, 2), (2, 3), (3, 4)))
    expected = (2 * 1 + 1 * 2) / (math.sqrt(5) * math.sqrt(5))
    assert OpDistributionSimilarity()(a, b) == pytest.approx(expected)
    empty = ModelGraph(("input", "output"), ((0, 1),))
    assert OpDistributionSimilarity()(empty, empty) == 1.0
    assert OpDistributionSimilarity()(empty, a) == 0.0
    mat = OpDistributionSimilarity().pairwise([empty, a], [empty, a])
    assert not np.isnan(mat).any()
    np.testing.assert_array_equal(mat, [[1.0, 0.0], [0.0, 1.0]])
    # Input/output labels do not count: disjoint operations give 0 though both have input/output.
    c = nb201.from_ops(["none"] * 6)
    d = nb201.from_ops(["skip_connect"] * 6)
    assert OpDistributionSimilarity()(c, d) == 0.0


# ----------------------------------------------------------------------------- registry and errors
def test_registry():
    assert set(METRICS) <= set(arch_metric_names())
    assert isinstance(get_arch_metric("ged"), GraphEditSimilarity)
    m = PathSimilarity()
    assert get_arch_metric(m) is m
    assert get_arch_metric("ged", timeout=1.0).timeout == 1.0
    with pytest.raises(UnknownNameError, match="ged.*opdist.*path"):
        get_arch_metric("edit")
    with pytest.raises(ConfigError, match="timeout"):
        get_arch_metric(m, timeout=1.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"timeout": 0}, "timeout"), ({"timeout": "1"}, "timeout"), ({"exact_max_nodes": 10}, "exact_max_nodes"),
     ({"exact_max_nodes": 1}, "exact_max_nodes"), ({"pairwise_exact_max_nodes": 9}, "pairwise_exact_max_nodes")],
)
def test_ged_config_errors(kwargs, name):
    with pytest.raises(ConfigError, match=name):
        GraphEditSimilarity(**kwargs)


def test_bad_graph_arguments(nb201):
    g = nb201.sample(np.random.default_rng(0))
    with pytest.raises(InvalidArchitectureError, match="ModelGraph"):
        pairwise([g, "not a graph"], metric="opdist")
    with pytest.raises(ConfigError, match="graphs_a"):
        pairwise(g, metric="path")
    with pytest.raises(InvalidArchitectureError, match="same node count"):
        label_mismatch_bound(g, ModelGraph(("input", "output"), ((0, 1),)))


def test_seed_facade(nb201):
    a, b = sample("nb201", 2, seed=9)
    assert ArchitectureSimilarity.graph_edit_distance(a, b) == get_arch_metric("ged")(a, b)
    assert ArchitectureSimilarity.path_encoding_similarity(a, b) == PathSimilarity()(a, b)
    assert ArchitectureSimilarity.operation_distribution_similarity(a, b) == OpDistributionSimilarity()(a, b)
    np.testing.assert_array_equal(ArchitectureSimilarity.pairwise([a, b], metric="path"), pairwise([a, b], metric="path"))


def test_real_table_architectures(nbg_suite):
    """Table representatives of a real task behave like samples (range, symmetry, identity)."""
    graphs = nbg_suite.table("nbg/cora").graphs[:40]
    for metric in METRICS:
        mat = pairwise(graphs, metric=metric)
        np.testing.assert_array_equal(mat, mat.T)
        np.testing.assert_array_equal(np.diag(mat), 1.0)
        assert 0.0 <= mat.min() and mat.max() <= 1.0
