"""The run loop (`run_search`): ask -> evaluate -> tell, with hooks, recording and a result.

Every evaluation counts against the budget, the initial population included. After each
evaluation the loop records it (``recorder``), then calls each hook with an
`EvaluationEvent`; a hook may steer the search, e.g. ``event.strategy.inject(graphs)``
after k evaluations (the meta-learner's refinement).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.search._base import SearchStrategy
from metanas.search._evaluators import EvaluationResult, Evaluator
from metanas.validation import Direction, check_int

if TYPE_CHECKING:
    from metanas.protocols import RunStore
    from metanas.spaces import SearchSpace

__all__ = [
    "DatabaseRecorder",
    "EvaluationEvent",
    "EvaluationRecord",
    "Recorder",
    "SearchResult",
    "failure_of",
    "run_search",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationRecord:
    """One evaluation of a search.

    Attributes:
        step: position in the run (0-based).
        graph: the evaluated architecture.
        objective: the raw objective value (direction: the result's).
        metrics: every metric the evaluator returned.
        cost: cost of the evaluation in ``cost_unit`` (``None``: unknown).
        cost_unit: unit of ``cost``.
        failure: why the evaluation failed (``None``: it did not; ``objective`` is NaN then).
    """

    step: int
    graph: ModelGraph
    objective: float
    metrics: Mapping[str, float]
    cost: float | None = None
    cost_unit: str = "seconds"
    failure: str | None = None


@dataclass(frozen=True)
class SearchResult:
    """The outcome of a search: every evaluation in order, and the best so far.

    Attributes:
        evaluations: the evaluations, in the order they were made.
        direction: ``"maximize"`` or ``"minimize"`` for the objective.
        objective: name of the objective metric (``None`` if the evaluator gives none).
        test_metric: metric reported for the returned architecture (``None``: none);
            read it as ``result.best().metrics[result.test_metric]`` or `best_test_value`.
        strategy: name of the strategy.
        best_so_far: shape ``[len(evaluations)]``: the best raw objective after each
            evaluation (direction-aware; computed). Failed evaluations (objective NaN) are
            skipped; NaN until the first successful one.

    Raises:
        ConfigError: ``direction`` is not one of ``maximize``/``minimize``.
    """

    evaluations: tuple[EvaluationRecord, ...]
    direction: str = "maximize"
    objective: str | None = None
    test_metric: str | None = None
    strategy: str | None = None
    best_so_far: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "evaluations", tuple(self.evaluations))
        direction = Direction.parse(self.direction, "SearchResult.direction")
        object.__setattr__(self, "direction", direction.value)  # a plain string, as stored
        values = self.objectives
        acc = np.fmax.accumulate if direction is Direction.MAXIMIZE else np.fmin.accumulate  # NaN: failed
        best = acc(values) if len(values) else values.copy()
        best.flags.writeable = False
        object.__setattr__(self, "best_so_far", best)

    def __len__(self) -> int:
        return len(self.evaluations)

    @property
    def objectives(self) -> np.ndarray:
        """Shape ``[len(evaluations)]``: the raw objective of each evaluation."""
        return np.fromiter((e.objective for e in self.evaluations), dtype=np.float64, count=len(self.evaluations))

    @property
    def graphs(self) -> list[ModelGraph]:
        """The evaluated architectures, in order."""
        return [e.graph for e in self.evaluations]

    def best_index(self) -> int:
        """Step of the best evaluation (ties: the earliest; failed evaluations never).

        Raises:
            ConfigError: the result holds no successful evaluation.
        """
        values = self.objectives
        if not len(values):
            raise ConfigError("SearchResult holds no evaluation; run a budget >= 1")
        if np.isnan(values).all():
            raise ConfigError(
                f"SearchResult holds no successful evaluation ({len(values)} evaluation(s), all failed); "
                "run a larger budget or fix the evaluator"
            )
        return int(np.nanargmax(values) if self.direction == Direction.MAXIMIZE else np.nanargmin(values))

    def best(self) -> EvaluationRecord:
        """The best evaluation (ties: the earliest): its graph, objective and metrics."""
        return self.evaluations[self.best_index()]

    def best_test_value(self) -> float | None:
        """The test metric of the best architecture (``None`` if there is none)."""
        if self.test_metric is None:
            return None
        value = self.best().metrics.get(self.test_metric)
        return None if value is None else float(value)


@dataclass(frozen=True)
class EvaluationEvent:
    """What a hook receives after each evaluation.

    Attributes:
        step: the evaluation's position in the run (0-based).
        graph: the evaluated architecture.
        objective: its raw objective value.
        metrics: every metric the evaluator returned.
        strategy: the running strategy (a hook may call ``strategy.inject(graphs)``).
        result: the `SearchResult` of the evaluations so far, ``step + 1`` of them (built
            on first access).

    Events are made by `run_search`; ``_snapshot`` builds ``result``.
    """

    step: int
    graph: ModelGraph
    objective: float
    metrics: Mapping[str, float]
    strategy: SearchStrategy
    _snapshot: Callable[[int], SearchResult] = field(repr=False, compare=False)

    @cached_property
    def result(self) -> SearchResult:
        """The `SearchResult` of this run's first ``step + 1`` evaluations."""
        return self._snapshot(self.step + 1)


@runtime_checkable
class Recorder(Protocol):
    """Receives every evaluation of a run (e.g. `DatabaseRecorder`)."""

    def record(self, step: int, graph: ModelGraph, result: EvaluationResult) -> None:
        """Record one evaluation."""

    def finish(self, status: str) -> None:
        """End the run with ``"finished"`` or ``"failed"``."""


class DatabaseRecorder:
    """Records a run's evaluations into an `ExperimentDatabase` as its trajectory.

    The run is started on the first evaluation (or when a run fails before any), each
    evaluation is recorded with its step (0-based), metrics and cost, and `finish` ends the
    run as ``"finished"`` or ``"failed"``. The task must already be in the database
    (``db.add_task``). A failed evaluation is recorded without the objective, with the
    metrics ``failed`` = 1 and ``failed_<reason>`` = 1 (see `failure_of`) besides what was
    measured, so that rankings never see it and a resumed search knows it was tried.

    Args:
        db: the experiment database (or another `metanas.protocols.RunStore`).
        task_id: the task searched.
        strategy_name: what ran (e.g. ``strategy.name``).
        space_id: the search space of every recorded architecture: the `SearchSpace` (the
            database validates and canonically hashes the architectures in it) or its id.
        config: the strategy's configuration (JSON object; ``None``: empty).
        seed: the run's seed.
    """

    def __init__(
        self,
        db: RunStore,
        task_id: str,
        strategy_name: str,
        space_id: str | SearchSpace,
        config: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        self.db = db
        self.task_id = task_id
        self.strategy_name = strategy_name
        self.space = None if isinstance(space_id, str) else space_id
        self.space_id = space_id if isinstance(space_id, str) else space_id.id
        self.config = dict(config) if config is not None else None
        self.seed = seed
        self.run_id: int | None = None
        self._objective: tuple[str, str] | None = None
        self._checked = False

    @classmethod
    def for_strategy(cls, db: RunStore, task_id: str, strategy: SearchStrategy, **config: Any) -> DatabaseRecorder:
        """A recorder named after ``strategy`` (name, space id, config, seed); ``config``
        adds entries (e.g. the warm-start method) to ``strategy.config``."""
        return cls(db, task_id, strategy.name, strategy.space, {**strategy.config, **config}, strategy.seed)

    def _start(self) -> int:
        if self.run_id is None:
            self.run_id = self.db.start_run(
                self.task_id, self.strategy_name, space_id=self.space_id, space=self.space, config=self.config,
                seed=self.seed,
            )
        return self.run_id

    def task_objective(self) -> tuple[str, str]:
        """The recorded task's objective ``(metric name, direction)`` (read once)."""
        if self._objective is None:
            self._objective = tuple(self.db.task_objective(self.task_id))
        return self._objective

    def check_evaluator(self, evaluator: Any) -> None:
        """Refuse an evaluator whose objective is not the task's: its scores would be recorded
        under another name, and rankings (and warm starts) of the task would never see them.

        Raises:
            ConfigError: the objective name or direction differs from the task's.
        """
        objective, direction = self.task_objective()
        name = getattr(evaluator, "objective", None)
        ev_direction = getattr(evaluator, "direction", "maximize")
        if name is not None and name != objective:
            raise ConfigError(
                f"evaluator {type(evaluator).__name__} scores by {name!r} but task {self.task_id!r} is scored by "
                f"{objective!r} in the database; use an evaluator whose objective is {objective!r}, or add the "
                f"task with objective={name!r}"
            )
        if ev_direction != direction:
            raise ConfigError(
                f"evaluator {type(evaluator).__name__} {ev_direction}s {name or objective!r} but task "
                f"{self.task_id!r} {direction}s it in the database; the directions must agree"
            )

    def record(self, step: int, graph: ModelGraph, result: EvaluationResult) -> None:
        """Record one evaluation at ``step``.

        Raises:
            ConfigError: a successful result without the task's objective among its metrics
                (checked on the first one: it would be recorded with no score).
        """
        if result.failure is None and not self._checked:
            objective, _ = self.task_objective()
            if objective not in result.metrics:
                got = f"metrics {sorted(result.metrics)}" if result.metrics else "no metrics"
                raise ConfigError(
                    f"the evaluator returned {got} for task {self.task_id!r}, which is scored by {objective!r}: "
                    f"put the objective value in the result's metrics under {objective!r}"
                )
            self._checked = True
        run_id = self._start()
        metrics = dict(result.metrics)
        if result.failure is not None:
            metrics = {**metrics, FAILED_METRIC: 1.0, f"{FAILED_METRIC}_{result.failure}": 1.0}
        self.db.record_evaluation(
            run_id, graph, metrics, step=step, cost=result.cost, cost_unit=result.cost_unit
        )

    def finish(self, status: str) -> None:
        """Finish the run (starting it first if it failed before its first evaluation)."""
        if self.run_id is None and status == "finished":
            return
        self.db.finish_run(self._start(), status=status)


#: Metric marking a failed evaluation in the database (with ``failed_<reason>``).
FAILED_METRIC = "failed"


def failure_of(metrics: Mapping[str, float]) -> str | None:
    """The failure reason of recorded metrics (``None``: the evaluation did not fail)."""
    if metrics.get(FAILED_METRIC, 0.0) != 1.0:
        return None
    prefix = f"{FAILED_METRIC}_"
    return next((name[len(prefix):] for name in metrics if name.startswith(prefix)), "error")


def run_search(
    strategy: SearchStrategy,
    evaluator: Evaluator,
    budget: int,
    *,
    direction: str | None = None,
    recorder: Recorder | None = None,
    hooks: Iterable[Callable[[EvaluationEvent], Any]] = (),
    progress: bool = False,
) -> SearchResult:
    """Run ``budget`` evaluations: ask the strategy, evaluate, tell.

    The strategy is told the objective negated when it is minimised, so that strategies
    always maximise. Every evaluation counts, the initial population included. A failed
    evaluation (`EvaluationResult.failed`: the network did not build, the loss diverged, out
    of memory) is recorded with its reason, told to the strategy as the worst score
    (``-inf``), logged, and the search goes on.

    Args:
        strategy: the search strategy (fresh, or continued: its history is kept).
        evaluator: scores each asked architecture.
        budget: number of evaluations (>= 1).
        direction: ``"maximize"`` or ``"minimize"``; ``None`` takes the evaluator's
            ``direction`` (a table's direction). An explicit value must agree with it.
        recorder: receives every evaluation (e.g. `DatabaseRecorder`); finished with
            ``"finished"``, or ``"failed"`` if the loop raises.
        hooks: callables ``hook(event: EvaluationEvent)`` called after each evaluation, in order.
        progress: show a tqdm progress bar.

    Returns:
        The `SearchResult`: evaluations in order, best so far, best architecture.

    Raises:
        ConfigError: a bad ``budget``, ``direction``, strategy, evaluator or hook; with a
            `DatabaseRecorder`, an evaluator whose objective name or direction is not the
            recorded task's (before the first evaluation), or a first successful result
            without the task's objective among its metrics.
        SearchSpaceExhaustedError: the space ran out of unseen architectures.
        Exception: any error of the evaluator or a hook passes through unchanged (the recorder
            marks the run ``"failed"`` first).
    """
    if not isinstance(strategy, SearchStrategy):
        raise ConfigError(f"run_search: 'strategy' must be a SearchStrategy (get_strategy(...)), got {strategy!r}")
    if not isinstance(evaluator, Evaluator):
        raise ConfigError(f"run_search: 'evaluator' must be an Evaluator (get_evaluator(...)), got {evaluator!r}")
    budget = check_int(budget, "budget", low=1, owner="run_search")
    ev_direction = Direction.parse(getattr(evaluator, "direction", "maximize"), f"{type(evaluator).__name__}.direction")
    if direction is None:
        direction = ev_direction
    else:
        direction = Direction.parse(direction, "run_search: 'direction'")
        if direction is not ev_direction:
            raise ConfigError(
                f"run_search: direction={direction.value!r} contradicts the evaluator's objective "
                f"{getattr(evaluator, 'objective', '?')!r}, which is {ev_direction.value}d; omit 'direction' to use the "
                "evaluator's"
            )
    hooks = tuple(hooks)
    for h in hooks:
        if not callable(h):
            raise ConfigError(f"run_search: every hook must be callable as hook(event), got {h!r}")
    if recorder is not None and not isinstance(recorder, Recorder):
        raise ConfigError(
            f"run_search: 'recorder' must have record(step, graph, result) and finish(status), got {recorder!r}"
        )

    if isinstance(recorder, DatabaseRecorder):
        recorder.check_evaluator(evaluator)
    sign = direction.sign
    records: list[EvaluationRecord] = []
    meta = {
        "direction": direction.value,
        "objective": getattr(evaluator, "objective", None),
        "test_metric": getattr(evaluator, "test_metric", None),
        "strategy": strategy.name or type(strategy).__name__,
    }

    def snapshot(n: int) -> SearchResult:
        return SearchResult(tuple(records[:n]), **meta)

    bar = _progress_bar(budget, meta["strategy"]) if progress else None
    ask, tell, evaluate = strategy.ask, strategy.tell, evaluator.evaluate
    best = -np.inf
    try:
        for step in range(budget):
            graph = ask()
            res = evaluate(graph)
            if res.failure is not None:
                logger.warning("evaluation %d failed (%s): %s", step, res.failure, res.detail)
                value = -np.inf
            else:
                value = sign * res.objective
            tell(graph, value)
            records.append(
                EvaluationRecord(step, graph, res.objective, res.metrics, res.cost, res.cost_unit, res.failure)
            )
            if recorder is not None:
                recorder.record(step, graph, res)
            if hooks:
                event = EvaluationEvent(step, graph, res.objective, res.metrics, strategy, snapshot)
                for hook in hooks:
                    hook(event)
            if bar is not None:
                best = max(best, value)
                bar.set_postfix(best=sign * best, refresh=False)
                bar.update(1)
    except BaseException:
        if recorder is not None:
            try:
                recorder.finish("failed")
            except Exception:  # keep the original error; the recorder's is logged
                logger.exception("run_search: the recorder could not mark the run failed")
        raise
    finally:
        if bar is not None:
            bar.close()
    if recorder is not None:
        recorder.finish("finished")
    return SearchResult(tuple(records), **meta)


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm  # lazy: only when asked for

    return tqdm(total=total, desc=desc, unit="eval")
