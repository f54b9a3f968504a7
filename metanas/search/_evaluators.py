"""Evaluators: what an architecture scores on a task (`Evaluator`), and the registry.

* ``benchmark`` — `BenchmarkEvaluator`: a lookup in a tabular benchmark (`BenchmarkTable`), its
  cost, and, given a seed, a noisy observation (`BenchmarkTable.observe`).
"""

from __future__ import annotations

import math
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.protocols import CostedTable
from metanas.registry import Registry
from metanas.search._base import key_cache
from metanas.validation import DIRECTIONS, Direction

if TYPE_CHECKING:  # the benchmarks package imports search, not the other way round
    from metanas.benchmarks import BenchmarkTable

__all__ = [
    "DIRECTIONS",
    "EVALUATORS",
    "FAILURE_REASONS",
    "BenchmarkEvaluator",
    "EvaluationResult",
    "Evaluator",
    "evaluator_names",
    "get_evaluator",
    "register_evaluator",
]

#: Reasons of a failed evaluation (`EvaluationResult.failed`).
FAILURE_REASONS: tuple[str, ...] = ("build_error", "nan_loss", "out_of_memory", "error")


@dataclass(frozen=True)
class EvaluationResult:
    """The outcome of evaluating one architecture.

    Attributes:
        objective: the raw value of the objective metric (its direction is the evaluator's);
            NaN for a failed evaluation.
        metrics: every measured metric, name -> value (the objective and e.g. the test metric).
        cost: what the evaluation cost, in ``cost_unit``; ``None`` when unknown (table lookups).
        cost_unit: unit of ``cost`` (``"seconds"`` or ``"epochs"`` for the experiment database).
        failure: ``None``, or why the evaluation failed (one of `FAILURE_REASONS`); build
            failed results with `failed`.
        detail: the failure's message (empty when it did not fail).

    Raises:
        ConfigError: ``objective`` is not a real number or is NaN (without a failure), a
            metric is not a real number, ``cost`` is negative or not finite, ``cost_unit`` is
            empty, or ``failure`` is not one of `FAILURE_REASONS`.
    """

    objective: float
    metrics: Mapping[str, float] = field(default_factory=dict)
    cost: float | None = None
    cost_unit: str = "seconds"
    failure: str | None = None
    detail: str = ""

    @classmethod
    def failed(cls, reason: str, detail: str, metrics: Mapping[str, float] | None = None,
               cost: float | None = None, cost_unit: str = "seconds") -> EvaluationResult:
        """A failed evaluation: no objective (NaN), the reason and its message.

        Args:
            reason: one of `FAILURE_REASONS`.
            detail: what went wrong (the exception's message).
            metrics: what was measured before the failure (e.g. ``params``).
            cost: what the attempt cost.
            cost_unit: unit of ``cost``.
        """
        return cls(math.nan, dict(metrics or {}), cost, cost_unit, reason, str(detail))

    def __post_init__(self) -> None:
        obj = self.objective
        if self.failure is not None:
            if self.failure not in FAILURE_REASONS:
                raise ConfigError(
                    f"EvaluationResult.failure must be None or one of {list(FAILURE_REASONS)}, got {self.failure!r}"
                )
            obj = math.nan
        elif isinstance(obj, bool) or not isinstance(obj, Real) or math.isnan(obj):
            raise ConfigError(f"EvaluationResult.objective must be a real number (not NaN), got {obj!r}")
        object.__setattr__(self, "objective", float(obj))
        if not isinstance(self.metrics, Mapping):
            raise ConfigError(f"EvaluationResult.metrics must be a mapping name -> number, got {self.metrics!r}")
        for name, value in self.metrics.items():
            if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, Real):
                raise ConfigError(f"EvaluationResult.metrics must map names to numbers, got {name!r}: {value!r}")
        if self.cost is not None:
            c = self.cost
            if isinstance(c, bool) or not isinstance(c, Real) or not math.isfinite(c) or c < 0:
                raise ConfigError(f"EvaluationResult.cost must be None or a finite number >= 0, got {c!r}")
        if not isinstance(self.cost_unit, str) or not self.cost_unit:
            raise ConfigError(f"EvaluationResult.cost_unit must be a non-empty string, got {self.cost_unit!r}")


class Evaluator(ABC):
    """Scores architectures on one task.

    Subclasses set `objective` (the metric a search optimises) and `direction`, optionally
    `test_metric` (reported for the returned architecture), and implement `evaluate`.
    """

    #: Registry name.
    name: ClassVar[str] = ""
    #: Name of the objective metric.
    objective: str = "objective"
    #: ``"maximize"`` or ``"minimize"`` for `objective`.
    direction: str = "maximize"
    #: Metric reported for the returned architecture (``None``: none).
    test_metric: str | None = None

    @abstractmethod
    def evaluate(self, graph: ModelGraph) -> EvaluationResult:
        """Evaluate one architecture.

        Raises:
            InvalidArchitectureError: the evaluator cannot score ``graph`` (the message says why).
        """


class BenchmarkEvaluator(Evaluator):
    """Looks architectures up in a benchmark table: no training.

    The result's ``objective`` is the table's objective metric, raw (its direction is the
    table's); ``metrics`` holds every metric of the row, the test metric included, for
    reporting. Rows are found by the table space's `SearchSpace.key`, memoised per graph
    (shared with the strategies that search the same space instance, ``table.space``).

    **Noise.** Given a ``seed`` (or a generator), each evaluation returns what the table's
    `BenchmarkTable.observe` draws with it instead of the table value (for ``nb201-pypi``: one
    training seed's accuracy), as ``objective`` and as the objective's entry of ``metrics``
    (what a recorder stores); the other metrics stay the table's. The draws follow the order of
    the evaluations, so a search is deterministic given its seeds. A table without noise
    (`BenchmarkTable.noisy` false) returns its values whatever the seed.

    **Cost.** The result's ``cost`` is the table's `BenchmarkTable.cost` of the row, in the
    table's ``cost_unit`` (``None`` where the table has no costs: a free lookup).

    Args:
        table: the task's `BenchmarkTable`.
        seed: ``None`` (the table values), an int seed or a `numpy.random.Generator` of the
            noisy evaluations (a generator is used, not copied).

    Raises:
        ConfigError: ``table`` is not a benchmark table, or ``seed`` is neither ``None``, a
            non-negative int nor a generator.
    """

    name = "benchmark"

    def __init__(self, table: BenchmarkTable, seed: int | np.random.Generator | None = None) -> None:
        for attr in ("space", "keys", "metrics", "objective", "direction", "test_metric", "task"):
            if not hasattr(table, attr):
                raise ConfigError(f"BenchmarkEvaluator needs a BenchmarkTable (suite.table(task_id)), got {table!r}")
        self.table = table
        self.objective = table.objective
        self.direction = Direction.parse(table.direction, f"the direction of table {table.task.task_id}").value
        self.test_metric = table.test_metric
        self.task_id: str = table.task.task_id
        self._rows, self._names, self._columns = _table_index(table)
        self._objective_col = self._columns[self._names.index(self.objective)]
        self._keys = key_cache(table.space)
        self.rng = _generator(seed)
        observe = getattr(table, "observe", None)
        self._observe = observe if self.rng is not None and getattr(table, "noisy", False) else None
        costed = isinstance(table, CostedTable)
        self._cost = table.cost if costed else None
        self.cost_unit: str = table.cost_unit if costed else "seconds"

    def row(self, graph: ModelGraph) -> int:
        """The table row of ``graph`` (any member of its key class).

        Raises:
            InvalidArchitectureError: ``graph`` is not in the table's space or has no row.
        """
        if not isinstance(graph, ModelGraph):
            raise InvalidArchitectureError(
                f"BenchmarkEvaluator.evaluate expects a ModelGraph, got {type(graph).__name__}"
            )
        space = self.table.space
        try:
            key = self._keys[graph]
        except InvalidArchitectureError as exc:
            raise type(exc)(
                f"cannot evaluate on {self.task_id}: the architecture is not in space {space.id!r}: {exc}"
            ) from exc
        row = self._rows.get(key)
        if row is None:
            raise InvalidArchitectureError(
                f"cannot evaluate on {self.task_id}: architecture {graph!r} (key {key!r} in space {space.id!r}) has no "
                "row in the benchmark table; evaluate architectures of the table's space"
            )
        return row

    def evaluate(self, graph: ModelGraph) -> EvaluationResult:
        row = self.row(graph)
        metrics = {n: c[row] for n, c in zip(self._names, self._columns)}
        value = self._objective_col[row]
        if self._observe is not None:
            value = float(self._observe(row, self.rng))
            metrics[self.objective] = value
        cost = None if self._cost is None else self._cost(row)
        return EvaluationResult(value, metrics, cost, self.cost_unit)

    def __repr__(self) -> str:
        noise = ", noisy" if self._observe is not None else ""
        return (f"BenchmarkEvaluator(task={self.task_id!r}, objective={self.objective!r}, "
                f"direction={self.direction!r}{noise})")


def _generator(seed: Any) -> np.random.Generator | None:
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ConfigError(f"BenchmarkEvaluator 'seed' must be None, an int >= 0 or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))



_TABLE_INDEX: weakref.WeakKeyDictionary[Any, tuple] = weakref.WeakKeyDictionary()


def _table_index(table: BenchmarkTable) -> tuple[dict[str, int], tuple[str, ...], tuple[list[float], ...]]:
    """``(key -> row, metric names, one list of floats per metric)`` of a table, built once per
    table object (~18 ms for NAS-Bench-Graph; the LOTO benchmark makes an evaluator per run).
    Python lists index ~10x faster than numpy arrays element by element."""
    try:
        cached = _TABLE_INDEX.get(table)
    except TypeError:  # pragma: no cover - a table that cannot be weakly referenced
        cached = None
    if cached is None:
        names = tuple(table.metrics)
        cached = (
            {k: i for i, k in enumerate(table.keys)},
            names,
            tuple(list(map(float, table.metrics[n])) for n in names),
        )
        try:
            _TABLE_INDEX[table] = cached
        except TypeError:  # pragma: no cover
            pass
    return cached


# ============================================================================ registry
#: The evaluators by name (entry-point group ``metanas.evaluators``). The LOTO protocol builds
#: its evaluator as ``factory(table=the held-out task's BenchmarkTable)``, with ``seed=...`` (the
#: run's noise seed) under ``noise="seed"``.
EVALUATORS: Registry[Evaluator] = Registry("evaluator", base=Evaluator, entry_point_group="metanas.evaluators")


def register_evaluator(name: str, factory: Callable[..., Evaluator]) -> None:
    """Register an evaluator factory under ``name``."""
    EVALUATORS.register(name, factory)


def evaluator_names() -> list[str]:
    """Registered evaluator names."""
    return EVALUATORS.names()


def get_evaluator(name: str | Evaluator, **kwargs: Any) -> Evaluator:
    """Build an evaluator by name (an instance is passed through when no arguments are given).

    Raises:
        UnknownNameError: the name is not registered; the message lists the valid ones.
        ConfigError: an instance was given together with arguments, or an argument the
            factory does not take.
    """
    return EVALUATORS.resolve(name, **kwargs)
