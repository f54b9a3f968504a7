"""``metanas search --engine optuna``: the training evaluator of ``metanas search`` in N Optuna worker
processes on one study, the warm start enqueued once, every trial recorded into the experiment database."""

from __future__ import annotations

import json

import optuna
import pytest
from optuna.trial import TrialState

from metanas.cli import main
from metanas.db import ExperimentDatabase
from metanas.integrations import codec_for

TINY = """
search: {budget: 5, population: 2, strategy_options: {population_size: 2, tournament_size: 2}, threads: 1}
training:
  image: {epochs: 1, network: {C: 2, N: 1}}
"""


def _search(tmp_path, *extra):
    cfg = tmp_path / "search.yaml"
    cfg.write_text(TINY)
    return main(["search", "--db", str(tmp_path / "h.db"), "--space", "nb201", "--data", "sklearn:digits?classes=0-4",
                 "--task-id", "digits-a", "--config", str(cfg), "--no-progress", *extra])


@pytest.mark.slow
def test_two_workers_train_every_trial_once_and_record_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    code = _search(tmp_path, "--engine", "optuna", "--storage", storage, "--workers", "2", "--out",
                   str(tmp_path / "out"))
    out = capsys.readouterr().out
    assert code == 0, out
    study = optuna.load_study(study_name="digits-a", storage=storage)
    trials = study.trials
    assert 5 <= len(trials) <= 6  # the budget; a second worker mid-trial finishes its own
    assert all(t.state == TrialState.COMPLETE for t in trials)
    warm = [t for t in trials if "metanas_source" in t.user_attrs]
    assert sorted(t.user_attrs["metanas_source"]["index"] for t in warm) == [0, 1]  # enqueued once, run once
    assert all(t.number < 2 for t in warm)  # and first
    assert all(0.0 < t.value <= 1.0 for t in trials)  # validation accuracy of real training
    with ExperimentDatabase(tmp_path / "h.db") as db:
        (run,) = db.runs("digits-a")
        assert (run.strategy, run.status, run.config["optuna_study"]) == ("optuna", "finished", "digits-a")
        rows = db.trajectory(run.run_id)
        assert [e.step for e in rows] == [t.number for t in trials]  # every trial once
        codec = codec_for("nb201")
        assert [e.graph for e in rows] == [codec.from_params(t.params) for t in trials]
        assert all(e.cost is not None and e.cost > 0 for e in rows)
        assert {"val_acc", "test_acc"} <= set(rows[0].metrics)
        assert db.top_evaluations("digits-a", 1)[0].value == study.best_value
    assert f"val_acc {study.best_value:.4f}, trial {study.best_trial.number}" in out
    written = json.loads((tmp_path / "out" / "search.json").read_text())
    assert [t["trial"] for t in written["trials"]] == [t.number for t in trials]


def test_engine_optuna_needs_a_storage_and_refuses_resume(tmp_path, capsys):
    assert _search(tmp_path, "--engine", "optuna") == 2
    assert "--engine optuna needs --storage URL" in capsys.readouterr().err
    assert _search(tmp_path, "--engine", "optuna", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--resume") == 2
    assert "--resume is for --engine metanas" in capsys.readouterr().err
    assert _search(tmp_path, "--engine", "optuna", "--storage", f"sqlite:///{tmp_path / 's.db'}",
                   "--sampler", "cmaes") == 2
    assert "'sampler' must be one of" in capsys.readouterr().err
    assert not (tmp_path / "s.db").exists() or not optuna.get_all_study_names(f"sqlite:///{tmp_path / 's.db'}")


class _Evaluator:
    """Fails on nb201 cells that use ``none`` on the first edge (a NaN loss), scores the others."""

    direction = "maximize"

    def evaluate(self, graph):
        from metanas.search import EvaluationResult

        if graph.ops[1] == "none":
            return EvaluationResult.failed("nan_loss", "loss became NaN at epoch 1")
        return EvaluationResult(0.5, {"val_acc": 0.5, "test_acc": 0.4}, 1.0)


def test_a_failed_training_is_a_fail_trial_recorded_with_its_reason(tmp_path):
    from metanas.integrations.optuna import MetanasCallback
    from metanas.integrations.optuna._training import TrainingObjective
    from metanas.spaces import get_space
    from metanas.tasks import TaskMetadata

    objective = TrainingObjective.__new__(TrainingObjective)  # its evaluator replaced: no data, no training
    objective.space, objective.evaluator = get_space("nb201"), _Evaluator()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    codec = codec_for("nb201")
    study.enqueue_trial({**codec.to_params(get_space("nb201").from_ops(["none"] + ["skip_connect"] * 5))})
    study.enqueue_trial({**codec.to_params(get_space("nb201").from_ops(["nor_conv_3x3"] * 6))})
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        db.add_task(TaskMetadata("t", "digits", 900, 5, (1, 8, 8), "classification"), objective="val_acc")
        from metanas.exceptions import EvaluationFailedError

        study.optimize(objective, n_trials=2, callbacks=[MetanasCallback(db, "t", "nb201")],
                       catch=(EvaluationFailedError,))
        assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]
        assert study.trials[0].user_attrs["metanas_failure"]["reason"] == "nan_loss"
        (run,) = db.runs("t")
        rows = db.trajectory(run.run_id)
        assert dict(rows[0].metrics) == {"trial_failed": 1.0, "failed_nan_loss": 1.0}
        assert dict(rows[1].metrics) == {"val_acc": 0.5, "test_acc": 0.4}
