"""`ModelGraph`: an architecture as a DAG of operation-labelled nodes.

Nodes are numbered ``0..n-1``; node ``0`` is the unique input (label ``"input"``), node
``n-1`` the unique output (label ``"output"``), every other node carries one operation.
Cell spaces that put operations on edges (NAS-Bench-201) are converted so that each edge
operation becomes a node (the usual conversion, as in arch2vec / BANANAS).

Two notions of equality:

* ``identity`` — the exact labelled structure (node order included). This is what a
  benchmark table is keyed by: NAS-Bench-201 lists equivalent cells as separate rows.
* ``canonical_hash`` — equal for graphs that compute the same thing in the same way. It
  hashes the *computation canonical form* of NAS-Bench-201 (``to_unique_str`` with
  ``consider_zero=True``), generalised from cells to DAGs: the input is ``0``; an operation
  node applied to the sorted ``+``-join of its predecessors' terms gives ``(S)@op``; an
  identity operation (``skip_connect``) passes ``S`` on as one term; a zero operation
  (``none``), or any operation whose input is exactly ``#``, gives ``#``; the output is the
  sorted join of its predecessors' terms. The form depends only on the labelled structure,
  so it is invariant under node renumbering (isomorphism), and on NAS-Bench-201 it equals
  the table's ``UniqueString`` for all 15,625 cells (6,466 classes; tested). The hash is
  computed bottom-up from the structure (a Merkle tree, `metanas._canonical`), never from the
  string, which grows exponentially on chained diamonds; the cost is about linear in the
  graph's size, and graphs above `MAX_GRAPH_NODES` nodes or `MAX_GRAPH_EDGES` edges are refused.

  Where it differs from graph isomorphism (documented, kept on purpose so that the classes
  are NAS-Bench-201's): (1) it identifies *computations*, so cells that differ only in
  ``none`` edges or in where a ``skip_connect`` sits can share a hash although their graphs
  are not isomorphic; (2) a node feeding several successors unfolds like separate copies
  of it; (3) as in NAS-Bench-201, a sum passed on by an identity stays one term, so two
  equal computations whose sums nest differently (``(a+b)+c`` against ``a+(b+c)``) get
  different hashes, and a zero term ``#`` is counted, not dropped.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from metanas._canonical import canonical_digest, canonical_string
from metanas.exceptions import InvalidArchitectureError

__all__ = ["IDENTITY_OPS", "INPUT", "MAX_GRAPH_EDGES", "MAX_GRAPH_NODES", "OUTPUT", "ZERO_OPS", "ModelGraph",
           "topological_sort"]

INPUT = "input"
OUTPUT = "output"
#: Operations that pass their input through unchanged (used by the canonical form).
IDENTITY_OPS: frozenset[str] = frozenset({"skip_connect", "skip", "identity"})
#: Operations whose output is zero (used by the canonical form).
ZERO_OPS: frozenset[str] = frozenset({"none", "zero"})
#: Most nodes (input and output included) a `ModelGraph` may have; larger graphs are refused.
MAX_GRAPH_NODES = 100_000
#: Most edges a `ModelGraph` may have; larger graphs are refused.
MAX_GRAPH_EDGES = 1_000_000


@dataclass(frozen=True, eq=False)
class ModelGraph:
    """An architecture: a DAG from one input node to one output node.

    Args:
        ops: label of each node; ``ops[0] == "input"``, ``ops[-1] == "output"``.
        edges: directed edges ``(u, v)`` with ``u < v`` is *not* required, but the graph must
            be acyclic; every node lies on a path from the input to the output.
        space_id: id of the search space the graph was made in (``None`` if unknown).

    Raises:
        InvalidArchitectureError: the graph has a cycle, a dangling node, an edge out of
            range, a duplicate edge, or input/output labels in the wrong place.
    """

    ops: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    space_id: str | None = None
    _key: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ops = tuple(self.ops)
        edges = tuple(sorted((int(u), int(v)) for u, v in self.edges))
        object.__setattr__(self, "ops", ops)
        object.__setattr__(self, "edges", edges)
        self._validate()
        object.__setattr__(self, "_key", (ops, edges))

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        n = len(self.ops)
        if n > MAX_GRAPH_NODES or len(self.edges) > MAX_GRAPH_EDGES:
            raise InvalidArchitectureError(
                f"ModelGraph has {n:,} nodes and {len(self.edges):,} edges; at most {MAX_GRAPH_NODES:,} nodes "
                f"and {MAX_GRAPH_EDGES:,} edges are accepted (metanas.graph.MAX_GRAPH_NODES / MAX_GRAPH_EDGES)"
            )
        if n < 2:
            raise InvalidArchitectureError(
                f"ModelGraph.ops must hold at least the input and output nodes, got {n} node(s)"
            )
        if self.ops[0] != INPUT or self.ops[-1] != OUTPUT:
            raise InvalidArchitectureError(
                f"ModelGraph.ops must start with {INPUT!r} and end with {OUTPUT!r}, "
                f"got {self.ops[0]!r} ... {self.ops[-1]!r}"
            )
        for i, op in enumerate(self.ops):
            if not isinstance(op, str) or not op:
                raise InvalidArchitectureError(
                    f"ModelGraph.ops[{i}] must be a non-empty string, got {op!r}"
                )
            if 0 < i < n - 1 and op in (INPUT, OUTPUT):
                raise InvalidArchitectureError(
                    f"ModelGraph.ops[{i}] is {op!r}: only the first node is the input and "
                    "only the last the output"
                )
        if len(set(self.edges)) != len(self.edges):
            raise InvalidArchitectureError("ModelGraph.edges holds a duplicate edge")
        for u, v in self.edges:
            if not (0 <= u < n and 0 <= v < n):
                raise InvalidArchitectureError(
                    f"ModelGraph.edges: edge ({u}, {v}) is out of range for {n} nodes"
                )
            if u == v:
                raise InvalidArchitectureError(f"ModelGraph.edges: self-loop on node {u}")
            if v == 0:
                raise InvalidArchitectureError(
                    f"ModelGraph.edges: edge ({u}, {v}) enters the input node"
                )
            if u == n - 1:
                raise InvalidArchitectureError(
                    f"ModelGraph.edges: edge ({u}, {v}) leaves the output node"
                )
        if len(topological_sort(n, self.edges)) != n:
            raise InvalidArchitectureError("ModelGraph.edges contain a cycle; the graph must be a DAG")
        succ = self.successors
        pred = self.predecessors
        reach_in = _reach(0, succ)
        reach_out = _reach(n - 1, pred)
        dangling = [i for i in range(n) if i not in reach_in or i not in reach_out]
        if dangling:
            raise InvalidArchitectureError(
                f"ModelGraph has dangling node(s) {dangling} (labels "
                f"{[self.ops[i] for i in dangling]}): every node must lie on a path from the "
                "input to the output"
            )

    # ------------------------------------------------------------------ structure
    @cached_property
    def successors(self) -> tuple[tuple[int, ...], ...]:
        """Successors of each node (sorted)."""
        out: list[list[int]] = [[] for _ in self.ops]
        for u, v in self.edges:
            out[u].append(v)
        return tuple(tuple(s) for s in out)

    @cached_property
    def predecessors(self) -> tuple[tuple[int, ...], ...]:
        """Predecessors of each node (sorted)."""
        out: list[list[int]] = [[] for _ in self.ops]
        for u, v in self.edges:
            out[v].append(u)
        return tuple(tuple(sorted(p)) for p in out)

    @property
    def num_nodes(self) -> int:
        """Number of nodes, input and output included."""
        return len(self.ops)

    @property
    def operations(self) -> tuple[str, ...]:
        """Labels of the operation nodes (input and output excluded)."""
        return self.ops[1:-1]

    @cached_property
    def topological_order(self) -> tuple[int, ...]:
        """Nodes in a deterministic topological order (Kahn's algorithm, smallest first)."""
        return topological_sort(len(self.ops), self.edges)

    # ------------------------------------------------------------------ identity
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelGraph):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @cached_property
    def identity(self) -> str:
        """Exact identity: SHA-256 (hex, 32 chars) of the labelled structure, node order included."""
        payload = json.dumps({"ops": list(self.ops), "edges": [list(e) for e in self.edges]},
                             separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def canonical_form(
        self,
        identity_ops: Iterable[str] = IDENTITY_OPS,
        zero_ops: Iterable[str] = ZERO_OPS,
    ) -> str:
        """The computation canonical form of the output written out (see the module docstring).

        Meant for reading and for checks against NAS-Bench-201; use `canonical_digest` (or
        `canonical_hash`) to compare graphs: the string grows exponentially on chained diamonds.

        Args:
            identity_ops: labels that pass their inputs through.
            zero_ops: labels whose output is zero (term ``#``).

        Returns:
            A string such as ``#+(0)@nor_conv_3x3+0``: the sorted terms of the output sum.

        Raises:
            InvalidArchitectureError: the string would be longer than
                `metanas._canonical.MAX_CANONICAL_FORM_CHARS`.
        """
        return canonical_string(self.ops, self.predecessors, self.topological_order,
                                frozenset(identity_ops), frozenset(zero_ops))

    def canonical_digest(
        self,
        identity_ops: Iterable[str] = IDENTITY_OPS,
        zero_ops: Iterable[str] = ZERO_OPS,
    ) -> str:
        """SHA-256 (hex, 32 chars) of the canonical form, hashed bottom-up without writing it out.

        Two graphs get the same digest exactly when their `canonical_form` strings are equal
        (for labels without characters that sort before ``+``; see `metanas._canonical`); the
        cost is about linear in the graph's size.

        Raises:
            InvalidArchitectureError: identity operations re-sum the same inputs so often that the
                form's sums exceed `metanas._canonical.MAX_CANONICAL_TERMS` terms.
        """
        return canonical_digest(self.ops, self.predecessors, self.topological_order,
                                frozenset(identity_ops), frozenset(zero_ops))

    @cached_property
    def canonical_hash(self) -> str:
        """`canonical_digest` with the default identity/zero operations (cached)."""
        return self.canonical_digest()

    # ------------------------------------------------------------------ conversion
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: ``{"ops": [...], "edges": [[u, v], ...], "space_id": ...}``."""
        return {
            "ops": list(self.ops),
            "edges": [list(e) for e in self.edges],
            "space_id": self.space_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelGraph:
        """Inverse of `to_dict`.

        Raises:
            InvalidArchitectureError: a key is missing or has the wrong type.
        """
        if not isinstance(data, Mapping):
            raise InvalidArchitectureError(
                f"architecture JSON must be an object with keys 'ops' and 'edges', got {type(data).__name__}"
            )
        for key in ("ops", "edges"):
            if key not in data:
                raise InvalidArchitectureError(
                    f"architecture JSON lacks the key {key!r}; expected "
                    "{'ops': [...], 'edges': [[u, v], ...], 'space_id': ...}"
                )
        ops, edges = data["ops"], data["edges"]
        if not isinstance(ops, Sequence) or isinstance(ops, str):
            raise InvalidArchitectureError(f"architecture JSON 'ops' must be a list of strings, got {ops!r}")
        if not isinstance(edges, Sequence) or isinstance(edges, str):
            raise InvalidArchitectureError(f"architecture JSON 'edges' must be a list of [u, v] pairs, got {edges!r}")
        parsed: list[tuple[int, int]] = []
        for e in edges:
            if (not isinstance(e, Sequence) or isinstance(e, str) or len(e) != 2
                    or not all(isinstance(x, int) and not isinstance(x, bool) for x in e)):
                raise InvalidArchitectureError(
                    f"architecture JSON 'edges' must hold [u, v] pairs of node indices, got {e!r}"
                )
            parsed.append((e[0], e[1]))
        space_id = data.get("space_id")
        if space_id is not None and not isinstance(space_id, str):
            raise InvalidArchitectureError(f"architecture JSON 'space_id' must be a string or null, got {space_id!r}")
        return cls(tuple(ops), tuple(parsed), space_id)

    def to_json(self) -> str:
        """Compact JSON string of `to_dict`."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ModelGraph:
        """Parse `to_json` output.

        Raises:
            InvalidArchitectureError: the text is not valid JSON or not an architecture.
        """
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise InvalidArchitectureError(f"architecture JSON could not be parsed: {exc}") from exc
        return cls.from_dict(data)

    def to_networkx(self):
        """A `networkx.DiGraph` whose nodes carry the attribute ``op``."""
        import networkx as nx

        g = nx.DiGraph()
        for i, op in enumerate(self.ops):
            g.add_node(i, op=op)
        g.add_edges_from(self.edges)
        return g

    def op_indices(self, vocabulary: Sequence[str]) -> np.ndarray:
        """Index of each node's label in ``[INPUT, OUTPUT, *vocabulary]``.

        Raises:
            InvalidArchitectureError: a label is not in the vocabulary.
        """
        table = {INPUT: 0, OUTPUT: 1}
        for i, op in enumerate(vocabulary):
            table.setdefault(op, i + 2)
        try:
            return np.array([table[op] for op in self.ops], dtype=np.int64)
        except KeyError as exc:
            raise InvalidArchitectureError(
                f"operation {exc.args[0]!r} is not in the vocabulary {list(vocabulary)}"
            ) from None

    def to_pyg(self, vocabulary: Sequence[str]):
        """A `torch_geometric.data.Data` with ``x`` (one-hot over input, output and the
        vocabulary; shape ``[num_nodes, len(vocabulary) + 2]``), ``op`` (index, ``[num_nodes]``)
        and ``edge_index`` (``[2, num_edges]``)."""
        try:
            import torch
            from torch_geometric.data import Data
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise ImportError("ModelGraph.to_pyg needs torch and torch-geometric installed") from exc
        idx = torch.from_numpy(self.op_indices(vocabulary))
        x = torch.nn.functional.one_hot(idx, num_classes=len(vocabulary) + 2).float()
        if self.edges:
            edge_index = torch.tensor(self.edges, dtype=torch.long).t().contiguous()
        else:
            edge_index = torch.empty((2, 0), dtype=torch.long)
        return Data(x=x, op=idx, edge_index=edge_index, num_nodes=len(self.ops))

    def with_space(self, space_id: str | None) -> ModelGraph:
        """The same graph tagged with another space id."""
        return ModelGraph(self.ops, self.edges, space_id)

    def __repr__(self) -> str:
        return f"ModelGraph(ops={list(self.ops)}, edges={list(self.edges)}, space_id={self.space_id!r})"


def topological_sort(num_nodes: int, edges: Iterable[tuple[int, int]]) -> tuple[int, ...]:
    """Kahn's algorithm, smallest ready node first: a deterministic topological order.

    The one topological sort of the package (`ModelGraph.topological_order` and the
    similarity metrics use it).

    Args:
        num_nodes: nodes are ``0..num_nodes-1``.
        edges: directed edges ``(u, v)``.

    Returns:
        The order; shorter than ``num_nodes`` when the edges contain a cycle (the nodes on or
        behind it are missing).
    """
    indeg = [0] * num_nodes
    succ: list[list[int]] = [[] for _ in range(num_nodes)]
    for u, v in edges:
        indeg[v] += 1
        succ[u].append(v)
    ready = [i for i in range(num_nodes) if indeg[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        u = heapq.heappop(ready)
        order.append(u)
        for v in succ[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(ready, v)
    return tuple(order)


def _reach(start: int, adjacency: Sequence[Sequence[int]]) -> set[int]:
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for v in adjacency[u]:
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return seen
