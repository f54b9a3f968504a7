"""Offline training of the meta-learner (Lightning): the data module reading the experiment
database, the LightningModule, `fit` (behind ``metanas train``) and leave-one-task-out fold
models (`training.folds.fold_embedder`)."""

from __future__ import annotations

from training.config import DEFAULT_CONFIG, config_hash, load_config, resolve_config
from training.data import HistoryDataModule, TaskData
from training.module import MetaLearnerModule
from training.trainer import fit, train_module

__all__ = [
    "DEFAULT_CONFIG",
    "HistoryDataModule",
    "MetaLearnerModule",
    "TaskData",
    "config_hash",
    "fit",
    "load_config",
    "resolve_config",
    "train_module",
]
