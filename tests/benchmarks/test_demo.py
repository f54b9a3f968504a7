"""`metanas.benchmarks.demo`: one LOTO fold, warm-started search against cold (what `metanas demo` runs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from metanas.benchmarks.demo import (
    LIBRARY_METHODS,
    RESULTS_DIR,
    SAME_SEARCHES,
    OwnFillStream,
    choose,
    compare,
    demo_settings,
    fill_seed,
    open_fold,
    text_curve,
)
from metanas.benchmarks.loto import create_method, evals_to_target
from metanas.exceptions import ConfigError, UnknownNameError

REPO = Path(__file__).resolve().parents[2]
#: Small training settings for the fold meta-learner, so that the tests stay fast.
TINY_TRAINING = {"max_epochs": 1, "steps_per_epoch": 2, "archs_per_task": 16}


def test_the_chosen_result_is_what_the_committed_summary_holds():
    """Every figure the demo quotes about its choice comes from the summary.json it names, and the
    choice follows the rule of `choose`, recomputed here from all the committed summaries."""
    c = choose()
    assert RESULTS_DIR == REPO / "benchmarks" / "results"
    summary = json.loads((REPO / c.folder / "summary.json").read_text())
    assert summary["suite"] == "nasbench-graph" and summary["settings"]["target"] == "top0.1"
    entry = summary["tasks"][c.task][c.column]
    assert (entry["speedup"], entry["runs"], entry["median_evals"]) == (c.speedup, c.runs, c.method_median)
    assert summary["tasks"][c.task]["random"]["median_evals"] == c.random_median
    assert summary["median_speedup"][c.column] == c.median_speedup_over_tasks and summary["date"] == c.date
    speedups = {t: per[c.column]["speedup"] for t, per in summary["tasks"].items()}
    assert len(speedups) == c.num_tasks and min(speedups, key=speedups.get) == c.worst_task
    assert min(speedups.values()) == c.worst_speedup
    # the rule, recomputed: each library method's latest nasbench-graph top0.1 measurement, the best median
    latest = {}
    for path in sorted(RESULTS_DIR.glob("*/summary.json"), key=lambda p: json.loads(p.read_text()).get("date", "")):
        s = json.loads(path.read_text())
        if s.get("suite") == "nasbench-graph" and s.get("settings", {}).get("target") == "top0.1":
            for column, value in s.get("median_speedup", {}).items():
                if SAME_SEARCHES.get(column, column) in LIBRARY_METHODS:
                    latest[SAME_SEARCHES.get(column, column)] = value
    assert c.method in LIBRARY_METHODS and latest[c.method] == max(latest.values())
    assert "transfer-bo-nested" not in LIBRARY_METHODS  # complete past tables: no user has them
    assert c.speedup > 1 and not entry["speedup_lower_bound"]
    helping = {t: v for t, v in speedups.items() if v > 1}
    assert abs(c.speedup - c.median_speedup_over_tasks) == min(abs(v - c.median_speedup_over_tasks)
                                                               for v in helping.values())
    committed = summary["settings"]
    ours = demo_settings(c.method).to_dict()
    for key in ("suite", "tasks", "budget", "history", "history_size", "target", "population_size",
                "tournament_size", "shuffle_history", "objective"):
        assert ours[key] == committed[key], key
    assert ours["method_options"] == {}


def test_library_methods_are_what_the_library_registers():
    """`LIBRARY_METHODS` is the registry of a fresh interpreter (no plugin loaded), less the baseline."""
    code = "from metanas.benchmarks.loto import method_names; print(' '.join(method_names()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert sorted(LIBRARY_METHODS) == sorted(set(out) - {"random"})


def test_an_alias_runs_the_same_searches_as_its_library_method():
    """A `SAME_SEARCHES` column (a variant of ``benchmarks/methods.py``) builds the library method's
    strategy with the same options, its defaults filled in."""
    import inspect

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import benchmarks.methods  # noqa: F401  (registers the variants)
    from metanas.search import TransferBO

    defaults = {k: p.default for k, p in inspect.signature(TransferBO).parameters.items()
                if p.default is not inspect.Parameter.empty}
    for variant, library in SAME_SEARCHES.items():
        a, b = create_method(variant), create_method(library)
        assert isinstance(a, type(b)) and a.strategy == b.strategy and a.cold == b.cold
        assert a.transfer_class() is b.transfer_class()  # a variant's constants equal the strategy's own
        assert defaults | a.options == defaults | b.options, variant


def _summary(date: str, columns: dict[str, dict[str, tuple[float, bool]]], median: dict[str, float]) -> dict:
    tasks = {t: {"random": {"median_evals": 100.0, "runs": 3}} for per in columns.values() for t in per}
    for column, per in columns.items():
        for t, (speedup, lower) in per.items():
            tasks[t][column] = {"speedup": speedup, "speedup_lower_bound": lower, "runs": 9,
                                "median_evals": round(100.0 / speedup, 1)}
    return {"suite": "nasbench-graph", "date": date, "settings": {"target": "top0.1"}, "median_speedup": median,
            "tasks": tasks}


def _write(root: Path, name: str, summary: dict) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "summary.json").write_text(json.dumps(summary))


def test_choose_takes_each_library_methods_latest_run_and_a_typical_fold(tmp_path):
    # an old run where dataset_meta looked best, then a newer one where it does not
    _write(tmp_path, "old", _summary("2026-01-01 10:00 UTC", {"dataset_meta": {"a": (5.0, False), "b": (5.0, False)}},
                                     {"dataset_meta": 5.0}))
    _write(tmp_path, "new", _summary("2026-02-01 10:00 UTC", {
        "dataset_meta": {"a": (1.1, False), "b": (0.9, False)},
        "transfer-bo-hedge": {"a": (4.0, True), "b": (3.1, False), "c": (2.0, False), "d": (0.5, False)},
        "transfer-bo-nested": {"a": (9.0, False), "b": (9.0, False), "c": (9.0, False), "d": (9.0, False)},
    }, {"dataset_meta": 1.0, "transfer-bo-hedge": 2.5, "transfer-bo-nested": 9.0}))
    other = _summary("2026-03-01 10:00 UTC", {"naive_meanrank": {"a": (7.0, False)}}, {"naive_meanrank": 7.0})
    other["settings"]["target"] = "best"  # another target: not a candidate
    _write(tmp_path, "best", other)
    c = choose(tmp_path)
    # the variant transfer-bo-nested and the stale dataset_meta figure lose; the alias counts as transfer-bo
    assert (c.method, c.column, c.median_speedup_over_tasks) == ("transfer-bo", "transfer-bo-hedge", 2.5)
    # a (a lower bound) and d (no help) are not candidates; b (3.1) and c (2.0) are 0.6 and 0.5 from 2.5
    assert (c.task, c.speedup, c.runs, c.method_median, c.random_median) == ("c", 2.0, 9, 50.0, 100.0)
    assert (c.worst_task, c.worst_speedup, c.num_tasks) == ("d", 0.5, 4)
    assert c.folder == str(tmp_path / "new") and c.date == "2026-02-01 10:00 UTC"


def test_choose_follows_the_summaries(tmp_path):
    """Generated, not pasted: change a committed summary and the demo's quote changes with it."""
    c = choose()
    folder = tmp_path / Path(c.folder).name
    shutil.copytree(REPO / c.folder, folder, ignore=shutil.ignore_patterns("*.csv*"))
    summary = json.loads((folder / "summary.json").read_text())
    summary["median_speedup"][c.column] = 123.0
    summary["tasks"][c.task][c.column]["speedup"] = 122.0
    (folder / "summary.json").write_text(json.dumps(summary))
    changed = choose(tmp_path)
    assert (changed.method, changed.task, changed.median_speedup_over_tasks, changed.speedup) == \
        (c.method, c.task, 123.0, 122.0)


def test_choose_without_results_names_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="is not there .* give --held-out and --method"):
        choose(tmp_path / "missing")
    with pytest.raises(ConfigError, match="holds no nasbench-graph top0.1 summary of a library method"):
        choose(tmp_path)


def test_fill_seed_is_another_stream():
    seeds = [fill_seed(s) for s in range(100)]
    assert len(set(seeds)) == 100 and all(0 <= s != i for i, s in enumerate(seeds))
    assert fill_seed(3) == fill_seed(3)


@pytest.fixture()
def fold(tmp_path):
    fold = open_fold(demo_settings("dataset_meta", seeds=2, budget=40, cache_dir=str(tmp_path / "cache")),
                     "citeseer", 0, str(tmp_path / "history.db"))
    yield fold
    fold.db.close()


def test_warm_population_does_not_share_the_cold_populations_random_members(fold):
    """The benchmark's warm start fills its population from default_rng(seed), the stream the
    cold baseline samples its population from; the demo's (`OwnFillStream`) does not."""
    from metanas.search import get_strategy

    strategy = get_strategy("regularized_evolution", space=fold.space, seed=0, population_size=20, tournament_size=5)
    cold = {fold.space.key(strategy.ask()) for _ in range(20)}
    method = create_method("dataset_meta")
    shared = {fold.space.key(g) for g in method.initial_population(fold, 0)}
    own = {fold.space.key(g) for g in OwnFillStream(method).initial_population(fold, 0)}
    assert len(shared & cold) >= 5  # what the benchmark does (and the demo used to)
    assert len(own) == 20 and not own & cold


def test_fold_history_is_every_other_task_of_the_space(fold):
    assert fold.task.task_id == "nbg/citeseer"
    assert fold.past_tasks == ("nbg/cora", "nbg/pubmed", "nbg/cs", "nbg/physics", "nbg/photo", "nbg/computers",
                               "nbg/arxiv")
    assert sorted(t.task_id for t in fold.db.get_all_tasks()) == sorted(fold.past_tasks)


def test_compare_measures_evaluations_to_target_per_seed(fold):
    c = compare(fold, "dataset_meta", [0, 1])
    assert c.seeds == [0, 1] and c.budget == 40 and c.past_tasks == fold.past_tasks
    for which in ("cold", "warm"):
        assert c.curves[which].shape == (2, 40)
        assert np.all(np.diff(c.curves[which], axis=1) >= 0)
        assert c.evals[which] == [evals_to_target(curve, c.target) for curve in c.curves[which]]
    assert c.speedup == pytest.approx(np.median(c.evals["cold"]) / np.median(c.evals["warm"]))
    assert c.reduction == pytest.approx(1 - 1 / c.speedup)
    assert c.num_at_target == 34 and c.best == pytest.approx(0.728)


@pytest.mark.slow
def test_task_embedding_fold_model_never_sees_the_held_out_task(tmp_path):
    settings = demo_settings("task_embedding", seeds=1, budget=25, cache_dir=str(tmp_path / "cache"),
                             train_config=TINY_TRAINING)
    fold = open_fold(settings, "nbg/citeseer", 0, str(tmp_path / "history.db"))
    try:
        c = compare(fold, "task_embedding", [0])
    finally:
        fold.db.close()
    (embedder,) = fold.cache.embedders.values()
    assert sorted(embedder.task_ids) == sorted(fold.past_tasks) and "nbg/citeseer" not in embedder.task_ids
    assert len(c.evals["warm"]) == 1


def test_bad_demo_settings():
    with pytest.raises(UnknownNameError, match=r"--method 'random' is not a warm-start method; choose one of \["):
        demo_settings("random")
    with pytest.raises(UnknownNameError, match="'magic'"):
        demo_settings("magic")
    with pytest.raises(ConfigError, match="'seeds' must be an integer >= 1"):
        demo_settings("transfer-bo", seeds=0)


def test_held_out_task_without_history_is_refused(tmp_path):
    settings = demo_settings("dataset_meta", seeds=1, budget=20)
    with pytest.raises(ConfigError, match="shares its search space with no other task"):
        open_fold(settings, "proteins", 0, str(tmp_path / "h.db"))
    with pytest.raises(ConfigError, match="--history-seed must be an integer >= 0"):
        open_fold(settings, "citeseer", -1, str(tmp_path / "h.db"))
    assert not (tmp_path / "h.db").exists()


def test_text_curve_draws_both_curves_and_the_target():
    warm = np.array([[0.5, 0.7, 0.8, 0.9, 0.9, 0.9]])
    cold = np.array([[0.5, 0.55, 0.6, 0.65, 0.7, 0.8]])
    plot = text_curve({"warm": warm, "cold": cold}, 0.85, width=12, height=6, marks={"warm": "w", "cold": "c"})
    lines = plot.splitlines()
    assert len(lines) == 6 + 2
    target_line = next(line for line in lines if line.endswith("target"))
    assert "0.8500" in target_line and "-" in target_line
    assert lines[0].split("|")[1].rstrip().endswith("w")  # warm ends at the top (0.9)
    assert "c" in plot and lines[-1].split()[-1] == "evaluations" and lines[-1].split()[:2] == ["1", "6"]
    with pytest.raises(ConfigError, match="width"):
        text_curve({"a": warm}, 0.8, width=3)
