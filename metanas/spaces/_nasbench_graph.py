"""NAS-Bench-Graph macro space: 4 computing nodes in one of 9 link patterns, one GNN op each.

An architecture is ``Arch(link, ops)`` of the `nas-bench-graph` package: ``link[i]`` is the
node that feeds computing node ``i+1`` (0 = the input), ``ops[i]`` its operation, and every
computing node without successors feeds the output. As a `ModelGraph`: node 0 input, nodes
1..4 the computing nodes, node 5 the output.

The benchmark tables are keyed by ``Arch.valid_hash()``, which canonicalises isomorphic
architectures (always with the 9-op base, also for the 5-op proteins space); `key` returns
that hash, so a lookup works for every member of an isomorphism class.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache

import numpy as np

from metanas.exceptions import InvalidArchitectureError
from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.spaces._base import SearchSpace

__all__ = ["LINK_PATTERNS", "NBG_OPS", "NBG_PROTEINS_OPS", "NasBenchGraphSpace"]

NBG_OPS: tuple[str, ...] = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
NBG_PROTEINS_OPS: tuple[str, ...] = ("gcn", "sage", "arma", "fc", "skip")
#: The 9 link patterns of `nas_bench_graph.architecture.link_list` (copied: they are facts
#: of the benchmark, and importing the package here would load its data module eagerly).
LINK_PATTERNS: tuple[tuple[int, int, int, int], ...] = (
    (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3),
    (0, 1, 1, 1), (0, 1, 1, 2), (0, 1, 2, 2), (0, 1, 2, 3),
)


@cache
def _edges(link: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    edges = [(src, i + 1) for i, src in enumerate(link)]
    parents = set(link)
    edges += [(i + 1, 5) for i in range(4) if (i + 1) not in parents]
    return tuple(sorted(edges))


def _arch_key(link: Sequence[int], ops: Sequence[str]) -> int:
    return _cached_arch_key(tuple(link), tuple(ops))


@lru_cache(maxsize=1 << 17)
def _cached_arch_key(link: tuple[int, ...], ops: tuple[str, ...]) -> int:
    from nas_bench_graph.architecture import Arch

    return int(Arch(list(link), list(ops)).valid_hash())


#: Table keys per operation set (see `NasBenchGraphSpace.size`).
_KNOWN_SIZES: dict[tuple[str, ...], int] = {NBG_OPS: 26206, NBG_PROTEINS_OPS: 2021}


class NasBenchGraphSpace(SearchSpace):
    """The NAS-Bench-Graph macro space (``nbg``: 9 ops; ``nbg-proteins``: 5 ops).

    The all-``skip`` architecture is excluded (the benchmark has no entry for it).
    """

    def __init__(self, ops: Sequence[str] = NBG_OPS, space_id: str = "nbg") -> None:
        unknown = [o for o in ops if o not in NBG_OPS]
        if unknown:
            raise InvalidArchitectureError(
                f"NAS-Bench-Graph operations must come from {list(NBG_OPS)}, got {unknown}"
            )
        self.ops = tuple(ops)
        self.id = space_id

    def from_arch(self, link: Sequence[int], ops: Sequence[str]) -> ModelGraph:
        """Graph of ``Arch(link, ops)``; ``link`` must be one of the 9 patterns."""
        link = tuple(int(x) for x in link)
        if link not in LINK_PATTERNS:
            raise InvalidArchitectureError(
                f"link {list(link)} is not one of the 9 NAS-Bench-Graph link patterns {list(map(list, LINK_PATTERNS))}"
            )
        if len(ops) != 4:
            raise InvalidArchitectureError(f"a NAS-Bench-Graph architecture has 4 operations, got {len(ops)}")
        return self.validate(ModelGraph((INPUT, *ops, OUTPUT), _edges(link), self.id))

    def to_arch(self, graph: ModelGraph) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """``(link, ops)`` of a graph of this space, with ``link`` one of the 9 patterns."""
        graph = self.validate(graph)
        return _graph_to_arch(graph)

    def key(self, graph: ModelGraph) -> str:
        """``Arch.valid_hash()`` as a string: what the benchmark tables are keyed by."""
        link, ops = self.to_arch(graph)
        return str(_arch_key(link, ops))

    def canonical_hash(self, graph: ModelGraph) -> str:
        """SHA-256 of the benchmark's own canonicalisation, ``Arch.valid_hash()``.

        NAS-Bench-Graph treats ``skip`` by moving it (``move_skip_op``), not as an identity, so
        its classes differ from the generic `ModelGraph.canonical_hash` (over all 59,048
        (pattern, ops) combinations: 26,206 classes here against 25,478 generic ones, neither
        refining the other); the table's keys decide, so the space uses them.
        """
        import hashlib

        return hashlib.sha256(f"nbg:{self.key(graph)}".encode()).hexdigest()[:32]

    def features(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """One-hot link pattern (9 columns), one-hot operation of each computing node in
        topological order (``4 * len(ops)``), and the count of each operation
        (``len(ops)``); shape ``[len(graphs), 9 + 5 * len(ops)]`` float32."""
        index = {op: i for i, op in enumerate(self.ops)}
        pattern = {link: i for i, link in enumerate(LINK_PATTERNS)}
        k = len(self.ops)
        out = np.zeros((len(graphs), 9 + 5 * k), dtype=np.float32)
        for row, graph in enumerate(graphs):
            link, ops = _graph_to_arch(graph)
            out[row, pattern[link]] = 1.0
            for pos, op in enumerate(ops):
                out[row, 9 + pos * k + index[op]] = 1.0
                out[row, 9 + 4 * k + index[op]] += 1.0
        return out

    def _sample(self, rng: np.random.Generator) -> ModelGraph:
        while True:
            link = LINK_PATTERNS[int(rng.integers(0, len(LINK_PATTERNS)))]
            ops = [self.ops[i] for i in rng.integers(0, len(self.ops), size=4)]
            if any(o != "skip" for o in ops):
                return self.from_arch(link, ops)

    def _mutate(self, graph: ModelGraph, rng: np.random.Generator) -> ModelGraph:
        link, ops = _graph_to_arch(graph)
        ops = list(ops)
        if rng.random() < 0.2:
            link = LINK_PATTERNS[int(rng.integers(0, len(LINK_PATTERNS)))]
        else:
            k = int(rng.integers(0, 4))
            choices = [o for o in self.ops if o != ops[k]]
            ops[k] = choices[int(rng.integers(0, len(choices)))]
        if all(o == "skip" for o in ops):
            return graph
        return self.from_arch(link, ops)

    def _check(self, graph: ModelGraph) -> None:
        _graph_to_arch(graph)
        if all(op == "skip" for op in graph.operations):
            raise InvalidArchitectureError(
                "the all-'skip' architecture is not in the NAS-Bench-Graph space (the benchmark has no entry for it)"
            )

    @property
    def size(self) -> int:
        """Distinct table keys (``Arch.valid_hash()``): 26,206 for ``nbg``, 2,021 for ``nbg-proteins``
        (tested against `enumerate`); counted by enumeration, once, for other operation sets."""
        known = _KNOWN_SIZES.get(self.ops)
        if known is None:
            known = _KNOWN_SIZES[self.ops] = sum(1 for _ in self.enumerate())
        return known

    @property
    def distinct_size(self) -> int:
        """Equal to `size`: the canonical hash is the table key."""
        return self.size

    def enumerate(self) -> Iterator[ModelGraph]:
        """One graph per table key (the representative with the smallest pattern/op order)."""
        seen: set[int] = set()
        for link in LINK_PATTERNS:
            for ops in itertools.product(self.ops, repeat=4):
                if all(o == "skip" for o in ops):
                    continue
                k = _arch_key(link, ops)
                if k not in seen:
                    seen.add(k)
                    yield self.from_arch(link, ops)


def _graph_to_arch(graph: ModelGraph) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Read ``(link, ops)`` off a graph, renumbering nodes topologically if needed."""
    n = graph.num_nodes
    if n != 6:
        raise InvalidArchitectureError(
            f"a NAS-Bench-Graph architecture has 6 nodes (input, 4 computing nodes, output), got {n}"
        )
    order = [v for v in graph.topological_order if v not in (0, n - 1)]
    pos = {v: i + 1 for i, v in enumerate(order)}
    pos[0] = 0
    link: list[int] = []
    for v in order:
        preds = graph.predecessors[v]
        if len(preds) != 1:
            raise InvalidArchitectureError(
                f"node {v} ({graph.ops[v]!r}) has {len(preds)} inputs; in NAS-Bench-Graph every "
                "computing node has exactly one input"
            )
        link.append(pos[preds[0]])
    for v in order:
        succ = graph.successors[v]
        feeds_out = (n - 1) in succ
        if feeds_out and len(succ) > 1:
            raise InvalidArchitectureError(
                f"node {v} ({graph.ops[v]!r}) feeds the output and another node; in NAS-Bench-Graph "
                "only nodes without successors feed the output"
            )
    if (n - 1) in graph.successors[0]:
        raise InvalidArchitectureError("in NAS-Bench-Graph the input does not feed the output directly")
    ops = tuple(graph.ops[v] for v in order)
    lk = tuple(link)
    if lk not in LINK_PATTERNS:
        from nas_bench_graph.architecture import Arch

        reg = Arch(list(lk), list(ops)).regularize()
        lk, ops = tuple(reg.link), tuple(reg.ops)
        if lk not in LINK_PATTERNS:
            raise InvalidArchitectureError(
                f"the graph's link pattern {list(link)} is not one of NAS-Bench-Graph's 9 patterns"
            )
    return lk, ops
