"""`NB201Space.distinct_size` of a subclass: NAS-Bench-201's 6,466 only for its own operations."""

from __future__ import annotations

from metanas.spaces import NB201Space
from metanas.spaces._nb201 import NB201_DISTINCT_CELLS, NB201_OPS


class NoPool(NB201Space):
    """NAS-Bench-201's cell without average pooling (4 operations, 4,096 cells)."""

    id = "nb201-nopool"
    ops = tuple(op for op in NB201_OPS if op != "avg_pool_3x3")


class Renamed(NB201Space):
    """Same operations under another space id: NAS-Bench-201's classes."""

    id = "nb201-renamed"


def test_a_subclass_with_other_operations_counts_its_own_classes():
    space = NoPool()
    assert space.size == 4**6
    expected = len({space.canonical_hash(g) for g in space.enumerate()})  # the reference: every cell hashed
    assert space.distinct_size == expected
    assert expected != NB201_DISTINCT_CELLS and expected < space.size  # before: 6,466 (more than its 4,096 cells)


def test_the_derivation_reproduces_nas_bench_201s_own_count():
    class SameOpsOtherTuple(NB201Space):
        ops = ("none", *NB201_OPS[1:])  # an equal tuple, another object

    assert SameOpsOtherTuple().distinct_size == Renamed().distinct_size == NB201_DISTINCT_CELLS
    # the derivation itself, on NAS-Bench-201's operations, gives NAS-Bench-201's count
    class Derived(NB201Space):
        ops = NB201_OPS
        zero_ops = frozenset(NB201Space.zero_ops)  # an equal set: still NAS-Bench-201's
        identity_ops = frozenset({*NB201Space.identity_ops, "not-an-op"})  # another set: derived

    assert Derived().distinct_size == NB201_DISTINCT_CELLS


def test_a_space_too_large_to_enumerate_has_no_known_distinct_size(monkeypatch):
    import metanas.spaces._nb201 as nb201

    monkeypatch.setattr(nb201, "MAX_DERIVED_CELLS", 100)
    assert NoPool().distinct_size is None
    assert NB201Space().distinct_size == NB201_DISTINCT_CELLS
