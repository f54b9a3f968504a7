"""``metanas search``: recorded, resumable, warm-started from the previous search."""

from __future__ import annotations

import re

import pytest
import torch

from metanas.cli import main
from metanas.db import ExperimentDatabase
from metanas.networks._train import ImageClassificationEvaluator
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
    state = {"interrupt_at": None, "threads": []}

    def evaluate(self, graph):
        if state["interrupt_at"] is not None and len(calls) == state["interrupt_at"]:
            raise KeyboardInterrupt
        calls.append(graph)
        state["threads"].append(torch.get_num_threads())
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


def _shown_runs(out: str) -> dict[str, list[tuple[str, list[str]]]]:
    """``metanas db show`` output -> task id -> [(run line, best-so-far values)]."""
    tasks: dict[str, list] = {}
    current = None
    for line in out.splitlines():
        if line and not line.startswith(" ") and "objective" in line:
            current = tasks.setdefault(line.split()[0], [])
        elif line.startswith("  run "):
            current.append((line.strip(), []))
        elif "so far by step:" in line:
            current[-1][1].extend(line.split("so far by step:")[1].split(";")[0].split(" ... (")[0].split())
    return tasks


def _best_so_far(db_path, run_id):
    with ExperimentDatabase(db_path) as db:
        best, out = None, []
        for e in db.trajectory(run_id):
            best = e.metrics["val_acc"] if best is None else max(best, e.metrics["val_acc"])
            out.append(f"{best:.4g}")
        return out


def test_real_training_end_to_end_writes_the_curve(setup, capsys):
    """Two tiny real searches (1 epoch, 2 cells of 2 channels): the second warm-starts from the first,
    and ``metanas db show`` lists both searches with their trajectories."""
    db, cfg = setup
    out = db.parent / "out"
    assert _search(db, cfg, "--budget", "2", "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "best: |" in text and "validation" in text and "initial population of 3" in text
    assert (out / "best_so_far.png").stat().st_size > 0 and (out / "search.json").is_file()
    runs, rows = _rows(db, "digits-a")
    assert [r.status for r in runs] == ["finished"] and len(rows) == 2
    threads = torch.get_num_threads()
    assert _search(db, cfg, "--budget", "3", "--threads", "1", task="digits-b", data="sklearn:digits?classes=5-9") == 0
    assert torch.get_num_threads() == threads  # restored after the search
    assert "2 transfer:digits-a" in capsys.readouterr().out
    assert main(["db", "show", "--db", str(db)]) == 0
    shown = _shown_runs(capsys.readouterr().out)
    (run_a, traj_a), = shown["digits-a"]
    (run_b, traj_b), = shown["digits-b"]
    assert run_a.startswith("run 1: regularized_evolution, finished, 2 evaluation(s), seed 0; initial population 3 random")
    assert run_b.startswith("run 2: regularized_evolution, finished, 3 evaluation(s), seed 0; initial population "
                            "1 random, 2 transfer:digits-a")
    assert traj_a == _best_so_far(db, 1) and len(traj_a) == 2
    assert traj_b == _best_so_far(db, 2) and len(traj_b) == 3


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

    assert main(["db", "show", "--db", str(db), "--steps", "4"]) == 0
    out = capsys.readouterr().out
    shown = _shown_runs(out)
    assert sorted(shown) == ["digits-a", "digits-b", "digits-c"]
    for task, run_id in (("digits-a", 1), ("digits-b", 2), ("digits-c", 3)):
        (line, traj), = shown[task]
        assert line.startswith(f"run {run_id}: regularized_evolution, finished, 6 evaluation(s)")
        assert traj == _best_so_far(db, run_id)[:4]  # --steps 4 of 6
        assert traj == sorted(traj, key=float)  # best so far never falls
    assert "initial population 1 random, 2 transfer:digits-a" in shown["digits-b"][0][0]
    assert shown["digits-c"][0][0].endswith("initial population 3 random")
    assert len(re.findall(r"\.\.\. \(2 more\)", out)) == 3


def test_threads_setting_applies_while_training_and_is_restored(setup, fake_training, capsys):
    db, cfg = setup
    _, state = fake_training
    before = torch.get_num_threads()
    assert _search(db, cfg, "--budget", "2", "--threads", "1") == 0
    assert state["threads"] == [1, 1] and torch.get_num_threads() == before
    threaded = db.parent / "threads.yaml"
    threaded.write_text(TINY.replace("search: {", "search: {threads: 1, "))
    state["threads"].clear()
    assert _search(db, threaded, "--budget", "2", task="digits-t") == 0
    assert state["threads"] == [1, 1] and torch.get_num_threads() == before
    for bad, message in (("threads: 0, ", "'threads' must be an integer >= 1 or null"),
                         ("threads: two, ", "'threads' must be an integer >= 1 or null")):
        threaded.write_text(TINY.replace("search: {", "search: {" + bad))
        assert _search(db, threaded, task="digits-u") == 2
        assert message in capsys.readouterr().err
    assert _search(db, cfg, "--threads", "0", task="digits-u") == 2
    assert "--threads must be an integer >= 1, got 0" in capsys.readouterr().err


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


def test_transfer_strategy_reads_its_history_from_the_database_and_resumes(setup, fake_training):
    db, cfg = setup
    calls, state = fake_training
    assert _search(db, cfg) == 0  # digits-a: the past task
    state["interrupt_at"] = len(calls) + 2
    assert _search(db, cfg, "--strategy", "transfer-bo", task="digits-b", data="sklearn:digits?classes=5-9") == 130
    state["interrupt_at"] = None
    assert _search(db, cfg, "--strategy", "transfer-bo", "--resume", task="digits-b",
                   data="sklearn:digits?classes=5-9") == 0
    runs, rows = _rows(db, "digits-b")
    assert [r.strategy for r in runs] == ["transfer-bo", "transfer-bo"]
    config = runs[0].config
    assert config["past_tasks"] == ["digits-a"] and config["initial_design"] == "informative"
    # the strategy designed part of its first population from digits-a (no WarmStarter members)
    assert config["origins"] and all(o.startswith("design:") for o in config["origins"])
    assert len(config["initial_population"]) == len(config["origins"])
    assert [s for _, s, _ in rows] == list(range(6))
    assert len({i for _, _, i in rows}) == 6  # the resumed search asked the same design again: replayed
    assert len(calls) == 12  # 6 for digits-a, 6 for digits-b: nothing trained twice


def test_transfer_strategy_without_warm_start_is_a_cold_start(setup, fake_training):
    db, cfg = setup
    assert _search(db, cfg) == 0
    assert _search(db, cfg, "--strategy", "transfer-bo", "--no-warm-start", task="digits-b",
                   data="sklearn:digits?classes=5-9") == 0
    runs, _ = _rows(db, "digits-b")
    assert runs[0].config["past_tasks"] == [] and runs[0].config["origins"] == []
