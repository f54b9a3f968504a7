"""Meta-feature vectors of tasks, per modality, and their normalisation.

The raw vectors (`task_features`, `FEATURE_NAMES`, `feature_names`) are defined once, in
`metanas.similarity.meta_features`, next to the vector task similarity compares.

`FeatureNormalizer` standardises the vectors with the mean and standard deviation of the
training tasks; both are stored in the checkpoint's model card. A normaliser fitted with
``landmarks=True`` (the training setting ``landmark_features``) reads the landmark block too
(`metanas.similarity.meta_features.LANDMARK_FEATURE_NAMES`): its statistics come from the
training tasks that carry each landmark, and a landmark a task lacks becomes the training mean
(0 after standardisation) beside the explicit ``landmarks_missing`` indicator. The card's
``names`` say which set a checkpoint reads; the shipped checkpoints name the base set and are
read exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metanas.exceptions import CheckpointError, InvalidTaskError
from metanas.similarity.meta_features import FEATURE_NAMES, feature_names, task_features
from metanas.tasks import TaskMetadata

__all__ = [
    "FEATURE_NAMES",
    "LANDMARK_MIN_STD",
    "FeatureNormalizer",
    "feature_names",
    "known_mean_std",
    "std_floor",
    "task_features",
]

#: Floor of the standard deviation of the landmark block (values on [0, 1]): a landmark that is
#: constant over the training tasks (or carried by one of them) does not blow a new task's value
#: up to thousands of standard deviations; 0.1 apart is one unit.
LANDMARK_MIN_STD = 0.1


def known_mean_std(x: np.ndarray, min_std: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation of ``x`` ``[T, F]`` over its known (not NaN) entries.

    Args:
        x: raw feature vectors, NaN where a task lacks a value.
        min_std: floor of each standard deviation (a number or ``[F]``).

    Returns:
        ``(mean, std)``, each ``[F]``; 0 and 1 (floored) for a column without a known entry.
    """
    known = ~np.isnan(x)
    count = known.sum(axis=0)
    mean = np.divide(np.where(known, x, 0.0).sum(axis=0), count, out=np.zeros(x.shape[1]), where=count > 0)
    var = np.divide((np.where(known, x - mean, 0.0) ** 2).sum(axis=0), count, out=np.ones(x.shape[1]),
                    where=count > 0)
    return mean, np.maximum(np.sqrt(var), min_std)


def std_floor(modality: str, landmarks: bool, min_std: float = 1e-3) -> np.ndarray:
    """The floor of each feature's standard deviation: ``min_std``, `LANDMARK_MIN_STD` on the landmark block."""
    base = len(feature_names(modality))
    return np.array([min_std] * base + [LANDMARK_MIN_STD] * (len(feature_names(modality, landmarks)) - base))

@dataclass(frozen=True)
class FeatureNormalizer:
    """Standardisation ``(x - mean) / std`` of raw meta-feature vectors.

    Args:
        modality: ``"graph"``, ``"image"`` or ``"tabular"``.
        names: feature names (must equal `feature_names(modality)`, or
            `feature_names(modality, landmarks=True)`, when used).
        mean: per-feature mean, shape ``[F]``.
        std: per-feature standard deviation (> 0), shape ``[F]``.
    """

    modality: str
    names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @property
    def landmarks(self) -> bool:
        """Whether the normaliser reads the landmark block (its names are the landmark set)."""
        return self.modality in FEATURE_NAMES and tuple(self.names) == feature_names(self.modality, landmarks=True)

    @classmethod
    def fit(cls, tasks: Sequence[TaskMetadata], min_std: float = 1e-3, *, landmarks: bool = False) -> FeatureNormalizer:
        """Statistics of the training tasks (all of one modality).

        Args:
            tasks: the training tasks.
            min_std: floor of each standard deviation.
            landmarks: read the landmark block too (mean and standard deviation over the tasks
                that carry each landmark, the latter at least `LANDMARK_MIN_STD`; 0 and 1 for a
                landmark none carries).

        Raises:
            InvalidTaskError: no task, or tasks of several modalities.
        """
        if not tasks:
            raise InvalidTaskError("FeatureNormalizer.fit needs at least one task")
        modalities = {t.modality for t in tasks}
        if len(modalities) != 1:
            raise InvalidTaskError(
                f"the training tasks of one meta-learner must share a modality, got {sorted(modalities)}"
            )
        modality = modalities.pop()
        x = np.stack([task_features(t, landmarks) for t in tasks])
        mean, std = known_mean_std(x, std_floor(modality, landmarks, min_std))
        return cls(modality, feature_names(modality, landmarks), tuple(map(float, mean)), tuple(map(float, std)))

    def transform(self, task: TaskMetadata) -> np.ndarray:
        """Normalised feature vector of a task (float32, shape ``[F]``).

        Raises:
            CheckpointError: the task's modality or feature set is not the one fitted.
        """
        self.check(task)
        z = (task_features(task, self.landmarks) - np.asarray(self.mean)) / np.asarray(self.std)
        return np.nan_to_num(z, nan=0.0).astype(np.float32)  # a lacking landmark: the training mean

    def check(self, task: TaskMetadata) -> None:
        """Raise `CheckpointError` unless the task has this normaliser's modality and features."""
        if task.modality != self.modality:
            raise CheckpointError(
                f"the meta-learner was trained on {self.modality} tasks; task {task.task_id!r} is a "
                f"{task.modality} task"
            )
        current = feature_names(task.modality)
        if tuple(self.names) not in (current, feature_names(task.modality, landmarks=True)):
            raise CheckpointError(
                f"the checkpoint's meta-feature set {list(self.names)} differs from this version's "
                f"{list(current)} (or that set with the landmarks) for {task.modality} tasks; retrain the "
                "checkpoint with `metanas train`"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {"modality": self.modality, "names": list(self.names), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureNormalizer:
        """Inverse of `to_dict`.

        Raises:
            CheckpointError: a key is missing or the lengths disagree.
        """
        missing = [k for k in ("modality", "names", "mean", "std") if k not in data]
        if missing:
            raise CheckpointError(f"model card 'meta_features' lacks {missing}")
        names, mean, std = tuple(data["names"]), tuple(data["mean"]), tuple(data["std"])
        if not (len(names) == len(mean) == len(std)) or not all(float(s) > 0 for s in std):
            raise CheckpointError(
                "model card 'meta_features' must hold names, mean and std of equal length with std > 0, "
                f"got {len(names)}, {len(mean)}, {len(std)}"
            )
        return cls(str(data["modality"]), names, tuple(map(float, mean)), tuple(map(float, std)))
