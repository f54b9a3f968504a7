"""Defects of the LOTO protocol engine that a user integrating their own benchmark found (issue 21)."""

from __future__ import annotations

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
