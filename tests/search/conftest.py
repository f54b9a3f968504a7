"""Fixtures of the search tests: benchmark tables and small spaces."""

from __future__ import annotations

import hashlib

import pytest

from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.spaces import DAGSpace


@pytest.fixture(scope="session")
def cifar10(nb201_suite):
    return nb201_suite.table("nb201/cifar10")


@pytest.fixture(scope="session")
def cora(nbg_suite):
    return nbg_suite.table("nbg/cora")


class ChainSpace(DAGSpace):
    """One operation node between input and output: exactly ``len(ops)`` architectures."""

    def __init__(self, ops=("a", "b", "c"), *, enumerable: bool = True) -> None:
        super().__init__(list(ops), max_nodes=1, max_edges=2, space_id="chain")
        self.enumerable = enumerable

    def enumerate(self):
        if not self.enumerable:
            raise NotImplementedError("not enumerable")
        return iter([self.chain(op) for op in self.ops])

    def chain(self, op: str) -> ModelGraph:
        return ModelGraph((INPUT, op, OUTPUT), ((0, 1), (1, 2)), self.id)


@pytest.fixture
def chain_space():
    return ChainSpace


def pseudo_score(graph: ModelGraph) -> float:
    """A deterministic score from the graph's identity (hashlib, stable across processes)."""
    return int(hashlib.sha256(graph.identity.encode()).hexdigest()[:8], 16) / 2**32


@pytest.fixture
def score():
    return pseudo_score


def transfer_variant(**constants):
    """`TransferBO` with some of its fixed parts (class constants, e.g. ``STACK_PAST=False`` or
    ``NUM_CANDIDATES=200``) changed: how the benchmark variants and the tests reach them."""
    from metanas.search import TransferBO

    assert set(constants) <= {k for k in vars(TransferBO) if k.isupper()}, constants
    return type("TransferBOVariant", (TransferBO,), constants)
