"""Architecture similarity: graph edit distance, path encoding and operation distribution.

Every metric maps a pair of `ModelGraph`s to a float in ``[0, 1]``: symmetric, ``1`` for
identical or isomorphic graphs (node renumbering never changes a value). Metrics share one
interface, `ArchitectureMetric` (``metric(a, b)`` and ``metric.pairwise(graphs_a,
graphs_b)``), and one registry (`get_arch_metric`):

========  ==========================  =====================================================
name      class                       similarity
========  ==========================  =====================================================
``ged``   `GraphEditSimilarity`       ``1 - min(GED / max(n1, n2), 1)``; unit costs, n nodes
``path``  `PathSimilarity`            weighted Jaccard of the input-to-output path multisets
``opdist``  `OpDistributionSimilarity`  cosine of the operation-count vectors
========  ==========================  =====================================================

Each metric lives in its own module (`metanas.similarity._ged`, `._path`, `._opdist`) on the
shared base `metanas.similarity._base`; adding one is a module plus one
``ARCH_METRICS.register(name, Class)`` line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metanas.graph import ModelGraph
from metanas.similarity._base import (
    ARCH_METRICS,
    ArchitectureMetric,
    arch_metric_names,
    arch_similarity,
    get_arch_metric,
    pairwise,
    register_arch_metric,
)
from metanas.similarity._ged import GraphEditSimilarity, edit_distance, label_mismatch_bound
from metanas.similarity._opdist import OpDistributionSimilarity
from metanas.similarity._path import PathSimilarity, paths

__all__ = [
    "ARCH_METRICS",
    "ArchitectureMetric",
    "ArchitectureSimilarity",
    "GraphEditSimilarity",
    "OpDistributionSimilarity",
    "PathSimilarity",
    "arch_metric_names",
    "arch_similarity",
    "edit_distance",
    "get_arch_metric",
    "label_mismatch_bound",
    "pairwise",
    "paths",
    "register_arch_metric",
]


class ArchitectureSimilarity:
    """The seed's interface: static methods over the registered metrics.

    ``graph_edit_distance`` returns the *similarity* ``1 - min(GED / max(n1, n2), 1)`` as in
    the seed; use `edit_distance` for the raw distance.
    """

    @staticmethod
    def graph_edit_distance(graph1: ModelGraph, graph2: ModelGraph, timeout: float | None = 10.0) -> float:
        """Normalised graph edit distance similarity, in [0, 1]."""
        return GraphEditSimilarity(timeout=timeout)(graph1, graph2)

    @staticmethod
    def path_encoding_similarity(graph1: ModelGraph, graph2: ModelGraph) -> float:
        """Weighted Jaccard of the path multisets, in [0, 1]."""
        return PathSimilarity()(graph1, graph2)

    @staticmethod
    def operation_distribution_similarity(graph1: ModelGraph, graph2: ModelGraph) -> float:
        """Cosine of the operation-count vectors, in [0, 1]."""
        return OpDistributionSimilarity()(graph1, graph2)

    @staticmethod
    def pairwise(
        graphs_a: Sequence[ModelGraph],
        graphs_b: Sequence[ModelGraph] | None = None,
        metric: str | ArchitectureMetric = "ged",
    ) -> np.ndarray:
        """Similarity matrix with a registered metric (see `pairwise`)."""
        return pairwise(graphs_a, graphs_b, metric)
