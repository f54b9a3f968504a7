"""``metanas search``: recorded, resumable, warm-started from the previous search."""

from __future__ import annotations

import pytest

from metanas.build._train import ImageClassificationEvaluator
from metanas.cli import main
from metanas.db import ExperimentDatabase
from metanas.search import DatabaseRecorder, EvaluationResult

TINY = """
search: {budget: 6, population: 3, strategy_options: {population_size: 3, tournament_size: 2}}
training:
  image: {epochs: 1, network: {C: 2, N: 1}}
"""


@pytest.fixture()
def setup(tmp_path):
    cfg = tmp_path / "search.yaml"
    cfg.write_text(TINY)
    return tmp_path / "h.db", cfg


@pytest.fixture()
def fake_training(monkeypatch):
    """Replace training by a deterministic score of the architecture (the pipeline stays real)."""
    calls: list = []
    state = {"interrupt_at": None}

    def evaluate(self, graph):
        if state["interrupt_at"] is not None and len(calls) == state["interrupt_at"]:
            raise KeyboardInterrupt
        calls.append(graph)
        v = int(graph.identity[:6], 16) / 16**6
        return EvaluationResult(v, {"val_acc": v, "test_acc": v / 2, "params": 10.0}, 0.01)

    monkeypatch.setattr(ImageClassificationEvaluator, "evaluate", evaluate)
    return calls, state


def _search(db, cfg, *extra, task="digits-a", data="sklearn:digits?classes=0-4"):
    return main(["search", "--db", str(db), "--space", "nb201", "--data", data, "--task-id", task,
                 "--config", str(cfg), "--no-progress", *extra])


def _rows(db_path, task):
    with ExperimentDatabase(db_path) as db:
        runs = db.runs(task)
        return runs, [(r.run_id, e.step, e.graph.identity) for r in runs for e in db.trajectory(r.run_id)]


def test_real_training_end_to_end_writes_the_curve(setup, capsys):
    db, cfg = setup
    out = db.parent / "out"
    assert _search(db, cfg, "--budget", "2", "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "best: |" in text and "validation" in text and "initial population of 3" in text
    assert (out / "best_so_far.png").stat().st_size > 0 and (out / "search.json").is_file()
    runs, rows = _rows(db, "digits-a")
    assert [r.status for r in runs] == ["finished"] and len(rows) == 2


def test_interrupted_search_resumes_without_re_evaluating(setup, fake_training):
    db, cfg = setup
    calls, state = fake_training
    state["interrupt_at"] = 2
    assert _search(db, cfg) == 130
    runs, rows = _rows(db, "digits-a")
    assert [r.status for r in runs] == ["failed"] and len(rows) == 2
    state["interrupt_at"] = None
    assert _search(db, cfg, "--resume") == 0
    assert len(calls) == 6  # 2 before the interrupt + 4 new: none evaluated twice
    runs, rows = _rows(db, "digits-a")
    assert [r.status for r in runs] == ["failed", "finished"]
    assert runs[1].config["resumed_from"] == runs[0].run_id
    assert [s for _, s, _ in rows] == [0, 1, 2, 3, 4, 5]
    assert len({i for _, _, i in rows}) == 6 == len({g.identity for g in calls})
    assert _search(db, cfg, "--resume") == 2  # the latest run finished: nothing to resume


def test_killed_search_continues_its_run_in_place(setup, fake_training, monkeypatch):
    db, cfg = setup
    calls, state = fake_training
    state["interrupt_at"] = 4
    original = DatabaseRecorder.finish
    monkeypatch.setattr(DatabaseRecorder, "finish", lambda self, status: None)  # kill -9: nothing marks the run
    assert _search(db, cfg) == 130
    monkeypatch.setattr(DatabaseRecorder, "finish", original)
    state["interrupt_at"] = None
    assert _search(db, cfg, "--resume") == 0
    runs, rows = _rows(db, "digits-a")
    assert len(runs) == 1 and runs[0].status == "finished"
    assert [s for _, s, _ in rows] == list(range(6)) and len(calls) == 6


def test_second_search_warm_starts_from_the_first(setup, fake_training, capsys):
    db, cfg = setup
    assert _search(db, cfg) == 0
    capsys.readouterr()
    assert _search(db, cfg, task="digits-b", data="sklearn:digits?classes=5-9") == 0
    text = capsys.readouterr().out
    assert "transfer:digits-a" in text and "similar past tasks: digits-a" in text
    runs, _ = _rows(db, "digits-b")
    origins = runs[0].config["origins"]
    assert any(o == "transfer:digits-a" for o in origins)
    with ExperimentDatabase(db) as h:
        best_a = {g.identity for g in h.get_top_architectures("digits-a", 10)}
    transferred = [g for g, o in zip(runs[0].config["initial_population"], origins) if o.startswith("transfer")]
    from metanas.graph import ModelGraph

    assert {ModelGraph.from_dict(g).identity for g in transferred} <= best_a
    assert _search(db, cfg, "--no-warm-start", task="digits-c", data="sklearn:digits?noise=0.3") == 0
    assert "transfer" not in capsys.readouterr().out.split("similar past tasks")[0]


def test_bad_input_prints_one_line(setup, capsys):
    db, cfg = setup
    assert _search(db, cfg, "--budget", "0") == 2
    assert "--budget" in capsys.readouterr().err
    assert main(["search", "--db", str(db), "--space", "nb201", "--data", "nope.csv", "--task-id", "t"]) == 2
    assert "--data" in capsys.readouterr().err
    bad = db.parent / "bad.yaml"
    bad.write_text("search: {budgets: 3}\n")
    assert _search(db, bad) == 2
    assert "budgets" in capsys.readouterr().err
