"""Noisy evaluations and evaluation costs in the LOTO protocol (issue 25, item 3): the noise
option, time-to-target on constructed tables with known costs, the summary and the report (older
summaries render as before), resuming a ``runs.csv`` written before the column existed.

The constructed suite holds every NAS-Bench-201 cell (so the searches run in the real space) with
made-up per-seed accuracies and costs; it needs no downloaded data.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from metanas.benchmarks import SUITES, BenchmarkSuite, BenchmarkTable, get_suite, register_suite
from metanas.benchmarks._nb201_pypi import NB201PyPITable
from metanas.benchmarks.loto import LotoSettings, render_summary, run_loto
from metanas.benchmarks.loto._results import time_to_target
from metanas.exceptions import ConfigError
from metanas.spaces import NB201_OPS, NB201Space
from metanas.tasks import TaskMetadata

REPO = Path(__file__).resolve().parents[2]
SUITE = "metanas-test-costed"
TASKS = ("costed/a", "costed/b", "costed/c")
COST = 2.5  # seconds per evaluation in the constant-cost suite
SPREAD = 4.0  # the two training seeds of a cell are its mean -/+ SPREAD


@cache
def _cells():
    space = NB201Space()
    graphs = [space.from_ops(ops) for ops in product(NB201_OPS, repeat=6)]
    return space, graphs, [space.key(g) for g in graphs]


class CostedSuite(BenchmarkSuite):
    """Three tasks over every NB201 cell: a shared latent quality plus task noise (so histories
    transfer), two training seeds at mean -/+ `SPREAD`, and a cost per evaluation (`costs`)."""

    name = SUITE
    default_tasks = TASKS
    costs = "constant"  # or "none": a plain BenchmarkTable (no seeds, no costs)

    def task_ids(self):
        return list(TASKS)

    def task(self, task_id):
        i = TASKS.index(self.resolve(task_id))
        return TaskMetadata(task_id=TASKS[i], dataset_name=f"costed-{i}", num_samples=10_000 * (i + 1),
                            num_classes=10 * (i + 1), input_size=(3, 32, 32), problem_type="classification")

    def space(self, task_id):
        return _cells()[0]

    @cache  # noqa: B019 - one instance per test, a few tables
    def table(self, task_id, objective=None):
        space, graphs, keys = _cells()
        i = TASKS.index(self.resolve(task_id))
        n = len(graphs)
        latent = np.random.default_rng(0).normal(size=n)
        mean = 70 + 5 * latent + np.random.default_rng(i + 1).normal(scale=1.0, size=n)
        if self.costs == "none":
            return BenchmarkTable(self.task(task_id), space, graphs, keys, {"val_acc": mean}, "val_acc", "val_acc")
        seeds = np.column_stack([mean - SPREAD, mean + SPREAD, np.full(n, np.nan)])
        metrics = {"val_acc": mean, "train_time": np.full(n, COST)}
        return NB201PyPITable(self.task(task_id), space, graphs, keys, metrics, "val_acc", "val_acc",
                              seed_values=seeds)


class PlainSuite(CostedSuite):
    costs = "none"


@pytest.fixture(scope="module")
def costed():
    register_suite(SUITE, CostedSuite)
    register_suite(SUITE + "-plain", PlainSuite)
    yield
    SUITES.unregister(SUITE)
    SUITES.unregister(SUITE + "-plain")


def _settings(tmp_path, suite=SUITE, **kw) -> LotoSettings:
    base = {"suite": suite, "tasks": ("costed/a",), "methods": ("random",), "seeds": 3, "history_seeds": 1,
            "budget": 60, "target": "top1", "workers": 1, "cache_dir": str(tmp_path)}
    return LotoSettings(**(base | kw))


# ---------------------------------------------------------------- time to target
def test_time_to_target_sums_the_costs_up_to_the_target():
    costs = [1.0, 2.0, 4.0, 8.0]
    assert time_to_target(costs, 1) == 1.0
    assert time_to_target(costs, 3) == 7.0
    assert time_to_target(costs, 5) == 15.0  # censored (budget + 1): the whole budget's cost
    assert time_to_target([1.0, None, 4.0], 3) is None  # an evaluation without cost: unknown
    assert time_to_target([1.0, None, 4.0], 1) == 1.0


def test_time_to_target_in_the_protocol(costed, tmp_path):
    result = run_loto(_settings(tmp_path), out=tmp_path / "out")
    assert len(result.runs) == 3
    for r in result.runs:  # every evaluation costs COST: time = COST * the evaluations counted
        assert r["time_to_target"] == pytest.approx(COST * min(r["evals_to_target"], 60))
    entry = result.summary["tasks"]["costed/a"]["random"]
    assert entry["median_time_to_target"] == pytest.approx(COST * entry["median_evals"])
    assert result.summary["task_info"]["costed/a"]["cost_unit"] == "seconds"
    with open(tmp_path / "out" / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["time_to_target"]) for r in rows] == [r["time_to_target"] for r in result.runs]
    hours = round(entry["median_time_to_target"] / 3600, 1)
    assert "Median time to target" in render_summary(result.summary)
    assert f"a: random {hours}h" in render_summary(result.summary)


def test_a_table_without_costs_has_no_time_to_target(costed, tmp_path):
    result = run_loto(_settings(tmp_path, suite=SUITE + "-plain"), out=tmp_path / "out")
    assert all(r["time_to_target"] is None for r in result.runs)
    assert "median_time_to_target" not in result.summary["tasks"]["costed/a"]["random"]
    assert "cost_unit" not in result.summary["task_info"]["costed/a"]
    with open(tmp_path / "out" / "runs.csv") as f:
        assert {r["time_to_target"] for r in csv.DictReader(f)} == {""}
    assert "time to target" not in render_summary(result.summary).lower()


# ---------------------------------------------------------------- noise
def test_noisy_runs_are_deterministic_and_credited_on_the_seed_mean(costed, tmp_path):
    settings = _settings(tmp_path, noise="seed")
    first = run_loto(settings)
    again = run_loto(settings)
    assert first.runs == again.runs
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first.curves, again.curves))
    table = CostedSuite().table("costed/a")
    means = set(table.values.tolist())
    for _, curve in first.curves:
        # the curve is the best seed-mean evaluated so far: table values, never a seed's draw (mean -/+ 4)
        assert set(curve.tolist()) <= means and np.all(np.diff(curve) >= 0)
    quiet = run_loto(_settings(tmp_path))
    # the search steers by the draws: the same seeds search differently than on the means
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(first.curves, quiet.curves))
    assert "noisy evaluations (seed; targets on the seed-mean)" in render_summary(first.summary)
    assert first.summary["settings"]["noise"] == "seed"


def test_noise_is_refused_where_the_table_has_no_seeds(costed, tmp_path):
    with pytest.raises(ConfigError, match=r"noise 'seed': the costed/a table .* has no per-seed values"):
        run_loto(_settings(tmp_path, suite=SUITE + "-plain", noise="seed"))
    with pytest.raises(ConfigError, match=r"'noise' must be one of \['none', 'seed'\], got 'gauss'"):
        _settings(tmp_path, noise="gauss")


def test_noise_needs_an_evaluator_that_takes_a_seed(costed, tmp_path):
    from metanas.search import EVALUATORS, BenchmarkEvaluator

    EVALUATORS.register("metanas-test-seedless", lambda table: BenchmarkEvaluator(table))
    try:
        _settings(tmp_path, evaluator="metanas-test-seedless")  # fine without noise
        with pytest.raises(ConfigError, match=r"'evaluator' 'metanas-test-seedless' with noise 'seed' got unknown "
                                              r"argument\(s\) \['seed'\]"):
            _settings(tmp_path, evaluator="metanas-test-seedless", noise="seed")
    finally:
        EVALUATORS.unregister("metanas-test-seedless")


def test_cli_noise_flag(costed, tmp_path, capsys):
    from metanas.cli import main

    out = tmp_path / "cli"
    code = main(["bench", "--suite", SUITE, "--tasks", "costed/a", "--methods", "random", "--seeds", "2",
                 "--history-seeds", "1", "--budget", "30", "--target", "top1", "--workers", "1", "--noise", "seed",
                 "--out", str(out)])
    assert code == 0
    assert json.loads((out / "summary.json").read_text())["settings"]["noise"] == "seed"
    assert "noisy evaluations (seed" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--suite", SUITE, "--noise", "gauss", "--out", str(tmp_path / "x")])
    assert exc.value.code == 2


# ---------------------------------------------------------------- the warm start sees the costs
def test_cost_weight_reads_the_imported_costs(costed, tmp_path):
    from metanas.benchmarks.loto._history import build_history
    from metanas.warm_start import WarmStarter

    for suite_name, applied in ((SUITE, True), (SUITE + "-plain", False)):
        settings = _settings(tmp_path, suite=suite_name, methods=("random", "dataset_meta"), history_size=200)
        suite = get_suite(suite_name)
        db, _ = build_history(settings, suite, "costed/a", 0, str(tmp_path / f"{suite_name}.db"))
        with db:
            plan = WarmStarter(db, {"cost_weight": 1.0, "transfer_ratio": 1.0}).plan(
                suite.task("costed/a"), 10, suite.space("costed/a"))
            transferred = [m for m in plan.members if m.source == "transfer"]
            assert transferred
            not_applied = [n for n in plan.notes if "not applied" in n]
            if applied:  # before: the import recorded no cost, so cost_weight was never applied
                assert not not_applied and all(m.cost == COST for m in transferred)
            else:
                assert not_applied and all(m.cost is None for m in transferred)


# ---------------------------------------------------------------- older results
def test_older_summaries_render_as_before():
    # A summary written before time-to-target and noise existed renders exactly as it did (the
    # README pins these tables); nothing about time or noise is added.
    for path in sorted((REPO / "benchmarks" / "results").glob("*/summary.json"))[:5]:
        summary = json.loads(path.read_text())
        text = render_summary(summary)
        assert "time to target" not in text.lower() and "noisy" not in text


def test_resume_reads_a_runs_csv_without_time_to_target():
    from metanas.benchmarks.loto._progress import _row

    old = {"task": "t", "method": "random", "history_seed": "", "seed": "0", "evals_to_target": "5", "censored": "0",
           "regret_20": "0.1", "regret_50": "0", "regret_100": "0", "regret_B": "0", "test_metric": "90", "info": ""}
    assert _row(old)["time_to_target"] is None  # before the column existed
    assert _row(old | {"time_to_target": "12.5"})["time_to_target"] == 12.5
    assert _row(old | {"time_to_target": ""})["time_to_target"] is None
    assert _row(old | {"time_to_target": "1e"}) is None  # a line cut off mid-write
