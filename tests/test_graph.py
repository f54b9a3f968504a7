"""ModelGraph: validation, identity, canonical hash, conversions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from metanas.exceptions import InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.spaces import NB201Space, get_space


def _renumber(g: ModelGraph, perm: list[int]) -> ModelGraph:
    """Renumber operation nodes by ``perm`` (input first and output last stay)."""
    n = g.num_nodes
    mapping = {0: 0, n - 1: n - 1}
    mapping.update({old: new for old, new in zip(range(1, n - 1), perm)})
    ops = [None] * n
    for old, new in mapping.items():
        ops[new] = g.ops[old]
    edges = [(mapping[u], mapping[v]) for u, v in g.edges]
    return ModelGraph(tuple(ops), tuple(edges), g.space_id)


def test_round_trip_dict_and_json():
    g = NB201Space().decode("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|")
    assert ModelGraph.from_dict(json.loads(json.dumps(g.to_dict()))) == g
    assert ModelGraph.from_json(g.to_json()) == g
    assert ModelGraph.from_json(g.to_json()).space_id == "nb201"


@pytest.mark.parametrize(
    "data, match",
    [
        ({"ops": ["input", "conv", "output"]}, "lacks the key 'edges'"),
        ({"ops": "input", "edges": []}, "'ops' must be a list"),
        ({"ops": ["input", "conv", "output"], "edges": [[0, "x"]]}, "pairs of node indices"),
        ({"ops": ["input", "conv", "output"], "edges": [[0, 1], [1, 2], [2, 1]]}, "leaves the output"),
        ({"ops": ["input", "a", "b", "output"], "edges": [[0, 1], [1, 2], [2, 1], [2, 3]]}, "cycle"),
        ({"ops": ["input", "a", "b", "output"], "edges": [[0, 1], [1, 3]]}, "dangling"),
        ({"ops": ["conv", "a", "output"], "edges": [[0, 1], [1, 2]]}, "must start with 'input'"),
        ({"ops": ["input", "a", "output"], "edges": [[0, 1], [1, 5]]}, "out of range"),
        ({"ops": ["input", "a", "output"], "edges": [[0, 1], [0, 1], [1, 2]]}, "duplicate"),
        ({"ops": ["input", "", "output"], "edges": [[0, 1], [1, 2]]}, "non-empty string"),
        ([1, 2], "must be an object"),
    ],
)
def test_malformed_architectures_raise_named_errors(data, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        ModelGraph.from_dict(data)


def test_from_json_rejects_garbage():
    with pytest.raises(InvalidArchitectureError, match="could not be parsed"):
        ModelGraph.from_json("{not json")


def test_identity_depends_on_node_order_canonical_hash_does_not():
    g = ModelGraph(("input", "a", "b", "c", "output"), ((0, 1), (0, 2), (1, 3), (2, 3), (3, 4)))
    h = _renumber(g, [2, 1, 3])
    assert g != h and g.identity != h.identity
    assert g.canonical_hash == h.canonical_hash


@pytest.mark.parametrize("space_id", ["nb201", "nbg", "nbg-proteins"])
def test_canonical_hash_invariant_under_renumbering(space_id):
    space = get_space(space_id)
    rng = np.random.default_rng(0)
    for _ in range(50):
        g = space.sample(rng)
        perm = list(rng.permutation(range(1, g.num_nodes - 1)))
        # Only topological renumberings keep a valid DAG listing; ModelGraph accepts any order.
        h = _renumber(g, [int(p) for p in perm])
        assert h.canonical_hash == g.canonical_hash
        assert space.canonical_hash(h) == space.canonical_hash(g)
        if space_id != "nb201":  # NAS-Bench-201 keys are exact identities (one table row per cell)
            assert space.key(h) == space.key(g)


def test_canonical_hash_groups_exactly_nb201_unique_string_classes(nb201_suite):
    table = nb201_suite.table("nb201/cifar10")
    unique = nb201_suite.unique_strings()
    assert len(set(unique)) == 6466
    by_unique: dict[str, set[str]] = {}
    by_hash: dict[str, set[str]] = {}
    for g, u in zip(table.graphs, unique):
        by_unique.setdefault(u, set()).add(g.canonical_hash)
        by_hash.setdefault(g.canonical_hash, set()).add(u)
        assert g.canonical_form() == u
    assert all(len(v) == 1 for v in by_unique.values())
    assert all(len(v) == 1 for v in by_hash.values())
    assert len(by_hash) == 6466


def test_networkx_and_pyg_conversions():
    g = NB201Space().decode("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|")
    nxg = g.to_networkx()
    assert nxg.number_of_nodes() == 8 and nxg.number_of_edges() == len(g.edges)
    assert [nxg.nodes[i]["op"] for i in range(8)] == list(g.ops)
    vocab = NB201Space.ops
    data = g.to_pyg(vocab)
    assert tuple(data.x.shape) == (8, len(vocab) + 2)
    assert data.x.sum().item() == 8
    assert data.op.tolist() == [0, *(vocab.index(o) + 2 for o in g.operations), 1]
    assert sorted(map(tuple, data.edge_index.t().tolist())) == list(g.edges)
    with pytest.raises(InvalidArchitectureError, match="not in the vocabulary"):
        g.to_pyg(["nor_conv_3x3"])


def test_importing_metanas_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, metanas, metanas.graph, metanas.spaces, metanas.tasks, metanas.benchmarks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


# ---------------------------------------------------------------- canonical hash at scale (issue 13.1)
_DIAMOND_SCRIPT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from benchmarks.speed_graph import diamond_chain
g = diamond_chain(200)
print(g.num_nodes, g.canonical_hash)
"""


def test_chain_of_200_diamonds_hashes_in_a_fresh_process():
    # Before the bottom-up hash the canonical string doubled at each diamond (2^200 characters):
    # the child ran out of its 2 GiB or past the timeout. Now it takes milliseconds.
    import subprocess
    import sys

    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", _DIAMOND_SCRIPT], check=False, capture_output=True, text=True,
                         timeout=60, env=env, cwd=Path(__file__).resolve().parents[1])  # benchmarks/ is importable
    assert out.returncode == 0, out.stderr[-2000:]
    nodes, digest = out.stdout.split()
    assert int(nodes) == 602 and len(digest) == 32


def _shuffle(g: ModelGraph, rng: np.random.Generator) -> ModelGraph:
    perm = [int(p) for p in rng.permutation(range(1, g.num_nodes - 1))]
    return _renumber(g, perm)


def test_isomorphic_relabellings_of_large_graphs_hash_equal_and_edits_do_not():
    from benchmarks.speed_graph import diamond_chain, random_dag

    rng = np.random.default_rng(1)
    for g in (diamond_chain(200), random_dag(2000, seed=3)):
        h = _shuffle(g, rng)
        assert h != g and h.canonical_hash == g.canonical_hash
        # Relabelling one operation deep inside changes the computation, hence the hash.
        ops = list(g.ops)
        v = next(i for i in range(1, 40) if ops[i] in ("conv", "pool"))
        ops[v] = "pool" if ops[v] == "conv" else "conv"
        assert ModelGraph(tuple(ops), g.edges).canonical_hash != g.canonical_hash


@pytest.mark.parametrize("ops", [
    ("a", "b", "skip_connect", "none"),
    ("conv", "conv3", "skip", "zero"),  # one label a prefix of another
    ("x", "identity"),  # mostly identities: sums of sums
])
def test_bottom_up_hash_has_the_classes_of_the_written_out_form(ops):
    # The reference: the canonical string itself (NAS-Bench-201's construction).
    from metanas.spaces import DAGSpace

    space = DAGSpace(ops, 6, edge_prob=0.5)
    rng = np.random.default_rng(7)
    by_form: dict[str, set[str]] = {}
    by_hash: dict[str, set[str]] = {}
    for _ in range(3000):
        g = space.sample(rng)
        form, digest = g.canonical_form(), g.canonical_hash
        by_form.setdefault(form, set()).add(digest)
        by_hash.setdefault(digest, set()).add(form)
    assert all(len(v) == 1 for v in by_form.values())
    assert all(len(v) == 1 for v in by_hash.values())
    assert len(by_form) > 500  # many classes, so the check has teeth


def test_space_specific_identity_and_zero_ops_change_the_classes():
    g = ModelGraph(("input", "conv", "pass", "output"), ((0, 1), (0, 2), (1, 3), (2, 3)))
    h = ModelGraph(("input", "conv", "output"), ((0, 1), (0, 2), (1, 2)))  # pass ~ identity
    assert g.canonical_digest() != h.canonical_digest()
    assert g.canonical_digest(identity_ops={"pass"}) == h.canonical_digest(identity_ops={"pass"})
    z = ModelGraph(("input", "conv", "drop", "output"), ((0, 1), (0, 2), (1, 3), (2, 3)))
    assert z.canonical_form(zero_ops={"drop"}) == "#+(0)@conv"


def test_oversized_graphs_and_forms_are_refused_with_a_clear_error(monkeypatch):
    import metanas._canonical as canonical
    import metanas.graph as graph_module
    from benchmarks.speed_graph import chain, diamond_chain

    monkeypatch.setattr(graph_module, "MAX_GRAPH_NODES", 50)
    with pytest.raises(InvalidArchitectureError, match="at most 50 nodes"):
        chain(51)
    assert chain(50).num_nodes == 50
    monkeypatch.undo()
    # 30 chained diamonds of identities sum 2^30 copies of the input: refused, not attempted.
    skips = diamond_chain(30, ("skip_connect", "skip_connect", "skip_connect"))
    with pytest.raises(InvalidArchitectureError, match="cannot be hashed"):
        _ = skips.canonical_hash
    with pytest.raises(InvalidArchitectureError, match="use canonical_hash"):
        diamond_chain(40).canonical_form()
    monkeypatch.setattr(canonical, "MAX_CANONICAL_FORM_CHARS", 100)
    with pytest.raises(InvalidArchitectureError, match="more than 100"):
        diamond_chain(3).canonical_form()
