"""``metanas bench --plugin MODULE``: suites and methods a user module registers are visible to the command."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from metanas.benchmarks import SUITES
from metanas.benchmarks.loto import LOTO_METHODS
from metanas.cli import main

PLUGIN = '''
from metanas.benchmarks import NB201Suite, register_suite
from metanas.benchmarks.loto import RandomInit, register_method

def _suite(nb201_dir=None):
    return NB201Suite(nb201_dir)


register_suite("plugin-nb201", _suite)
register_method("plugin-random-search", RandomInit, strategy="random")
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "metanas_test_plugin.py").write_text(PLUGIN)
    monkeypatch.chdir(tmp_path)  # found as `python -m` finds a module: from the current folder
    yield "metanas_test_plugin"
    SUITES.unregister("plugin-nb201")
    LOTO_METHODS.unregister("plugin-random-search")
    sys.modules.pop("metanas_test_plugin", None)


def test_bench_sees_a_suite_and_a_method_registered_by_a_plugin(plugin, tmp_path, nb201_dir, capsys):
    out = tmp_path / "out"
    argv = ["bench", "--suite", "plugin-nb201", "--nb201-dir", str(nb201_dir), "--tasks", "cifar10,cifar100",
            "--methods", "plugin-random-search", "--seeds", "2", "--history-seeds", "1", "--budget", "20",
            "--workers", "1", "--out", str(out)]
    assert main(argv) == 2  # without the plugin the suite is unknown
    assert "unknown suite 'plugin-nb201'" in capsys.readouterr().err
    assert main([*argv, "--plugin", plugin]) == 0, capsys.readouterr().err
    with open(out / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["method"] for r in rows} == {"random", "plugin-random-search"} and len(rows) == 2 * 2 * 2
    assert json.loads((out / "summary.json").read_text())["suite"] == "plugin-nb201"
    assert main(["bench", "--plugin", plugin, "--list-suites"]) == 0
    assert "plugin-nb201" in capsys.readouterr().out.split()


def test_a_plugin_that_cannot_be_imported_is_one_clear_line(capsys, tmp_path):
    assert main(["bench", "--plugin", "no_such_metanas_plugin", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--plugin 'no_such_metanas_plugin' cannot be imported" in err and "Traceback" not in err


def test_bench_takes_the_history_size_of_a_small_past_search(tmp_path, nb201_dir, capsys):
    out = tmp_path / "low"
    argv = ["bench", "--suite", "nb201", "--nb201-dir", str(nb201_dir), "--tasks", "nb201/cifar10",
            "--pool", "nb201/cifar10,nb201/cifar100", "--methods", "dataset_meta", "--seeds", "1",
            "--history-seeds", "1", "--budget", "20", "--history-size", "50", "--workers", "1", "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["history_size"] == 50
    assert "history random-50" in capsys.readouterr().out
