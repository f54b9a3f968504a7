"""Defects of the LOTO protocol engine that a user integrating their own benchmark found (issue 21)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from metanas.benchmarks import SUITES, BenchmarkSuite, register_suite, suite_of_task
from metanas.benchmarks.loto import LOTO_METHODS, RandomInit, WarmStartMethod, register_method
from metanas.exceptions import ConfigError, UnknownTaskError

REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ registration under `python -m`
@pytest.mark.parametrize("module", ["benchmarks.nested", "benchmarks.methods", "benchmarks.report"])
def test_a_module_run_with_python_m_registers_nothing_twice(module, nb201_dir):
    # `python -m metanas.benchmarks._loto_nested` failed on import: the module loaded twice
    # (as __main__ and under its name) and the registry refused the second registration.
    args = {"benchmarks.nested": ["--suite", "nb201", "--nb201-dir", str(nb201_dir), "--held-out", "cifar10",
                                  "--seeds", "1", "--budget", "25"],
            "benchmarks.methods": [], "benchmarks.report": [str(REPO / "benchmarks/results/nb201-top0.1")]}[module]
    out = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=600,
                         check=False, cwd=REPO, env={"OMP_NUM_THREADS": "1", "PATH": ""})
    assert out.returncode == 0, out.stderr[-3000:]
    if module == "benchmarks.nested":
        assert "holding out nb201/cifar10 (2 past tasks, 1 seeds): chosen" in out.stdout


def test_registering_the_same_method_again_is_a_no_op_and_another_is_refused():
    try:
        register_method("metanas-test-dm", WarmStartMethod, metric="dataset_meta")
        register_method("metanas-test-dm", WarmStartMethod, metric="dataset_meta")  # e.g. a module imported twice
        with pytest.raises(ConfigError, match="'metanas-test-dm' is already registered"):
            register_method("metanas-test-dm", WarmStartMethod, metric="task_embedding")
        with pytest.raises(ConfigError, match="'metanas-test-dm' is already registered"):
            register_method("metanas-test-dm", RandomInit)
        with pytest.raises(ConfigError, match=r"got unknown argument\(s\) \['metrc'\]"):
            register_method("metanas-test-typo", WarmStartMethod, metrc="dataset_meta")
    finally:
        LOTO_METHODS.unregister("metanas-test-dm")


# ------------------------------------------------------------------ suite_of_task asks the suites
class ToySuite(BenchmarkSuite):
    name = "metanas-test-toy"
    default_tasks = ("toy/one", "toy/two")

    def task_ids(self):
        return list(self.default_tasks)

    def task(self, task_id):  # pragma: no cover - not asked here
        raise NotImplementedError

    def space(self, task_id):  # pragma: no cover
        raise NotImplementedError

    def table(self, task_id, objective=None):  # pragma: no cover
        raise NotImplementedError


def test_suite_of_task_asks_every_registered_suite():
    register_suite("metanas-test-toy", ToySuite)
    try:
        assert suite_of_task("toy/two") == "metanas-test-toy"  # before: only nb201/ and nbg/ prefixes
        assert suite_of_task("nb201/cifar10") == "nb201"
        assert suite_of_task("nbg/proteins") == "nasbench-graph"
        with pytest.raises(UnknownTaskError, match=r"'toy/three' belongs to no registered suite; .*'metanas-test-toy'"):
            suite_of_task("toy/three")
        register_suite("metanas-test-toy-copy", ToySuite)
        with pytest.raises(UnknownTaskError, match=r"held by several registered suites \['metanas-test-toy', "):
            suite_of_task("toy/one")
    finally:
        SUITES.unregister("metanas-test-toy")
        SUITES.unregister("metanas-test-toy-copy")


# ------------------------------------------------------------------ the report
def _summary(**settings):
    st = {"target": "top0.1", "seeds": 3, "history_seeds": 1, "budget": 300, "history": "random-1000",
          "history_size": 1000, "population_size": 20, "tournament_size": 5} | settings
    entry = {"median_evals": 38.5, "speedup": 1.125, "speedup_lower_bound": False, "median_censored": False}
    return {"suite": "nb201", "settings": st, "methods": ["random", "m"], "baseline": "random",
            "strategies": {"random": "rs", "m": "ms"}, "seconds": 12.5,
            "tasks": {"nb201/cifar10": {"random": {"median_evals": 2.5}, "m": entry}},
            "median_speedup": {"m": 1.125}, "reduction": {"m": 0.005}}


def test_report_rounds_halves_away_from_zero():
    from metanas.benchmarks.loto import render_summary
    from metanas.benchmarks.loto._report import round_half_away

    assert [round_half_away(v) for v in (38.5, 2.5, 0.5, -2.5, 107.5, 3.49)] == ["39", "3", "1", "-3", "108", "3"]
    assert [round_half_away(v, 2) for v in (1.125, 2.675, 0.005, 1.0)] == ["1.13", "2.68", "0.01", "1.00"]
    table = render_summary(_summary())
    # before: "38 (1.12x)" and random's "2" (Python's format rounds halves to even)
    assert "| nb201/cifar10 | ? | 3 | 39 (1.13x) |" in table
    assert "**1.13x (1%)**" in table


def test_report_labels_the_history_from_its_settings_and_names_cores_only_with_a_timing():
    from metanas.benchmarks.loto import render_summary

    caption = render_summary(_summary(history_size=200)).splitlines()[0]
    assert "history random-200;" in caption and "random-1000" not in caption  # before: random-1000 for 200 rows
    assert caption.endswith("; 12.5 s") and "cores" not in caption  # before: "on 2 cores" always
    assert "history trajectory-500;" in render_summary(_summary(history="trajectory", history_size=500))
    timed = render_summary(_summary() | {"workers": 3, "cpus": 16}).splitlines()[0]
    assert timed.endswith("; 12.5 s with 3 workers on 16 cores")


def test_run_loto_records_its_workers_and_the_machines_cores(nb201_dir):
    import os

    from metanas.benchmarks.loto import LotoSettings, render_summary, run_loto

    result = run_loto(LotoSettings(suite="nb201", tasks=("cifar10",), methods=("random",), seeds=1, history_seeds=1,
                                   budget=20, history_size=200, population_size=5, tournament_size=2,
                                   nb201_dir=str(nb201_dir), workers=1))
    assert (result.summary["workers"], result.summary["cpus"]) == (1, os.cpu_count())
    assert f"with 1 worker on {os.cpu_count()} cores" in render_summary(result.summary)
    assert "history random-200;" in render_summary(result.summary)


# ------------------------------------------------------------------ held-out tasks and the history pool
def test_holding_out_one_task_keeps_a_history_of_the_others(nb201_dir, tmp_path):
    from metanas.benchmarks import get_suite
    from metanas.benchmarks.loto import LotoSettings, build_history, run_loto

    suite = get_suite("nb201", nb201_dir=nb201_dir)
    base = {"suite": "nb201", "methods": ("dataset_meta",), "seeds": 1, "history_seeds": 1, "budget": 25,
            "history_size": 50, "population_size": 10, "tournament_size": 3, "nb201_dir": str(nb201_dir),
            "workers": 1}

    def past(**kw):
        url = str(tmp_path / f"{len(list(tmp_path.glob('*.db')))}.db")  # a fresh database each time
        db, held = build_history(LotoSettings(**base, **kw), suite, "nb201/cifar10", 0, url)
        try:
            assert sorted(t.task_id for t in db.get_all_tasks()) == sorted(held)
        finally:
            db.close()
        return held

    # before: the held-out tasks were also the pool, so this history was empty
    assert past(tasks=("cifar10",)) == ("nb201/cifar100", "nb201/imagenet16-120")
    assert past(tasks=("cifar10",), pool=("cifar10", "cifar100")) == ("nb201/cifar100",)
    assert past(tasks=("cifar10", "cifar100"), pool=("imagenet16-120",)) == ("nb201/imagenet16-120",)
    result = run_loto(LotoSettings(**base, tasks=("cifar10",)))
    (row,) = [r for r in result.runs if r["method"] == "dataset_meta"]
    assert set(json.loads(row["info"])["similarities"]) == {"nb201/cifar100", "nb201/imagenet16-120"}
    with pytest.raises(ConfigError, match=r"held-out task\(s\) \['nb201/cifar10'\] have no other task .* pool"):
        run_loto(LotoSettings(**base, tasks=("cifar10",), pool=("cifar10",)))
