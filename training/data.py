"""`HistoryDataModule`: (task, architecture, outcome) triples from an experiment database.

Any history works (benchmark imports, recorded runs): for each task the database's
`task_evaluations` gives every distinct architecture with its best objective value. The
outcomes become within-task targets (direction taken into account), so only within-task
order matters: quantiles (1 = best) for the ranking losses and standardised scores
(`metanas.transfer.normal_scores` of all the task's rows) for the regression loss. Architectures are deduplicated across tasks by the space's key
and held out for validation as a whole (a held-out architecture is unseen on every task).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.spaces import get_space
from metanas.tasks import TaskMetadata
from metanas.transfer import normal_scores
from metanas.validation import Direction

from ..models.features import FeatureNormalizer
from ..models.graphs import GraphTable
from ..models.losses import within_task_quantiles

if TYPE_CHECKING:
    from metanas.protocols import HistoryReader

__all__ = ["HistoryDataModule", "TaskData"]

logger = logging.getLogger(__name__)


@dataclass
class TaskData:
    """One training task's outcomes.

    Attributes:
        task: its metadata.
        metric: objective metric name.
        direction: ``"maximize"`` or ``"minimize"``.
        train_arch: architecture indices (into the data module's `graphs`) for training.
        train_target: their within-task quantiles.
        val_arch: held-out architecture indices.
        val_target: their quantiles.
        train_score: the training architectures' within-task standardised scores
            (`metanas.transfer.normal_scores` of all the task's rows, higher = better).
        val_score: the held-out architectures' standardised scores.
    """

    task: TaskMetadata
    metric: str
    direction: str
    train_arch: np.ndarray
    train_target: np.ndarray
    val_arch: np.ndarray
    val_target: np.ndarray
    train_score: np.ndarray
    val_score: np.ndarray

    def __post_init__(self) -> None:
        if not (len(self.train_arch) == len(self.train_target) == len(self.train_score)
                and len(self.val_arch) == len(self.val_target) == len(self.val_score)):
            raise ValueError(f"TaskData of {self.task.task_id}: indices and targets must align")


class _StepStream(IterableDataset):
    """Yields ``steps`` mini-batches per pass; pass ``k`` draws from ``default_rng([seed, k])``."""

    def __init__(self, tasks: Sequence[TaskData], steps: int, per_task: int, seed: int) -> None:
        self.tasks, self.steps, self.per_task, self.seed = tasks, steps, per_task, seed
        self.epoch = 0

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        for _ in range(self.steps):
            groups, archs, targets, scores = [], [], [], []
            for t, td in enumerate(self.tasks):
                n = len(td.train_arch)
                pick = rng.choice(n, size=min(self.per_task, n), replace=False)
                archs.append(td.train_arch[pick])
                targets.append(td.train_target[pick])
                scores.append(td.train_score[pick])
                groups.append(np.full(len(pick), t))
            arch = np.concatenate(archs)
            uniq, pos = np.unique(arch, return_inverse=True)
            yield {
                "arch": torch.from_numpy(uniq),
                "pos": torch.from_numpy(pos.astype(np.int64)),
                "group": torch.from_numpy(np.concatenate(groups).astype(np.int64)),
                "target": torch.from_numpy(np.concatenate(targets).astype(np.float32)),
                "score": torch.from_numpy(np.concatenate(scores).astype(np.float32)),
            }


class HistoryDataModule(L.LightningDataModule):
    """Reads the history of one search space from an experiment database.

    Args:
        db: an `ExperimentDatabase` (or another `metanas.protocols.HistoryReader`: ``get_all_tasks``,
            ``task_objective`` and ``task_evaluations``).
        space_id: only evaluations of architectures of this space are used; tasks with fewer
            than ``min_evaluations`` of them are skipped (logged).
        exclude_tasks: task ids that must not reach training (leave-one-task-out).
        val_fraction: share of distinct architectures held out for validation.
        archs_per_task: architectures drawn per task in each training step.
        steps_per_epoch: training steps per epoch.
        min_evaluations: minimum evaluations for a task to be used.
        seed: seed of the validation split and of the step sampling.
        landmarks: the task encoder reads the landmark meta-features too (`FeatureNormalizer`
            with ``landmarks=True``; tasks without them get the training mean and the
            ``landmarks_missing`` indicator).

    Raises:
        ConfigError: no task is left, or the tasks mix modalities.
    """

    def __init__(
        self,
        db: HistoryReader,
        space_id: str,
        exclude_tasks: Sequence[str] = (),
        *,
        val_fraction: float = 0.15,
        archs_per_task: int = 128,
        steps_per_epoch: int = 10,
        min_evaluations: int = 10,
        seed: int = 0,
        landmarks: bool = False,
    ) -> None:
        super().__init__()
        self.landmarks = bool(landmarks)
        self.db = db
        self.space = get_space(space_id)
        self.space_id = self.space.id
        self.exclude_tasks = tuple(exclude_tasks)
        self.val_fraction = val_fraction
        self.archs_per_task = archs_per_task
        self.steps_per_epoch = steps_per_epoch
        self.min_evaluations = min_evaluations
        self.seed = seed
        self.tasks: list[TaskData] = []
        self.graphs: list[ModelGraph] = []
        self.table: GraphTable | None = None
        self.normalizer: FeatureNormalizer | None = None
        self.features: torch.Tensor | None = None
        self._stream: _StepStream | None = None

    # ------------------------------------------------------------------ loading
    def setup(self, stage: str | None = None) -> None:
        """Read the database once (later calls do nothing)."""
        if self.table is not None:
            return
        excluded = set(self.exclude_tasks)
        raw: list[tuple[TaskMetadata, str, str, list[tuple[int, float]]]] = []
        key_index: dict[str, int] = {}
        for task in self.db.get_all_tasks():
            if task.task_id in excluded:
                logger.info("task %s excluded from training", task.task_id)
                continue
            metric, direction = self.db.task_objective(task.task_id)
            rows: list[tuple[int, float]] = []
            for graph, value in self.db.task_evaluations(task.task_id):
                if graph.space_id != self.space_id and not self.space.contains(graph):
                    continue
                key = self.space.key(graph)
                if key not in key_index:
                    key_index[key] = len(self.graphs)
                    self.graphs.append(graph)
                rows.append((key_index[key], float(value)))
            if len(rows) < self.min_evaluations:
                if rows:
                    logger.info("task %s skipped: %d evaluation(s) in space %s, fewer than min_evaluations=%d",
                                task.task_id, len(rows), self.space_id, self.min_evaluations)
                continue
            raw.append((task, metric, direction, rows))
        if not raw:
            raise ConfigError(
                f"the database has no task with at least {self.min_evaluations} evaluations in space "
                f"{self.space_id!r} (excluded: {sorted(excluded)}); import or record some history first"
            )
        rng = np.random.default_rng([self.seed, 7919])
        is_val = np.zeros(len(self.graphs), dtype=bool)
        n_val = round(self.val_fraction * len(self.graphs))
        is_val[rng.permutation(len(self.graphs))[:n_val]] = True
        for task, metric, direction, rows in raw:
            arch = np.array([a for a, _ in rows], dtype=np.int64)
            values = np.array([v for _, v in rows])
            q = within_task_quantiles(values, direction)
            z = normal_scores(Direction(direction).sign * values)
            val = is_val[arch]
            self.tasks.append(TaskData(task, metric, direction, arch[~val], q[~val].astype(np.float32),
                                       arch[val], q[val].astype(np.float32), z[~val].astype(np.float32),
                                       z[val].astype(np.float32)))
        self.table = GraphTable(self.graphs, self.space.ops)
        self.normalizer = FeatureNormalizer.fit([td.task for td in self.tasks], landmarks=self.landmarks)
        self.features = torch.from_numpy(np.stack([self.normalizer.transform(td.task) for td in self.tasks]))
        self._stream = _StepStream(self.tasks, self.steps_per_epoch, self.archs_per_task, self.seed)
        logger.info("history of space %s: %d task(s), %d distinct architecture(s), %d held out",
                    self.space_id, len(self.tasks), len(self.graphs), n_val)

    @property
    def task_ids(self) -> list[str]:
        """Ids of the training tasks, in offset-table order."""
        return [td.task.task_id for td in self.tasks]

    def summary(self) -> list[dict[str, Any]]:
        """Per training task: metadata, metric, direction and counts (for the model card)."""
        return [
            {"task_id": td.task.task_id, "task": td.task.to_dict(), "metric": td.metric, "direction": td.direction,
             "num_train": len(td.train_arch), "num_val": len(td.val_arch)}
            for td in self.tasks
        ]

    # ------------------------------------------------------------------ loaders
    def train_dataloader(self) -> DataLoader:
        return DataLoader(self._stream, batch_size=None, num_workers=0)

    def val_dataloader(self) -> DataLoader:
        return DataLoader([0], batch_size=None, num_workers=0)
