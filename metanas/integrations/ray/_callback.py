"""`MetanasTuneCallback`: every finished Ray Tune trial recorded into the experiment database, once."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from numbers import Real
from typing import TYPE_CHECKING, Any

from ray import tune
from ray.tune.result import AUTO_RESULT_KEYS

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.integrations._params import codec_for
from metanas.integrations._record import FAILED, record_once, task_id_of
from metanas.integrations.ray._tune import WarmStartPoints, config_to_graph
from metanas.spaces import SearchSpace, get_space
from metanas.tasks import TaskMetadata

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase

__all__ = ["RAY_STRATEGY", "MetanasTuneCallback"]

logger = logging.getLogger(__name__)

#: Strategy name of the runs the callback records.
RAY_STRATEGY = "ray-tune"
#: Result keys Tune fills in itself (never recorded as metrics).
_AUTO = frozenset(AUTO_RESULT_KEYS) | {"done", "should_checkpoint", "trial_id", "experiment_tag"}


class MetanasTuneCallback(tune.Callback):
    """A Ray Tune callback that records every finished trial into the experiment database as one search run.

    The run (strategy ``ray-tune``) starts at the first finished trial and ends with the
    experiment (``finish``). A trial is recorded at ``step`` = its position in Tune's trial
    list (creation order: the ``points_to_evaluate`` first), at most once: a duplicate call
    records nothing (the database refuses a second row for a step). A completed trial is
    recorded with its last reported ``metric`` under the task's objective, plus every other
    finite number it reported (Tune's own keys, e.g. ``time_total_s``, left out); its cost is
    ``time_total_s`` in seconds. A trial that raised (``on_trial_error``), or that completed
    without a finite ``metric`` (logged), is recorded with the flag metric ``trial_failed``
    and no objective, so it is never a score.

    The callback crosses Tune's checkpoint pickling: it keeps the database's URL and reopens
    it when unpickled (an in-memory SQLite database cannot be reopened: use a file or a server).

    Args:
        db: the `ExperimentDatabase` (the task must be in it), or its path / URL.
        task: the task searched (id or `TaskMetadata`).
        space: the search space of the ``param_space``.
        metric: the result key of the objective (``None``: the task's objective metric name).
        warm_start: the `points_to_evaluate` of this search (``None``: none); its sources go into
            the run's config.
        finish: end the run when the experiment ends.

    Raises:
        ConfigError: a bad argument, or the warm start is of another task or space.
    """

    def __init__(self, db: ExperimentDatabase | str, task: TaskMetadata | str, space: SearchSpace | str, *,
                 metric: str | None = None,
                 warm_start: WarmStartPoints | None = None, finish: bool = True) -> None:
        if isinstance(db, str):
            self._db, self.db_url = None, db
        elif hasattr(db, "record_evaluation") and hasattr(db, "url"):
            self._db, self.db_url = db, db.url
        else:
            raise ConfigError(f"'db' must be an ExperimentDatabase or its path / URL, got {db!r:.80}")
        self.task_id = task_id_of(task)
        self.space_id = codec_for(space).space.id
        if metric is not None and (not isinstance(metric, str) or not metric):
            raise ConfigError(f"'metric' must be a result key (a non-empty string) or None, got {metric!r}")
        if warm_start is not None:
            if not isinstance(warm_start, WarmStartPoints):
                raise ConfigError(f"'warm_start' must be the WarmStartPoints of points_to_evaluate, got "
                                  f"{type(warm_start).__name__}")
            if (warm_start.task, warm_start.space) != (self.task_id, self.space_id):
                raise ConfigError(f"'warm_start' is for task {warm_start.task!r} in space {warm_start.space!r}, not "
                                  f"{self.task_id!r} in {self.space_id!r}")
        self.metric = metric
        self.warm_start = warm_start
        self.finish = bool(finish)
        self.run_id: int | None = None
        self._ended = False
        self._recorded: set[str] = set()

    # ------------------------------------------------------------------ pickling (Tune checkpoints)
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_db"] = None
        return state

    @property
    def db(self) -> Any:
        """The experiment database (reopened from ``db_url`` after unpickling)."""
        if self._db is None:
            from metanas.db import ExperimentDatabase

            self._db = ExperimentDatabase(self.db_url)
        return self._db

    # ------------------------------------------------------------------ recording
    def _start(self) -> int:
        if self.run_id is None or self._ended:
            space = get_space(self.space_id)
            config: dict[str, Any] = {"engine": "ray-tune", "metric": self.metric}
            if self.warm_start is not None:
                config["warm_start"] = {"counts": self.warm_start.counts(), "sources": self.warm_start.sources}
            self.run_id = self.db.start_run(self.task_id, RAY_STRATEGY, space=space, config=config)
            self._ended = False
            logger.info("recording the Tune trials on %r into run %d", self.task_id, self.run_id)
        return self.run_id

    def _metrics(self, result: Mapping[str, Any], trial_id: str) -> dict[str, float]:
        objective, _ = self.db.task_objective(self.task_id)
        key = self.metric or objective
        value = result.get(key)
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
            logger.warning("Tune trial %s completed without a finite %r (got %r): recorded as failed",
                           trial_id, key, value)
            return {FAILED: 1.0}
        out = {k: float(v) for k, v in result.items()
               if k not in _AUTO and k != key and isinstance(v, Real) and not isinstance(v, bool)
               and math.isfinite(float(v))}
        out.pop(FAILED, None)
        out[objective] = float(value)
        return out

    def record(self, trials: list[Any], trial: Any, *, failed: bool) -> bool:
        """Record one finished trial (what the hooks call); ``False`` if it was recorded already.

        Raises:
            ConfigError, InvalidArchitectureError: a completed trial's config is no
                architecture of the space (e.g. a ``param_space`` of another space).
        """
        if trial.trial_id in self._recorded:
            logger.debug("Tune trial %s is already recorded", trial.trial_id)
            return False
        try:
            graph = config_to_graph(trial.config, self.space_id)
        except (ConfigError, InvalidArchitectureError) as exc:
            if failed:
                logger.info("failed Tune trial %s has no architecture of %r (%s); nothing to record",
                            trial.trial_id, self.space_id, exc)
                self._recorded.add(trial.trial_id)
                return False
            raise type(exc)(f"Tune trial {trial.trial_id} (config {sorted(trial.config)}): {exc}") from exc
        result = trial.last_result or {}
        metrics = {FAILED: 1.0} if failed else self._metrics(result, trial.trial_id)
        cost = result.get("time_total_s")
        cost = float(cost) if isinstance(cost, Real) and math.isfinite(cost) and cost >= 0 else None
        done = record_once(self.db, self._start(), graph, metrics, trials.index(trial), cost)
        self._recorded.add(trial.trial_id)
        return done

    # ------------------------------------------------------------------ Tune hooks
    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.record(trials, trial, failed=False)

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.record(trials, trial, failed=True)

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        if self.finish and self.run_id is not None and not self._ended:
            self.db.finish_run(self.run_id, status="finished")
            self._ended = True
            logger.info("run %d of %r finished with the Tune experiment", self.run_id, self.task_id)

    def get_state(self) -> dict[str, Any]:
        """What Tune keeps in its experiment checkpoint: the run and the trials recorded (a restored
        experiment records into the same run, nothing twice)."""
        return {"run_id": self.run_id, "ended": self._ended, "recorded": sorted(self._recorded)}

    def set_state(self, state: dict[str, Any]) -> None:
        self.run_id = state.get("run_id")
        self._ended = bool(state.get("ended", False))
        self._recorded = set(state.get("recorded", ()))
