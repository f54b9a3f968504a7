"""A worker killed mid-trial leaves its trial RUNNING: never recorded as a score; `fail_stale_trials`
fails it (by timeout here, by heartbeat in test_optuna_workers) and it is recorded as ``trial_stale``."""

from __future__ import annotations

import logging
import time

import optuna
import pytest
from optuna.trial import TrialState

from metanas.exceptions import ConfigError
from metanas.integrations.optuna import (
    BenchmarkObjective,
    MetanasCallback,
    fail_stale_trials,
    import_study,
    record_study,
    suggest_architecture,
)

from .conftest import HELD_OUT

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _study_with_a_dead_trial(tmp_path, cora, history_db=None):
    """6 completed trials, then one asked (RUNNING: its worker "died"), then 2 more completed."""
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(storage=storage, study_name="s", direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    callbacks = [MetanasCallback(history_db, HELD_OUT, "nbg")] if history_db is not None else []
    study.optimize(BenchmarkObjective(cora), n_trials=6, callbacks=callbacks)
    dead = study.ask()
    suggest_architecture(dead, "nbg")
    study.optimize(BenchmarkObjective(cora), n_trials=2, callbacks=callbacks)
    return study, dead.number


def test_running_trial_is_left_out_then_failed_by_timeout_and_recorded_as_stale(tmp_path, history_db, cora,
                                                                                  caplog):
    study, dead = _study_with_a_dead_trial(tmp_path, cora, history_db)
    assert dead == 6
    with caplog.at_level(logging.WARNING):
        assert record_study(study, history_db, HELD_OUT) == 0  # the callback recorded the finished ones
    assert "1 trial(s) still RUNNING, not recorded (6)" in caplog.text
    (run,) = history_db.runs(HELD_OUT)[-1:]
    assert [e.step for e in history_db.trajectory(run.run_id)] == [0, 1, 2, 3, 4, 5, 7, 8]

    assert fail_stale_trials(study, timeout=24 * 3600) == []  # not running for a day: left alone
    assert study.trials[dead].state == TrialState.RUNNING
    assert fail_stale_trials(study, timeout=0) == [dead]
    trial = study.trials[dead]
    assert trial.state == TrialState.FAIL and trial.user_attrs["metanas_stale"] == {"reason": "timeout", "timeout": 0}
    assert fail_stale_trials(study, timeout=0) == []  # nothing left to fail

    assert record_study(study, history_db, HELD_OUT, finish=True) == 1
    rows = history_db.trajectory(run.run_id)
    assert [e.step for e in rows] == list(range(9))
    assert dict(rows[dead].metrics) == {"trial_stale": 1.0}  # no score
    best = max(t.value for t in study.trials if t.state == TrialState.COMPLETE)
    assert history_db.top_evaluations(HELD_OUT, 1)[0].value == best


def test_fail_stale_trials_needs_a_heartbeat_or_a_timeout(tmp_path, cora):
    study, _ = _study_with_a_dead_trial(tmp_path, cora)
    with pytest.raises(ConfigError, match="no heartbeat.*timeout=SECONDS.*heartbeat_interval"):
        fail_stale_trials(study)
    for bad in (-1, float("nan"), True, "60"):
        with pytest.raises(ConfigError, match="'timeout' must be a number of seconds >= 0"):
            fail_stale_trials(study, timeout=bad)
    assert study.get_trials(states=(TrialState.RUNNING,))  # nothing was failed


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used with Study.optimize")
def test_heartbeat_storage_fails_a_trial_without_heartbeats(tmp_path, cora):
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'hb.db'}", heartbeat_interval=1, grace_period=1)
    study = optuna.create_study(storage=storage, study_name="hb", direction="maximize")
    study.optimize(BenchmarkObjective(cora), n_trials=2)
    trial = study.ask()  # its worker beats once, then dies
    suggest_architecture(trial, "nbg")
    storage.record_heartbeat(trial._trial_id)
    time.sleep(2.5)  # past the grace period (a sleep, not a timing assert)
    assert fail_stale_trials(study) == [trial.number]
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    assert study.trials[trial.number].user_attrs["metanas_stale"] == {"reason": "heartbeat", "timeout": None}


def test_import_study_leaves_running_trials_out(tmp_path, cora):
    from metanas.db import ExperimentDatabase

    study, _ = _study_with_a_dead_trial(tmp_path, cora)
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        run_id = import_study(study._storage, "s", db, cora.task, "nbg")
        (run,) = db.runs(HELD_OUT)
        assert run.run_id == run_id and run.config["left_out_unfinished"] == 1
        assert [e.step for e in db.trajectory(run_id)] == [0, 1, 2, 3, 4, 5, 7, 8]


def test_a_trial_finished_by_another_worker_does_not_end_the_worker(tmp_path, cora, monkeypatch, caplog):
    """SQLite's storage race: two workers pop the same enqueued trial; the second tell must not kill the worker."""
    from dataclasses import asdict
    from pathlib import Path

    from metanas.db import ExperimentDatabase
    from metanas.integrations.optuna._workers import WorkerSpec, _worker, prepare_study

    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        db.add_task(cora.task, objective=cora.objective, direction=cora.direction)
        spec = WorkerSpec(storage=storage, study_name="race", db_url=str(tmp_path / "kb.db"), task=HELD_OUT,
                          space="nbg", n_trials=6, objective="_objectives:finished_elsewhere", sampler="random")
        study = prepare_study(spec, db)
        with caplog.at_level(logging.WARNING, logger="metanas.integrations.optuna._workers"):
            _worker(asdict(spec), 0)
        trials = optuna.load_study(study_name="race", storage=storage).trials
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 6  # the worker went on after trial 1
        assert "finished by another worker too" in caplog.text
        assert record_study(study, db, HELD_OUT) == 1  # trial 1: its value from the "other worker", once
        (run,) = db.runs(HELD_OUT)
        assert [e.step for e in db.trajectory(run.run_id)] == list(range(6))


class _FinishedInAfterTrial(optuna.samplers.RandomSampler):
    """Trial 1 is finished by "another worker process" (a storage of its own) after this worker read it RUNNING
    and before it writes its value: the window in which CI's two SQLite workers raced."""

    def __init__(self, url: str) -> None:
        super().__init__(seed=0)
        self.url = url

    def after_trial(self, study, trial, state, values) -> None:
        if trial.number == 1:
            other = optuna.storages.RDBStorage(self.url)
            other.set_trial_state_values(trial._trial_id, state=TrialState.COMPLETE, values=[0.5])
            other.engine.dispose()
        super().after_trial(study, trial, state, values)


def test_a_trial_finished_by_another_process_between_read_and_write_does_not_end_the_worker(tmp_path, caplog):
    """The other form of the race: the second tell fails at the write (``UpdateFinishedTrialError``)."""
    from metanas.integrations.optuna._workers import _optimize

    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(storage=url, study_name="race", sampler=_FinishedInAfterTrial(url))
    callbacks = [optuna.study.MaxTrialsCallback(4, states=(TrialState.COMPLETE, TrialState.RUNNING))]
    with caplog.at_level(logging.WARNING, logger="metanas.integrations.optuna._workers"):
        _optimize(study, lambda trial: trial.suggest_float("x", 0.0, 1.0), 4, callbacks)
    trials = optuna.load_study(study_name="race", storage=url).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4  # the worker went on after trial 1
    assert trials[1].value == 0.5  # the other worker's value stands
    assert "finished by another worker too" in caplog.text
