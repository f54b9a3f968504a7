"""Similarity of architectures and tasks, and diversity-aware selection.

* `metanas.similarity.architecture`: ``ged`` (normalised graph edit distance; exact
  permutation path with a fast path for shared topologies, networkx beyond), ``path``
  (path-encoding weighted Jaccard), ``opdist`` (operation-count cosine); the registry
  `get_arch_metric` and `pairwise` matrices.
* `metanas.similarity.task`: ``dataset_meta`` (meta-feature cosine) and ``task_embedding``
  (learned embeddings through a `TaskEmbedder`, loaded lazily by `load_task_embedder`); the
  registry `get_task_metric`.
* `metanas.similarity.diversity`: `select_diverse` (maximal marginal relevance or max-min).

Importing this package does not import torch.
"""

from __future__ import annotations

from metanas.similarity.architecture import (
    ArchitectureMetric,
    ArchitectureSimilarity,
    GraphEditSimilarity,
    OpDistributionSimilarity,
    PathSimilarity,
    arch_metric_names,
    arch_similarity,
    edit_distance,
    get_arch_metric,
    label_mismatch_bound,
    pairwise,
    paths,
    register_arch_metric,
)
from metanas.similarity.diversity import DIVERSITY_METHODS, rank_normalise, select_diverse
from metanas.similarity.task import (
    GRAPH_REFERENCE,
    DatasetMetaSimilarity,
    TaskEmbedder,
    TaskEmbeddingSimilarity,
    TaskSimilarity,
    cosine,
    dataset_meta,
    get_task_metric,
    load_task_embedder,
    meta_feature_vector,
    register_task_metric,
    task_metric_names,
)

__all__ = [
    "DIVERSITY_METHODS",
    "GRAPH_REFERENCE",
    "ArchitectureMetric",
    "ArchitectureSimilarity",
    "DatasetMetaSimilarity",
    "GraphEditSimilarity",
    "OpDistributionSimilarity",
    "PathSimilarity",
    "TaskEmbedder",
    "TaskEmbeddingSimilarity",
    "TaskSimilarity",
    "arch_metric_names",
    "arch_similarity",
    "cosine",
    "dataset_meta",
    "edit_distance",
    "get_arch_metric",
    "get_task_metric",
    "label_mismatch_bound",
    "load_task_embedder",
    "meta_feature_vector",
    "pairwise",
    "paths",
    "rank_normalise",
    "register_arch_metric",
    "register_task_metric",
    "select_diverse",
    "task_metric_names",
]
