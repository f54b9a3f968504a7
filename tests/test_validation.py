"""metanas.validation: the one check_* family and `Direction`, and the duplicates it replaced are gone."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import numpy as np
import pytest

import metanas
from metanas.exceptions import BenchmarkDataError, ConfigError, DatabaseError
from metanas.validation import DIRECTIONS, Direction, check_choice, check_int, check_unit

ROOT = Path(metanas.__file__).resolve().parent.parent
#: The library's sources (the folders installed as metanas, metanas.models, metanas.training).
LIBRARY = [ROOT / "metanas", ROOT / "models", ROOT / "training"]


# ----------------------------------------------------------------------------- Direction
def test_direction_is_a_string_enum_whose_values_are_the_stored_strings():
    assert DIRECTIONS == ("maximize", "minimize")
    assert Direction.MAXIMIZE == "maximize" and Direction.MINIMIZE == "minimize"
    assert isinstance(Direction.MAXIMIZE, str)
    assert str(Direction.MINIMIZE) == "minimize" and f"{Direction.MAXIMIZE}" == "maximize"
    assert json.dumps({"direction": Direction.MINIMIZE}) == '{"direction": "minimize"}'
    assert Direction("minimize") is Direction.MINIMIZE


def test_direction_sign_makes_raw_scores_higher_is_better():
    assert Direction.MAXIMIZE.sign == 1.0 and Direction.MINIMIZE.sign == -1.0
    latency = np.array([3.0, 1.0, 2.0])  # minimised: 1.0 is best
    assert int(np.argmax(Direction.MINIMIZE.sign * latency)) == 1
    accuracy = np.array([0.2, 0.9, 0.5])
    assert int(np.argmax(Direction.MAXIMIZE.sign * accuracy)) == 1


@pytest.mark.parametrize("value", ["maximize", "minimize", Direction.MAXIMIZE, Direction.MINIMIZE])
def test_direction_parse_accepts_the_two_values_and_members(value):
    d = Direction.parse(value, "direction")
    assert isinstance(d, Direction) and d == value


@pytest.mark.parametrize("value", ["max", "MAXIMIZE", "Maximize", "", None, 1, True, -1.0, ["maximize"]])
def test_direction_parse_refuses_anything_else_naming_the_field(value):
    with pytest.raises(ConfigError) as info:
        Direction.parse(value, "run_search: 'direction'")
    assert str(info.value) == f"run_search: 'direction' must be one of ['maximize', 'minimize'], got {value!r}"


def test_direction_parse_raises_the_callers_error_class():
    with pytest.raises(DatabaseError, match=r"^direction must be one of \['maximize', 'minimize'\], got 'up'$"):
        Direction.parse("up", "direction", error=DatabaseError)


# ----------------------------------------------------------------------------- check_int
@pytest.mark.parametrize(("value", "low", "high"), [(0, 0, None), (5, 1, None), (np.int64(3), 1, 3), (1, 1, 1),
                                                    (10**12, 0, None)])
def test_check_int_accepts_ints_in_range(value, low, high):
    out = check_int(value, "k", low=low, high=high)
    assert out == value and type(out) is int


@pytest.mark.parametrize(("value", "low", "high", "bounds"), [
    (-1, 0, None, "[0, inf)"),
    (0, 1, None, "[1, inf)"),
    (21, 1, 20, "[1, 20]"),
    (True, 0, None, "[0, inf)"),
    (1.0, 0, None, "[0, inf)"),
    ("3", 0, None, "[0, inf)"),
    (None, 0, None, "[0, inf)"),
    (np.float64(2.0), 0, None, "[0, inf)"),
])
def test_check_int_refuses_naming_the_parameter_range_and_value(value, low, high, bounds):
    with pytest.raises(ConfigError) as info:
        check_int(value, "population_size", low=low, high=high)
    assert str(info.value) == (f"The 'population_size' parameter must be an int in the range {bounds}. "
                               f"Got {value!r} instead.")


def test_check_int_names_the_owner():
    with pytest.raises(ConfigError, match=r"^The 'tournament_size' parameter of RegularizedEvolution must be an int in "
                                          r"the range \[1, 20\]\. Got 21 instead\.$"):
        check_int(21, "tournament_size", low=1, high=20, owner="RegularizedEvolution")


def test_options_are_keyword_only_so_they_cannot_be_swapped():
    with pytest.raises(TypeError):
        check_int(5, "k", 1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        check_unit(0.5, "x", True)  # type: ignore[misc]


# ----------------------------------------------------------------------------- check_unit
@pytest.mark.parametrize("value", [0, 1, 0.0, 0.5, 1.0, np.float32(0.25), np.int64(1)])
def test_check_unit_accepts_numbers_in_the_closed_unit_interval(value):
    out = check_unit(value, "lambda_")
    assert out == pytest.approx(float(value)) and type(out) is float


@pytest.mark.parametrize("value", [-0.01, 1.01, math.nan, math.inf, True, "0.5", None, [0.5]])
def test_check_unit_refuses_others(value):
    with pytest.raises(ConfigError) as info:
        check_unit(value, "lambda_")
    assert str(info.value) == f"The 'lambda_' parameter must be a float in the range [0, 1]. Got {value!r} instead."


def test_check_unit_none_and_open_low():
    assert check_unit(None, "max_similarity", allow_none=True) is None
    assert check_unit(1e-9, "max_arch_similarity", open_low=True) == 1e-9
    with pytest.raises(ConfigError, match=r"^The 'max_arch_similarity' parameter must be a float in the range \(0, 1\]\. "
                                          r"Got 0 instead\.$"):
        check_unit(0, "max_arch_similarity", open_low=True)
    with pytest.raises(ConfigError, match=r"in the range \[0, 1\] or None\. Got 2 instead\.$"):
        check_unit(2, "max_similarity", allow_none=True)
    with pytest.raises(ConfigError, match=r"^The 'share' parameter of TransferBO must be"):
        check_unit(-1, "share", owner="TransferBO")


# ----------------------------------------------------------------------------- check_choice
def test_check_choice_accepts_a_member_of_any_iterable_of_names():
    assert check_choice("mmr", "method", ("mmr", "maxmin")) == "mmr"
    assert check_choice("b", "method", (c for c in "abc")) == "b"
    from metanas.similarity import TASK_METRICS  # a registry iterates over its names

    assert check_choice("dataset_meta", "similarity_metric", TASK_METRICS) == "dataset_meta"


@pytest.mark.parametrize("value", ["MMR", "", None, 1, ("mmr",)])
def test_check_choice_refuses_others_and_lists_the_choices(value):
    with pytest.raises(ConfigError) as info:
        check_choice(value, "method", ["mmr", "maxmin"])
    assert str(info.value) == f"The 'method' parameter must be one of ['mmr', 'maxmin']. Got {value!r} instead."


# ----------------------------------------------------------------------------- call sites
def test_call_sites_refuse_a_bad_direction_naming_the_field(tmp_path):
    from metanas.benchmarks import BenchmarkTable
    from metanas.benchmarks.loto._results import evals_to_target
    from metanas.db import ExperimentDatabase
    from metanas.search import SearchResult
    from metanas.spaces import get_space
    from metanas.tasks import TaskMetadata

    task = TaskMetadata("t", "t", 100, 2, (1, 8, 8), "classification")
    with ExperimentDatabase(tmp_path / "x.db") as db, \
            pytest.raises(DatabaseError, match=r"^direction must be one of \['maximize', 'minimize'\], got 'max'$"):
        db.add_task(task, direction="max")
    with pytest.raises(ConfigError, match=r"^SearchResult.direction must be one of .*, got 'max'$"):
        SearchResult((), direction="max")
    space = get_space("nb201")
    g = space.sample(np.random.default_rng(0))
    with pytest.raises(BenchmarkDataError, match=r"^the direction of table t must be one of .*, got 'lower'$"):
        BenchmarkTable(task, space, [g], [space.key(g)], {"val_acc": np.array([1.0])}, direction="lower")
    with pytest.raises(ConfigError, match=r"^evals_to_target: 'direction' must be one of"):
        evals_to_target(np.array([1.0, 2.0]), 2.0, "max")


def test_a_direction_member_is_stored_as_a_plain_string(tmp_path):
    from metanas.benchmarks import BenchmarkTable
    from metanas.db import ExperimentDatabase
    from metanas.search import SearchResult
    from metanas.spaces import get_space
    from metanas.tasks import TaskMetadata

    task = TaskMetadata("t", "t", 100, 2, (1, 8, 8), "classification")
    with ExperimentDatabase(tmp_path / "x.db") as db:
        db.add_task(task, objective="latency", direction=Direction.MINIMIZE)
        assert db.task_objective("t") == ("latency", "minimize")
        assert type(db.task_objective("t")[1]) is str
        db.add_task(task, objective="latency", direction="minimize")  # the same task again: accepted
    result = SearchResult((), direction=Direction.MINIMIZE)
    assert type(result.direction) is str and result.direction == "minimize"
    space = get_space("nb201")
    g = space.sample(np.random.default_rng(0))
    table = BenchmarkTable(task, space, [g], [space.key(g)], {"val_acc": np.array([1.0])},
                           direction=Direction.MINIMIZE)
    assert type(table.direction) is str and table.sign() == -1.0


# ----------------------------------------------------------------------------- one owner
def _library_sources():
    for folder in LIBRARY:
        for path in sorted(folder.rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_the_check_family_and_directions_are_defined_once():
    """No second definition of a check of this family, of ``check_direction`` or of a directions tuple."""
    names = {"check_int", "check_unit", "check_choice", "check_direction", "DIRECTIONS"}
    found: dict[str, list[str]] = {}
    for path, tree in _library_sources():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defined = [node.name]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined = [t.id for t in targets if isinstance(t, ast.Name)]
            else:
                continue
            for name in defined:
                if name in names:
                    found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert found == {name: ["metanas/validation.py"] for name in names - {"check_direction"}}


def test_no_string_comparison_with_a_direction_in_library_code():
    """Directions are compared through `Direction` (``.sign``, ``Direction.MAXIMIZE``), never as literals."""
    hits = []
    for path, tree in _library_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                if any(isinstance(o, ast.Constant) and o.value in DIRECTIONS for o in operands):
                    hits.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert hits == []
