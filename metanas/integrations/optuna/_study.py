"""Warm-starting and recording Optuna studies with the experiment database (`import_study`: `_import`).

Study user attributes (shared by every worker through the study's storage):
``metanas:space`` (the space id of the study's parameters), ``metanas:warm_start:<task>``
(set once the warm-started population is enqueued) and ``metanas:run:<task>`` (the
experiment-database run the trials are recorded into). Each of them is set under a lock
(`study_lock`) so that concurrent workers agree on it.

A finished trial is recorded as one evaluation of that run at ``step = trial.number``; the
database's unique ``(run, step)`` key makes a second recording of a trial impossible, so a
duplicate callback call or a later `record_study` records nothing twice.

A worker killed mid-trial leaves its trial RUNNING in Optuna: it is never recorded while it
is RUNNING (`record_study` logs how many it left out). `fail_stale_trials` marks such trials
FAIL (by Optuna's heartbeat, or by a timeout on any storage) with the user attribute
``metanas_stale``; recorded afterwards, they carry the flag metric ``trial_stale``, no score.
Optuna's own heartbeat check (run by every live worker before its next trial) may fail the
trial first: the storage's stale-trial callback (`mark_stale`, installed by the workers'
storage) then notes it in the study attribute ``metanas:stale:<trial number>``, so that it
is recorded as ``trial_stale`` too, never as ``trial_failed``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.integrations._params import ParamCodec, codec_for
from metanas.integrations._record import FAILED, PRUNED, STALE, record_once, task_id_of
from metanas.integrations.optuna._suggest import METRICS_ATTR
from metanas.spaces import SearchSpace, get_space
from metanas.tasks import TaskMetadata

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase, RunInfo

__all__ = [
    "SOURCE_ATTR",
    "SPACE_ATTR",
    "STALE_ATTR",
    "MetanasCallback",
    "fail_stale_trials",
    "mark_stale",
    "record_study",
    "study_lock",
    "warm_start_study",
]

logger = logging.getLogger(__name__)

SPACE_ATTR = "metanas:space"
#: Trial user attribute of an enqueued warm-start trial: where the member came from.
SOURCE_ATTR = "metanas_source"
#: Trial user attribute `fail_stale_trials` sets on a trial it fails: why and when.
STALE_ATTR = "metanas_stale"
#: Study user attribute prefix (``metanas:stale:<number>``) `mark_stale` sets for a trial that
#: Optuna's own heartbeat check failed (a finished trial's attributes can no longer be set).
STALE_STUDY_ATTR = "metanas:stale:"
_FINISHED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
_FLAGS = {TrialState.FAIL: FAILED, TrialState.PRUNED: PRUNED}
_LOCAL_LOCK = threading.Lock()


# ---------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def study_lock(db: ExperimentDatabase, study: optuna.Study, purpose: str) -> Iterator[None]:
    """Hold a lock named after the study and ``purpose`` across processes and machines.

    On a PostgreSQL experiment database it is a session advisory lock on that server; on an
    SQLite file an exclusive ``flock`` of ``<file>.optuna.lock``; otherwise a process-local lock.
    """
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.pool import NullPool

    url = make_url(db.url)
    name = f"metanas-optuna|{study.study_name}|{purpose}"
    if url.get_backend_name() == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        finally:
            engine.dispose()
    elif url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        import fcntl

        with open(f"{url.database}.optuna.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        with _LOCAL_LOCK:
            yield


def _direction(study: optuna.Study) -> str:
    if len(study.directions) != 1:
        raise ConfigError(
            f"study {study.study_name!r} has {len(study.directions)} objectives; metanas records single-objective "
            "studies (create the study with one direction)"
        )
    return "maximize" if study.direction == optuna.study.StudyDirection.MAXIMIZE else "minimize"


_task_id = task_id_of


def _objective(db: ExperimentDatabase, study: optuna.Study, task_id: str) -> str:
    """The task's objective metric, after checking the study optimises it in the same direction."""
    metric, direction = db.task_objective(task_id)
    study_direction = _direction(study)
    if study_direction != direction:
        raise ConfigError(
            f"study {study.study_name!r} is to {study_direction} but task {task_id!r} {direction}s {metric!r} in the "
            f"experiment database; create the study with direction={direction!r}"
        )
    return metric


def _bind_space(study: optuna.Study, space: SearchSpace | str | None, *, write: bool = True) -> SearchSpace:
    """The study's space: ``space`` (recorded in the study the first time unless ``write`` is false)
    or the recorded one."""
    current = study.user_attrs.get(SPACE_ATTR)
    if space is None:
        if current is None:
            raise ConfigError(
                f"study {study.study_name!r} records no metanas search space; pass 'space' (e.g. space='nbg')"
            )
        return get_space(current)
    space = get_space(space)
    if current is None:
        if write:
            study.set_user_attr(SPACE_ATTR, space.id)
    elif current != space.id:
        raise ConfigError(
            f"study {study.study_name!r} searches space {current!r}, not {space.id!r}; pass space={current!r} or "
            "use another study"
        )
    return space


def trial_graph(codec: ParamCodec, trial: FrozenTrial) -> ModelGraph:
    """The architecture of a trial's parameters (other hyperparameters of the trial are ignored).

    Raises:
        ConfigError: the trial's parameters do not match the codec's space (the message names the trial).
        InvalidArchitectureError: they describe no architecture of the space.
    """
    names = codec.choices()
    arch = {k: v for k, v in trial.params.items() if k in names}
    try:
        return codec.from_params(arch)
    except (ConfigError, InvalidArchitectureError) as exc:
        raise type(exc)(f"trial {trial.number} (parameters {sorted(trial.params)}): {exc}") from exc


def _check_params(study: optuna.Study, codec: ParamCodec) -> None:
    """Raise `ConfigError` if the study's first finished trials do not describe architectures of the space."""
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    for trial in done[:5]:
        trial_graph(codec, trial)


def mark_stale(study: optuna.Study, trial: FrozenTrial) -> None:
    """The storage's ``heartbeat_stale_trial_callback``: note that Optuna's heartbeat check failed
    ``trial`` (its worker died), so that it is recorded as ``trial_stale``, not ``trial_failed``."""
    study.set_user_attr(f"{STALE_STUDY_ATTR}{trial.number}", {"reason": "heartbeat", "timeout": None})
    logger.warning("study %r: trial %d failed as stale by Optuna's heartbeat check (its worker died)",
                   study.study_name, trial.number)


def _stale_numbers(study: optuna.Study) -> frozenset[int]:
    """Trials that Optuna's heartbeat check failed (`mark_stale`)."""
    return frozenset(int(k[len(STALE_STUDY_ATTR):]) for k in study.user_attrs
                     if k.startswith(STALE_STUDY_ATTR) and k[len(STALE_STUDY_ATTR):].isdigit())


def _metrics(trial: FrozenTrial, metric: str, stale: bool = False) -> dict[str, float]:
    if trial.state == TrialState.FAIL and (stale or STALE_ATTR in trial.user_attrs):
        return {STALE: 1.0}
    if trial.state != TrialState.COMPLETE:
        out = {_FLAGS[trial.state]: 1.0}
        failure = trial.user_attrs.get("metanas_failure")  # set by TrainingObjective: why the evaluation failed
        if trial.state == TrialState.FAIL and isinstance(failure, dict) and isinstance(failure.get("reason"), str):
            out[f"failed_{failure['reason']}"] = 1.0
        return out
    extra = trial.user_attrs.get(METRICS_ATTR) or {}
    out = {k: float(v) for k, v in extra.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    out[metric] = float(trial.value)
    return out


def _record_trial(db: ExperimentDatabase, run_id: int, codec: ParamCodec, metric: str, trial: FrozenTrial,
                  stale: frozenset[int] = frozenset()) -> bool:
    """Record one finished trial at ``step = trial.number``; ``False`` if it was recorded already or
    is not finished, or if a failed or pruned trial has no complete architecture (logged).
    ``stale``: numbers of trials Optuna's heartbeat check failed (recorded as ``trial_stale``)."""
    if trial.state not in _FINISHED:
        return False
    try:
        graph = trial_graph(codec, trial)
    except (ConfigError, InvalidArchitectureError):
        if trial.state == TrialState.COMPLETE:
            raise
        logger.info("trial %d (%s) has no complete architecture; nothing to record", trial.number, trial.state.name)
        return False
    cost = trial.duration.total_seconds() if trial.duration is not None else None
    return record_once(db, run_id, graph, _metrics(trial, metric, trial.number in stale), trial.number, cost)


def _study_runs(db: ExperimentDatabase, task_id: str, study_name: str, strategy: str | None = None) -> list[RunInfo]:
    return [
        r for r in db.runs(task_id)
        if r.config.get("optuna_study") == study_name and (strategy is None or r.strategy == strategy)
    ]


def _ensure_run(db: ExperimentDatabase, study: optuna.Study, task_id: str, space: SearchSpace, strategy: str) -> int:
    """The running experiment-database run of the study on the task (started once, under the lock)."""
    key = f"metanas:run:{task_id}"
    with study_lock(db, study, key):
        run_id = study.user_attrs.get(key)
        if run_id is not None:
            for run in _study_runs(db, task_id, study.study_name):
                if run.run_id == run_id and run.status == "running":
                    return run_id
        config = {"optuna_study": study.study_name, "sampler": type(study.sampler).__name__,
                  "direction": _direction(study)}
        run_id = db.start_run(task_id, strategy, space_id=space.id, space=space, config=config)
        study.set_user_attr(key, run_id)
        logger.info("recording study %r on task %r into run %d", study.study_name, task_id, run_id)
        return run_id


# ---------------------------------------------------------------------------- public API
def warm_start_study(
    study: optuna.Study,
    db: ExperimentDatabase,
    task: TaskMetadata | str,
    space: SearchSpace | str,
    population_size: int = 20,
    config: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
) -> list[int]:
    """Enqueue the warm-started population of ``task`` into ``study``, once.

    Idempotent across processes: the first call (under `study_lock`) computes the
    `WarmStarter` population and enqueues it (``skip_if_exists``: a member the study already
    tried is not enqueued again), later calls, in this or any other worker, enqueue
    nothing. Each enqueued trial's ``metanas_source`` user attribute says where it came from
    (``source``: transfer / model / random, ``from_task``, ``score``, ``similarity``, ``index``).

    Args:
        study: the Optuna study (any storage).
        db: the `ExperimentDatabase` with the history.
        task: the new task (a `TaskMetadata`, or the id of a task in ``db``).
        space: the search space of the study's parameters.
        population_size: members of the warm-started population (>= 1).
        config: `WarmStartConfig` keys (``None``: defaults).
        seed: seed of the warm start's random fill.

    Returns:
        The trial numbers of the study's warm-start trials for this task.

    Raises:
        ConfigError: the study searches another space, or its trials do not match ``space``,
            or a warm-start setting is invalid.
    """
    from metanas.warm_start import WarmStarter

    task_meta = task if isinstance(task, TaskMetadata) else db.get_task(_task_id(task))
    task_id = task_meta.task_id
    codec = codec_for(space)
    key = f"metanas:warm_start:{task_id}"
    with study_lock(db, study, key):
        _bind_space(study, codec.space)
        _check_params(study, codec)
        if key in study.user_attrs:
            logger.info("study %r already holds the warm start of %r; enqueuing nothing", study.study_name, task_id)
        else:
            plan = WarmStarter(db, config).plan(task_meta, population_size, codec.space, np.random.default_rng(seed))
            for i, m in enumerate(plan.members):
                source = {"task": task_id, "index": i, "source": m.source, "from_task": m.task_id,
                          "score": m.score, "similarity": m.similarity}
                study.enqueue_trial(codec.to_params(m.graph), user_attrs={SOURCE_ATTR: source}, skip_if_exists=True)
            study.set_user_attr(key, {"population_size": population_size, "seed": seed, "counts": plan.counts()})
            logger.info("enqueued the warm start of %r into study %r: %s", task_id, study.study_name, plan.counts())
    return [
        t.number for t in study.get_trials(deepcopy=False)
        if (t.user_attrs.get(SOURCE_ATTR) or {}).get("task") == task_id
    ]


class MetanasCallback:
    """An Optuna callback that records every finished trial into the experiment database.

    All workers of a study record into one run of ``task`` (started on the first call, under
    `study_lock`; its id is the study's ``metanas:run:<task>`` attribute). A completed trial
    is recorded with its value under the task's objective metric (plus the numbers in its
    ``metanas_metrics`` user attribute), a failed or pruned one with the flag metric
    ``trial_failed`` / ``trial_pruned`` and no objective, so it is never a score. Cost: the
    trial's duration in seconds. A trial is recorded at most once (step = trial number).

    Args:
        db: the `ExperimentDatabase` (the task must be in it).
        task: the task searched (id or `TaskMetadata`).
        space: the study's search space (``None``: the one recorded in the study).
        strategy: the run's strategy name in the database.
    """

    def __init__(self, db: ExperimentDatabase, task: TaskMetadata | str, space: SearchSpace | str | None = None,
                 *, strategy: str = "optuna") -> None:
        self.db = db
        self.task_id = _task_id(task)
        self.space = space
        self.strategy = strategy
        self._state: dict[str, tuple[int, ParamCodec, str]] = {}

    def _prepare(self, study: optuna.Study) -> tuple[int, ParamCodec, str]:
        state = self._state.get(study.study_name)
        if state is None:
            metric = _objective(self.db, study, self.task_id)
            space = _bind_space(study, self.space)
            run_id = _ensure_run(self.db, study, self.task_id, space, self.strategy)
            state = self._state[study.study_name] = (run_id, codec_for(space), metric)
        return state

    def run_id(self, study: optuna.Study) -> int:
        """The run the study's trials are recorded into (started if needed)."""
        return self._prepare(study)[0]

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        run_id, codec, metric = self._prepare(study)
        stale = _stale_numbers(study) if trial.state == TrialState.FAIL else frozenset()
        _record_trial(self.db, run_id, codec, metric, trial, stale)


def record_study(study: optuna.Study, db: ExperimentDatabase, task: TaskMetadata | str, space: SearchSpace | str | None = None,
                 *, finish: bool = False, strategy: str = "optuna") -> int:
    """Record every finished trial of ``study`` not yet recorded (same run as `MetanasCallback`).

    Use it after the workers stopped (it catches trials whose callback never ran), or instead
    of the callback. Running and waiting trials are left out, and the running ones logged: a
    killed worker's trial stays RUNNING in Optuna and is no score in metanas; `fail_stale_trials`
    marks it FAIL, and the next `record_study` records it with the flag ``trial_stale``
    (a run ended with ``finish=True`` takes no more trials: fail stale trials before finishing).

    Args:
        study: the study.
        db: the `ExperimentDatabase` (the task must be in it).
        task: the task searched.
        space: the study's space (``None``: the one recorded in the study).
        finish: end the run afterwards (it accepts no more trials then; a later call starts a new run).
        strategy: the run's strategy name.

    Returns:
        How many trials this call recorded.
    """
    callback = MetanasCallback(db, task, space, strategy=strategy)
    run_id, codec, metric = callback._prepare(study)
    done = {e.step for e in db.trajectory(run_id)}
    stale = _stale_numbers(study)
    recorded = 0
    for trial in study.get_trials(deepcopy=False, states=_FINISHED):
        if trial.number not in done and _record_trial(db, run_id, codec, metric, trial, stale):
            recorded += 1
    running = [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
    if running:
        logger.warning("study %r: %d trial(s) still RUNNING, not recorded (%s%s); if their workers died, "
                       "fail_stale_trials marks them FAIL", study.study_name, len(running),
                       ", ".join(map(str, running[:10])), ", ..." if len(running) > 10 else "")
    if finish:
        with study_lock(db, study, f"metanas:run:{callback.task_id}"):
            db.finish_run(run_id, status="finished")
    return recorded


def fail_stale_trials(study: optuna.Study, *, timeout: float | None = None) -> list[int]:
    """Mark the trials of dead workers FAIL, so that they are recorded as ``trial_stale`` (never a score).

    A trial is stale when its storage's heartbeat says so (an `optuna.storages.RDBStorage`
    made with ``heartbeat_interval``: no heartbeat for ``grace_period`` seconds) or, with
    ``timeout``, when it has been RUNNING for more than ``timeout`` seconds (any storage; use a
    timeout well above the longest trial: a live trial that is failed cannot report its value).
    Each trial failed here gets the user attribute ``metanas_stale`` (``reason``: ``heartbeat``
    or ``timeout``). A trial that finishes while it is being failed keeps its own state.

    Args:
        study: the study.
        timeout: seconds a trial may run (``None``: use the storage's heartbeat).

    Returns:
        The numbers of the trials failed by this call.

    Raises:
        ConfigError: ``timeout`` is ``None`` and the storage has no heartbeat, or ``timeout`` is not
            a number >= 0.
    """
    import datetime

    # Optuna's own fail_stale_trials uses these (not re-exported in optuna.storages); ours also tags the trials.
    from optuna.storages._heartbeat import is_heartbeat_enabled

    storage = study._storage
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if timeout is None:
        if not is_heartbeat_enabled(storage):
            raise ConfigError(
                f"study {study.study_name!r}: its storage has no heartbeat, so stale trials cannot be told from "
                "running ones; pass timeout=SECONDS, or create the storage as "
                "optuna.storages.RDBStorage(url, heartbeat_interval=60)"
            )
        stale_ids = set(storage._get_stale_trial_ids(study._study_id))
        stale = [t for t in running if t._trial_id in stale_ids]
        reason = "heartbeat"
    else:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
            raise ConfigError(f"'timeout' must be a number of seconds >= 0 or None, got {timeout!r}")
        now = datetime.datetime.now()
        stale = [t for t in running
                 if t.datetime_start is not None and (now - t.datetime_start).total_seconds() > timeout]
        reason = "timeout"
    failed = []
    for trial in stale:
        try:
            storage.set_trial_user_attr(trial._trial_id, STALE_ATTR, {"reason": reason, "timeout": timeout})
            if storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                failed.append(trial.number)
        except optuna.exceptions.UpdateFinishedTrialError:  # it finished (or another process failed it) meanwhile
            logger.debug("trial %d finished while being failed as stale", trial.number)
    if failed:
        logger.warning("study %r: failed %d stale trial(s) (%s): %s", study.study_name, len(failed), reason, failed)
    return failed
