"""Evaluators: the benchmark lookup against the table, errors, the registry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metanas.benchmarks import BenchmarkTable
from metanas.exceptions import ConfigError, InvalidArchitectureError, UnknownNameError
from metanas.graph import ModelGraph
from metanas.search import BenchmarkEvaluator, EvaluationResult, evaluator_names, get_evaluator
from metanas.spaces import NasBenchGraphSpace, NB201Space


@pytest.mark.parametrize("which", ["cifar10", "cora"])
def test_benchmark_evaluator_matches_the_table(which, request):
    table = request.getfixturevalue(which)
    ev = BenchmarkEvaluator(table)
    assert (ev.objective, ev.direction, ev.test_metric) == (table.objective, table.direction, table.test_metric)
    rng = np.random.default_rng(0)
    for i in rng.integers(0, len(table), size=50):
        g = table.graphs[i]
        res = ev.evaluate(g)
        assert res.metrics == table.lookup(g)
        assert res.objective == table.values[i] == res.metrics[table.objective]
        assert table.test_metric in res.metrics
        assert res.cost is None
        assert ev.row(g) == i


def test_isomorphic_graphs_get_the_same_row(cora):
    ev = BenchmarkEvaluator(cora)
    space = cora.space
    a = space.from_arch((0, 0, 0, 0), ("gcn", "gat", "gin", "sage"))
    b = space.from_arch((0, 0, 0, 0), ("sage", "gin", "gat", "gcn"))
    assert a.identity != b.identity
    assert ev.evaluate(a) == ev.evaluate(b) and ev.row(a) == cora.row(a)


def test_minimised_objective_keeps_the_raw_value_and_direction(nbg_suite):
    table = nbg_suite.table("nbg/cora", objective="latency")
    ev = BenchmarkEvaluator(table)
    assert ev.direction == "minimize" and ev.objective == "latency"
    g = table.graphs[10]
    assert ev.evaluate(g).objective == table.values[10] > 0


def test_unknown_graphs_raise_clear_errors(cifar10, cora):
    ev = BenchmarkEvaluator(cifar10)
    alien = NasBenchGraphSpace().from_arch((0, 0, 0, 0), ("gcn",) * 4)
    with pytest.raises(InvalidArchitectureError, match=r"cannot evaluate on nb201/cifar10.*no row in the benchmark"):
        ev.evaluate(alien)
    with pytest.raises(InvalidArchitectureError, match="expects a ModelGraph, got str"):
        ev.evaluate("|none~0|")
    nbg = BenchmarkEvaluator(cora)
    with pytest.raises(InvalidArchitectureError, match=r"cannot evaluate on nbg/cora: .* not in space"):
        nbg.evaluate(NB201Space().from_ops(["none"] * 6))
    # a table with fewer rows than the space
    small = BenchmarkTable(cifar10.task, cifar10.space, cifar10.graphs[:10], cifar10.keys[:10],
                           {k: v[:10] for k, v in cifar10.metrics.items()})
    ev_small = BenchmarkEvaluator(small)
    assert ev_small.evaluate(cifar10.graphs[3]).objective == cifar10.values[3]
    with pytest.raises(InvalidArchitectureError, match="has no row"):
        ev_small.evaluate(cifar10.graphs[10])


def test_evaluator_needs_a_table():
    with pytest.raises(ConfigError, match="needs a BenchmarkTable"):
        BenchmarkEvaluator({"val_acc": [1.0]})


def test_registry():
    assert "benchmark" in evaluator_names()
    with pytest.raises(UnknownNameError, match=r"unknown evaluator 'lookup'.*'benchmark'"):
        get_evaluator("lookup")


def test_registry_builds_and_passes_through(cifar10):
    ev = get_evaluator("benchmark", table=cifar10)
    assert isinstance(ev, BenchmarkEvaluator) and get_evaluator(ev) is ev
    with pytest.raises(ConfigError, match="instance and arguments"):
        get_evaluator(ev, table=cifar10)
    with pytest.raises(ConfigError, match=r"evaluator 'benchmark' needs the argument\(s\) \['table'\]"):
        get_evaluator("benchmark")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": math.nan}, "objective must be a real number"),
        ({"objective": "0.9"}, "objective must be a real number"),
        ({"objective": 1.0, "metrics": {"acc": "high"}}, "metrics must map names to numbers"),
        ({"objective": 1.0, "metrics": [1.0]}, "metrics must be a mapping"),
        ({"objective": 1.0, "cost": -1.0}, "cost must be None or a finite number >= 0"),
        ({"objective": 1.0, "cost": math.inf}, "cost must be None"),
        ({"objective": 1.0, "cost_unit": ""}, "cost_unit must be a non-empty string"),
    ],
)
def test_evaluation_result_validation(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        EvaluationResult(**kwargs)


def test_evaluation_result_converts_numbers():
    r = EvaluationResult(np.float32(0.5), {"acc": 0.5}, cost=np.int64(3), cost_unit="epochs")
    assert type(r.objective) is float and r.cost == 3


def test_graph_type_checked_before_lookup(cifar10):
    with pytest.raises(InvalidArchitectureError):
        BenchmarkEvaluator(cifar10).evaluate(ModelGraph(("input", "output"), ((0, 1),)))
