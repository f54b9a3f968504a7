"""Search spaces: sampling, mutation, validation, encodings."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.exceptions import ConfigError, InvalidArchitectureError, UnknownNameError, UnknownOperationError
from metanas.graph import ModelGraph
from metanas.spaces import DAGSpace, NasBenchGraphSpace, NB201Space, get_space


@pytest.mark.parametrize("space_id", ["nb201", "nbg", "nbg-proteins"])
def test_samples_are_valid_and_mutation_always_differs(space_id):
    space = get_space(space_id)
    rng = np.random.default_rng(1)
    g = space.sample(rng)
    for _ in range(300):
        assert space.contains(g) and g.space_id == space_id
        child = space.mutate(g, rng)
        assert space.contains(child)
        assert space.key(child) != space.key(g)
        g = child


def test_dag_space_mutation_and_constraints():
    space = DAGSpace(["conv", "pool", "id"], max_nodes=4, max_edges=8, space_id="mine")
    rng = np.random.default_rng(2)
    g = space.sample(rng)
    for _ in range(200):
        child = space.mutate(g, rng)
        assert child != g and space.contains(child)
        assert len(child.edges) <= 8 and 1 <= child.num_nodes - 2 <= 4
        g = child
    too_big = ModelGraph(("input", *["conv"] * 5, "output"), tuple((i, i + 1) for i in range(6)))
    with pytest.raises(InvalidArchitectureError, match="allows 1..4 operation nodes"):
        space.validate(too_big)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ops": [], "max_nodes": 3}, "'ops'"),
        ({"ops": ["a", "a"], "max_nodes": 3}, "twice"),
        ({"ops": ["a"], "max_nodes": 0}, "'max_nodes'"),
        ({"ops": ["a"], "max_nodes": 3, "min_nodes": 4}, "'min_nodes'"),
        ({"ops": ["a"], "max_nodes": 3, "max_edges": 1}, "'max_edges'"),
        ({"ops": ["a"], "max_nodes": 3, "edge_prob": 2.0}, "'edge_prob'"),
    ],
)
def test_dag_space_config_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        DAGSpace(**kwargs)


def test_nb201_cellstr_round_trip_and_errors():
    space = NB201Space()
    s = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
    g = space.decode(s)
    assert space.encode(g) == s
    assert g.operations == ("nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "skip_connect")
    with pytest.raises(UnknownOperationError, match="'sep_conv'"):
        space.decode(s.replace("nor_conv_3x3", "sep_conv"))
    with pytest.raises(InvalidArchitectureError, match="3 node groups"):
        space.decode("|none~0|")
    with pytest.raises(InvalidArchitectureError, match="'op~i'"):
        space.decode("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert sum(1 for _ in space.enumerate()) == 5**6


def test_cross_space_validation():
    rng = np.random.default_rng(3)
    nbg, prot, nb201 = get_space("nbg"), get_space("nbg-proteins"), get_space("nb201")
    g = nbg.sample(rng)
    assert not nb201.contains(g)
    chain = ModelGraph(("input", "nor_conv_3x3", "none", "output"), ((0, 1), (1, 2), (2, 3)))
    with pytest.raises(InvalidArchitectureError, match="not a NAS-Bench-201 cell"):
        nb201.validate(chain)
    gat = nbg.from_arch([0, 1, 2, 3], ["gat", "gcn", "gcn", "gcn"])
    with pytest.raises(UnknownOperationError, match="'gat'"):
        prot.validate(gat)
    p = prot.from_arch([0, 1, 2, 3], ["gcn", "sage", "arma", "fc"])
    assert nbg.validate(p).space_id == "nbg"


def test_nbg_all_skip_excluded_and_keys_match_package():
    from nas_bench_graph.architecture import Arch

    space = get_space("nbg")
    with pytest.raises(InvalidArchitectureError, match="all-'skip'"):
        space.from_arch([0, 1, 2, 3], ["skip"] * 4)
    g = space.from_arch([0, 0, 1, 2], ["gcn", "gat", "skip", "sage"])
    assert space.key(g) == str(Arch([0, 0, 1, 2], ["gcn", "gat", "skip", "sage"]).valid_hash())
    assert space.to_arch(g) == ((0, 0, 1, 2), ("gcn", "gat", "skip", "sage"))
    with pytest.raises(InvalidArchitectureError, match="link pattern|9 NAS-Bench-Graph link patterns"):
        space.from_arch([0, 0, 0, 9], ["gcn"] * 4)


def test_unknown_space_lists_choices():
    with pytest.raises(UnknownNameError, match="nb201"):
        get_space("nb301")


def test_space_rejects_global_rng():
    with pytest.raises(TypeError, match="Generator"):
        NasBenchGraphSpace().sample(None)


@pytest.mark.parametrize("space_id, size, distinct", [
    ("nb201", 15625, 6466),
    ("nbg-proteins", 2021, 2021),
    pytest.param("nbg", 26206, 26206, marks=pytest.mark.slow),
])
def test_declared_sizes_match_the_enumeration(space_id, size, distinct):
    space = get_space(space_id)
    graphs = list(space.enumerate())
    assert space.size == size == len({space.key(g) for g in graphs})
    assert space.distinct_size == distinct == len({space.canonical_hash(g) for g in graphs})


def test_user_spaces_of_unknown_size_say_so():
    space = DAGSpace(["conv", "pool"], max_nodes=3)
    assert space.size is None and space.distinct_size is None
