"""Task similarity: meta-feature cosine (``dataset_meta``) and learned task embeddings.

Two tasks of different modality (image vs graph) or different problem type have similarity
0 under every metric. Values lie in [0, 1] and are never NaN.

``dataset_meta``
----------------
*Image tasks* — the seed's cosine over ``[num_samples / 100000, num_classes / 100,
H / 224, W / 224]``, clipped at 0 (``H, W`` from ``input_size = (C, H, W)``; the seed's
sketch indexes ``input_size[0]`` and ``[1]``, i.e. C and H, which contradicts its own
"input resolution" comment; we use the resolution). These features are positive, so the
cosine lies in (0, 1].

*Graph tasks* — a cosine of centred log features, clipped at 0::

    log1p([num_nodes, num_edges / num_nodes, num_node_features, num_classes])
      - log1p([1e4, 10, 1e3, 10])

The logs of raw counts are all large and positive, so their cosine is near 1 for any two
graphs (0.88..1.00 on the nine NAS-Bench-Graph tasks, 0.94..1.00 on the eight 9-op ones):
it cannot discriminate. Centring on
fixed reference values (a 10,000-node graph of average degree 10 with 1,000 features and 10
classes: round numbers in the middle of the node-classification benchmarks, fixed so that a
value does not depend on which tasks happen to be in the database) makes the cosine compare
the *direction* in which two tasks differ from a typical one. Average degree replaces the edge
count because node and edge counts move together and would count size twice. Chosen among
the candidates the brief named (raw-log cosine; centred cosines with several references;
``exp(-distance)``) by agreement with how the NAS-Bench-Graph tasks actually rank
architectures: the Spearman correlation, over the 28 pairs of the eight 9-op tasks, between
the similarity and the rank correlation of the tasks' validation accuracies over the shared
architectures is 0.51 for this choice, against 0.19 for the raw-log cosine, 0.30 for
``exp(-RMS log distance)`` and 0.42 for centred ``log1p`` counts with the edge count. It puts
each family together: cora-citeseer 0.88, coauthor cs-physics 0.87, amazon photo-computers
0.87, and cora-arxiv 0. With the default ``min_similarity`` 0.6 graph tasks thus transfer
within their family. ``ogbn-proteins`` is a multi-label task: similarity 0 to the others.

Missing or degenerate values: `TaskMetadata` guarantees that graph tasks carry the four
counts; should ``num_nodes`` or ``num_classes`` still be absent, the task's ``num_samples`` /
``num_classes`` fields stand in, and an absent ``num_edges`` or ``num_node_features`` takes
its reference value (contributing 0). Counts are non-negative, so ``log1p`` stays finite.
A zero feature vector (a task exactly at the reference point) has no direction: its
similarity to a task with the same vector is 1, to any other 0.

``task_embedding``
------------------
Cosine of the two tasks' embeddings from a trained meta-learner (a `TaskEmbedder`), clipped at
0 like ``dataset_meta`` (and like `metanas.warm_start`), so that one ``min_similarity``
threshold means the same for both metrics: tasks the model puts in opposite directions are
unrelated (0), not "half similar" as ``(1 + cos) / 2`` would say. Without an embedder (no
trained model yet) resolving it raises `CheckpointError`; the warm-starter catches that and
falls back to ``dataset_meta``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from metanas.exceptions import CheckpointError, ConfigError, UnknownNameError
from metanas.tasks import TaskMetadata

__all__ = [
    "GRAPH_REFERENCE",
    "DatasetMetaSimilarity",
    "TaskEmbedder",
    "TaskEmbeddingSimilarity",
    "TaskSimilarity",
    "cosine",
    "dataset_meta",
    "get_task_metric",
    "load_task_embedder",
    "meta_feature_vector",
    "register_task_metric",
    "task_metric_names",
]

#: Reference point of the graph features: (num_nodes, average degree, num_node_features, num_classes).
GRAPH_REFERENCE: tuple[float, float, float, float] = (1e4, 10.0, 1e3, 10.0)


@runtime_checkable
class TaskEmbedder(Protocol):
    """A trained model that embeds tasks (implemented in ``models.checkpoint``)."""

    def check(self, task: TaskMetadata, space_id: str) -> None:
        """Raise `CheckpointError` with the reason when the model does not fit (vocabulary,
        space, feature set) the task in the space ``space_id``."""

    def embed_task(self, task: TaskMetadata) -> np.ndarray:
        """The task's embedding, shape ``[d]``."""


# ============================================================================ helpers
def cosine(u: np.ndarray, v: np.ndarray) -> float:
    """Cosine similarity clipped to [0, 1]; never NaN.

    Zero vectors have no direction: two equal vectors (both zero included) give 1, a zero
    vector against a different one 0.

    Raises:
        ConfigError: the vectors differ in shape or hold non-finite values.
    """
    u = np.asarray(u, dtype=np.float64).reshape(-1)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if u.shape != v.shape:
        raise ConfigError(f"cosine needs vectors of equal length, got {u.shape[0]} and {v.shape[0]}")
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        raise ConfigError("cosine needs finite vectors, got NaN or inf")
    if np.array_equal(u, v):
        return 1.0
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0.0 or nv == 0.0:
        return 0.0
    return float(min(max(float(u @ v) / (nu * nv), 0.0), 1.0))


def meta_feature_vector(task: TaskMetadata) -> np.ndarray:
    """The feature vector ``dataset_meta`` compares (see the module docstring).

    Returns:
        float64 array of shape ``[4]``: the seed's scaled image features, or the centred log
        graph features.
    """
    if task.modality == "image":
        _, h, w = task.input_size  # type: ignore[misc]
        return np.array([task.num_samples / 100000, task.num_classes / 100, h / 224, w / 224], dtype=np.float64)
    m = task.meta_features
    _, ref_degree, ref_feats, _ = GRAPH_REFERENCE
    nodes = max(float(m.get("num_nodes", task.num_samples)), 1.0)
    degree = m["num_edges"] / nodes if "num_edges" in m else ref_degree
    feats = m.get("num_node_features", ref_feats)
    classes = m.get("num_classes", task.num_classes)
    raw = np.log1p(np.maximum([nodes, degree, feats, classes], 0.0))
    return raw - np.log1p(np.array(GRAPH_REFERENCE, dtype=np.float64))


def _comparable(task_a: TaskMetadata, task_b: TaskMetadata) -> bool:
    return task_a.modality == task_b.modality and task_a.problem_type == task_b.problem_type


def _check_tasks(task_a: object, task_b: object) -> None:
    for name, t in (("task_a", task_a), ("task_b", task_b)):
        if not isinstance(t, TaskMetadata):
            raise ConfigError(f"'{name}' must be a TaskMetadata, got {type(t).__name__}")


def dataset_meta(task_a: TaskMetadata, task_b: TaskMetadata) -> float:
    """Meta-feature similarity of two tasks, in [0, 1] (see the module docstring).

    Returns:
        0 for different modality or problem type, else the clipped cosine of
        `meta_feature_vector`.

    Raises:
        ConfigError: an argument is not a `TaskMetadata`.
    """
    _check_tasks(task_a, task_b)
    if not _comparable(task_a, task_b):
        return 0.0
    return cosine(meta_feature_vector(task_a), meta_feature_vector(task_b))


# ============================================================================ metrics
class TaskSimilarity(ABC):
    """A similarity of tasks in [0, 1]; 0 across modalities and problem types."""

    #: Registry name.
    name: ClassVar[str]

    @abstractmethod
    def __call__(self, task_a: TaskMetadata, task_b: TaskMetadata) -> float:
        """Similarity of two tasks, in [0, 1]."""


class DatasetMetaSimilarity(TaskSimilarity):
    """`dataset_meta` as a metric object."""

    name = "dataset_meta"

    def __call__(self, task_a: TaskMetadata, task_b: TaskMetadata) -> float:
        return dataset_meta(task_a, task_b)

    def __repr__(self) -> str:
        return "DatasetMetaSimilarity()"


class TaskEmbeddingSimilarity(TaskSimilarity):
    """Clipped cosine of learned task embeddings (see the module docstring).

    Args:
        embedder: a loaded `TaskEmbedder`; or
        checkpoint: a checkpoint path loaded with `load_task_embedder` (give one of the two).
        space_id: when given, ``embedder.check(task, space_id)`` runs for each task first.

    Raises:
        CheckpointError: neither an embedder nor a usable checkpoint (no trained model yet).
        ConfigError: both given, or the embedder lacks ``check``/``embed_task``.
    """

    name = "task_embedding"

    def __init__(self, embedder: TaskEmbedder | None = None, *, checkpoint: str | Path | None = None,
                 space_id: str | None = None) -> None:
        if embedder is not None and checkpoint is not None:
            raise ConfigError("give 'embedder' or 'checkpoint' to task_embedding, not both")
        if embedder is None:
            if checkpoint is None:
                raise CheckpointError(
                    "task similarity 'task_embedding' needs a trained meta-learner: pass embedder= (a loaded "
                    "TaskEmbedder) or checkpoint= (a folder written by `metanas train`); use 'dataset_meta' "
                    "until one exists"
                )
            embedder = load_task_embedder(checkpoint)
        elif not isinstance(embedder, TaskEmbedder):
            raise ConfigError(
                f"'embedder' must provide check(task, space_id) and embed_task(task), got {type(embedder).__name__}"
            )
        self.embedder = embedder
        self.space_id = space_id

    def embed(self, task: TaskMetadata) -> np.ndarray:
        """The task's embedding, checked to be a finite non-empty vector.

        Raises:
            CheckpointError: the model does not fit the task, or returned a bad embedding.
        """
        if self.space_id is not None:
            self.embedder.check(task, self.space_id)
        emb = np.asarray(self.embedder.embed_task(task), dtype=np.float64)
        if emb.ndim != 1 or emb.size == 0 or not np.all(np.isfinite(emb)):
            raise CheckpointError(
                f"the task embedder returned an embedding of shape {emb.shape} for task {task.task_id!r}; "
                "it must be a finite vector of shape [d]"
            )
        return emb

    def __call__(self, task_a: TaskMetadata, task_b: TaskMetadata) -> float:
        _check_tasks(task_a, task_b)
        if not _comparable(task_a, task_b):
            return 0.0
        ea, eb = self.embed(task_a), self.embed(task_b)
        if ea.shape != eb.shape:
            raise CheckpointError(f"the task embedder returned embeddings of different sizes {ea.shape} and {eb.shape}")
        return cosine(ea, eb)

    def __repr__(self) -> str:
        return f"TaskEmbeddingSimilarity(embedder={type(self.embedder).__name__}, space_id={self.space_id!r})"


# ============================================================================ registry
_TASK_METRICS: dict[str, Callable[..., TaskSimilarity]] = {}


def register_task_metric(name: str, factory: Callable[..., TaskSimilarity]) -> None:
    """Register a task-similarity factory under ``name``."""
    _TASK_METRICS[name] = factory


def task_metric_names() -> list[str]:
    """Registered task-similarity names."""
    return sorted(_TASK_METRICS)


def get_task_metric(name: str | TaskSimilarity, **kwargs) -> TaskSimilarity:
    """Resolve a task-similarity name (or pass an instance through).

    ``get_task_metric("task_embedding", embedder=...)`` or ``(..., checkpoint=path)``.

    Raises:
        UnknownNameError: the name is not registered; the message lists the valid ones.
        CheckpointError: ``task_embedding`` without an embedder or usable checkpoint.
        ConfigError: arguments the metric does not take.
    """
    if isinstance(name, TaskSimilarity):
        if kwargs:
            raise ConfigError(f"arguments {sorted(kwargs)} can only be given with a metric name, not an instance")
        return name
    try:
        factory = _TASK_METRICS[name]
    except (KeyError, TypeError):
        raise UnknownNameError(f"unknown task similarity {name!r}; choose one of {task_metric_names()}") from None
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"task similarity {name!r} does not take the arguments {sorted(kwargs)}: {exc}") from exc


register_task_metric("dataset_meta", DatasetMetaSimilarity)
register_task_metric("task_embedding", TaskEmbeddingSimilarity)


# ============================================================================ loading
def load_task_embedder(path: str | Path) -> TaskEmbedder:
    """Load a trained meta-learner through `metanas.models.checkpoint.load_embedder`.

    `metanas.models` (and torch) are imported only here.

    Raises:
        CheckpointError: the meta-learner cannot be imported (a missing dependency such as
            torch), the checkpoint is missing or unreadable, or the loaded object is not a
            `TaskEmbedder`.
    """
    try:
        from ..models import checkpoint as module
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        raise CheckpointError(
            f"the meta-learner could not be imported (missing dependency {missing or exc}), so no task "
            f"embedder can be loaded from {str(path)!r}; install metanas with torch, or use task similarity "
            "'dataset_meta'"
        ) from exc
    loader = module.load_embedder
    try:
        embedder = loader(path)
    except CheckpointError:
        raise
    except OSError as exc:
        raise CheckpointError(f"task-embedder checkpoint {str(path)!r} could not be read: {exc}") from exc
    if not isinstance(embedder, TaskEmbedder):
        raise CheckpointError(
            f"metanas.models.checkpoint.load_embedder returned {type(embedder).__name__}, which lacks check() / embed_task()"
        )
    return embedder
