"""`learned_embedding`: the meta-learner of a set of past tasks as an `ArchitectureEmbedding`.

The learned surrogate's per-fold factory. It trains (or loads from the cache) a meta-learner on
exactly the given past tasks of a history database (`metanas.training.folds.tasks_embedder`:
Lightning, the regression objective on within-task standardised scores by default, the nested
leave-one-task-out decision on the MLP prior in the model card) and, for an enumerable space,
embeds its whole `CandidatePool` once per (model digest, space), so that scoring every
candidate afterwards is a matrix product.

It lives with the training (layer 7 of the import rule): the search takes the embedding it returns.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metanas.exceptions import ConfigError
from metanas.spaces import SearchSpace
from metanas.transfer import ArchitectureEmbedding, CandidatePool

if TYPE_CHECKING:
    from metanas.protocols import HistoryReader

__all__ = ["learned_embedding"]

logger = logging.getLogger(__name__)


def learned_embedding(
    db: HistoryReader,
    space: SearchSpace,
    past_task_ids: Sequence[str],
    *,
    history_key: str,
    config: Mapping[str, Any] | None = None,
    cache_dir: str | os.PathLike | None = None,
    seed: int = 0,
) -> ArchitectureEmbedding:
    """The meta-learner trained on the past tasks ``past_task_ids`` of ``db``, as an embedding.

    Args:
        db: the history (an `ExperimentDatabase`); tasks not in ``past_task_ids`` never reach
            training (the task searched now must not be among them).
        space: the space searched; the model is trained on the architectures of this space that
            the database records, and must know every operation of it.
        past_task_ids: the past tasks to train on.
        history_key: identifies the history (e.g. ``"nbg/random-1000/seed0"``); part of the cache key.
        config: training settings (`metanas.training.config.DEFAULT_CONFIG`; ``None``: defaults).
        cache_dir: folder of cached models and candidate-pool embeddings; ``None``: a temporary
            folder removed afterwards (nothing cached across calls).
        seed: training seed.

    Returns:
        A `metanas.models.MetaLearnerEmbedder` (an `ArchitectureEmbedding`).

    Raises:
        ConfigError: ``space`` is not a `SearchSpace`, ``history_key`` or ``past_task_ids`` is
            empty, a past task is not in ``db``, or invalid settings.
        CheckpointError: the trained model cannot embed ``space`` (an unknown operation).
    """
    if not isinstance(space, SearchSpace):
        raise ConfigError(f"learned_embedding: 'space' must be a SearchSpace, got {type(space).__name__}")
    if isinstance(past_task_ids, str):
        raise ConfigError(f"learned_embedding: 'past_task_ids' must be a sequence of task ids, got the string "
                          f"{past_task_ids!r}")
    from metanas.training.folds import tasks_embedder  # torch: lazily

    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="metanas-learned-") as tmp:
            emb = tasks_embedder(db, space=space, task_ids=past_task_ids, history_key=history_key, config=config,
                                 cache_dir=tmp, seed=seed)
            _embed_pool(emb, space, None)
            return emb
    emb = tasks_embedder(db, space=space, task_ids=past_task_ids, history_key=history_key, config=config,
                         cache_dir=cache_dir, seed=seed)
    _embed_pool(emb, space, Path(cache_dir) / "embeddings")
    return emb


def _embed_pool(emb: Any, space: SearchSpace, cache_dir: Path | None) -> None:
    """Embed (or read) the candidate pool of an enumerable space into the embedder's cache."""
    emb.check_space(space)
    pool = CandidatePool.for_space(space)
    if pool is None:
        logger.info("space %r is not enumerable: candidates are embedded as they come", space.id)
        return
    emb.pool_embeddings(space, pool.graphs, cache_dir)
