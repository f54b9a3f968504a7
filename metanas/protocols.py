"""The `typing.Protocol`s that the seams of metanas take: what one step reads of another's objects.

A seam annotated with one of these accepts any object with the listed members (structural
typing), and checks it with ``isinstance`` where the protocol is ``runtime_checkable``, instead
of ``Any`` plus ``getattr`` probes. Each protocol lists only what its readers use, so a user's
own knowledge base or table needs no more than that:

* `TaskReader`: the tasks of past searches and their objectives; `KnowledgeBase` (what the
  warm start reads: each past task's best distinct architectures) and `HistoryReader` (what
  the transfer history reads: every evaluated architecture of a task) add one method each. An
  `metanas.db.ExperimentDatabase` is all three (its `task_objective` returns the named pair
  `metanas.db.Objective`; a plain ``(metric, direction)`` tuple also does, so readers unpack it).
* `RunStore`: what a search records into (`metanas.search.DatabaseRecorder`): runs of a task
  and their evaluations.
* `ScoredArchitecture`: one of a past task's best architectures (`metanas.db.TopEvaluation`).
* `ResultTable`: a table of evaluated architectures of one task (`metanas.benchmarks.BenchmarkTable`);
  `CostedTable` adds each row's evaluation cost (``nb201-pypi``'s training time).
* `ArchitectureSpace`: what the database needs of a search space (its id, ``validate``,
  ``canonical_hash``); every `metanas.spaces.SearchSpace` is one, and the layers above the
  database take the base class itself.
* `ArchitectureScorer`: a model that ranks architectures for a task (the meta-learner's
  ``score_architectures``; the warm start's ``model_share``).

Layer 3 of the import rule (DESIGN.md): the protocols name the domain objects of layers 2
(`ModelGraph`, `TaskMetadata`) and 3 (`SearchSpace`, named for type checkers only), and every
layer that takes them is higher. Importing this module imports neither the spaces nor torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata

if TYPE_CHECKING:  # only named: importing metanas.spaces registers the spaces, which the database layer avoids
    from metanas.spaces import SearchSpace

__all__ = [
    "ArchitectureScorer",
    "ArchitectureSpace",
    "CostedTable",
    "HistoryReader",
    "KnowledgeBase",
    "ResultTable",
    "RunStore",
    "ScoredArchitecture",
    "TaskReader",
]


@runtime_checkable
class ArchitectureSpace(Protocol):
    """What the experiment database needs of a search space: its id, and validating and hashing a graph."""

    @property
    def id(self) -> str:
        """The space's id."""
        ...

    def validate(self, graph: ModelGraph) -> ModelGraph:
        """``graph`` tagged with the space's id; raises `InvalidArchitectureError` if it is not in the space."""
        ...

    def canonical_hash(self, graph: ModelGraph) -> str:
        """The hash shared by every graph of ``graph``'s equivalence class in the space."""
        ...


@runtime_checkable
class ArchitectureScorer(Protocol):
    """A model that scores architectures for a task (higher: predicted better)."""

    def score_architectures(self, task: TaskMetadata, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """Scores of ``graphs`` for ``task``, shape ``[len(graphs)]``."""
        ...


@runtime_checkable
class ScoredArchitecture(Protocol):
    """A past task's architecture with its best value and the cost of the evaluation that reached it.

    Attributes:
        graph: the architecture.
        value: its best value of the task's objective (raw, in the task's direction).
        cost: the cost of that evaluation, in ``cost_unit``; ``None`` when unknown.
        cost_unit: ``"seconds"`` or ``"epochs"``.
    """

    graph: ModelGraph
    value: float
    cost: float | None
    cost_unit: str


@runtime_checkable
class TaskReader(Protocol):
    """The tasks of past searches and their objectives."""

    def get_all_tasks(self) -> list[TaskMetadata]:
        """Every task, ordered by id."""
        ...

    def task_objective(self, task_id: str) -> tuple[str, str]:
        """The task's objective ``(metric name, direction)`` (`metanas.db.Objective`); direction
        ``"maximize"`` or ``"minimize"``."""
        ...


@runtime_checkable
class KnowledgeBase(TaskReader, Protocol):
    """What a warm start reads of past searches (`metanas.warm_start.WarmStarter`)."""

    def top_evaluations(self, task_id: str, top_k: int = 10) -> Sequence[ScoredArchitecture]:
        """The task's ``top_k`` best distinct architectures, best first (direction-aware)."""
        ...


@runtime_checkable
class HistoryReader(TaskReader, Protocol):
    """What a transfer history reads of past searches (`metanas.transfer.history_from_db`)."""

    def task_evaluations(self, task_id: str, metric: str | None = None) -> list[tuple[ModelGraph, float]]:
        """Every distinct architecture of the task with its best value of ``metric`` (the objective)."""
        ...


@runtime_checkable
class RunStore(Protocol):
    """What a search records into: a run of a task, its evaluations, its end."""

    def task_objective(self, task_id: str) -> tuple[str, str]:
        """The task's objective ``(metric name, direction)``."""
        ...

    def start_run(self, task_id: str, strategy: str, *, space_id: str | None = None,
                  space: SearchSpace | None = None, config: dict | None = None, seed: int | None = None) -> int:
        """Start a run of ``strategy`` on an existing task; returns its id."""
        ...

    def record_evaluation(self, run_id: int, graph: ModelGraph, metrics: dict[str, float], *,
                          step: int | None = None, cost: float | None = None, cost_unit: str = "seconds") -> int:
        """Record one evaluation in a running run; returns its id."""
        ...

    def finish_run(self, run_id: int, status: str = "finished") -> None:
        """End a run (``"finished"``, ``"failed"`` or ``"interrupted"``)."""
        ...


@runtime_checkable
class ResultTable(Protocol):
    """Evaluated architectures of one task, one row each, in one space (a benchmark's lookup table).

    Attributes:
        task: the task.
        space: the space of every graph; it validates and hashes them.
        graphs: the architectures, one per row.
        metrics: metric name -> values, one per row.
        objective: the metric the task is scored by (a key of ``metrics``).
        direction: ``"maximize"`` or ``"minimize"``.
    """

    task: TaskMetadata
    space: SearchSpace
    graphs: Sequence[ModelGraph]
    metrics: Mapping[str, np.ndarray]
    objective: str
    direction: str


@runtime_checkable
class CostedTable(ResultTable, Protocol):
    """A `ResultTable` that knows what evaluating each row cost."""

    cost_unit: str

    def cost(self, row: int) -> float | None:
        """The cost of evaluating row ``row``, in ``cost_unit`` (``None``: unknown)."""
        ...
