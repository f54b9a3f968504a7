"""A user-defined DAG space: a fixed number of operation nodes wired as any DAG."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.spaces._base import SearchSpace
from metanas.validation import check_int

__all__ = ["DAGSpace"]


class DAGSpace(SearchSpace):
    """Architectures with ``min_nodes..max_nodes`` operation nodes in a DAG.

    Args:
        ops: operation vocabulary.
        max_nodes: most operation nodes (input and output excluded).
        min_nodes: fewest operation nodes (default 1).
        max_edges: most edges in total, input and output edges included (``None``: no limit).
        edge_prob: chance of each optional forward edge when sampling.
        space_id: the space's id (architectures transfer freely between equal ids).

    Raises:
        ConfigError: an argument is out of range; the message names it.
    """

    def __init__(
        self,
        ops: Sequence[str],
        max_nodes: int,
        *,
        min_nodes: int = 1,
        max_edges: int | None = None,
        edge_prob: float = 0.3,
        space_id: str | None = None,
    ) -> None:
        ops = tuple(ops)
        if not ops or any(not isinstance(o, str) or not o or o in (INPUT, OUTPUT) for o in ops):
            raise ConfigError(f"'ops' must be a non-empty list of operation names (not 'input'/'output'), got {list(ops)}")
        if len(set(ops)) != len(ops):
            raise ConfigError(f"'ops' lists an operation twice: {list(ops)}")
        max_nodes = check_int(max_nodes, "max_nodes", low=1, owner="DAGSpace")
        min_nodes = check_int(min_nodes, "min_nodes", low=1, high=max_nodes, owner="DAGSpace (at most max_nodes)")
        if max_edges is not None:  # at least a chain through min_nodes nodes
            max_edges = check_int(max_edges, "max_edges", low=min_nodes + 1, owner="DAGSpace (None or a chain at least)")
        if not 0.0 <= float(edge_prob) <= 1.0:
            raise ConfigError(f"'edge_prob' must be in [0, 1], got {edge_prob!r}")
        self.ops = ops
        self.max_nodes = max_nodes
        self.min_nodes = min_nodes
        self.max_edges = max_edges
        self.edge_prob = float(edge_prob)
        self.id = space_id or f"dag-{max_nodes}-{'-'.join(ops)}"

    def _sample(self, rng: np.random.Generator) -> ModelGraph:
        for _ in range(1000):
            k = int(rng.integers(self.min_nodes, self.max_nodes + 1))
            n = k + 2
            edges = set()
            for v in range(1, n - 1):
                edges.add((int(rng.integers(0, v)), v))  # at least one input from earlier
                for u in range(v):
                    if rng.random() < self.edge_prob:
                        edges.add((u, v))
            has_succ = {u for u, _ in edges}
            edges |= {(v, n - 1) for v in range(1, n - 1) if v not in has_succ}
            ops = [self.ops[i] for i in rng.integers(0, len(self.ops), size=k)]
            graph = ModelGraph((INPUT, *ops, OUTPUT), tuple(edges), self.id)
            if self.contains(graph):
                return graph
        raise InvalidArchitectureError(f"space {self.id!r}: no valid sample in 1000 tries; loosen max_edges")

    def _mutate(self, graph: ModelGraph, rng: np.random.Generator) -> ModelGraph:
        move = int(rng.integers(0, 3))
        ops = list(graph.ops)
        n = len(ops)
        if move == 0 and n > 2:  # relabel one node
            v = int(rng.integers(1, n - 1))
            choices = [o for o in self.ops if o != ops[v]]
            if choices:
                ops[v] = choices[int(rng.integers(0, len(choices)))]
                return ModelGraph(tuple(ops), graph.edges, self.id)
        edges = set(graph.edges)
        u, v = sorted(int(x) for x in rng.choice(n, size=2, replace=False))
        if (u, v) in edges:
            edges.discard((u, v))
        else:
            edges.add((u, v))
        try:
            child = ModelGraph(tuple(ops), tuple(edges), self.id)
        except InvalidArchitectureError:
            return graph
        return child if self.contains(child) else graph

    def _check(self, graph: ModelGraph) -> None:
        k = graph.num_nodes - 2
        if not self.min_nodes <= k <= self.max_nodes:
            raise InvalidArchitectureError(
                f"space {self.id!r} allows {self.min_nodes}..{self.max_nodes} operation nodes, the graph has {k}"
            )
        if self.max_edges is not None and len(graph.edges) > self.max_edges:
            raise InvalidArchitectureError(
                f"space {self.id!r} allows at most {self.max_edges} edges, the graph has {len(graph.edges)}"
            )
