"""The protocol's baseline is explicit: regularized evolution from a random population unless named,
whatever options a method brings; summary.json and the table caption name it and each column's strategy."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from metanas.benchmarks.loto import LotoSettings, render_summary, run_loto
from metanas.cli import main
from metanas.exceptions import UnknownNameError

SMALL = {"suite": "nb201", "tasks": ("cifar10", "cifar100"), "seeds": 2, "history_seeds": 1, "budget": 30,
         "history_size": 100, "population_size": 10, "tournament_size": 3, "workers": 1}


def _rows(path, method):
    with open(path / "runs.csv") as f:
        return [(r["task"], r["seed"], r["evals_to_target"], r["regret_B"]) for r in csv.DictReader(f)
                if r["method"] == method]


def test_a_transfer_option_leaves_the_baseline_regularized_evolution(tmp_path, nb201_dir, capsys, monkeypatch):
    # Before: passing a TransferBO option needed --strategy transfer-bo, and then the random
    # baseline silently ran a cold TransferBO while the caption said "regularized evolution".
    import metanas.search

    built: list[float] = []

    class Recording(metanas.search.TransferBO):
        def __init__(self, *args, **kwargs):
            built.append(kwargs.get("kappa"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(metanas.search, "TransferBO", Recording)
    out = tmp_path / "bench"
    argv = ["bench", "--suite", "nb201", "--nb201-dir", str(nb201_dir), "--tasks", "cifar10,cifar100",
            "--methods", "transfer-bo", "--method-option", "transfer-bo:kappa=2", "--seeds", "2",
            "--history-seeds", "1", "--budget", "30", "--workers", "1", "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert built == [2] * 4  # the option reached the method's strategy, 2 tasks x 2 seeds
    # the baseline's runs are regularized evolution's from a random population: as in a run of it alone
    alone = tmp_path / "alone"
    assert main([*argv[:argv.index("--methods")], "--methods", "random", "--seeds", "2", "--history-seeds", "1",
                 "--budget", "30", "--workers", "1", "--out", str(alone)]) == 0
    assert _rows(out, "random") == _rows(alone, "random") and len(_rows(out, "random")) == 4
    assert len(built) == 4  # the baseline built no TransferBO
    summary = json.loads((out / "summary.json").read_text())
    assert summary["baseline"] == "random"
    assert summary["strategies"]["random"] == ("regularized evolution (population 20, tournament 5), "
                                               "from a random population")
    assert summary["strategies"]["transfer-bo"].startswith("TransferBO (population 20, tournament 5, kappa 2)")
    assert summary["settings"]["method_options"] == {"transfer-bo": {"kappa": 2}}
    caption = printed.splitlines()[0]
    assert "baseline `random`: regularized evolution (population 20, tournament 5), from a random population" in caption
    assert "`transfer-bo`: TransferBO (population 20, tournament 5, kappa 2)" in printed


def test_a_named_baseline_is_what_the_speedups_divide_and_the_table_says(nb201_dir):
    result = run_loto(LotoSettings(**SMALL, methods=("dataset_meta",), baseline="naive_meanrank",
                                   nb201_dir=str(nb201_dir)))
    assert result.settings.methods == ("naive_meanrank", "dataset_meta")  # random is not run
    assert {r["method"] for r in result.runs} == {"naive_meanrank", "dataset_meta"}
    s = result.summary
    assert s["baseline"] == "naive_meanrank" and set(s["median_speedup"]) == {"dataset_meta"}
    for task, per in s["tasks"].items():
        base = [r["evals_to_target"] for r in result.runs if r["task"] == task and r["method"] == "naive_meanrank"]
        assert per["dataset_meta"]["speedup"] == pytest.approx(np.median(base) / per["dataset_meta"]["median_evals"])
        assert "speedup" not in per["naive_meanrank"]
    table = render_summary(s)
    assert "| task | at target | naive_meanrank | dataset_meta |" in table
    assert "baseline `naive_meanrank`: regularized evolution (population 10, tournament 3), from the top-10" in table
    assert "speedup against `naive_meanrank`" in table


def test_an_unknown_baseline_is_refused_naming_the_methods():
    with pytest.raises(UnknownNameError, match=r"unknown baseline 'rea'; choose a method from \[.*'random'"):
        LotoSettings(baseline="rea")
