"""Similarity of architectures and tasks, and diversity-aware selection.

* architecture metrics, one module each on a shared base (`metanas.similarity._base`:
  `ArchitectureMetric`, the registry `ARCH_METRICS`, `pairwise` matrices): ``ged``
  (`._ged`, normalised graph edit distance; exact permutation path with a fast path for
  shared topologies, networkx beyond), ``path`` (`._path`, path-encoding weighted Jaccard),
  ``opdist`` (`._opdist`, operation-count cosine); `metanas.similarity.architecture` gathers them.
* `metanas.similarity.task`: ``dataset_meta`` (meta-feature cosine) and ``task_embedding``
  (learned embeddings through a `TaskEmbedder`, loaded lazily by `load_task_embedder`); the
  registry `TASK_METRICS`; `kind_factor`, the one gate of every task metric (0 across
  modalities, `PROBLEM_TYPE_FACTOR` across problem types).
* `metanas.similarity.meta_features`: the one definition of tasks' meta-feature vectors (the
  one ``dataset_meta`` compares and the meta-learner's input).
* `metanas.similarity.diversity`: `select_diverse` (maximal marginal relevance or max-min).
* shared helpers: `._cosine` (the one clipped cosine), `._validation` (argument checks).

Importing this package does not import torch.
"""

from __future__ import annotations

from metanas.similarity.architecture import (
    ARCH_METRICS,
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
    PROBLEM_TYPE_FACTOR,
    TASK_METRICS,
    DatasetMetaSimilarity,
    TaskEmbedder,
    TaskEmbeddingSimilarity,
    TaskSimilarity,
    cosine,
    dataset_meta,
    get_task_metric,
    kind_factor,
    load_task_embedder,
    meta_feature_vector,
    register_task_metric,
    requirements,
    task_metric_names,
)

__all__ = [
    "ARCH_METRICS",
    "DIVERSITY_METHODS",
    "GRAPH_REFERENCE",
    "PROBLEM_TYPE_FACTOR",
    "TASK_METRICS",
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
    "kind_factor",
    "label_mismatch_bound",
    "load_task_embedder",
    "meta_feature_vector",
    "pairwise",
    "paths",
    "rank_normalise",
    "register_arch_metric",
    "register_task_metric",
    "requirements",
    "select_diverse",
    "task_metric_names",
]
