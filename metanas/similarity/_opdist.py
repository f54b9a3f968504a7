"""Operation-distribution similarity (``opdist``): cosine of the operation-count vectors.

The seed's metric: cosine of the count vectors of operation labels over the operation nodes
(input and output excluded; normalising the counts first does not change a cosine). Two
graphs without operation nodes have similarity 1 (same, empty, distribution); one without
and one with operation nodes, 0. Counts are non-negative, so the value lies in [0, 1].
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from metanas.graph import ModelGraph
from metanas.similarity._base import ARCH_METRICS, ArchitectureMetric, count_matrices
from metanas.similarity._cosine import cosine_matrix
from metanas.similarity._validation import check_graph_pair

__all__ = ["OpDistributionSimilarity"]


def _op_counts(graph: ModelGraph) -> Counter:
    return Counter(graph.operations)


class OpDistributionSimilarity(ArchitectureMetric):
    """Cosine of the operation-count vectors (operation nodes only; see the module docstring)."""

    name = "opdist"

    def pairwise(
        self, graphs_a: Sequence[ModelGraph], graphs_b: Sequence[ModelGraph] | None = None
    ) -> np.ndarray:
        a, b = check_graph_pair(graphs_a, graphs_b)
        ca, cb = count_matrices(a, b, _op_counts)
        return cosine_matrix(ca, cb)


ARCH_METRICS.register("opdist", OpDistributionSimilarity)
