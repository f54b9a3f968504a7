"""Domain records the experiment database returns (frozen dataclasses, no ORM state)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from metanas.graph import ModelGraph

__all__ = ["Evaluation", "Objective", "RunInfo", "TopEvaluation"]


class Objective(NamedTuple):
    """A task's objective (a tuple, so ``metric, direction = db.task_objective(task_id)`` unpacks it).

    Attributes:
        metric: the metric name the task is scored by (e.g. ``"val_acc"``).
        direction: ``"maximize"`` or ``"minimize"``.
    """

    metric: str
    direction: str


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of a run's trajectory.

    Attributes:
        run_id: the run.
        step: position in the run (0, 1, ...); a trajectory is ordered by it.
        graph: the evaluated architecture, tagged with the run's search space.
        metrics: metric name -> value (e.g. ``val_acc``, ``latency``, ``test_acc_200ep``).
        cost: what the evaluation cost, in ``cost_unit``; ``None`` when unknown (table lookups).
        cost_unit: ``"seconds"`` or ``"epochs"``.
        created_at: when it was recorded (timezone-aware UTC).
    """

    run_id: int
    step: int
    graph: ModelGraph
    metrics: dict[str, float]
    cost: float | None
    cost_unit: str
    created_at: datetime


@dataclass(frozen=True)
class TopEvaluation:
    """A distinct architecture of a task with its best value of the objective.

    Attributes:
        graph: the architecture.
        value: its best value of ``metric`` over all evaluations on the task.
        metric: the task's objective metric.
        run_id: the run of the evaluation that reached ``value`` (the earliest such evaluation).
        evaluation_id: that evaluation's id.
        cost: that evaluation's cost, in ``cost_unit``; ``None`` when unknown (table lookups).
        cost_unit: ``"seconds"`` or ``"epochs"``.
    """

    graph: ModelGraph
    value: float
    metric: str
    run_id: int
    evaluation_id: int
    cost: float | None = None
    cost_unit: str = "seconds"


@dataclass(frozen=True)
class RunInfo:
    """A search run (or benchmark import) and how many evaluations it holds.

    Attributes:
        run_id: the run's id.
        task_id: its task.
        strategy: the strategy name (``"benchmark-import"`` for imported tables).
        space_id: the search space every architecture of the run belongs to.
        config: the strategy's configuration (a JSON object).
        seed: the run's seed, if any.
        status: ``running``, ``finished``, ``failed`` or ``cancelled``.
        num_evaluations: evaluations recorded so far.
        started_at: start time (timezone-aware UTC).
        finished_at: end time, ``None`` while running.
    """

    run_id: int
    task_id: str
    strategy: str
    space_id: str
    config: dict[str, Any]
    seed: int | None
    status: str
    num_evaluations: int
    started_at: datetime
    finished_at: datetime | None
