"""`TaskMetadata`: what metanas knows about a task (a dataset and a problem), and meta-feature
extraction from real data.

Image tasks carry ``input_size`` (C, H, W); graph tasks carry ``input_size=None`` and their
statistics in ``meta_features`` (``num_nodes``, ``num_edges``, ``num_node_features``,
``num_classes``), with ``num_samples == num_nodes``. Tabular tasks (``tabular_classification``,
``tabular_regression``: rows of numeric features) carry ``input_size=None`` and at least
``num_features`` in ``meta_features`` (`tabular_meta_features` adds the class entropy and balance);
a regression task has ``num_classes == 1`` (one predicted value).

With the search's training rows (``train_index``), the ``task_from_*`` functions add the
landmark meta-features of `metanas.landmarks` (homophilies and cheap-model accuracies, in
[0, 1]); tasks without them (benchmark tables, tasks recorded before) remain valid.

The problem type is an open label (`check_problem_type`). The kinds metanas knows
(`KNOWN_PROBLEM_TYPES`) name their modality; a task of another kind shows its modality by its
shape (`modality_of`): ``input_size`` given: image; the four graph counts (`GRAPH_FEATURES`):
graph; ``num_features``: tabular. Task similarity treats a different problem type of the same
modality as a weaker relation, and a different modality as none
(`metanas.similarity.task.kind_factor`).
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from numbers import Real
from types import MappingProxyType
from typing import Any

import numpy as np

from metanas.exceptions import InvalidTaskError
from metanas.landmarks import graph_landmarks, sample_landmarks

__all__ = [
    "BIDI_CONTROLS",
    "GRAPH_FEATURES",
    "GRAPH_PROBLEM_TYPES",
    "IMAGE_PROBLEM_TYPES",
    "INT32_MAX",
    "INT64_MAX",
    "KNOWN_PROBLEM_TYPES",
    "MAX_NAME_LENGTH",
    "MAX_PROBLEM_TYPE_LENGTH",
    "MODALITIES",
    "PROBLEM_TYPES",
    "TABULAR_FEATURES",
    "TABULAR_PROBLEM_TYPES",
    "TaskMetadata",
    "check_label",
    "check_problem_type",
    "graph_meta_features",
    "image_meta_features",
    "modality_of",
    "tabular_meta_features",
    "task_from_graph",
    "task_from_images",
    "task_from_table",
]

logger = logging.getLogger(__name__)

#: The modalities of tasks: what their data are (images, graphs, rows of numeric features).
MODALITIES: tuple[str, ...] = ("image", "graph", "tabular")
#: Known problem types of image tasks (``classification`` as the seed writes it).
IMAGE_PROBLEM_TYPES: frozenset[str] = frozenset({"classification", "detection", "segmentation", "regression"})
#: Known problem types of graph tasks.
GRAPH_PROBLEM_TYPES: frozenset[str] = frozenset(
    {"node_classification", "node_multilabel_classification", "graph_classification", "link_prediction"}
)
#: Known problem types of tabular tasks (rows of numeric features).
TABULAR_PROBLEM_TYPES: frozenset[str] = frozenset({"tabular_classification", "tabular_regression"})
#: The problem types metanas knows, each with its modality. The set is open: `TaskMetadata`
#: accepts any other label (`check_problem_type`) and reads its modality from the task's shape.
KNOWN_PROBLEM_TYPES: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(sorted(IMAGE_PROBLEM_TYPES), "image"),
    **dict.fromkeys(sorted(GRAPH_PROBLEM_TYPES), "graph"),
    **dict.fromkeys(sorted(TABULAR_PROBLEM_TYPES), "tabular"),
})
#: The known problem types (the keys of `KNOWN_PROBLEM_TYPES`).
PROBLEM_TYPES: frozenset[str] = frozenset(KNOWN_PROBLEM_TYPES)
#: Longest problem type (the database's column width), in characters.
MAX_PROBLEM_TYPE_LENGTH = 64
#: Meta-features every tabular task must carry.
TABULAR_FEATURES: tuple[str, ...] = ("num_features",)
#: Meta-features every graph task must carry.
GRAPH_FEATURES: tuple[str, ...] = ("num_nodes", "num_edges", "num_node_features", "num_classes")
#: Longest task id, dataset name and meta-feature name (the database's column width), in characters.
MAX_NAME_LENGTH = 200
#: Bounds of stored integers: counts of samples and graph statistics (64-bit), classes and image sizes (32-bit).
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1


#: Bidirectional format characters (embeddings, overrides, isolates, marks): they reorder how a
#: name is displayed, so that a shown id differs from the stored one ("Trojan Source").
BIDI_CONTROLS: frozenset[str] = frozenset(
    chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)


def check_label(value: object, what: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """Validate a stored name: a non-empty string of at most ``max_length`` characters without
    control characters (NUL, newline, escape...) or lone surrogates, which some backends
    refuse and terminals interpret, nor bidirectional format characters (`BIDI_CONTROLS`),
    which make a name display as another.

    Args:
        value: the name.
        what: what it is, for the message (e.g. ``"TaskMetadata.task_id"``).
        max_length: the longest allowed.

    Returns:
        ``value``.

    Raises:
        ValueError: ``value`` breaks a rule (callers re-raise their own error type).
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    if len(value) > max_length:
        raise ValueError(f"{what} must be at most {max_length} characters, got {len(value)}: {value[:40]!r}...")
    bad = sorted({c for c in value if unicodedata.category(c) in ("Cc", "Cs") or c in BIDI_CONTROLS})
    if bad:
        raise ValueError(
            f"{what} must not hold control characters (NUL, newline, escape), bidirectional format characters "
            f"(U+202E and the like, which reorder the text shown) or lone surrogates, got {value[:60]!r} with "
            f"{bad[:5]} ({', '.join(f'U+{ord(c):04X}' for c in bad[:5])})"
        )
    return value


def check_problem_type(value: object, what: str = "TaskMetadata.problem_type") -> str:
    """Validate a problem type: a known kind (`KNOWN_PROBLEM_TYPES`) or another label of at most
    `MAX_PROBLEM_TYPE_LENGTH` characters (`check_label`'s rules).

    Problem types are compared exactly: ``"Detection"`` is another type than ``"detection"``.

    Args:
        value: the problem type.
        what: what it is, for the message.

    Returns:
        ``value``.

    Raises:
        InvalidTaskError: ``value`` is not a string, is empty, too long, or holds control characters.
    """
    try:
        return check_label(value, what, MAX_PROBLEM_TYPE_LENGTH)
    except ValueError as exc:
        raise InvalidTaskError(f"{exc}; known problem types: {sorted(KNOWN_PROBLEM_TYPES)}") from None


def modality_of(problem_type: str, input_size: object, meta_features: Mapping[str, object]) -> str | None:
    """The modality of a task: its known problem type's (`KNOWN_PROBLEM_TYPES`), else read from its shape.

    A task of another problem type is an image task when it has an ``input_size``, a graph task
    when its ``meta_features`` hold the four graph counts (`GRAPH_FEATURES`) and no
    ``num_features``, a tabular task when they hold ``num_features`` and not all graph counts.

    Args:
        problem_type: the task's problem type.
        input_size: its ``input_size``.
        meta_features: its meta-features.

    Returns:
        ``"image"``, ``"graph"`` or ``"tabular"``; ``None`` when the shape shows none or both of
        graph and tabular.
    """
    known = KNOWN_PROBLEM_TYPES.get(problem_type)
    if known is not None:
        return known
    if input_size is not None:
        return "image"
    graph = all(k in meta_features for k in GRAPH_FEATURES)
    tabular = all(k in meta_features for k in TABULAR_FEATURES)
    if graph != tabular:
        return "graph" if graph else "tabular"
    return None


def _check_int(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        shown = value if not isinstance(value, int) or abs(value) < 10**30 else f"an integer of {len(str(value))} digits"
        raise InvalidTaskError(f"{what} must be a positive integer, an integer in [{low}, {high}], got {shown!r}")
    return int(value)


@dataclass(frozen=True)
class TaskMetadata:
    """Metadata describing a task.

    Args:
        task_id: unique id, e.g. ``nb201/cifar10`` or ``nbg/cora``.
        dataset_name: human-readable dataset name.
        num_samples: training samples (nodes for node-level graph tasks); > 0.
        num_classes: classes (targets for multi-label tasks); > 0.
        input_size: ``(C, H, W)`` for image tasks; ``None`` for graph and tabular tasks.
        problem_type: a known kind (`KNOWN_PROBLEM_TYPES`) or another label (`check_problem_type`);
            a task of another kind shows its modality by its shape (`modality_of`).
        meta_features: further named statistics (finite floats).

    Raises:
        InvalidTaskError: a value is missing, of the wrong type or out of range.
    """

    task_id: str
    dataset_name: str
    num_samples: int
    num_classes: int
    input_size: tuple[int, int, int] | None
    problem_type: str
    meta_features: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            check_label(self.task_id, "TaskMetadata.task_id")
            check_label(self.dataset_name, f"TaskMetadata.dataset_name of task {self.task_id!r}")
        except ValueError as exc:
            raise InvalidTaskError(str(exc)) from None
        object.__setattr__(self, "num_samples", _check_int(
            self.num_samples, f"TaskMetadata.num_samples of task {self.task_id!r}", 1, INT64_MAX))
        object.__setattr__(self, "num_classes", _check_int(
            self.num_classes, f"TaskMetadata.num_classes of task {self.task_id!r}", 1, INT32_MAX))
        check_problem_type(self.problem_type, f"TaskMetadata.problem_type of task {self.task_id!r}")
        modality = modality_of(self.problem_type, self.input_size, self._feature_keys())
        if modality is None:
            raise InvalidTaskError(
                f"TaskMetadata of task {self.task_id!r} must show the modality of its problem type "
                f"{self.problem_type!r}, which is not a known kind ({sorted(KNOWN_PROBLEM_TYPES)}): an input_size "
                f"(C, H, W) for an image task, meta_features {list(GRAPH_FEATURES)} for a graph task, or "
                f"meta_features {list(TABULAR_FEATURES)} for a tabular task (one of the two, not both)"
            )
        if modality == "image":
            size = self.input_size
            if (
                size is None
                or len(tuple(size)) != 3
                or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or not 0 < x <= INT32_MAX
                       for x in size)
            ):
                raise InvalidTaskError(
                    f"TaskMetadata.input_size of image task {self.task_id!r} must be (C, H, W) with integers in "
                    f"[1, {INT32_MAX}], got {size!r}"
                )
            object.__setattr__(self, "input_size", tuple(int(x) for x in size))
        elif self.input_size is not None:
            raise InvalidTaskError(
                f"TaskMetadata.input_size of {modality} task {self.task_id!r} must be None ({modality} statistics go "
                f"in meta_features), got {self.input_size!r}"
            )
        feats = self._checked_features()
        if modality == "graph":
            missing = [k for k in GRAPH_FEATURES if k not in feats]
            if missing:
                raise InvalidTaskError(
                    f"TaskMetadata.meta_features of graph task {self.task_id!r} lacks {missing}; graph tasks "
                    f"carry {list(GRAPH_FEATURES)} (task_from_graph computes them)"
                )
            for k in GRAPH_FEATURES:
                low = 0 if k == "num_edges" else 1
                f = feats[k]
                if not f.is_integer() or not low <= f <= INT64_MAX:
                    raise InvalidTaskError(
                        f"TaskMetadata.meta_features[{k!r}] of task {self.task_id!r} must be an integer in "
                        f"[{low}, {INT64_MAX}] (a count), got {f}"
                    )
        if modality == "tabular":
            f = feats.get("num_features")
            if f is None or not f.is_integer() or not 1 <= f <= INT64_MAX:
                raise InvalidTaskError(
                    f"TaskMetadata.meta_features['num_features'] of tabular task {self.task_id!r} must be an integer "
                    f"in [1, {INT64_MAX}] (the feature columns; task_from_table computes it), got {f}"
                )
            if self.problem_type == "tabular_regression" and self.num_classes != 1:
                raise InvalidTaskError(
                    f"TaskMetadata.num_classes of regression task {self.task_id!r} must be 1 (one predicted value), "
                    f"got {self.num_classes}"
                )
        object.__setattr__(self, "meta_features", feats)

    def _feature_keys(self) -> Mapping[str, object]:
        return self.meta_features if isinstance(self.meta_features, Mapping) else {}

    def _checked_features(self) -> dict[str, float]:
        if not isinstance(self.meta_features, Mapping):
            raise InvalidTaskError(
                f"TaskMetadata.meta_features of task {self.task_id!r} must be a mapping name -> number"
            )
        feats: dict[str, float] = {}
        for key, value in self.meta_features.items():
            try:
                check_label(key, f"TaskMetadata.meta_features key of task {self.task_id!r}")
            except ValueError as exc:
                raise InvalidTaskError(str(exc)) from None
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
                raise InvalidTaskError(
                    f"TaskMetadata.meta_features[{key!r}] of task {self.task_id!r} must be a number, got "
                    f"{type(value).__name__} {value!r:.60}; convert it (text is not read as a number)"
                )
            try:
                f = float(value)
            except OverflowError:
                f = math.nan
            if not math.isfinite(f):
                raise InvalidTaskError(
                    f"TaskMetadata.meta_features[{key!r}] of task {self.task_id!r} must be a finite number, got {value!r}"
                )
            feats[key] = f
        return feats

    @property
    def modality(self) -> str:
        """``"image"``, ``"graph"`` or ``"tabular"`` (`modality_of`; `TaskMetadata` refuses a task without one)."""
        return modality_of(self.problem_type, self.input_size, self.meta_features)  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (inverse: `from_dict`)."""
        return {
            "task_id": self.task_id,
            "dataset_name": self.dataset_name,
            "num_samples": self.num_samples,
            "num_classes": self.num_classes,
            "input_size": list(self.input_size) if self.input_size is not None else None,
            "problem_type": self.problem_type,
            "meta_features": dict(self.meta_features),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskMetadata:
        """Build from `to_dict` output; missing keys raise `InvalidTaskError` naming them."""
        required = ("task_id", "dataset_name", "num_samples", "num_classes", "problem_type")
        missing = [k for k in required if k not in data]
        if missing:
            raise InvalidTaskError(f"task metadata lacks {missing}; required keys: {list(required)}")
        size = data.get("input_size")
        return cls(
            task_id=data["task_id"],
            dataset_name=data["dataset_name"],
            num_samples=data["num_samples"],
            num_classes=data["num_classes"],
            input_size=tuple(size) if size is not None else None,
            problem_type=data["problem_type"],
            meta_features=dict(data.get("meta_features") or {}),
        )

    def with_id(self, task_id: str) -> TaskMetadata:
        """A copy under another id."""
        return replace(self, task_id=task_id)


# --------------------------------------------------------------------------- extraction
def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensor, duck-typed so torch is not imported here
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def image_meta_features(images: Any, labels: Any, channels_last: bool | None = None) -> dict[str, Any]:
    """Statistics of an image dataset.

    Args:
        images: array or tensor of shape ``[N, C, H, W]`` or ``[N, H, W, C]`` (or ``[N, H, W]``
            for one channel).
        labels: array or tensor of shape ``[N]`` with integer class labels.
        channels_last: layout; ``None`` guesses ``NHWC`` when the last axis has 1, 3 or 4
            entries and the second does not.

    Returns:
        ``num_samples``, ``num_classes``, ``input_size`` (C, H, W) and ``meta_features``
        (pixel mean and std, class entropy normalised to [0, 1], minority/majority ratio).

    Raises:
        InvalidTaskError: shapes do not match or the dataset is empty.
    """
    x = _to_numpy(images)
    y = _to_numpy(labels).reshape(-1)
    if x.ndim == 3:
        x = x[:, None]
        channels_last = False
    if x.ndim != 4 or x.shape[0] == 0:
        raise InvalidTaskError(f"images must have shape [N, C, H, W] or [N, H, W, C] with N > 0, got {x.shape}")
    if y.shape[0] != x.shape[0]:
        raise InvalidTaskError(f"labels must hold one label per image: {y.shape[0]} labels for {x.shape[0]} images")
    if channels_last is None:
        channels_last = x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4)
    if channels_last:
        x = np.moveaxis(x, -1, 1)
    n, c, h, w = x.shape
    classes, counts = np.unique(y, return_counts=True)
    p = counts / counts.sum()
    entropy = float(-(p * np.log(p)).sum() / np.log(len(p))) if len(p) > 1 else 0.0
    xf = x.astype(np.float64)
    return {
        "num_samples": int(n),
        "num_classes": len(classes),
        "input_size": (int(c), int(h), int(w)),
        "meta_features": {
            "pixel_mean": float(xf.mean()),
            "pixel_std": float(xf.std()),
            "class_entropy": entropy,
            "class_imbalance": float(counts.min() / counts.max()),
        },
    }


def tabular_meta_features(x: Any, y: Any, problem: str) -> dict[str, Any]:
    """Statistics of a tabular dataset.

    Args:
        x: array of shape ``[N, F]`` of numeric features.
        y: array of shape ``[N]``: class labels (classification) or values (regression).
        problem: ``"classification"`` or ``"regression"``.

    Returns:
        ``num_samples``, ``num_classes`` (1 for regression) and ``meta_features``:
        ``num_features``, and for classification ``class_entropy`` (normalised to [0, 1]) and
        ``class_imbalance`` (minority / majority count); for regression ``target_std``.

    Raises:
        InvalidTaskError: shapes do not match, the dataset is empty or ``problem`` is unknown.
    """
    xa, ya = _to_numpy(x), _to_numpy(y).reshape(-1)
    if xa.ndim != 2 or xa.shape[0] == 0 or xa.shape[1] == 0:
        raise InvalidTaskError(f"tabular features must have shape [N, F] with N, F > 0, got {xa.shape}")
    if ya.shape[0] != xa.shape[0]:
        raise InvalidTaskError(f"tabular targets must hold one value per row: {ya.shape[0]} for {xa.shape[0]} rows")
    n, f = xa.shape
    feats: dict[str, float] = {"num_features": float(f)}
    if problem == "classification":
        _, counts = np.unique(ya, return_counts=True)
        p = counts / counts.sum()
        feats["class_entropy"] = float(-(p * np.log(p)).sum() / np.log(len(p))) if len(p) > 1 else 0.0
        feats["class_imbalance"] = float(counts.min() / counts.max())
        num_classes = len(counts)
    elif problem == "regression":
        feats["target_std"] = float(np.asarray(ya, dtype=np.float64).std())
        num_classes = 1
    else:
        raise InvalidTaskError(f"tabular problem must be 'classification' or 'regression', got {problem!r}")
    return {"num_samples": int(n), "num_classes": num_classes, "meta_features": feats}


def graph_meta_features(data: Any) -> dict[str, float]:
    """Statistics of a graph given as a PyG ``Data`` (duck-typed: ``x``, ``edge_index``, ``y``).

    Returns:
        ``num_nodes``, ``num_edges`` (directed, as stored), ``num_node_features``,
        ``num_classes`` (columns of a 2-D multi-label ``y``, else distinct labels),
        ``avg_degree`` and ``density``.

    Raises:
        InvalidTaskError: the object lacks ``edge_index`` or ``y``, or has no nodes.
    """
    for attr in ("edge_index", "y"):
        if getattr(data, attr, None) is None:
            raise InvalidTaskError(f"graph data must have the attribute {attr!r} (a PyG Data object)")
    x = getattr(data, "x", None)
    num_nodes = getattr(data, "num_nodes", None)
    if num_nodes is None:
        num_nodes = _to_numpy(x).shape[0] if x is not None else 0
    if not num_nodes:
        raise InvalidTaskError("graph data has no nodes")
    edge_index = _to_numpy(data.edge_index)
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise InvalidTaskError(f"graph data 'edge_index' must have shape [2, E], got {edge_index.shape}")
    y = _to_numpy(data.y)
    if y.ndim == 2 and y.shape[1] > 1:
        num_classes = int(y.shape[1])
    else:
        num_classes = int(np.unique(y.reshape(-1)[~np.isnan(y.reshape(-1).astype(float))]).size)
    num_edges = int(edge_index.shape[1])
    num_features = int(_to_numpy(x).shape[1]) if x is not None and _to_numpy(x).ndim == 2 else 1
    return {
        "num_nodes": float(num_nodes),
        "num_edges": float(num_edges),
        "num_node_features": float(num_features),
        "num_classes": float(max(num_classes, 1)),
        "avg_degree": num_edges / num_nodes,
        "density": num_edges / (num_nodes * max(num_nodes - 1, 1)),
    }


def task_from_images(
    task_id: str, dataset_name: str, images: Any, labels: Any, problem_type: str = "classification", *,
    train_index: Any = None,
) -> TaskMetadata:
    """`TaskMetadata` of an image dataset (see `image_meta_features`).

    Args:
        task_id: the task's id.
        dataset_name: its human-readable name.
        images: ``[N, C, H, W]`` or ``[N, H, W, C]`` images.
        labels: ``[N]`` class labels.
        problem_type: one of `IMAGE_PROBLEM_TYPES`.
        train_index: the search's training rows (indices or a boolean mask): when given, the
            landmark meta-features (`metanas.landmarks.sample_landmarks`) are added, computed
            from those rows' labels only.
    """
    stats = image_meta_features(images, labels)
    feats = dict(stats["meta_features"])
    if train_index is not None:
        feats.update(sample_landmarks(_to_numpy(images), _to_numpy(labels), train_index))
    return TaskMetadata(task_id, dataset_name, stats["num_samples"], stats["num_classes"],
                        stats["input_size"], problem_type, feats)


def task_from_graph(
    task_id: str, dataset_name: str, data: Any, problem_type: str = "node_classification", *,
    train_index: Any = None,
) -> TaskMetadata:
    """`TaskMetadata` of a node-level graph task (see `graph_meta_features`).

    Args:
        task_id: the task's id.
        dataset_name: its human-readable name.
        data: a PyG ``Data`` (duck-typed: ``x``, ``edge_index``, ``y``).
        problem_type: one of `GRAPH_PROBLEM_TYPES`.
        train_index: the search's training nodes (indices or a boolean mask): when given and
            the task is a single-label node classification with node features, the
            homophilies and landmark accuracies (`metanas.landmarks.graph_landmarks`) are
            added, computed from those nodes' labels only.
    """
    feats = graph_meta_features(data)
    y = _to_numpy(data.y)
    x = getattr(data, "x", None)
    if train_index is not None:
        if problem_type == "node_classification" and x is not None and (y.ndim == 1 or y.shape[1] == 1):
            feats.update(graph_landmarks(x, data.edge_index, y.reshape(-1), train_index))
        else:
            logger.info("task %s: no landmarks for a %s task%s", task_id, problem_type,
                        "" if x is not None else " without node features")
    return TaskMetadata(task_id, dataset_name, int(feats["num_nodes"]), int(feats["num_classes"]),
                        None, problem_type, feats)


def task_from_table(
    task_id: str, dataset_name: str, x: Any, y: Any, problem: str = "classification", *, train_index: Any = None,
) -> TaskMetadata:
    """`TaskMetadata` of a tabular dataset (``tabular_<problem>``; see `tabular_meta_features`).

    Args:
        task_id: the task's id.
        dataset_name: its human-readable name.
        x: ``[N, F]`` numeric features.
        y: ``[N]`` class labels or values.
        problem: ``"classification"`` or ``"regression"``.
        train_index: the search's training rows (indices or a boolean mask): when given, the
            landmark meta-features (`metanas.landmarks.sample_landmarks`) are added, computed
            from those rows' targets only.
    """
    stats = tabular_meta_features(x, y, problem)
    feats = dict(stats["meta_features"])
    if train_index is not None:
        feats.update(sample_landmarks(_to_numpy(x), _to_numpy(y), train_index, problem))
    return TaskMetadata(task_id, dataset_name, stats["num_samples"], stats["num_classes"], None,
                        f"tabular_{problem}", feats)
