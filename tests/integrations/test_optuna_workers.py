"""Many worker processes on one Optuna study on PostgreSQL, recorded in a PostgreSQL experiment database."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
import uuid
from dataclasses import asdict
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState
from sqlalchemy import create_engine, make_url, text

from metanas.db import ExperimentDatabase
from metanas.integrations.optuna import fail_stale_trials, record_study, run_workers
from metanas.integrations.optuna._workers import WorkerSpec, _worker, prepare_study

from .conftest import HELD_OUT, fill_history

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def pg_schemas(pg_url):
    """Two fresh schemas on the server: (experiment database URL, Optuna storage URL); dropped afterwards."""
    names = [f"metanas_optuna_{uuid.uuid4().hex[:10]}_{k}" for k in ("kb", "study")]
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        for name in names:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    urls = [make_url(pg_url).update_query_dict({"options": f"-csearch_path={n}"}).render_as_string(
        hide_password=False) for n in names]
    try:
        yield tuple(urls)
    finally:
        with admin.begin() as conn:
            for name in names:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def test_four_workers_on_one_study(pg_schemas, nbg_suite):
    db_url, storage = pg_schemas
    with ExperimentDatabase(db_url) as db:
        fill_history(db, nbg_suite)
    spec = WorkerSpec(storage=storage, study_name="four", db_url=db_url, task=HELD_OUT, space="nbg", n_trials=40,
                      suite="nasbench-graph", sampler="tpe", warm_start=12)
    study = run_workers(spec, 4, timeout=300)

    trials = study.get_trials()
    warm = [t for t in trials if "metanas_source" in t.user_attrs]
    assert len(warm) == 12  # four workers each ran warm_start_study: enqueued once
    assert all(t.state == TrialState.COMPLETE for t in warm)
    assert sorted(t.user_attrs["metanas_source"]["index"] for t in warm) == list(range(12))
    finished = [t for t in trials if t.state == TrialState.COMPLETE]
    assert 40 <= len(finished) <= 43  # the study stops at 40; workers mid-trial finish theirs
    with ExperimentDatabase(db_url) as db:
        runs = [r for r in db.runs(HELD_OUT) if r.config.get("optuna_study") == "four"]
        assert len(runs) == 1 and runs[0].status == "finished"
        steps = [e.step for e in db.trajectory(runs[0].run_id)]
        assert steps == sorted(t.number for t in finished)  # every trial once, nothing twice
        assert db.top_evaluations(HELD_OUT, 1)[0].value == study.best_value


def test_a_killed_worker_loses_no_row_and_its_trial_is_no_score(pg_schemas, cora, tmp_path, monkeypatch):
    db_url, storage = pg_schemas
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    marker = tmp_path / "stalled"
    monkeypatch.setenv("METANAS_TEST_MARKER", str(marker))
    with ExperimentDatabase(db_url) as db:
        db.add_task(cora.task, objective=cora.objective, direction=cora.direction)
        spec = WorkerSpec(storage=storage, study_name="kill", db_url=db_url, task=HELD_OUT, space="nbg",
                          n_trials=20, objective="_objectives:stall_once", sampler="random", heartbeat=1)
        study = prepare_study(spec, db)
        proc = mp.get_context("spawn").Process(target=_worker, args=(asdict(spec), 0))
        proc.start()
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and proc.is_alive():
            time.sleep(0.2)
        assert marker.exists(), "the worker never reached the stalling trial"
        os.kill(int(marker.read_text() or proc.pid), signal.SIGKILL)
        proc.join(30)
        assert proc.exitcode == -signal.SIGKILL

        states = {t.number: t.state for t in optuna.load_study(study_name="kill", storage=storage).trials}
        assert states == {0: TrialState.COMPLETE, 1: TrialState.COMPLETE, 2: TrialState.COMPLETE,
                          3: TrialState.COMPLETE, 4: TrialState.RUNNING}
        assert record_study(study, db, HELD_OUT) == 0  # the callback had recorded them all; 4 is RUNNING: left out
        (run,) = db.runs(HELD_OUT)
        assert [e.step for e in db.trajectory(run.run_id)] == [0, 1, 2, 3]
        failed = []
        deadline = time.monotonic() + 60
        while not failed and time.monotonic() < deadline:  # its heartbeat goes stale after the 2 s grace period
            time.sleep(0.5)
            failed = fail_stale_trials(study)
        assert failed == [4]
        assert record_study(study, db, HELD_OUT, finish=True) == 1
        rows = db.trajectory(run.run_id)
        assert [e.step for e in rows] == [0, 1, 2, 3, 4] and dict(rows[4].metrics) == {"trial_stale": 1.0}
        assert db.top_evaluations(HELD_OUT, 1)[0].value == max(t.value for t in study.trials if t.value is not None)


def test_cli_runs_workers_on_a_user_objective(pg_schemas, cora, monkeypatch, capsys):
    import json

    from metanas.cli import main

    db_url, storage = pg_schemas
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    with ExperimentDatabase(db_url) as db:
        db.add_task(cora.task, objective=cora.objective, direction=cora.direction)
    code = main(["optuna", "--storage", storage, "--study", "cli", "--db", db_url, "--task", HELD_OUT,
                 "--space", "nbg", "--objective", "_objectives:cheap", "--sampler", "metanas", "--workers", "2",
                 "--trials", "12", "--warm-start", "0"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    study = optuna.load_study(study_name="cli", storage=storage)
    assert out["best_value"] == study.best_value and out["trials"] == len(study.trials) >= 12
    with ExperimentDatabase(db_url) as db:
        (run,) = db.runs(HELD_OUT)
        assert run.num_evaluations == len(study.trials) and run.strategy == "optuna"
        assert db.top_evaluations(HELD_OUT, 1)[0].value == study.best_value
