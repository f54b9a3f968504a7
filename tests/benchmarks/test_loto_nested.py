"""transfer-bo-nested: its configuration comes from the fold's past tasks only; run info in the outputs."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import benchmarks.methods  # noqa: F401  (registers transfer-bo-nested and its grid)
from benchmarks import nested
from metanas.benchmarks.loto import LotoSettings, method_names, render_info, render_summary, run_loto
from metanas.benchmarks.loto._results import aggregate_info

REPO = Path(__file__).resolve().parents[2]
NB201 = ("nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120")


def test_choose_takes_the_best_median_and_breaks_ties_by_grid_order():
    names = [n for n, _ in nested.NESTED_GRID]
    scores = {n: {"median_speedup": 2.0} for n in names}
    assert nested.choose(scores) == names[0]
    scores[names[2]]["median_speedup"] = 3.0
    scores[names[3]]["median_speedup"] = 3.0
    assert nested.choose(scores) == names[2]


def test_grid_members_are_methods_with_their_options():
    from metanas.benchmarks.loto import create_method

    for name, options in nested.NESTED_GRID:
        assert name in method_names()
        method = create_method(name)  # the pruned knobs are a variant's (benchmarks.variants)
        assert {**method.options, **getattr(method, "knobs", {})} == options
    assert "transfer-bo-nested" in method_names()


def test_variants_reach_the_pruned_knobs_as_class_constants_and_design_settings():
    from benchmarks.variants import TransferBOVariant
    from metanas.benchmarks.loto import create_method
    from metanas.exceptions import ConfigError
    from metanas.search import TransferBO

    plain = create_method("transfer-bo-plain").transfer_class()
    assert issubclass(plain, TransferBO) and plain.STACK_PAST is False and TransferBO.STACK_PAST == "both"
    assert create_method("transfer-bo-top").transfer_class().WEIGHT_FOCUS == 3.0
    assert create_method("transfer-bo-exploit").design == {"inform_share": 0.0}
    assert create_method("transfer-bo").transfer_class() is TransferBO
    with pytest.raises(ConfigError, match="'stack_past' must be"):
        TransferBOVariant(stack_past="yes")
    with pytest.raises(ConfigError, match="trees design of a run with a history"):
        TransferBOVariant(inform_share=0.2, cold=True)


def test_aggregate_info_against_a_reference():
    infos = [json.dumps({"config": "a", "n": 1, "similarities": {"x": 0.5, "y": 1.0}}),
             json.dumps({"config": "b", "n": 3, "similarities": {"x": 1.0}}),
             "", json.dumps({"config": "a", "n": 2, "other": [1, 2]})]
    out = aggregate_info(infos)
    assert out["config"] == {"a": 2, "b": 1}
    assert out["n"] == 2.0
    assert out["similarities"] == {"x": 0.75, "y": 0.5}  # y missing from the second run counts 0
    assert "other" not in out


@pytest.fixture
def small(monkeypatch, nb201_dir, tmp_path):
    monkeypatch.setattr(nested, "NESTED_SEEDS", 2)
    calls: list[tuple[str, ...]] = []
    original = nested.inner_scores

    def spy(settings, past):
        calls.append(tuple(past))
        return original(settings, past)

    monkeypatch.setattr(nested, "inner_scores", spy)

    def settings(tasks, **kw):
        return LotoSettings(suite="nb201", tasks=tasks, pool=tasks, methods=("dataset_meta", "transfer-bo-nested"), seeds=2,
                            history_seeds=2, budget=25, history_size=100, population_size=10, tournament_size=3,
                            nb201_dir=str(nb201_dir), workers=1, cache_dir=str(tmp_path / "cache"), **kw)

    return settings, calls


def test_nested_choice_never_sees_the_held_out_task_and_is_cached(small):
    settings, calls = small
    result = run_loto(settings(NB201))
    # one inner benchmark per held-out task (history seeds share it), on the other two tasks only
    assert sorted(calls) == sorted(tuple(sorted(set(NB201) - {t})) for t in NB201)
    names = {n for n, _ in nested.NESTED_GRID}
    rows = [r for r in result.runs if r["method"] == "transfer-bo-nested"]
    assert len(rows) == 3 * 2 * 2
    for r in rows:
        info = json.loads(r["info"])
        assert info["config"] in names and set(info["inner_median_speedup"]) == names
        assert r["task"] not in info["weights"] and "target" in info["weights"]
    for r in (r for r in result.runs if r["method"] == "dataset_meta"):
        sims = json.loads(r["info"])["similarities"]
        assert sims and r["task"] not in sims
    entry = result.summary["tasks"]["nb201/cifar10"]
    assert sum(entry["transfer-bo-nested"]["info"]["config"].values()) == 4
    assert set(entry["dataset_meta"]["info"]["similarities"]) <= {"nb201/cifar100", "nb201/imagenet16-120"}
    assert render_info(result.summary) not in render_summary(result.summary)  # the table stays the table
    text = render_info(result.summary)
    assert "| nb201/cifar10 | dataset_meta | similarities: " in text
    assert "| nb201/cifar10 | transfer-bo-nested | config: " in text and "final weights: " in text
    # a rerun reads the cached choices: no inner benchmark, same rows
    calls.clear()
    again = run_loto(settings(NB201))
    assert calls == []
    assert [r["evals_to_target"] for r in again.runs] == [r["evals_to_target"] for r in result.runs]


def test_one_past_task_leaves_no_inner_benchmark_and_runs_the_defaults(small):
    settings, calls = small
    result = run_loto(settings(NB201[:2]))
    assert calls == []
    for r in (r for r in result.runs if r["method"] == "transfer-bo-nested"):
        assert json.loads(r["info"])["config"] == nested.NESTED_GRID[0][0]


def test_main_prints_one_folds_inner_benchmark_with_the_given_seeds(nb201_dir, monkeypatch, capsys):
    seen: list[int | None] = []
    original = nested.inner_scores

    def spy(settings, past, seeds=None):
        seen.append(seeds)
        assert "nb201/cifar10" not in past  # the held-out task never enters its fold's inner benchmark
        return original(settings, past, seeds=seeds)

    monkeypatch.setattr(nested, "inner_scores", spy)
    assert nested.main(["--suite", "nb201", "--nb201-dir", str(nb201_dir), "--held-out", "cifar10", "--seeds", "1",
                        "--budget", "25"]) == 0
    text = capsys.readouterr().out
    assert seen == [1]
    assert "holding out nb201/cifar10 (2 past tasks, 1 seeds): chosen transfer-bo" in text
    for name, _ in nested.NESTED_GRID:
        assert f"  {name} " in text
    with pytest.raises(SystemExit):
        nested.main(["--suite", "nb201", "--nb201-dir", str(nb201_dir), "--held-out", "nbg/cora"])
    assert "--held-out: unknown task 'nbg/cora' in suite 'nb201'" in capsys.readouterr().err


def test_main_runs_the_inner_benchmark_of_the_protocol(monkeypatch, capsys):
    # the fold's past tasks in the protocol's order (select_config: sorted), not the suite's:
    # the order of the rankers changes the inner figures, so the printed choice must be the protocol's
    seen: list[tuple[str, ...]] = []

    def spy(settings, past, seeds=None):
        seen.append(tuple(past))
        return {name: {"median_speedup": 1.0 + i / 10, "tasks": {t: 1.0 for t in past}}
                for i, (name, _) in enumerate(nested.NESTED_GRID)}

    monkeypatch.setattr(nested, "inner_scores", spy)
    assert nested.main(["--held-out", "nbg/cora", "--seeds", "1"]) == 0
    others = ("nbg/citeseer", "nbg/pubmed", "nbg/cs", "nbg/physics", "nbg/photo", "nbg/computers", "nbg/arxiv")
    assert seen == [tuple(sorted(others))]
    assert f"chosen {nested.NESTED_GRID[-1][0]}" in capsys.readouterr().out


@pytest.mark.parametrize("module, expected", [("benchmarks.methods", {"transfer-bo", "transfer-bo-nested",
                                                                          "transfer-bo-hedge"}),
                                              ("benchmarks.nested", {"transfer-bo"}),
                                              ("metanas.benchmarks.loto", {"transfer-bo"})])
def test_each_method_module_imports_first(module, expected):
    # importing the transfer methods' module first used to fail with a circular import
    import subprocess
    import sys

    code = (f"import {module}\nfrom metanas.benchmarks.loto import method_names\n"
            "print(sorted(n for n in method_names() if n.startswith('transfer-bo')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert expected <= set(ast.literal_eval(out.stdout))
