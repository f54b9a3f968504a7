"""Offline training of the meta-learner (Lightning): the data module reading the experiment
database, the LightningModule, `fit` (behind ``metanas train``) and leave-one-task-out fold
models (`training.folds.fold_embedder`), and `learned_embedding`: a set of past tasks' meta-learner
as the `metanas.transfer.ArchitectureEmbedding` of the transfer search's Bayesian surrogate."""

from __future__ import annotations

from .config import DEFAULT_CONFIG, config_hash, load_config, resolve_config
from .data import HistoryDataModule, TaskData
from .embedding import learned_embedding
from .module import MetaLearnerModule
from .trainer import fit, train_module

__all__ = [
    "DEFAULT_CONFIG",
    "HistoryDataModule",
    "MetaLearnerModule",
    "TaskData",
    "config_hash",
    "fit",
    "learned_embedding",
    "load_config",
    "resolve_config",
    "train_module",
]
