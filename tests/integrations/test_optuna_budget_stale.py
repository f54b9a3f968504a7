"""Issue 22, N2 and N4: a rerun on a study that holds its budget trains nothing more; a dead worker's
trial that Optuna's own heartbeat check fails is recorded as ``trial_stale``, not ``trial_failed``."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from metanas.db import ExperimentDatabase
from metanas.integrations.optuna import MetanasCallback, record_study, suggest_architecture
from metanas.integrations.optuna._workers import WorkerSpec, _optimize, _worker, prepare_study, storage_of

from .conftest import HELD_OUT

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_a_rerun_on_a_study_that_holds_its_budget_trains_no_more_trials(tmp_path, cora, monkeypatch, caplog):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        db.add_task(cora.task, objective=cora.objective, direction=cora.direction)
        spec = WorkerSpec(storage=storage, study_name="budget", db_url=str(tmp_path / "kb.db"), task=HELD_OUT,
                          space="nbg", n_trials=6, objective="_objectives:cheap", sampler="random")
        prepare_study(spec, db)
    _worker(asdict(spec), 0)
    assert len(optuna.load_study(study_name="budget", storage=storage).trials) == 6
    with caplog.at_level(logging.INFO, logger="metanas.integrations.optuna._workers"):
        for index in (0, 1, 2):  # three reruns (workers) on the full study
            _worker(asdict(spec), index)
    assert len(optuna.load_study(study_name="budget", storage=storage).trials) == 6
    assert "holds 6 trial(s), its budget is 6: this worker starts no more" in caplog.text


def test_a_larger_budget_continues_the_study_to_exactly_that_budget(tmp_path, cora, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        db.add_task(cora.task, objective=cora.objective, direction=cora.direction)
        spec = WorkerSpec(storage=storage, study_name="more", db_url=str(tmp_path / "kb.db"), task=HELD_OUT,
                          space="nbg", n_trials=3, objective="_objectives:cheap", sampler="random")
        prepare_study(spec, db)
    _worker(asdict(spec), 0)
    bigger = WorkerSpec(**{**asdict(spec), "n_trials": 5})
    _worker(asdict(bigger), 0)
    assert len(optuna.load_study(study_name="more", storage=storage).trials) == 5


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_a_trial_failed_by_optunas_own_heartbeat_check_is_recorded_as_stale(tmp_path, history_db, cora):
    spec = WorkerSpec(storage=f"sqlite:///{tmp_path / 'hb.db'}", study_name="hb", db_url=str(tmp_path / "x.db"),
                      task=HELD_OUT, space="nbg", n_trials=5, suite="nasbench-graph", heartbeat=1)
    storage = storage_of(spec)
    study = optuna.create_study(storage=storage, study_name="hb", direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    callbacks = [MetanasCallback(history_db, HELD_OUT, "nbg")]

    def objective(trial):
        graph = suggest_architecture(trial, "nbg")
        return float(cora.lookup(graph)[cora.objective])

    study.optimize(objective, n_trials=2, callbacks=callbacks)
    dead = study.ask()  # its worker beats once, then dies
    suggest_architecture(dead, "nbg")
    storage.record_heartbeat(dead._trial_id)
    time.sleep(3.5)  # past the 2 s grace period even at the storage's one-second resolution (2.5 s was flaky)
    _optimize(study, objective, 5, callbacks)  # a live worker: Optuna fails the dead trial before its next one
    trials = optuna.load_study(study_name="hb", storage=storage).trials
    assert trials[dead.number].state == TrialState.FAIL and "metanas_stale" not in trials[dead.number].user_attrs
    assert len(trials) == 5
    assert record_study(study, history_db, HELD_OUT, finish=True) == 1  # the dead trial; the others by callback
    (run,) = history_db.runs(HELD_OUT)[-1:]
    rows = {e.step: dict(e.metrics) for e in history_db.trajectory(run.run_id)}
    assert sorted(rows) == list(range(5))
    assert rows[dead.number] == {"trial_stale": 1.0}
    assert all(cora.objective in rows[n] for n in rows if n != dead.number)
