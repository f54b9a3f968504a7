"""`metanas warm-start` for a task recorded by a search or described in a YAML file (issue 22):
before, it accepted only benchmark tasks (--suite was required)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from metanas import SearchSettings, run_real_search
from metanas.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_public_search import OpCount, _task


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    path = tmp_path_factory.mktemp("ws") / "h.db"
    settings = SearchSettings(budget=10, population=4, strategy_options={"population_size": 4, "tournament_size": 2})
    run_real_search(path, "nb201", task=_task("mine/a", 0.40), evaluator=OpCount(), settings=settings)
    run_real_search(path, "nb201", task=_task("mine/b", 0.41), evaluator=OpCount(), settings=settings)
    return path


def _json(capsys, argv):
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_a_task_recorded_by_a_search_is_warm_started_from_the_others(recorded, capsys):
    out = _json(capsys, ["warm-start", "--db", str(recorded), "--task", "mine/b", "--space", "nb201",
                         "--population", "6", "--json"])
    assert out["task"] == "mine/b" and len(out["population"]) == 6
    assert {r["from_task"] for r in out["population"] if r["source"] == "transfer"} == {"mine/a"}


def test_a_task_described_in_a_yaml_file(recorded, capsys, tmp_path):
    task = tmp_path / "task.yaml"
    task.write_text("task_id: mine/new\ndataset_name: my data\nnum_samples: 569\nnum_classes: 2\n"
                    "input_size: [1, 1, 30]\nproblem_type: classification\nmeta_features: {pixel_mean: 0.4}\n")
    out = _json(capsys, ["warm-start", "--db", str(recorded), "--task-file", str(task), "--space", "nb201",
                         "--population", "5", "--json"])
    assert out["task"] == "mine/new" and len(out["population"]) == 5
    assert {r["from_task"] for r in out["population"] if r["source"] == "transfer"} <= {"mine/a", "mine/b"}


@pytest.mark.parametrize("argv, match", [
    (["--task", "mine/b"], "--space is needed"),
    (["--task", "mine/zzz", "--space", "nb201"], "mine/zzz"),
    ([], "exactly one of --task"),
    (["--task", "mine/b", "--space", "nb201", "--scores"], "--scores looks up benchmark tables"),
])
def test_bad_input_is_one_line(recorded, capsys, argv, match):
    assert main(["warm-start", "--db", str(recorded), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1


def test_a_bad_task_file_names_the_file_and_the_missing_keys(recorded, capsys, tmp_path):
    task = tmp_path / "bad.yaml"
    task.write_text("task_id: mine/x\n")
    assert main(["warm-start", "--db", str(recorded), "--task-file", str(task), "--space", "nb201"]) == 2
    err = capsys.readouterr().err
    assert str(task) in err and "lacks" in err
