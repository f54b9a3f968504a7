"""NAS-Bench-201 cell space: 4 nodes, 6 edges, 5 operations per edge."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np

from metanas.exceptions import InvalidArchitectureError
from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.spaces._base import SearchSpace

__all__ = ["NB201_EDGES", "NB201_OPS", "NB201Space"]

NB201_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: The cell's edges (i -> j) in `cellstr` order.
NB201_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


@lru_cache(maxsize=1)
def _converted_edges() -> tuple[tuple[int, int], ...]:
    """Edges of the op-as-node graph: node 0 input, nodes 1..6 the cell edges, node 7 output."""
    edges = []
    for k, (i, j) in enumerate(NB201_EDGES):
        node = k + 1
        if i == 0:
            edges.append((0, node))
        else:
            edges.extend((m + 1, node) for m, (_, jj) in enumerate(NB201_EDGES) if jj == i)
        if j == 3:
            edges.append((node, 7))
    return tuple(sorted(edges))


#: Distinct cells by canonical hash (the table's ``UniqueString`` classes).
NB201_DISTINCT_CELLS = 6466
#: The most cells a subclass's `NB201Space.distinct_size` enumerates to count its classes.
MAX_DERIVED_CELLS = 50_000


class NB201Space(SearchSpace):
    """The NAS-Bench-201 cell space (15,625 cells); architectures are op-as-node graphs."""

    id = "nb201"
    ops = NB201_OPS

    def from_ops(self, ops: Sequence[str]) -> ModelGraph:
        """Graph of the cell whose six edges carry ``ops`` (in `NB201_EDGES` order)."""
        if len(ops) != 6:
            raise InvalidArchitectureError(f"a NAS-Bench-201 cell has 6 edge operations, got {len(ops)}")
        return self.validate(ModelGraph((INPUT, *ops, OUTPUT), _converted_edges(), self.id))

    def to_ops(self, graph: ModelGraph) -> tuple[str, ...]:
        """The six edge operations of a cell graph."""
        return self.validate(graph).ops[1:-1]

    def decode(self, cellstr: str) -> ModelGraph:
        """Parse a NAS-Bench-201 cell string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

        Raises:
            InvalidArchitectureError: the string is not a cell string of this space.
        """
        if not isinstance(cellstr, str):
            raise InvalidArchitectureError(f"cellstr must be a string, got {type(cellstr).__name__}")
        groups = cellstr.strip().split("+")
        if len(groups) != 3:
            raise InvalidArchitectureError(
                f"cellstr {cellstr!r} must have 3 node groups separated by '+', got {len(groups)}"
            )
        ops: dict[tuple[int, int], str] = {}
        for j, group in enumerate(groups, start=1):
            parts = [p for p in group.strip("|").split("|")]
            if len(parts) != j:
                raise InvalidArchitectureError(
                    f"cellstr {cellstr!r}: node {j} must list {j} inputs, got {len(parts)}"
                )
            for part in parts:
                op, sep, src = part.partition("~")
                if not sep or not src.isdigit() or int(src) >= j:
                    raise InvalidArchitectureError(
                        f"cellstr {cellstr!r}: entry {part!r} must read 'op~i' with i < {j}"
                    )
                ops[(int(src), j)] = op
        if len(ops) != 6:
            raise InvalidArchitectureError(f"cellstr {cellstr!r} repeats an input")
        return self.from_ops([ops[e] for e in NB201_EDGES])

    def encode(self, graph: ModelGraph) -> str:
        """The NAS-Bench-201 cell string of a cell graph."""
        ops = dict(zip(NB201_EDGES, self.to_ops(graph)))
        return "+".join(
            "|" + "|".join(f"{ops[(i, j)]}~{i}" for i in range(j)) + "|" for j in (1, 2, 3)
        )

    def _sample(self, rng: np.random.Generator) -> ModelGraph:
        return self.from_ops([self.ops[i] for i in rng.integers(0, len(self.ops), size=6)])

    def _mutate(self, graph: ModelGraph, rng: np.random.Generator) -> ModelGraph:
        ops = list(graph.ops[1:-1])
        k = int(rng.integers(0, 6))
        choices = [o for o in self.ops if o != ops[k]]
        ops[k] = choices[int(rng.integers(0, len(choices)))]
        return self.from_ops(ops)

    def features(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """One-hot operation of each of the six edges (30 columns), then the count of each
        operation in the cell (5 columns); shape ``[len(graphs), 35]`` float32."""
        index = {op: i for i, op in enumerate(self.ops)}
        codes = np.array([[index[op] for op in g.ops[1:-1]] for g in graphs], dtype=np.int64).reshape(-1, 6)
        k = len(self.ops)
        out = np.zeros((len(codes), 6 * k + k), dtype=np.float32)
        rows = np.arange(len(codes))[:, None]
        out[rows, np.arange(6)[None, :] * k + codes] = 1.0
        np.add.at(out, (rows, 6 * k + codes), 1.0)
        return out

    def _check(self, graph: ModelGraph) -> None:
        if graph.num_nodes != 8 or graph.edges != _converted_edges():
            raise InvalidArchitectureError(
                f"graph is not a NAS-Bench-201 cell: expected the fixed 8-node op-as-node "
                f"topology (input, 6 edge operations, output), got {graph.num_nodes} nodes and "
                f"edges {list(graph.edges)}; build cells with NB201Space.from_ops or decode"
            )

    @property
    def size(self) -> int:
        """15,625 cells (5 operations on 6 edges)."""
        return len(self.ops) ** len(NB201_EDGES)

    @property
    def distinct_size(self) -> int | None:
        """Distinct cells by canonical hash: 6,466 for NAS-Bench-201's operations (its
        ``UniqueString`` classes, which the canonical hash reproduces; tested). A subclass with
        other operations or other identity/zero operations counts its own classes once, by
        enumerating its cells (``None`` when it has more than `MAX_DERIVED_CELLS`)."""
        if (tuple(self.ops), self.identity_ops, self.zero_ops) == (NB201_OPS, NB201Space.identity_ops,
                                                                    NB201Space.zero_ops):
            return NB201_DISTINCT_CELLS
        if self.size > MAX_DERIVED_CELLS:
            return None
        cached = self.__dict__.get("_distinct_size")
        if cached is None:
            cached = self.__dict__["_distinct_size"] = len({self.canonical_hash(g) for g in self.enumerate()})
        return cached

    def enumerate(self) -> Iterator[ModelGraph]:
        """All 15,625 cells, in NAS-Bench-201 index order is *not* guaranteed (product order)."""
        for ops in itertools.product(self.ops, repeat=6):
            yield self.from_ops(ops)
