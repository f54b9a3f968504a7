"""Engine-neutral pieces of recording trials into the experiment database (Optuna and Ray Tune).

A trial is one evaluation of a search run at a fixed ``step`` (the Optuna trial number, the
Ray Tune trial's position); the database's unique ``(run, step)`` key makes a second
recording of the same trial impossible, so a duplicate callback call records nothing.
A trial that did not finish with a score is recorded with a flag metric and no objective,
so it is never a score:

* ``trial_failed``: it raised, or finished without a finite objective;
* ``trial_pruned``: Optuna pruned it;
* ``trial_stale``: its worker died mid-trial (it stayed RUNNING in the engine; see
  `metanas.integrations.optuna.fail_stale_trials`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from metanas.exceptions import ConfigError, DatabaseError
from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase

__all__ = ["FAILED", "PRUNED", "STALE", "record_once", "task_id_of"]

logger = logging.getLogger(__name__)

FAILED = "trial_failed"
PRUNED = "trial_pruned"
STALE = "trial_stale"


def task_id_of(task: TaskMetadata | str) -> str:
    """The id of ``task`` (a `TaskMetadata` or a non-empty id).

    Raises:
        ConfigError: neither.
    """
    if isinstance(task, TaskMetadata):
        return task.task_id
    if isinstance(task, str) and task:
        return task
    raise ConfigError(f"'task' must be a task id or a TaskMetadata, got {task!r}")


def record_once(db: ExperimentDatabase, run_id: int, graph: ModelGraph, metrics: dict[str, float], step: int,
                cost: float | None) -> bool:
    """Record one trial at ``step`` of ``run_id``; ``False`` (nothing written) if that step is recorded already.

    Raises:
        DatabaseError: the write failed for another reason (ended run, bad metric, ...).
    """
    try:
        db.record_evaluation(run_id, graph, metrics, step=step, cost=cost, cost_unit="seconds")
    except DatabaseError:
        if step in {e.step for e in db.trajectory(run_id)}:
            logger.debug("trial at step %d is already recorded in run %d", step, run_id)
            return False
        raise
    return True
