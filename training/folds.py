"""Fold models of the leave-one-task-out protocol, trained once and cached.

`fold_embedder` trains a meta-learner on a fold's history database without the held-out
task and caches the checkpoint under a key of (history key, held-out task, space, settings
hash, seed): a rerun with the same history and settings loads it instead of retraining.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from metanas.exceptions import CheckpointError, ConfigError

from ..models.checkpoint import load_embedder
from ..models.embedder import MetaLearnerEmbedder
from .config import config_hash
from .trainer import fit

__all__ = ["fold_embedder", "fold_key"]

logger = logging.getLogger(__name__)


def fold_key(*, space_id: str, exclude_task: str, history_key: str, config: Mapping[str, Any] | None,
             seed: int = 0) -> str:
    """Cache key (16 hex chars) of a fold model."""
    payload = {"space_id": space_id, "exclude_task": exclude_task, "history_key": history_key,
               "config_hash": config_hash(config), "seed": seed}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def fold_embedder(
    db: Any,
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
    if not isinstance(history_key, str) or not history_key:
        raise ConfigError(f"fold_embedder: 'history_key' must be a non-empty string, got {history_key!r}")
    key = fold_key(space_id=space_id, exclude_task=exclude_task, history_key=history_key, config=config, seed=seed)
    cache = Path(cache_dir)
    target = cache / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', exclude_task)}-{key}"
    if target.is_dir():
        try:
            emb = load_embedder(target)
        except CheckpointError as exc:
            logger.warning("cached fold model %s is unusable (%s); retraining", target, exc)
            shutil.rmtree(target, ignore_errors=True)
        else:
            if exclude_task in emb.task_ids:  # pragma: no cover - defensive
                raise CheckpointError(f"cached fold model {target} was trained on the held-out task {exclude_task}")
            logger.info("fold model for %s loaded from cache %s", exclude_task, target)
            return emb
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".fold-", dir=cache))
    try:
        fit(db, space_id=space_id, exclude_tasks=[exclude_task], config=config, out_dir=tmp, seed=seed,
            command=f"metanas.training.folds.fold_embedder(history_key={history_key!r}, exclude_task={exclude_task!r}, "
                    f"space_id={space_id!r}, seed={seed})")
        try:
            os.replace(tmp, target)
        except OSError:  # another process cached it first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return load_embedder(target)
