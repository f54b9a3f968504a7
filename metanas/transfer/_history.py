"""Past tasks as the transfer reads them: `PastTask` records, `history_from_db`, and the one
within-task quantile definition (`quantiles`) shared by the rankers, the meta-learner's targets
and the designs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, rankdata

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.protocols import HistoryReader
from metanas.spaces import SearchSpace
from metanas.validation import Direction

__all__ = ["PastTask", "as_past_tasks", "history_from_db", "normal_scores", "quantiles"]

logger = logging.getLogger(__name__)


def quantiles(values: np.ndarray) -> np.ndarray:
    """Within-set quantiles in ``[0, 1]`` (average rank of ties; one value gives 0.5)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return np.full(len(values), 0.5)
    return (rankdata(values, method="average") - 1.0) / (len(values) - 1.0)



def normal_scores(values: np.ndarray) -> np.ndarray:
    """Within-task standardised scores: the normal quantiles of the ranks (rank-based inverse
    normal transform, ``Phi^-1((rank - 0.5) / n)``, ties averaged).

    The targets of every linear head (the meta-learner's past heads and a new task's Bayesian
    head): scale-free like `quantiles`, and close to standard normal, as the Gaussian model
    assumes. One value gives 0.
    """
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return np.zeros(len(values))
    return norm.ppf((rankdata(values, method="average") - 0.5) / len(values))

@dataclass(frozen=True)
class PastTask:
    """The observations of one past task.

    Attributes:
        task_id: the task's id.
        graphs: evaluated architectures (valid in the search space searched now).
        values: their scores, shape ``[len(graphs)]``, higher is better (negate minimised
            objectives); only their order within the task is used.

    Raises:
        ConfigError: lengths differ, fewer than 2 observations, or a value is not finite.
    """

    task_id: str
    graphs: tuple[ModelGraph, ...]
    values: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "graphs", tuple(self.graphs))
        values = np.asarray(self.values, dtype=float).reshape(-1)
        if len(values) != len(self.graphs):
            raise ConfigError(f"PastTask {self.task_id!r}: {len(self.graphs)} graphs but {len(values)} values; "
                              "give one value per graph")
        if len(values) < 2:
            raise ConfigError(f"PastTask {self.task_id!r} needs >= 2 observations to rank, got {len(values)}")
        if not np.all(np.isfinite(values)):
            raise ConfigError(f"PastTask {self.task_id!r}: every value must be finite (NaN/inf found)")
        object.__setattr__(self, "values", values)


def history_from_db(db: HistoryReader, space: SearchSpace, task_ids: Iterable[str] | None = None,
                    exclude: Iterable[str] = ()) -> list[PastTask]:
    """Past tasks of an `ExperimentDatabase` as `PastTask` records (higher is better).

    Args:
        db: the experiment database (or another `metanas.protocols.HistoryReader`).
        space: the space searched now; architectures not valid in it are dropped.
        task_ids: tasks to read (``None``: every task of the database).
        exclude: task ids never read (the task searched now).

    Returns:
        One `PastTask` per task with >= 2 architectures valid in ``space``, in the given order.
    """
    skip = set(exclude)
    ids = [t.task_id for t in db.get_all_tasks()] if task_ids is None else list(task_ids)
    out = []
    for task_id in ids:
        if task_id in skip:
            continue
        _, direction = db.task_objective(task_id)
        sign = Direction(direction).sign
        graphs, values = [], []
        for graph, value in db.task_evaluations(task_id):
            try:
                graphs.append(graph if graph.space_id == space.id else space.validate(graph))
            except InvalidArchitectureError:
                continue
            values.append(sign * value)
        if len(graphs) >= 2:
            out.append(PastTask(task_id, tuple(graphs), np.array(values)))
        else:
            logger.info("past task %s has %d architecture(s) valid in space %r; not used", task_id, len(graphs),
                        space.id)
    return out


def as_past_tasks(history: Sequence[PastTask] | Mapping[str, Sequence] | None) -> list[PastTask]:
    if history is None:
        return []
    if isinstance(history, Mapping):
        out = []
        for task_id, pairs in history.items():
            pairs = list(pairs)
            out.append(PastTask(str(task_id), tuple(g for g, _ in pairs), np.array([v for _, v in pairs], float)))
        return out
    tasks = list(history)
    bad = [type(t).__name__ for t in tasks if not isinstance(t, PastTask)]
    if bad:
        raise ConfigError(f"'history' must hold PastTask records or map task ids to [(graph, value)], got {bad[0]}")
    return tasks
