"""The LOTO protocol takes its search strategy and evaluator by registry name; a method may bring its own."""

from __future__ import annotations

import csv
from typing import ClassVar

import numpy as np
import pytest

from metanas.benchmarks.loto import LotoMethod, LotoSettings, register_method, run_loto
from metanas.cli import main
from metanas.exceptions import ConfigError, UnknownNameError, UnknownSuiteError
from metanas.search import BenchmarkEvaluator, RandomSearch, RegularizedEvolution, register_evaluator

SMALL = {"suite": "nb201", "tasks": ("cifar10",), "methods": ("random",), "seeds": 2, "history_seeds": 1,
         "budget": 30, "population_size": 5, "tournament_size": 2, "workers": 1}


class CountingEvaluator(BenchmarkEvaluator):
    """A table lookup that counts its evaluations (to see the protocol used it)."""

    calls = 0

    def evaluate(self, graph):
        type(self).calls += 1
        return super().evaluate(graph)


register_evaluator("counting-lookup", CountingEvaluator)


class OwnStrategy(LotoMethod):
    """A method that brings its own strategy: random search, whatever the settings say."""

    name = "own_strategy"
    built: ClassVar[list] = []

    def initial_population(self, fold, seed):
        return None

    def build_strategy(self, fold, seed, initial_population):
        strategy = RandomSearch(fold.space, seed, initial_population)
        type(self).built.append(strategy)
        return strategy


register_method("own_strategy", OwnStrategy)


def _curves(result):
    return {(k["task"], k["method"], k["seed"]): c for k, c in result.curves}


def test_default_strategy_is_regularized_evolution_with_the_settings_population(nb201_dir):
    settings = LotoSettings(**SMALL, nb201_dir=str(nb201_dir))
    baseline = settings.method("random")
    assert baseline.strategy == "regularized_evolution" and settings.evaluator == "benchmark"
    kwargs = baseline._strategy_kwargs(settings, "space", 3, None)
    assert kwargs == {"space": "space", "seed": 3, "initial_population": None, "population_size": 5,
                      "tournament_size": 2}
    explicit = LotoSettings(**SMALL, nb201_dir=str(nb201_dir), evaluator="counting-lookup",
                            method_options={"random": {"strategy": "regularized_evolution"}})
    a, b = run_loto(settings), run_loto(explicit)
    assert a.runs == b.runs and CountingEvaluator.calls == 2 * 30
    # The method's strategy was used: random search gives other curves on the same seeds.
    c = run_loto(LotoSettings(**SMALL, nb201_dir=str(nb201_dir), method_options={"random": {"strategy": "random"}}))
    assert any(not np.array_equal(x, _curves(c)[k]) for k, x in _curves(a).items())


def test_a_method_can_bring_its_own_strategy(nb201_dir):
    OwnStrategy.built.clear()
    result = run_loto(LotoSettings(**(SMALL | {"methods": ("own_strategy",)}), nb201_dir=str(nb201_dir)))
    assert len(OwnStrategy.built) == 2 and all(isinstance(s, RandomSearch) for s in OwnStrategy.built)
    assert {r["method"] for r in result.runs} == {"random", "own_strategy"}


def test_strategy_and_evaluator_names_are_checked_at_the_boundary():
    def with_options(options, methods=("random",), **kw):
        return LotoSettings(methods=methods, method_options=options, **kw)

    with pytest.raises(UnknownNameError, match=r"unknown search strategy 'magic'.*regularized_evolution"):
        with_options({"random": {"strategy": "magic"}})
    with pytest.raises(UnknownNameError, match=r"unknown evaluator 'magic'.*benchmark"):
        LotoSettings(evaluator="magic")
    with pytest.raises(ConfigError, match=r"unknown argument\(s\) \['mutation_rate'\]"):
        with_options({"random": {"strategy_options": {"mutation_rate": 0.5}}})
    with pytest.raises(ConfigError, match="'strategy_options' must not set \\['seed'\\]"):
        with_options({"random": {"strategy_options": {"seed": 50}}})
    # population and tournament are the protocol's (one value each), not a method's strategy option
    with pytest.raises(ConfigError, match="'strategy_options' must not set \\['population_size'\\]"):
        with_options({"dataset_meta": {"strategy_options": {"population_size": 50}}}, ("dataset_meta",))
    with pytest.raises(ConfigError, match=r"LOTO method 'dataset_meta' got unknown argument\(s\) \['kappa'\]"):
        with_options({"dataset_meta": {"kappa": 2}}, ("dataset_meta",))
    with pytest.raises(ConfigError, match=r"TransferBO got unknown argument\(s\) \['kapa'\]"):
        with_options({"transfer-bo": {"kapa": 2}}, ("transfer-bo",))
    with pytest.raises(ConfigError, match=r"'method_options' names method\(s\) \['transfer-bo'\] that the run"):
        with_options({"transfer-bo": {"kappa": 2}}, ("dataset_meta",))
    with pytest.raises(ConfigError, match="'tournament_size' must be <= population_size=20"):
        LotoSettings(tournament_size=30)
    with pytest.raises(UnknownSuiteError, match=r"unknown suite 'nb301'; choose one of \['nasbench-graph', 'nb201'"):
        LotoSettings(suite="nb301")
    with pytest.raises(ConfigError, match="'nb201_dir' given, but suite 'nasbench-graph' got unknown argument"):
        LotoSettings(suite="nasbench-graph", nb201_dir="/data")
    settings = with_options({"random": {"strategy": "random"}})
    assert "population_size" not in settings.method("random")._strategy_kwargs(settings, None, 0, None)
    assert LotoSettings().method("random").strategy == RegularizedEvolution.name


def test_bench_cli_strategy_options_and_unknown_names(capsys, tmp_path, nb201_dir):
    out = tmp_path / "bench"
    code = main(["bench", "--suite", "nb201", "--nb201-dir", str(nb201_dir), "--tasks", "cifar10", "--seeds", "1",
                 "--history-seeds", "1", "--budget", "20", "--workers", "1", "--method-option", "random:strategy=random",
                 "--evaluator", "counting-lookup", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    with open(out / "runs.csv") as f:
        assert len(list(csv.DictReader(f))) == 2
    code = main(["bench", "--method-option", "random:strategy=magic", "--out", str(out)])
    assert code == 2 and "unknown search strategy 'magic'" in capsys.readouterr().err
    code = main(["bench", "--evaluator", "magic", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "unknown evaluator 'magic'" in err and "benchmark" in err
    code = main(["bench", "--method-option", "random:population_size", "--out", str(out)])
    assert code == 2 and "KEY=VALUE" in capsys.readouterr().err
    code = main(["bench", "--method-option", "strategy=random", "--out", str(out)])
    assert code == 2 and "METHOD:KEY=VALUE" in capsys.readouterr().err
    code = main(["bench", "--method-option", 'random:strategy_options={"mutation_rate": 0.5}', "--out", str(out)])
    assert code == 2 and "mutation_rate" in capsys.readouterr().err
    assert main(["bench", "--list-strategies"]) == 0
    assert "regularized_evolution" in capsys.readouterr().out.split()
