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


# ---------------------------------------------------------------- noisy evaluations and costs
def _noisy_table(chain_space):
    """A constructed table of the chain space's 3 architectures: seeds (mean -/+ 1), known costs."""
    from metanas.benchmarks._nb201_pypi import NB201PyPITable
    from metanas.tasks import TaskMetadata

    space = chain_space()
    graphs = list(space.enumerate())
    task = TaskMetadata(task_id="chain/noisy", dataset_name="chain", num_samples=100, num_classes=2,
                        input_size=(1, 8, 8), problem_type="classification")
    mean = np.array([50.0, 60.0, 70.0])
    seeds = np.column_stack([mean - 1, mean + 1, [np.nan, mean[1] + 3, np.nan]])
    return NB201PyPITable(task, space, graphs, [space.key(g) for g in graphs],
                          {"val_acc": mean, "train_time": np.array([10.0, 20.0, 40.0])}, "val_acc", "val_acc",
                          seed_values=seeds)


def test_noisy_benchmark_evaluator_is_deterministic_given_its_seed(chain_space):
    table = _noisy_table(chain_space)
    order = [0, 1, 2, 1, 0, 2, 2, 1] * 10

    def run(seed):
        ev = BenchmarkEvaluator(table, seed=seed)
        return [ev.evaluate(table.graphs[i]) for i in order]

    first = run(5)
    assert [r.objective for r in first] == [r.objective for r in run(5)]
    assert [r.objective for r in first] == [r.objective for r in run(np.random.default_rng(5))]  # a generator
    assert [r.objective for r in first] != [r.objective for r in run(6)]
    for i, r in zip(order, first):
        assert r.objective in table.seed_values[i] and r.objective != table.values[i]  # one seed's value
        assert r.metrics["val_acc"] == r.objective  # what a recorder stores is what the search saw
        assert r.metrics["train_time"] == table.metrics["train_time"][i]
        assert (r.cost, r.cost_unit) == (table.metrics["train_time"][i], "seconds")
    # the draws are the table's own: the same generator state gives the same sequence
    rng = np.random.default_rng(5)
    assert [r.objective for r in first] == [table.observe(i, rng) for i in order]


def test_benchmark_evaluator_without_seed_sees_the_mean_and_the_cost(chain_space, cifar10):
    table = _noisy_table(chain_space)
    ev = BenchmarkEvaluator(table)
    assert [ev.evaluate(g).objective for g in table.graphs] == [50.0, 60.0, 70.0]
    assert [ev.evaluate(g).cost for g in table.graphs] == [10.0, 20.0, 40.0]  # before: None
    # a table without noise or costs: the seed changes nothing and the lookup costs nothing
    quiet = BenchmarkEvaluator(cifar10, seed=3)
    res = quiet.evaluate(cifar10.graphs[7])
    assert res.objective == cifar10.values[7] and res.cost is None and "noisy" not in repr(quiet)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "7"])
def test_benchmark_evaluator_refuses_a_bad_seed(chain_space, seed):
    with pytest.raises(ConfigError, match=r"BenchmarkEvaluator 'seed' must be None, an int >= 0 or a numpy Generator"):
        BenchmarkEvaluator(_noisy_table(chain_space), seed=seed)
