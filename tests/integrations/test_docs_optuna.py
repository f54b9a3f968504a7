"""The Optuna page's examples (docs/integrations/optuna.md) run as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "integrations" / "optuna.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)


@pytest.mark.slow
def test_python_examples_run(tmp_path, monkeypatch):
    blocks = _blocks("python")
    assert len(blocks) == 3
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 - the page's own code
    db, other = namespace["db"], namespace["other"]
    (imported,) = other.runs("nbg/cora")
    assert (imported.run_id, imported.strategy, imported.num_evaluations) == (namespace["run_id"], "optuna-import", 40)
    assert other.top_evaluations("nbg/cora", 1)[0].value == namespace["study"].best_value
    assert db.runs("nbg/cora")[-1].status == "finished"
    db.close()
    other.close()


def test_command_example_parses():
    from metanas.cli import build_parser

    (block,) = [b for b in _blocks("bash") if b.startswith("metanas optuna")]
    args = build_parser().parse_args(shlex.split(block)[1:])
    assert (args.command, args.workers, args.trials, args.sampler) == ("optuna", 4, 300, "tpe")


def test_search_engine_example_parses():
    from metanas.cli import build_parser

    (block,) = [b for b in _blocks("bash") if b.startswith("metanas search")]
    args = build_parser().parse_args(shlex.split(block)[1:])
    assert (args.command, args.engine, args.workers, args.storage) == ("search", "optuna", 2, "sqlite:///runs/study.db")
