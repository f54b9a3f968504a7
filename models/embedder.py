"""`MetaLearnerEmbedder`: a loaded meta-learner behind the `TaskEmbedder` protocol of
`metanas.similarity.task` (``check``, ``embed_task``), plus architecture scoring for the
warm-starter and the refinement hook. Inference only (no gradients, eval mode)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from metanas.exceptions import CheckpointError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata

from .features import FeatureNormalizer
from .graphs import GraphTable
from .meta_learner import MetaLearner

__all__ = ["MetaLearnerEmbedder"]

logger = logging.getLogger(__name__)

#: Graphs encoded per forward pass when embedding many architectures.
_CHUNK = 8192


class MetaLearnerEmbedder:
    """A trained `MetaLearner` with everything needed to use it safely.

    Args:
        model: the trained model (put in eval mode).
        normalizer: meta-feature normalisation of the training tasks.
        space_id: the search space the model was trained on.
        vocabulary: that space's op vocabulary.
        tasks: the training tasks, in the order of the model's offset table.
        card: the model card (kept for reporting).
    """

    def __init__(
        self,
        model: MetaLearner,
        normalizer: FeatureNormalizer,
        space_id: str,
        vocabulary: Sequence[str],
        tasks: Sequence[TaskMetadata],
        card: Mapping[str, Any] | None = None,
    ) -> None:
        self.model = model.eval()
        self.normalizer = normalizer
        self.space_id = space_id
        self.vocabulary = tuple(vocabulary)
        self.tasks = list(tasks)
        self.task_ids = [t.task_id for t in self.tasks]
        self.card = dict(card or {})
        self.dim = int(model.hparams["dim"])
        self._index = {t: i for i, t in enumerate(self.task_ids)}
        self._arch_cache: dict[str, np.ndarray] = {}
        self._space_cache: dict[str, tuple[list[ModelGraph], list[str], np.ndarray]] = {}

    # ------------------------------------------------------------------ checks
    def check(self, task: TaskMetadata, space_id: str) -> None:
        """Raise `CheckpointError` unless the model fits ``task`` in space ``space_id``.

        The space id must be the training space; the space's op vocabulary (when the id is
        registered) must equal the model's; the task's modality and meta-feature set must be
        the ones the model was trained on.
        """
        if space_id != self.space_id:
            raise CheckpointError(
                f"the meta-learner was trained on space {self.space_id!r}; the task's space is {space_id!r} "
                f"(train a checkpoint for it with `metanas train --space {space_id}`)"
            )
        from metanas.exceptions import UnknownNameError
        from metanas.spaces import get_space

        try:
            ops = tuple(get_space(space_id).ops)
        except UnknownNameError:
            ops = None
        if ops is not None and ops != self.vocabulary:
            raise CheckpointError(
                f"the meta-learner's op vocabulary {list(self.vocabulary)} differs from space {space_id!r}'s "
                f"{list(ops)}"
            )
        self.normalizer.check(task)

    # ------------------------------------------------------------------ tasks
    def prior(self, task: TaskMetadata) -> np.ndarray:
        """The MLP prior of a task from its meta-features, ``[d]``."""
        x = torch.from_numpy(self.normalizer.transform(task))[None]
        with torch.no_grad():
            return self.model.task_prior(x)[0].numpy().astype(np.float64)

    def learned_vector(self, task_id: str) -> np.ndarray:
        """The learned embedding (prior + offset) of a training task, ``[d]``.

        Raises:
            KeyError: ``task_id`` is not a training task.
        """
        i = self._index[task_id]
        x = torch.from_numpy(self.normalizer.transform(self.tasks[i]))[None]
        with torch.no_grad():
            return self.model.task_vectors(x, torch.tensor([i]))[0].numpy().astype(np.float64)

    def embed_task(self, task: TaskMetadata) -> np.ndarray:
        """Embedding of a task, ``[d]``: the learned one for a training task (same id and
        meta-features), the MLP prior from meta-features otherwise."""
        i = self._index.get(task.task_id)
        if i is not None:
            if np.allclose(self.normalizer.transform(task), self.normalizer.transform(self.tasks[i]), atol=1e-5):
                return self.learned_vector(task.task_id)
            logger.info("task %r has other meta-features than the training task of that id; using the prior",
                        task.task_id)
        return self.prior(task)

    def past_task_vectors(self, task_ids: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Learned embeddings of training tasks (all, or those of ``task_ids`` that were trained on)."""
        ids = self.task_ids if task_ids is None else [t for t in task_ids if t in self._index]
        return {t: self.learned_vector(t) for t in ids}

    def similar_tasks(self, vector: np.ndarray, task_ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Training tasks by cosine similarity of their learned embedding to ``vector``, best first."""
        out = []
        for t, v in self.past_task_vectors(task_ids).items():
            denom = float(np.linalg.norm(v) * np.linalg.norm(vector)) or 1.0
            out.append((t, float(v @ vector) / denom))
        return sorted(out, key=lambda p: -p[1])

    # ------------------------------------------------------------------ architectures
    def embed_architectures(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """``[N, d]`` embeddings (cached by exact identity).

        Raises:
            CheckpointError: a graph uses an op outside the model's vocabulary.
        """
        missing = list({g.identity: g for g in graphs if g.identity not in self._arch_cache}.values())
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start:start + _CHUNK]
            try:
                table = GraphTable(chunk, self.vocabulary)
            except InvalidArchitectureError as exc:
                raise CheckpointError(f"the meta-learner cannot encode this architecture: {exc}") from exc
            with torch.no_grad():
                emb = self.model.embed_architectures(table.batch()).numpy().astype(np.float64)
            for g, e in zip(chunk, emb):
                self._arch_cache[g.identity] = e
        if not graphs:
            return np.zeros((0, self.dim))
        return np.stack([self._arch_cache[g.identity] for g in graphs])

    def space_embeddings(self, space: Any) -> tuple[list[ModelGraph], list[str], np.ndarray]:
        """Every architecture of an enumerable space with its key and embedding (cached per space id)."""
        if space.id not in self._space_cache:
            graphs = list(space.enumerate())
            keys = [space.key(g) for g in graphs]
            emb = self.embed_architectures(graphs)
            self._space_cache[space.id] = (graphs, keys, emb)
        return self._space_cache[space.id]

    def score_architectures(self, task: TaskMetadata | np.ndarray, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """Model scores of ``graphs`` for a task (higher = better), ``[N]``.

        Args:
            task: the task (embedded with `embed_task`) or a task vector ``[d]``.
            graphs: architectures of the model's space.
        """
        vec = task if isinstance(task, np.ndarray) else self.embed_task(task)
        return self.embed_architectures(graphs) @ vec

    def __repr__(self) -> str:
        return f"MetaLearnerEmbedder(space_id={self.space_id!r}, tasks={self.task_ids}, dim={self.dim})"
