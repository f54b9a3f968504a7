"""Meta-feature vectors of tasks, per modality, and their normalisation.

The raw vectors (`task_features`, `FEATURE_NAMES`, `feature_names`) are defined once, in
`metanas.similarity.meta_features`, next to the vector task similarity compares.

`FeatureNormalizer` standardises the vectors with the mean and standard deviation of the
training tasks; both are stored in the checkpoint's model card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metanas.exceptions import CheckpointError, InvalidTaskError
from metanas.similarity.meta_features import FEATURE_NAMES, feature_names, task_features
from metanas.tasks import TaskMetadata

__all__ = ["FEATURE_NAMES", "FeatureNormalizer", "feature_names", "task_features"]

@dataclass(frozen=True)
class FeatureNormalizer:
    """Standardisation ``(x - mean) / std`` of raw meta-feature vectors.

    Args:
        modality: ``"graph"`` or ``"image"``.
        names: feature names (must equal `feature_names(modality)` when used).
        mean: per-feature mean, shape ``[F]``.
        std: per-feature standard deviation (> 0), shape ``[F]``.
    """

    modality: str
    names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def fit(cls, tasks: Sequence[TaskMetadata], min_std: float = 1e-3) -> FeatureNormalizer:
        """Statistics of the training tasks (all of one modality).

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
        x = np.stack([task_features(t) for t in tasks])
        std = np.maximum(x.std(axis=0), min_std)
        return cls(modality, feature_names(modality), tuple(map(float, x.mean(axis=0))), tuple(map(float, std)))

    def transform(self, task: TaskMetadata) -> np.ndarray:
        """Normalised feature vector of a task (float32, shape ``[F]``).

        Raises:
            CheckpointError: the task's modality or feature set is not the one fitted.
        """
        self.check(task)
        return ((task_features(task) - np.asarray(self.mean)) / np.asarray(self.std)).astype(np.float32)

    def check(self, task: TaskMetadata) -> None:
        """Raise `CheckpointError` unless the task has this normaliser's modality and features."""
        if task.modality != self.modality:
            raise CheckpointError(
                f"the meta-learner was trained on {self.modality} tasks; task {task.task_id!r} is a "
                f"{task.modality} task"
            )
        current = feature_names(task.modality)
        if tuple(self.names) != current:
            raise CheckpointError(
                f"the checkpoint's meta-feature set {list(self.names)} differs from this version's "
                f"{list(current)} for {task.modality} tasks; retrain the checkpoint with `metanas train`"
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
