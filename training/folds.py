"""Fold models of the leave-one-task-out protocol, trained once and cached.

`fold_embedder` trains a meta-learner on a fold's history database without the held-out
task and caches the checkpoint under a key of (history key, held-out task, space, settings
hash, seed): a rerun with the same history and settings loads it instead of retraining.
`tasks_embedder` does the same for a model trained on a given set of past tasks (the
learned surrogate's `metanas.training.learned_embedding`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metanas.exceptions import CheckpointError, ConfigError
from metanas.spaces import SearchSpace

from ..models.checkpoint import load_embedder
from ..models.embedder import MetaLearnerEmbedder
from .config import config_hash
from .trainer import fit

if TYPE_CHECKING:
    from metanas.protocols import HistoryReader

__all__ = ["fold_embedder", "fold_key", "tasks_embedder", "tasks_key"]

logger = logging.getLogger(__name__)


def fold_key(*, space_id: str, exclude_task: str, history_key: str, config: Mapping[str, Any] | None,
             seed: int = 0) -> str:
    """Cache key (16 hex chars) of a fold model."""
    payload = {"space_id": space_id, "exclude_task": exclude_task, "history_key": history_key,
               "config_hash": config_hash(config), "seed": seed}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def fold_embedder(
    db: HistoryReader,
    *,
    space_id: str,
    exclude_task: str,
    history_key: str,
    config: Mapping[str, Any] | None,
    cache_dir: str | os.PathLike,
    seed: int = 0,
) -> MetaLearnerEmbedder:
    """The meta-learner of one LOTO fold: trained on ``db`` without ``exclude_task``.

    Args:
        db: the fold's history database (it may hold the held-out task; it is excluded).
        space_id: the suite's search space.
        exclude_task: the held-out task; it never reaches training.
        history_key: identifies the history (e.g. ``"nbg/random-1000/seed0"``); part of the cache key.
        config: training settings (``None``: defaults).
        cache_dir: folder of cached fold checkpoints.
        seed: training seed.

    Returns:
        The loaded embedder (its card lists the training tasks: never ``exclude_task``).

    Raises:
        ConfigError: ``history_key`` is empty, or invalid settings.
    """
    _check_history_key(history_key)
    key = fold_key(space_id=space_id, exclude_task=exclude_task, history_key=history_key, config=config, seed=seed)
    name = f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', exclude_task)}-{key}"
    return _cached_fit(
        db, Path(cache_dir) / name, space_id=space_id, exclude_tasks=[exclude_task], config=config, seed=seed,
        command=f"metanas.training.folds.fold_embedder(history_key={history_key!r}, exclude_task={exclude_task!r}, "
                f"space_id={space_id!r}, seed={seed})",
    )


def tasks_key(*, space_id: str, task_ids: Sequence[str], history_key: str, config: Mapping[str, Any] | None,
              seed: int = 0) -> str:
    """Cache key (16 hex chars) of a model trained on exactly ``task_ids`` (order-free)."""
    payload = {"space_id": space_id, "task_ids": sorted(task_ids), "history_key": history_key,
               "config_hash": config_hash(config), "seed": seed}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def tasks_embedder(
    db: HistoryReader,
    *,
    space: str | SearchSpace,
    task_ids: Sequence[str],
    history_key: str,
    config: Mapping[str, Any] | None,
    cache_dir: str | os.PathLike,
    seed: int = 0,
) -> MetaLearnerEmbedder:
    """A meta-learner trained on exactly the tasks ``task_ids`` of ``db`` (every other task of the
    database is excluded), cached like `fold_embedder` under a key of (space, sorted task ids,
    history key, settings hash, seed).

    Args:
        db: the history database.
        space: the space (or registered id) whose recorded architectures are read.
        task_ids: the past tasks to train on (non-empty; each must be in ``db``).
        history_key: identifies the history; part of the cache key.
        config: training settings (``None``: defaults).
        cache_dir: folder of cached checkpoints.
        seed: training seed.

    Returns:
        The loaded embedder; its training tasks are those of ``task_ids`` with enough history.

    Raises:
        ConfigError: ``history_key`` or ``task_ids`` is empty, a task id is not in ``db``, or
            invalid settings.
    """
    _check_history_key(history_key)
    ids = list(dict.fromkeys(str(t) for t in task_ids))
    if not ids:
        raise ConfigError("'past_task_ids' must name at least one past task of the database, got none")
    known = [t.task_id for t in db.get_all_tasks()]
    missing = sorted(set(ids) - set(known))
    if missing:
        raise ConfigError(f"'past_task_ids' names task(s) {missing} that the database does not hold; "
                          f"it holds {sorted(known)}")
    space_id = space if isinstance(space, str) else space.id
    key = tasks_key(space_id=space_id, task_ids=ids, history_key=history_key, config=config, seed=seed)
    exclude = [t for t in known if t not in set(ids)]
    return _cached_fit(
        db, Path(cache_dir) / f"tasks-{key}", space_id=space, exclude_tasks=exclude, config=config, seed=seed,
        command=f"metanas.training.folds.tasks_embedder(history_key={history_key!r}, task_ids={sorted(ids)!r}, "
                f"space={space_id!r}, seed={seed})",
    )


def _check_history_key(history_key: Any) -> None:
    if not isinstance(history_key, str) or not history_key:
        raise ConfigError(f"fold_embedder: 'history_key' must be a non-empty string, got {history_key!r}")


def _cached_fit(db: HistoryReader, target: Path, *, space_id: str | SearchSpace, exclude_tasks: Sequence[str],
                config: Mapping[str, Any] | None, seed: int, command: str) -> MetaLearnerEmbedder:
    """Load the checkpoint at ``target``, or train it there (atomically) and load it."""
    if target.is_dir():
        try:
            emb = load_embedder(target)
        except CheckpointError as exc:
            logger.warning("cached fold model %s is unusable (%s); retraining", target, exc)
            shutil.rmtree(target, ignore_errors=True)
        else:
            leaked = sorted(set(exclude_tasks) & set(emb.task_ids))
            if leaked:  # pragma: no cover - defensive
                raise CheckpointError(f"cached fold model {target} was trained on the excluded task(s) {leaked}")
            logger.info("fold model %s loaded from cache", target)
            return emb
    cache = target.parent
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".fold-", dir=cache))
    try:
        fit(db, space_id=space_id, exclude_tasks=exclude_tasks, config=config, out_dir=tmp, seed=seed,
            command=command)
        try:
            os.replace(tmp, target)
        except OSError:  # another process cached it first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return load_embedder(target)
