"""N worker processes on one Optuna study (`run_workers`; CLI: ``metanas optuna``)."""

from __future__ import annotations

import importlib
import logging
import multiprocessing as mp
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from optuna.trial import TrialState

from metanas.exceptions import ConfigError, MetanasError
from metanas.integrations.optuna._sampler import MetanasSampler
from metanas.integrations.optuna._study import (
    MetanasCallback,
    _bind_space,
    fail_stale_trials,
    mark_stale,
    record_study,
    warm_start_study,
)
from metanas.integrations.optuna._suggest import BenchmarkObjective
from metanas.validation import check_int

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase

__all__ = ["SAMPLERS", "WorkerSpec", "counted_trials", "run_workers"]

logger = logging.getLogger(__name__)

#: Samplers a worker can run, by name.
SAMPLERS = ("tpe", "random", "metanas")
_COUNTED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED, TrialState.RUNNING)


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker process needs (plain data: it crosses the process boundary).

    Attributes:
        storage: the Optuna storage URL (e.g. ``postgresql+psycopg://user@host/optuna``).
        study_name: the study.
        db_url: the experiment database URL or path.
        task: the task id.
        space: the search space id.
        n_trials: trials of the study in total (finished and running, over all workers).
        suite: benchmark suite whose table is the objective (``None``: ``objective``).
        objective: ``"module:function"``, a callable ``f(trial) -> float`` (``None``: the table).
        objective_args: ``None``, or keyword arguments: ``objective`` then names a factory
            (e.g. a class) that each worker calls with them to make its objective.
        sampler: one of `SAMPLERS`.
        seed: base seed; worker ``i`` uses ``seed + i``.
        warm_start: population size of the warm start (0: none).
        warm_start_config: `WarmStartConfig` keys.
        strategy_config: the metanas strategy's settings (``sampler="metanas"``).
        heartbeat: seconds between the workers' Optuna heartbeats (``None``: none). With a
            heartbeat, a trial whose worker died is failed once it missed ``2 * heartbeat``
            seconds of heartbeats (by the other workers, and by `run_workers` at the end), and
            recorded as ``trial_stale``; without one it stays RUNNING and is not recorded.
    """

    storage: str
    study_name: str
    db_url: str
    task: str
    space: str
    n_trials: int
    suite: str | None = None
    objective: str | None = None
    objective_args: dict | None = None
    sampler: str = "tpe"
    seed: int = 0
    warm_start: int = 0
    warm_start_config: dict = field(default_factory=dict)
    strategy_config: dict = field(default_factory=dict)
    heartbeat: int | None = None

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ConfigError(f"'sampler' must be one of {list(SAMPLERS)}, got {self.sampler!r}")
        for key in ("n_trials", "seed", "warm_start"):
            check_int(getattr(self, key), key, low=1 if key == "n_trials" else 0)
        if self.heartbeat is not None and (isinstance(self.heartbeat, bool) or not isinstance(self.heartbeat, int)
                                           or self.heartbeat < 1):
            raise ConfigError(f"'heartbeat' must be an integer number of seconds >= 1 or None, got {self.heartbeat!r}")
        if (self.suite is None) == (self.objective is None):
            raise ConfigError(
                "give exactly one of 'suite' (benchmark table lookup) and 'objective' ('module:function'); got "
                f"suite={self.suite!r}, objective={self.objective!r}"
            )
        if self.objective_args is not None and (self.objective is None or not isinstance(self.objective_args, dict)):
            raise ConfigError("'objective_args' must be a dict of keyword arguments of the 'objective' factory, got "
                              f"{self.objective_args!r} with objective={self.objective!r}")


def load_objective(spec: WorkerSpec) -> Callable[[optuna.trial.Trial], float]:
    """The worker's objective: the suite's table of the task, or the imported ``module:function``."""
    if spec.suite is not None:
        from metanas.benchmarks import get_suite

        return BenchmarkObjective(get_suite(spec.suite).table(spec.task))
    module, sep, name = spec.objective.partition(":")
    if not sep or not module or not name:
        raise ConfigError(f"'objective' must read 'module:function', got {spec.objective!r}")
    fn = getattr(importlib.import_module(module), name, None)
    if not callable(fn):
        raise ConfigError(f"objective {spec.objective!r}: {module} has no callable {name!r}")
    return fn if spec.objective_args is None else fn(**spec.objective_args)


def storage_of(spec: WorkerSpec) -> optuna.storages.BaseStorage | str:
    """The study's storage: the URL, or an `RDBStorage` with the spec's heartbeat."""
    if spec.heartbeat is None:
        return spec.storage
    import warnings

    with warnings.catch_warnings():  # heartbeat_interval is marked experimental in Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(spec.storage, heartbeat_interval=spec.heartbeat,
                                          grace_period=2 * spec.heartbeat, heartbeat_stale_trial_callback=mark_stale)


def _sampler(spec: WorkerSpec, db: ExperimentDatabase, index: int) -> optuna.samplers.BaseSampler:
    seed = spec.seed + index
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    init = None
    config = dict(spec.strategy_config)
    if spec.warm_start:  # the enqueued population: seen as taken, so the strategy does not re-sample it
        from metanas.warm_start import WarmStarter

        starter = WarmStarter(db, spec.warm_start_config)
        init = starter.generate_initial_population(db.get_task(spec.task), spec.warm_start,
                                                   _space(spec), rng=np.random.default_rng(spec.seed))
        config.setdefault("population_size", spec.warm_start)
        config.setdefault("tournament_size", min(5, config["population_size"]))
    # a strategy that learns from past tasks (transfer-bo) reads them from the database
    return MetanasSampler(spec.space, seed=seed, initial_population=init, db=db, task_id=spec.task, **config)


def _space(spec: WorkerSpec):
    from metanas.spaces import get_space

    return get_space(spec.space)


def _worker(spec_dict: Mapping[str, Any], index: int) -> None:
    """One worker process: optimise the shared study until it holds ``n_trials`` trials."""
    from metanas.db import ExperimentDatabase

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = WorkerSpec(**spec_dict)
    with ExperimentDatabase(spec.db_url) as db:
        study = optuna.load_study(study_name=spec.study_name, storage=storage_of(spec), sampler=_sampler(spec, db, index))
        if spec.warm_start:  # every worker may: the population is enqueued once
            warm_start_study(study, db, spec.task, spec.space, spec.warm_start, spec.warm_start_config,
                             seed=spec.seed)
        objective = load_objective(spec)
        callbacks = [optuna.study.MaxTrialsCallback(spec.n_trials, states=_COUNTED), MetanasCallback(db, spec.task)]
        _optimize(study, objective, spec.n_trials, callbacks)


#: How many trials another worker may finish under a worker (a storage race) before it gives up.
_MAX_TAKEN_TRIALS = 100


def counted_trials(study: optuna.Study) -> int:
    """Trials that count against the study's budget: finished or running (not waiting)."""
    return len(study.get_trials(deepcopy=False, states=_COUNTED))


def _optimize(study: optuna.Study, objective: Callable, n_trials: int, callbacks: list) -> None:
    """``study.optimize`` one trial at a time, each started only while the study holds fewer than
    ``n_trials`` trials (finished or running), surviving a trial finished by another worker.

    The budget is checked before every trial starts: a study that already holds its budget
    (a rerun of a finished search) trains nothing more (`MaxTrialsCallback` alone checks after
    a trial, so every worker of a rerun trained one trial too many).

    On a storage without row locks (SQLite: Optuna reads the WAITING state and writes RUNNING
    in a deferred transaction) two workers can pop the same enqueued trial; the first one
    tells its value, and the second one's tell raises ``Cannot tell a COMPLETE trial`` (its
    storage already reads the trial finished) or `optuna.exceptions.UpdateFinishedTrialError`
    (the other worker finished it between this one's read and its write). Its duplicate
    result is dropped (logged; the callbacks never see it, so nothing is recorded twice) and
    the worker goes on with the next trial. `MaxTrialsCallback` still bounds the study.
    """
    taken = 0
    while taken < _MAX_TAKEN_TRIALS:
        held = counted_trials(study)
        if held >= n_trials:
            logger.info("study %r holds %d trial(s), its budget is %d: this worker starts no more",
                        study.study_name, held, n_trials)
            return
        try:
            study.optimize(objective, n_trials=1, callbacks=callbacks, catch=(MetanasError,))
        except (ValueError, optuna.exceptions.UpdateFinishedTrialError) as exc:
            if isinstance(exc, ValueError) and not str(exc).startswith("Cannot tell a "):
                raise
            taken += 1
            logger.warning("a trial was finished by another worker too (%s; a storage without row locks, e.g. "
                           "SQLite): its result there stands, this one is dropped", exc)
    raise MetanasError(f"{_MAX_TAKEN_TRIALS} trials of this worker were finished by other workers; use a "
                       "storage with row locks (PostgreSQL) for many workers")


def prepare_study(spec: WorkerSpec, db: ExperimentDatabase) -> optuna.Study:
    """Create (or load) the study, bind its space and start the database run, once (the workers
    enqueue the warm start: the first one does, the others find it done)."""
    if spec.suite is not None:
        from metanas.benchmarks import get_suite

        table = get_suite(spec.suite).table(spec.task)
        if table.space.id != spec.space:
            raise ConfigError(f"task {spec.task!r} of suite {spec.suite!r} is in space {table.space.id!r}, not "
                              f"{spec.space!r}")
        db.add_task(table.task, objective=table.objective, direction=table.direction)
    _, direction = db.task_objective(spec.task)
    study = optuna.create_study(storage=storage_of(spec), study_name=spec.study_name, direction=direction,
                                load_if_exists=True)
    _bind_space(study, spec.space)
    MetanasCallback(db, spec.task).run_id(study)
    return study


def run_workers(spec: WorkerSpec, workers: int = 4, *, timeout: float | None = None) -> optuna.Study:
    """Run ``workers`` processes on one study and record every finished trial in the database.

    The parent prepares the study (`prepare_study`), starts the workers (``spawn``), waits,
    fails stale trials (with ``spec.heartbeat``: `fail_stale_trials`), then records what the
    workers' callbacks missed and finishes the run (`record_study`). Without a heartbeat, the
    trial of a worker that died (or was killed at ``timeout``) stays RUNNING and is not recorded.

    Args:
        spec: the run.
        workers: worker processes (>= 1).
        timeout: seconds to wait for each worker (``None``: no limit).

    Returns:
        The study (loaded from the storage).

    Raises:
        MetanasError: a worker exited with an error (after the others finished and the
            finished trials were recorded).
    """
    from metanas.db import ExperimentDatabase

    check_int(workers, "workers", low=1)
    with ExperimentDatabase(spec.db_url) as db:
        study = prepare_study(spec, db)
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_worker, args=(asdict(spec), i), name=f"metanas-optuna-{i}")
                 for i in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout)
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
        if spec.heartbeat is not None:
            if any(p.exitcode != 0 for p in procs):  # a dead worker's heartbeat goes stale after the grace period
                logger.info("a worker died; waiting %d s for its trial's heartbeat to go stale", 2 * spec.heartbeat + 1)
                time.sleep(2 * spec.heartbeat + 1)
            fail_stale_trials(study)
        record_study(study, db, spec.task, finish=True)
        failed = [(p.name, p.exitcode) for p in procs if p.exitcode != 0]
    if failed:
        raise MetanasError(f"worker(s) {failed} exited with an error; their finished trials are recorded")
    return study
