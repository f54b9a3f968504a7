"""`fit`: train a meta-learner on an experiment database and write a checkpoint."""

from __future__ import annotations

import logging
import os
import shlex
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import EarlyStopping

from ..models.checkpoint import save_checkpoint
from ..models.meta_learner import MetaLearner
from .config import config_hash, resolve_config
from .data import HistoryDataModule
from .module import MetaLearnerModule
from .prior import nested_prior_decision

if TYPE_CHECKING:
    from metanas.protocols import HistoryReader

__all__ = ["TrainedModule", "fit", "train_module"]

logger = logging.getLogger(__name__)


class TrainedModule(NamedTuple):
    """What `train_module` returns.

    Attributes:
        module: the trained module, its best weights restored.
        data: the data module it was trained on.
        summary: epochs, seconds, best epoch.
    """

    module: MetaLearnerModule
    data: HistoryDataModule
    summary: dict[str, Any]


def train_module(
    db: HistoryReader,
    *,
    space_id: str,
    exclude_tasks: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> TrainedModule:
    """Train without writing anything.

    Returns:
        `TrainedModule`: the module (best weights restored), the data module and a training
        summary (epochs, seconds, best epoch); a triple, so ``module, dm, summary = ...`` unpacks it.
    """
    cfg = resolve_config(config)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        from metanas.exceptions import ConfigError

        raise ConfigError(f"The 'seed' parameter of fit must be an int >= 0. Got {seed!r} instead.")
    t0 = time.perf_counter()
    L.seed_everything(seed, workers=True, verbose=False)
    dm = HistoryDataModule(
        db, space_id, exclude_tasks, val_fraction=cfg["val_fraction"], archs_per_task=cfg["archs_per_task"],
        steps_per_epoch=cfg["steps_per_epoch"], min_evaluations=cfg["min_evaluations"], seed=seed,
        landmarks=cfg["landmark_features"],
    )
    dm.setup()
    leaked = sorted(set(exclude_tasks) & set(dm.task_ids))
    if leaked:  # pragma: no cover - guarded by HistoryDataModule
        raise RuntimeError(f"excluded task(s) {leaked} reached training")
    model = MetaLearner(
        num_ops=len(dm.space.ops) + 2, num_features=dm.features.shape[1], num_tasks=len(dm.tasks),
        dim=cfg["embedding_dim"], hidden=cfg["hidden_dim"], num_layers=cfg["num_layers"], conv=cfg["conv"],
        task_hidden=cfg["task_hidden_dim"], task_layers=cfg["task_layers"],
    )
    module = MetaLearnerModule(
        model, dm.table, dm.features, dm.tasks, loss=cfg["loss"], pair_weighting=cfg["pair_weighting"],
        listnet_temperature=cfg["listnet_temperature"], offset_reg=cfg["offset_reg"], lr=cfg["lr"],
        weight_decay=cfg["weight_decay"],
    )
    has_val = any(len(td.val_arch) >= 2 for td in dm.tasks)
    callbacks = [EarlyStopping("val_tau", mode="max", patience=cfg["patience"])] if has_val else []
    deterministic = torch.are_deterministic_algorithms_enabled()
    pl_logger = logging.getLogger("lightning.pytorch")
    pl_level = pl_logger.level
    try:
        pl_logger.setLevel(max(pl_level, logging.WARNING))  # no GPU/TPU banners and tips in our logs
        trainer = L.Trainer(
            max_epochs=cfg["max_epochs"], accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
            enable_model_summary=False, enable_progress_bar=progress, num_sanity_val_steps=0,
            limit_val_batches=1.0 if has_val else 0, callbacks=callbacks, deterministic=False,
        )
        # deterministic=False: torch's deterministic scatter is ~7x slower on CPU; CPU kernels used here are
        # reproducible for a fixed seed and thread count anyway (tested: same seed, same weights).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=".*IterableDataset.*")
            warnings.filterwarnings("ignore", message=".*number of training batches.*")
            warnings.filterwarnings("ignore", message=".*LeafSpec.*")
            trainer.fit(module, datamodule=dm)
    finally:  # Lightning switches deterministic algorithms on process-wide; restore the caller's setting
        torch.use_deterministic_algorithms(deterministic)
        pl_logger.setLevel(pl_level)
    if module.best_state is not None:
        model.load_state_dict(module.best_state)
    model.eval()
    summary = {
        "epochs": int(trainer.current_epoch),
        "best_epoch": int(module.best_epoch),
        "seconds": round(time.perf_counter() - t0, 2),
        "num_architectures": len(dm.graphs),
    }
    logger.info("trained on %s in %.1f s (%d epochs, best %d, val tau %.3f)", dm.task_ids, summary["seconds"],
                summary["epochs"], summary["best_epoch"], module.best_tau)
    return TrainedModule(module, dm, summary)


def fit(
    db: HistoryReader,
    *,
    space_id: str,
    exclude_tasks: Sequence[str] = (),
    config: Mapping[str, Any] | None = None,
    out_dir: str | os.PathLike,
    seed: int = 0,
    progress: bool = False,
    command: str | None = None,
) -> Path:
    """Train a meta-learner on the history of ``space_id`` in ``db`` and save a checkpoint.

    Args:
        db: an `ExperimentDatabase` (or another `metanas.protocols.HistoryReader`).
        space_id: the search space whose history is used.
        exclude_tasks: task ids that never reach training (leave-one-task-out folds).
        config: training settings (see `training.config.DEFAULT_CONFIG`); ``None``: defaults.
        out_dir: the checkpoint folder to write.
        seed: seeds the split, sampling and initialisation (`lightning.seed_everything`).
        progress: show Lightning's progress bar.
        command: the command recorded in the model card (default: this process's argv).

    Returns:
        The checkpoint folder.

    Raises:
        ConfigError: invalid settings, no usable history, or ``out_dir`` is an existing file
            (checked before training starts).
    """
    from metanas.resources import check_output_folder

    check_output_folder(out_dir, "out_dir")
    cfg = resolve_config(config)
    module, dm, summary = train_module(db, space_id=space_id, exclude_tasks=exclude_tasks, config=cfg, seed=seed,
                                       progress=progress)
    taus = module.best_val_taus
    prior = prior_record(module, dm, seed=seed)
    validation = {
        "metric": "within-task Kendall tau on held-out architectures",
        "kendall_tau": taus,
        "mean_kendall_tau": float(np.mean(list(taus.values()))) if taus else None,
        "num_val_architectures": int(sum(len(td.val_arch) for td in dm.tasks)),
    }
    training = {
        "config": cfg,
        "config_hash": config_hash(cfg),
        "seed": seed,
        "excluded_tasks": sorted(exclude_tasks),
        "database": _safe_url(db),
        "history_runs": _runs_summary(db, dm.task_ids),
        **summary,
        "torch_threads": torch.get_num_threads(),
    }
    if command is None:
        command = " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]])
    return save_checkpoint(
        out_dir, module.model, dm.normalizer, space_id=dm.space_id, vocabulary=dm.space.ops, tasks=dm.summary(),
        training=training, validation=validation, command=command, prior=prior,
    )


def prior_record(module: MetaLearnerModule, dm: HistoryDataModule, *, seed: int = 0) -> dict[str, Any]:
    """The nested leave-one-task-out decision on the MLP prior (`training.prior`) of a trained
    module, from its learned heads and every recorded architecture of each training task."""
    model = module.model.eval()
    with torch.no_grad():
        heads = module._task_vectors().double().cpu().numpy()
        emb = model.embed_architectures(dm.table.batch()).double().cpu().numpy()
    embeddings = [emb[np.concatenate([td.train_arch, td.val_arch])] for td in dm.tasks]
    scores = [np.concatenate([td.train_score, td.val_score]) for td in dm.tasks]
    hp = model.hparams
    return nested_prior_decision([td.task for td in dm.tasks], heads, embeddings, scores,
                                 hidden=int(hp["task_hidden"]), layers=int(hp["task_layers"]), seed=seed,
                                 landmarks=dm.normalizer.landmarks)


def _runs_summary(db: HistoryReader, task_ids: Sequence[str]) -> list[dict[str, Any]] | None:
    """The database runs of the training tasks (strategy, seed, evaluations), for provenance."""
    runs = getattr(db, "runs", None)
    if runs is None:
        return None
    keep = set(task_ids)
    return [
        {"task_id": r.task_id, "strategy": r.strategy, "seed": r.seed, "num_evaluations": r.num_evaluations,
         "space_id": r.space_id}
        for r in runs() if r.task_id in keep
    ]


def _safe_url(db: HistoryReader) -> str | None:
    url = getattr(db, "url", None)
    if url is None:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"
