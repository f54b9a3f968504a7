"""Path-encoding similarity (``path``, BANANAS): weighted Jaccard of the path multisets.

Each input-to-output path is the tuple of operation labels it passes (input and output
excluded; every label counts, ``none`` and ``skip`` included, so the encoding is structural
like the other two metrics). A graph is the multiset of its paths; the similarity of two
multisets is their weighted Jaccard index ``sum_p min(c1[p], c2[p]) / sum_p max(c1[p],
c2[p])``, which is 1 exactly when the multisets are equal (cosine of the count vectors would
also give 1 for proportional counts). Every valid graph has at least one path, so the
denominator is positive.

"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from metanas.graph import ModelGraph
from metanas.similarity._base import ARCH_METRICS, ArchitectureMetric, count_matrices
from metanas.similarity._validation import check_graph_pair, check_graphs

__all__ = ["PathSimilarity", "paths"]


@lru_cache(maxsize=65536)
def _path_counts(graph: ModelGraph) -> Counter:
    n = graph.num_nodes
    succ = graph.successors
    memo: dict[int, Counter] = {}
    for v in reversed(graph.topological_order):
        if v == n - 1:
            memo[v] = Counter({(): 1})
            continue
        here: Counter = Counter()
        label = () if v == 0 else (graph.ops[v],)
        for w in succ[v]:
            for path, c in memo[w].items():
                here[label + path] += c
        memo[v] = here
    return memo[0]


def paths(graph: ModelGraph) -> Counter:
    """Multiset of input-to-output paths, each the tuple of operation labels it passes.

    Returns:
        ``Counter`` path -> number of paths with that label sequence (a copy).
    """
    return Counter(_path_counts(check_graphs([graph], "graph")[0]))


class PathSimilarity(ArchitectureMetric):
    """Weighted Jaccard similarity of the input-to-output path multisets (BANANAS encoding).

    ``sum_p min(c_a[p], c_b[p]) / sum_p max(c_a[p], c_b[p])`` over label sequences ``p``; the
    sum of minima is computed for whole matrices as ``sum_t [C_a >= t] @ [C_b >= t]^T``
    (counts are small integers), so the matrix equals the scalar metric exactly.
    """

    name = "path"

    def pairwise(
        self, graphs_a: Sequence[ModelGraph], graphs_b: Sequence[ModelGraph] | None = None
    ) -> np.ndarray:
        a, b = check_graph_pair(graphs_a, graphs_b)
        ca, cb = count_matrices(a, b, _path_counts)
        if ca.size == 0 or cb.size == 0:
            return np.zeros((len(a), len(b)))
        top = int(max(ca.max(), cb.max()))
        inter = np.zeros((len(a), len(b)))
        for t in range(1, top + 1):
            inter += (ca >= t).astype(float) @ (cb >= t).astype(float).T
        union = ca.sum(axis=1)[:, None] + cb.sum(axis=1)[None, :] - inter
        return np.clip(inter / union, 0.0, 1.0)


ARCH_METRICS.register("path", PathSimilarity)
