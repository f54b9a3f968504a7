"""`MetaLearnerEmbedder`: a loaded meta-learner behind two protocols, plus architecture scoring
for the warm-starter and the refinement hook. Inference only (no gradients, eval mode).

* `metanas.transfer.ArchitectureEmbedding` (the learned surrogate): ``dim``, ``past_task_ids``,
  ``past_heads`` (the training tasks' learned vectors ``z_t``), ``embed`` (the architecture
  encoder, float64) and ``prior_mean`` (the MLP prior from meta-features, only where the
  card's nested leave-one-task-out decision says it helps, else ``None``).
* `metanas.similarity.task.TaskEmbedder` (``check``, ``embed_task``).

The encoder reads op-labelled graphs, so any space whose operations are in the model's
vocabulary can be embedded (`check_space`), not only the training space.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from metanas.exceptions import CheckpointError, InvalidArchitectureError, UnknownNameError
from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.spaces import SearchSpace, get_space
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
        card: the model card (kept for reporting; its ``prior`` entry decides `prior_mean`).

    Attributes:
        dim: embedding size ``d``.
        past_task_ids: the training tasks' ids, in the order of ``past_heads``.
        past_heads: ``[T, d]`` float64, the training tasks' learned vectors (MLP prior + offset).
        use_mlp_prior: the card's nested leave-one-task-out decision (``False`` when absent).
        standardised_heads: the model was trained with the regression loss, so ``embed(g) @
            past_heads[t]`` predicts task ``t``'s standardised scores in their units (a model of a
            ranking loss has heads of arbitrary scale: its rankings hold, its units do not).
        digest: SHA-256 (hex) of the card and the weights: equal digests, equal embeddings.
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
        self.past_task_ids: tuple[str, ...] = tuple(self.task_ids)
        prior = self.card.get("prior")
        self.use_mlp_prior = bool(isinstance(prior, Mapping) and prior.get("use_mlp_prior") is True)
        if not isinstance(prior, Mapping):
            logger.info("the model card records no nested leave-one-task-out decision on the MLP prior; "
                        "prior_mean returns None (the past heads' mean is used)")
        training = self.card.get("training")
        config = training.get("config") if isinstance(training, Mapping) else None
        self.standardised_heads = isinstance(config, Mapping) and config.get("loss") == "regression"
        self.digest = _model_digest(model, self.card)

    @cached_property
    def past_heads(self) -> np.ndarray:
        """``[T, d]`` float64: the training tasks' learned vectors, in ``past_task_ids`` order.

        Raises:
            CheckpointError: the card's meta-feature set is not this version's (retrain).
        """
        if not self.task_ids:
            return np.zeros((0, self.dim))
        return np.stack([self.learned_vector(t) for t in self.task_ids])

    # ------------------------------------------------------------------ checks
    def check(self, task: TaskMetadata, space_id: str | SearchSpace) -> None:
        """Raise `CheckpointError` unless the model fits ``task`` in space ``space_id``.

        The space (an id or a `SearchSpace`) must use only operations of the model's vocabulary
        (`check_space`); the task's modality and meta-feature set must be the ones the model was
        trained on.
        """
        if isinstance(space_id, SearchSpace):
            self.check_space(space_id)
        else:
            try:
                self.check_space(get_space(space_id))
            except UnknownNameError:
                if space_id != self.space_id:
                    raise CheckpointError(
                        f"the meta-learner was trained on space {self.space_id!r}; space {space_id!r} is not "
                        "registered, so its operations are unknown (pass the SearchSpace object, or train a "
                        f"checkpoint for it with `metanas train --space {space_id}`)"
                    ) from None
        self.normalizer.check(task)

    def check_space(self, space: SearchSpace) -> None:
        """Raise `CheckpointError` unless every operation of ``space`` is in the model's vocabulary.

        The encoder embeds operations by label, so a space that shares the training space's
        operations (all of them or a subset) is embedded as it is; an unknown operation has no
        learned embedding.
        """
        unknown = [op for op in space.ops if op not in self.vocabulary]
        if unknown:
            raise CheckpointError(
                f"space {space.id!r} uses operation(s) {unknown} that the meta-learner (trained on space "
                f"{self.space_id!r}) does not know; it embeds only spaces whose operations are in its vocabulary "
                f"{list(self.vocabulary)} (train a checkpoint on a history of this space with `metanas train`)"
            )

    # ------------------------------------------------------------------ tasks
    def prior(self, task: TaskMetadata) -> np.ndarray:
        """The MLP prior of a task from its meta-features, ``[d]``."""
        x = torch.from_numpy(self.normalizer.transform(task))[None]
        with torch.no_grad():
            return self.model.task_prior(x)[0].numpy().astype(np.float64)

    def prior_mean(self, task: TaskMetadata | None) -> np.ndarray | None:
        """The MLP prior ``[d]`` of a new task's head from its meta-features, or ``None``.

        ``None`` when there is no task, when the card's nested leave-one-task-out decision (on
        the training tasks only) found that the MLP prior does not predict a left-out task's head
        better than the past heads' mean, or when the task's modality or meta-feature names are
        not the card's (then the past heads' mean is the prior's centre).
        """
        if task is None or not self.use_mlp_prior:
            return None
        try:
            self.normalizer.check(task)
        except CheckpointError as exc:
            logger.info("no MLP prior for task %r: %s", task.task_id, exc)
            return None
        return self.prior(task)

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
    def embed(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """``[len(graphs), d]`` float64 embeddings (`embed_architectures`)."""
        return self.embed_architectures(graphs)

    def embed_architectures(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """``[N, d]`` float64 embeddings, encoded in chunks of `_CHUNK` graphs and cached by exact
        identity (op labels and edges; graphs of any space the vocabulary covers).

        Raises:
            CheckpointError: a graph uses an op outside the model's vocabulary.
        """
        missing = list({g.identity: g for g in graphs if g.identity not in self._arch_cache}.values())
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start:start + _CHUNK]
            try:
                table = GraphTable(chunk, self.vocabulary)
            except InvalidArchitectureError:
                unknown = sorted({op for g in chunk for op in g.ops
                                  if op not in self.vocabulary and op not in (INPUT, OUTPUT)})
                raise CheckpointError(
                    f"the meta-learner cannot encode operation(s) {unknown}: not in its vocabulary "
                    f"{list(self.vocabulary)} (trained on space {self.space_id!r})"
                ) from None
            with torch.no_grad():
                emb = self.model.embed_architectures(table.batch()).numpy().astype(np.float64)
            for g, e in zip(chunk, emb):
                self._arch_cache[g.identity] = e
        if not graphs:
            return np.zeros((0, self.dim))
        return np.stack([self._arch_cache[g.identity] for g in graphs])

    def pool_embeddings(self, space: SearchSpace, graphs: Sequence[ModelGraph],
                        cache_dir: str | os.PathLike | None = None) -> np.ndarray:
        """``[len(graphs), d]`` embeddings of a space's candidate pool, cached per (model digest, space).

        The matrix is kept in memory and, with ``cache_dir``, in
        ``cache_dir/<digest[:16]>-<space id>-<ops hash>.npz`` (with the graphs' identities, so a
        file of another pool is recomputed, never misread). Afterwards `embed` of any of these
        graphs is a lookup, so scoring the pool is a matrix product.

        Raises:
            CheckpointError: the space uses operations the model does not know.
        """
        self.check_space(space)
        ops_hash = hashlib.sha256(json.dumps(list(space.ops)).encode()).hexdigest()[:8]
        name = f"{self.digest[:16]}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', space.id)}-{ops_hash}.npz"
        ids = np.array([g.identity for g in graphs])
        path = Path(cache_dir) / name if cache_dir is not None else None
        if path is not None and path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    if np.array_equal(data["ids"], ids):
                        emb = np.asarray(data["emb"], dtype=np.float64)
                        self._arch_cache.update(zip(ids.tolist(), emb))
                        logger.info("embeddings of %d candidates of space %r read from %s", len(ids), space.id, path)
                        return emb
            except (OSError, KeyError, ValueError) as exc:
                logger.warning("embedding cache %s unreadable (%s); recomputing", path, exc)
        emb = self.embed_architectures(graphs)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
            np.savez(tmp, ids=ids, emb=emb)
            os.replace(tmp, path)
        return emb

    def space_embeddings(self, space: SearchSpace) -> tuple[list[ModelGraph], list[str], np.ndarray]:
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


def _model_digest(model: MetaLearner, card: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the card (canonical JSON) and every weight tensor (sorted by name)."""
    h = hashlib.sha256(json.dumps(card, sort_keys=True, separators=(",", ":"), default=str).encode())
    for key, tensor in sorted(model.state_dict().items()):
        h.update(key.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
