"""``metanas optuna`` is listed and validates its input before starting anything."""

from __future__ import annotations

import pytest

from metanas.cli import build_parser, main


def test_optuna_command_is_listed():
    assert "optuna" in build_parser().format_help()


def test_objective_without_space_is_refused(capsys):
    code = main(["optuna", "--storage", "sqlite://", "--study", "s", "--db", "x.db", "--task", "t",
                 "--objective", "m:f"])
    assert code == 2 and "'--space' is required" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--sampler", "cmaes", "--space", "nbg", "--objective", "m:f"], "'sampler' must be one of"),
    (["--space", "nbg"], "give exactly one of 'suite'"),
])
def test_bad_arguments_name_the_field(capsys, extra, message):
    code = main(["optuna", "--storage", "sqlite://", "--study", "s", "--db", "x.db", "--task", "t", *extra])
    assert code == 2 and message in capsys.readouterr().err
