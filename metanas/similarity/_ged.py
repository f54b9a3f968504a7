"""Graph edit distance similarity (``ged``): ``1 - min(GED / max(n1, n2), 1)``.

Edit operations of unit cost: node insertion/deletion, edge insertion/deletion (edges are
directed) and node relabelling (a substitution costs 1 when the ``op`` labels differ, 0
otherwise); this is ``networkx.graph_edit_distance`` with ``node_match`` on ``op``.

With unit costs an optimal edit path between graphs padded to ``n = max(n1, n2)`` nodes
(padding nodes: no edges, a label no real node has) is a bijection ``pi`` of the padded node
sets, and its cost is ``e(pi) + m(pi)``: ``e`` the edges that ``pi`` does not map onto edges
(both directions of the symmetric difference) and ``m`` the label mismatches (a padding node
matched with a real node is that node's insertion or deletion). The *permutation path*
enumerates the ``n!`` bijections once per pair of *topologies* (node count and edge set), keeps
only those that can beat the best guaranteed cost (``e + least possible mismatches < min(e +
most possible mismatches)``), and then scores any number of label assignments at once with one matrix product per kept
bijection. The result is the exact GED, not a bound (0 difference from networkx on 200
sampled pairs of each kind below). Two graphs whose topologies are isomorphic (a renumbered
cell) reuse the topology's own bijections composed with the isomorphism.

*Fast path when edge sets are equal* (NAS-Bench-201 cells; NAS-Bench-Graph architectures of
one link pattern): detected automatically (equal node counts and edge sets, no flag), it only
minimises over the topology's kept bijections (8 of 40,320 for the NAS-Bench-201 cell). The
plain label-mismatch count under the identity mapping (`label_mismatch_bound`) is an upper
bound on the GED; how tight it is, measured against networkx without timeout on pairs drawn
with ``np.random.default_rng(0)``:

* NAS-Bench-201: a tight bound. Over all 244,140,625 ordered pairs of the 15,625 cells it
  overestimates the GED on 392,000 (0.16%), always by exactly 1 edit (max 1, mean 0.0016
  edits; the similarity by at most 1/8): the bijection that exchanges nodes 2, 3 with 4, 5
  and node 6 with the output costs 2 edge edits and can save 3 relabellings. On 200 uniformly sampled pairs it happens to be exact (max
  and mean difference 0): the gap needs cells that agree up to such a swap, which
  near-duplicates (mutations) often are. The permutation path removes the gap.
* NAS-Bench-Graph, one link pattern: a loose bound. Over all ordered pairs of the 9^4 op
  assignments of each pattern (387 million pairs) it overestimates 19.8% of them, by up to 4
  edits (mean 0.24 edits): most in pattern ``(0, 0, 0, 0)``, whose four parallel nodes can be
  permuted freely (62.8% of its pairs, max 4), none in the three chain-like patterns
  ``(0, 0, 1, 3)``, ``(0, 1, 1, 2)``, ``(0, 1, 2, 3)``. On 200 sampled same-pattern pairs: 42
  overestimated, max 2, mean 0.255 edits. The permutation path is exact here too (0
  difference from networkx on those 200 pairs and on 200 pairs of any patterns).

Which computation is used:

* scalar ``metric(a, b)``: the permutation path when ``max(n1, n2) <= exact_max_nodes``
  (default 8, i.e. at most 40,320 bijections per topology pair, computed once and cached);
  otherwise networkx with ``timeout`` seconds, seeded with the upper bound below. A networkx
  run cut by the timeout returns the best path found so far: an upper bound on the distance,
  i.e. a lower bound on the similarity (logged).
* ``pairwise``: exact (the permutation path) for blocks of graphs that share a topology, have
  isomorphic topologies (up to ``exact_max_nodes``), or fit ``pairwise_exact_max_nodes``
  (default 6: 720 bijections); so
  NAS-Bench-201 and NAS-Bench-Graph matrices are exact and equal the scalar metric
  elementwise. Other blocks use the *alignment bound*: the cost of the edit path that maps
  input to input, output to output and the operation nodes of both graphs to each other in
  topological order (surplus nodes inserted or deleted). It is a true edit path, so the
  distance is never underestimated (the similarity never overestimated): diversity
  selection then never skips a candidate for being falsely similar. Computing networkx for
  every pair of a 500 x 500 matrix would take hours. Equal or isomorphic topologies above
  ``exact_max_nodes`` get the label mismatches under the isomorphism (also an upper bound).

"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Sequence
from functools import cache, lru_cache

import numpy as np

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import INPUT, OUTPUT, ModelGraph, topological_sort
from metanas.similarity._base import ARCH_METRICS, ArchitectureMetric
from metanas.similarity._validation import check_graph_pair, check_graphs
from metanas.validation import check_int

__all__ = ["GraphEditSimilarity", "edit_distance", "label_mismatch_bound"]

logger = logging.getLogger(__name__)

#: Largest padded size for which all n! bijections are enumerated (9! = 362,880).
_MAX_ENUMERABLE = 9
#: Entries of one block product ``[graphs_a, bijections, graphs_b]`` computed at once.
_CHUNK_ENTRIES = 4_000_000
#: Up to this many rows a block compares labels directly instead of multiplying one-hots.
_DIRECT_ROWS = 4

# Node kinds used to bound label mismatches.
_K_INPUT, _K_OUTPUT, _K_OP, _K_PAD = 0, 1, 2, 3
# Label codes: 0 pads, 1 input, 2 output, 3.. operations (per call).
_C_PAD, _C_INPUT, _C_OUTPUT = 0, 1, 2

Topology = tuple[int, tuple[tuple[int, int], ...]]


def _topology(g: ModelGraph) -> Topology:
    return (g.num_nodes, g.edges)


@cache
def _all_perms(n: int) -> np.ndarray:
    """All permutations of ``range(n)``, shape ``[n!, n]``."""
    return np.array(list(itertools.permutations(range(n))), dtype=np.intp).reshape(-1, n)


def _kinds(n_nodes: int, n_pad: int) -> np.ndarray:
    k = np.full(n_pad, _K_PAD, dtype=np.int8)
    k[:n_nodes] = _K_OP
    k[0] = _K_INPUT
    k[n_nodes - 1] = _K_OUTPUT
    return k


def _adjacency(top: Topology, n_pad: int) -> np.ndarray:
    a = np.zeros((n_pad, n_pad), dtype=bool)
    for u, v in top[1]:
        a[u, v] = True
    return a


@lru_cache(maxsize=4096)
def _topo_order(top: Topology) -> tuple[int, ...]:
    """`ModelGraph.topological_order` of a topology (it depends on the edges only)."""
    return topological_sort(top[0], top[1])


def _edge_costs(top_a: Topology, top_b: Topology, perms: np.ndarray) -> np.ndarray:
    """``|E_a| + |E_b| - 2 * (edges of a mapped onto edges of b)`` for each bijection a -> b."""
    n_pad = perms.shape[1]
    adj_b = _adjacency(top_b, n_pad)
    ea = top_a[1]
    if not ea:
        return np.full(len(perms), len(top_b[1]), dtype=np.int64)
    u = np.array([e[0] for e in ea], dtype=np.intp)
    v = np.array([e[1] for e in ea], dtype=np.intp)
    kept = adj_b[perms[:, u], perms[:, v]].sum(axis=1)
    return len(ea) + len(top_b[1]) - 2 * kept.astype(np.int64)


@lru_cache(maxsize=8192)
def _enumerated(top_a: Topology, top_b: Topology) -> tuple[np.ndarray, np.ndarray]:
    """Bijections a -> b (padded) that can be optimal for some labelling, with their edge cost.

    Keeps ``pi`` with ``e(pi) + m_min(pi) < U`` plus one ``pi`` attaining
    ``U = min(e + m_max)``; see the module docstring. Exact for every labelling.
    """
    n_pad = max(top_a[0], top_b[0])
    perms = _all_perms(n_pad)
    e = _edge_costs(top_a, top_b, perms)
    ka = _kinds(top_a[0], n_pad)
    kb = _kinds(top_b[0], n_pad)[perms]
    same = ka[None, :] == kb
    fixed = same & (ka[None, :] != _K_OP)
    m_min = (~same).sum(axis=1)
    m_max = n_pad - fixed.sum(axis=1)
    guaranteed = e + m_max
    best = int(np.argmin(guaranteed))
    keep = (e + m_min) < guaranteed[best]
    keep[best] = True
    return perms[keep].copy(), e[keep].copy()


@lru_cache(maxsize=8192)
def _isomorphism(top_a: Topology, top_b: Topology) -> tuple[int, ...] | None:
    """A node bijection a -> b mapping the edges of a onto those of b, or ``None``."""
    if top_a[0] != top_b[0] or len(top_a[1]) != len(top_b[1]):
        return None
    if top_a == top_b:
        return tuple(range(top_a[0]))

    def degrees(top: Topology) -> list[tuple[int, int]]:
        ind = [0] * top[0]
        outd = [0] * top[0]
        for u, v in top[1]:
            outd[u] += 1
            ind[v] += 1
        return sorted(zip(ind, outd))

    if degrees(top_a) != degrees(top_b):
        return None
    import networkx as nx
    from networkx.algorithms.isomorphism import DiGraphMatcher

    ga, gb = nx.DiGraph(), nx.DiGraph()
    ga.add_nodes_from(range(top_a[0]))
    gb.add_nodes_from(range(top_b[0]))
    ga.add_edges_from(top_a[1])
    gb.add_edges_from(top_b[1])
    matcher = DiGraphMatcher(ga, gb)
    if not matcher.is_isomorphic():
        return None
    return tuple(matcher.mapping[i] for i in range(top_a[0]))


def _alignment(top_a: Topology, top_b: Topology) -> tuple[np.ndarray, np.ndarray]:
    """The bounding bijection: input -> input, output -> output, op nodes in topological order."""
    n_pad = max(top_a[0], top_b[0])

    def order(top: Topology) -> list[int]:
        n = top[0]
        ops = [v for v in _topo_order(top) if v not in (0, n - 1)]
        return [0, n - 1, *ops, *range(n, n_pad)]

    oa, ob = order(top_a), order(top_b)
    perm = np.empty(n_pad, dtype=np.intp)
    perm[oa] = ob
    perms = perm[None, :]
    return perms, _edge_costs(top_a, top_b, perms)


def _block_perms(top_a: Topology, top_b: Topology, iso_max: int, cross_max: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Bijections a -> b to minimise over for a block, their edge costs, and whether that is exact.

    Args:
        iso_max: largest padded size enumerated for equal or isomorphic topologies.
        cross_max: largest padded size enumerated for other topology pairs.
    """
    n_pad = max(top_a[0], top_b[0])
    phi = _isomorphism(top_a, top_b)
    if phi is not None and n_pad <= iso_max:
        perms, e = _enumerated(top_a, top_a)
        return np.asarray(phi, dtype=np.intp)[perms], e, True
    if n_pad <= cross_max:
        perms, e = _enumerated(top_a, top_b)
        return perms, e, True
    if phi is not None:  # large equal/isomorphic topologies: the isomorphism itself bounds
        perms = np.asarray(phi, dtype=np.intp)[None, :]
        return perms, _edge_costs(top_a, top_b, perms), False
    perms, e = _alignment(top_a, top_b)
    return perms, e, False


def _block_distances(la: np.ndarray, lb: np.ndarray, perms: np.ndarray, e: np.ndarray, vocab: int) -> np.ndarray:
    """``min_pi e(pi) + #{i: la[i] != lb[pi(i)]}`` for all label rows; shape ``[na, nb]``.

    Few rows of ``la`` (a scalar call, a selection row): direct comparison. Many: the
    mismatches are ``n - matches`` with matches one matrix product of one-hot encodings.
    """
    na, n = la.shape
    nb = lb.shape[0]
    best = np.full((na, nb), np.iinfo(np.int64).max, dtype=np.int64)
    if na <= _DIRECT_ROWS:
        step = max(1, _CHUNK_ENTRIES // max(1, na * nb * n))
        for s in range(0, len(perms), step):
            p = perms[s:s + step]
            permuted = lb[:, p]  # [nb, m, n]
            for r in range(na):
                cost = (permuted != la[r]).sum(axis=2) + e[s:s + step][None, :]
                np.minimum(best[r], cost.min(axis=1), out=best[r])
        return best.astype(np.float64)
    eye = np.eye(vocab, dtype=np.float32)
    oa = eye[la].reshape(na, n * vocab)
    # Bound both the [na, m, nb] product and the [m * nb, n * V] one-hot block.
    step = max(1, min(_CHUNK_ENTRIES // max(1, na * nb), _CHUNK_ENTRIES // max(1, nb * n * vocab)))
    for s in range(0, len(perms), step):
        p = perms[s:s + step]
        m = len(p)
        ob = eye[lb[:, p]]  # [nb, m, n, V]
        ob = ob.transpose(1, 0, 2, 3).reshape(m * nb, n * vocab)
        matches = np.rint(oa @ ob.T).astype(np.int64).reshape(na, m, nb)
        cost = (n - matches) + e[s:s + step][None, :, None]
        np.minimum(best, cost.min(axis=1), out=best)
    return best.astype(np.float64)


def _label_rows(graphs: Sequence[ModelGraph], codes: dict[str, int], n_pad: int) -> np.ndarray:
    """Label codes ``[len(graphs), n_pad]``; nodes beyond a graph's size are padding (code 0)."""
    rows = np.full((len(graphs), n_pad), _C_PAD, dtype=np.intp)
    for r, g in enumerate(graphs):
        ops = g.ops
        rows[r, : len(ops)] = [codes[o] for o in ops]
    return rows


class _Encoded:
    """Graphs grouped by topology, with their label rows."""

    def __init__(self, graphs: list[ModelGraph], codes: dict[str, int]) -> None:
        self.groups: dict[Topology, list[int]] = {}
        for i, g in enumerate(graphs):
            self.groups.setdefault(_topology(g), []).append(i)
        self.labels = {top: _label_rows([graphs[i] for i in idx], codes, top[0]) for top, idx in self.groups.items()}

    def padded(self, top: Topology, n_pad: int) -> np.ndarray:
        rows = self.labels[top]
        if rows.shape[1] == n_pad:
            return rows
        out = np.full((rows.shape[0], n_pad), _C_PAD, dtype=np.intp)
        out[:, : rows.shape[1]] = rows
        return out


def _codes(*graph_lists: list[ModelGraph]) -> dict[str, int]:
    codes = {INPUT: _C_INPUT, OUTPUT: _C_OUTPUT}
    for graphs in graph_lists:
        for g in graphs:
            for op in g.ops[1:-1]:
                if op not in codes:
                    codes[op] = len(codes) + 1
    return codes


def label_mismatch_bound(graph_a: ModelGraph, graph_b: ModelGraph) -> int:
    """Label mismatches under the identity mapping of two graphs with equal edge sets.

    An upper bound on the graph edit distance (see the module docstring for how tight).

    Raises:
        InvalidArchitectureError: the graphs do not share node count and edge set.
    """
    if _topology(graph_a) != _topology(graph_b):
        raise InvalidArchitectureError(
            "label_mismatch_bound needs two graphs with the same node count and edge set, got "
            f"{graph_a.num_nodes} nodes / {len(graph_a.edges)} edges and {graph_b.num_nodes} nodes / "
            f"{len(graph_b.edges)} edges"
        )
    return sum(x != y for x, y in zip(graph_a.ops, graph_b.ops))


class GraphEditSimilarity(ArchitectureMetric):
    """Normalised graph edit distance similarity ``1 - min(GED / max(n1, n2), 1)``.

    See the module docstring for the exact permutation path, the same-topology fast path,
    networkx and the alignment bound.

    Args:
        timeout: seconds networkx may spend on one pair (graphs above ``exact_max_nodes``);
            ``None`` for no limit.
        exact_max_nodes: largest padded node count (``max(n1, n2)``) for which the scalar
            metric enumerates bijections (``n!`` of them, once per topology pair), in [2, 9].
        pairwise_exact_max_nodes: the same for `pairwise` blocks whose topologies are neither
            equal nor isomorphic, in [2, ``exact_max_nodes``]; larger blocks get the alignment
            bound.

    Raises:
        ConfigError: an argument is out of range.
    """

    name = "ged"

    def __init__(self, timeout: float | None = 10.0, exact_max_nodes: int = 8, pairwise_exact_max_nodes: int = 6) -> None:
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                    or not math.isfinite(timeout) or timeout <= 0):
            raise ConfigError(f"'timeout' must be a positive number of seconds or None, got {timeout!r}")
        exact_max_nodes = check_int(exact_max_nodes, "exact_max_nodes", low=2, high=_MAX_ENUMERABLE, owner="ged")
        pairwise_exact_max_nodes = check_int(pairwise_exact_max_nodes, "pairwise_exact_max_nodes", low=2,
                                             high=exact_max_nodes, owner="ged (at most exact_max_nodes)")
        self.timeout = None if timeout is None else float(timeout)
        self.exact_max_nodes = exact_max_nodes
        self.pairwise_exact_max_nodes = pairwise_exact_max_nodes

    def __repr__(self) -> str:
        return (f"GraphEditSimilarity(timeout={self.timeout}, exact_max_nodes={self.exact_max_nodes}, "
                f"pairwise_exact_max_nodes={self.pairwise_exact_max_nodes})")

    # ------------------------------------------------------------------ distances
    def distance(self, graph_a: ModelGraph, graph_b: ModelGraph) -> float:
        """Graph edit distance (number of unit-cost edits); exact up to ``exact_max_nodes``.

        Above that, networkx with ``timeout``; a run cut by the timeout gives an upper bound.
        """
        ga, gb = check_graphs([graph_a, graph_b], "graphs")
        ta, tb = _topology(ga), _topology(gb)
        n_pad = max(ta[0], tb[0])
        perms, e, exact = _block_perms(ta, tb, self.exact_max_nodes, self.exact_max_nodes)
        codes = _codes([ga, gb])
        la = _label_rows([ga], codes, n_pad)
        lb = _label_rows([gb], codes, n_pad)
        bound = float(_block_distances(la, lb, perms, e, len(codes) + 1)[0, 0])
        if exact or bound == 0:
            return bound
        return self._networkx(ga, gb, bound)

    def _networkx(self, ga: ModelGraph, gb: ModelGraph, bound: float) -> float:
        import networkx as nx

        start = time.perf_counter()
        value = nx.graph_edit_distance(
            ga.to_networkx(), gb.to_networkx(),
            node_match=lambda x, y: x["op"] == y["op"],
            upper_bound=bound, timeout=self.timeout,
        )
        elapsed = time.perf_counter() - start
        if self.timeout is not None and elapsed >= self.timeout:
            logger.info("graph edit distance of %d- and %d-node graphs hit the %.1f s timeout; "
                        "using the best edit path found (an upper bound)", ga.num_nodes, gb.num_nodes, self.timeout)
        return bound if value is None else min(float(value), bound)

    def distance_matrix(
        self, graphs_a: Sequence[ModelGraph], graphs_b: Sequence[ModelGraph] | None = None
    ) -> np.ndarray:
        """Edit distances ``[na, nb]`` as `pairwise` computes them (exact or alignment bound)."""
        a = check_graphs(graphs_a, "graphs_a")
        same = graphs_b is None
        b = a if same else check_graphs(graphs_b, "graphs_b")
        codes = _codes(a, b)
        ea = _Encoded(a, codes)
        eb = ea if same else _Encoded(b, codes)
        out = np.zeros((len(a), len(b)))
        tops_a, tops_b = list(ea.groups), list(eb.groups)
        for i, ta in enumerate(tops_a):
            for j, tb in enumerate(tops_b):
                if same and j < i:
                    continue
                n_pad = max(ta[0], tb[0])
                perms, e, _ = _block_perms(ta, tb, self.exact_max_nodes, self.pairwise_exact_max_nodes)
                d = _block_distances(ea.padded(ta, n_pad), eb.padded(tb, n_pad), perms, e, len(codes) + 1)
                ia, ib = np.asarray(ea.groups[ta]), np.asarray(eb.groups[tb])
                out[np.ix_(ia, ib)] = d
                if same and j != i:
                    out[np.ix_(ib, ia)] = d.T
        return out

    # ------------------------------------------------------------------ similarities
    def __call__(self, graph_a: ModelGraph, graph_b: ModelGraph) -> float:
        d = self.distance(graph_a, graph_b)
        return 1.0 - min(d / max(graph_a.num_nodes, graph_b.num_nodes), 1.0)

    def pairwise(
        self, graphs_a: Sequence[ModelGraph], graphs_b: Sequence[ModelGraph] | None = None
    ) -> np.ndarray:
        a, b = check_graph_pair(graphs_a, graphs_b)
        d = self.distance_matrix(a, None if graphs_b is None else b)
        na = np.array([g.num_nodes for g in a], dtype=float)
        nb = np.array([g.num_nodes for g in b], dtype=float)
        return 1.0 - np.minimum(d / np.maximum(na[:, None], nb[None, :]), 1.0)


def edit_distance(graph_a: ModelGraph, graph_b: ModelGraph, *, timeout: float | None = 10.0) -> float:
    """Graph edit distance with unit costs (see `GraphEditSimilarity.distance`)."""
    return GraphEditSimilarity(timeout=timeout).distance(graph_a, graph_b)


ARCH_METRICS.register("ged", GraphEditSimilarity)
