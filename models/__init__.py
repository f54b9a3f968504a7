"""The meta-learner's `torch.nn.Module`s, checkpoint I/O and search-time refinement.

Importing this package imports torch; `metanas` itself never imports it eagerly.
"""

from __future__ import annotations

from .checkpoint import load_embedder, read_card, save_checkpoint
from .embedder import MetaLearnerEmbedder
from .encoders import ArchitectureEncoder, TaskEncoder
from .features import FeatureNormalizer, feature_names, task_features
from .graphs import GraphTable
from .losses import kendall_tau, listnet_loss, pairwise_ranking_loss, within_task_quantiles
from .meta_learner import MetaLearner

__all__ = [
    "ArchitectureEncoder",
    "FeatureNormalizer",
    "GraphTable",
    "MetaLearner",
    "MetaLearnerEmbedder",
    "TaskEncoder",
    "feature_names",
    "kendall_tau",
    "listnet_loss",
    "load_embedder",
    "pairwise_ranking_loss",
    "read_card",
    "save_checkpoint",
    "task_features",
    "within_task_quantiles",
]
