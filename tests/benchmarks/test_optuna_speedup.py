"""The Optuna LOTO benchmark (`benchmarks.optuna_speedup`): its job plan and a small run."""

from __future__ import annotations

import csv
import json

import pytest

pytest.importorskip("optuna")

from benchmarks import optuna_speedup


def test_plan_runs_cold_methods_once_and_warm_methods_per_history_seed():
    jobs = optuna_speedup.plan_jobs(["a"], ["tpe", "metanas-transfer"], seeds=4, history_seeds=2, chunk=2)
    assert jobs == [("a", None, ("tpe",), range(2)), ("a", 0, ("metanas-transfer",), range(2)),
                    ("a", 1, ("metanas-transfer",), range(2)), ("a", None, ("tpe",), range(2, 4)),
                    ("a", 0, ("metanas-transfer",), range(2, 4)), ("a", 1, ("metanas-transfer",), range(2, 4))]
    done = {("a", "tpe", "", 0), ("a", "tpe", "", 1), ("a", "metanas-transfer", "0", 0)}
    left = optuna_speedup.plan_jobs(["a"], ["tpe", "metanas-transfer"], seeds=2, history_seeds=2, chunk=2, done=done)
    assert left == [("a", 0, ("metanas-transfer",), range(2)), ("a", 1, ("metanas-transfer",), range(2))]


def test_small_run_then_resume_adds_only_the_missing_runs(tmp_path, capsys):
    out = tmp_path / "bench"
    args = ["--tasks", "nbg/citeseer", "--seeds", "2", "--history-seeds", "1", "--budget", "25", "--workers", "1",
            "--out", str(out)]
    assert optuna_speedup.main([*args, "--methods", "tpe,metanas-transfer"]) == 0
    assert optuna_speedup.main([*args, "--methods", "tpe,re,metanas-transfer", "--resume"]) == 0
    with open(out / "runs.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cells = sorted((r["method"], r["history_seed"], r["seed"]) for r in rows)
    assert cells == sorted([(m, "", s) for m in ("tpe", "re") for s in "01"]
                           + [("metanas-transfer", "0", s) for s in "01"])  # none twice
    assert all(1 <= int(r["evals_to_target"]) <= 26 for r in rows)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete_seeds"] == 2 and set(summary["tasks"]["nbg/citeseer"]) == {"tpe", "re", "metanas-transfer"}
    capsys.readouterr()
    assert optuna_speedup.main([*args, "--methods", "tpe,re,metanas-transfer", "--resume"]) == 0
    assert "nothing to run" in capsys.readouterr().out


def test_the_committed_run_is_complete():
    """Its table is on the docs' results page (tests/test_docs_pages.py pins the page to this summary)."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    summary = json.loads((repo / "benchmarks/results/optuna-nasbench-graph-top0.1/summary.json").read_text())
    assert summary["complete_seeds"] == 30 and summary["history_seeds"] == 3
