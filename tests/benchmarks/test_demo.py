"""`metanas.benchmarks.demo`: one LOTO fold, warm-started search against cold (what `metanas demo` runs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from metanas.benchmarks.demo import (
    CHOSEN_FROM,
    DEFAULT_METHOD,
    DEFAULT_TASK,
    OwnFillStream,
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


def test_the_cited_committed_result_is_what_the_committed_summary_holds():
    """Every figure the demo prints about why it chose its task and method comes from summary.json,
    and the chosen task is where that method helps most; the demo runs the same protocol."""
    summary = json.loads((REPO / CHOSEN_FROM.folder / "summary.json").read_text())
    c = CHOSEN_FROM
    assert (c.task, c.method) == (DEFAULT_TASK, DEFAULT_METHOD)
    entry = summary["tasks"][c.task][c.method]
    assert round(entry["speedup"], 2) == c.speedup and entry["runs"] == c.runs
    assert entry["median_evals"] == c.method_median
    assert summary["tasks"][c.task]["random"]["median_evals"] == c.random_median
    assert round(summary["median_speedup"][c.method], 2) == c.median_speedup_over_tasks
    speedups = {t: per[c.method]["speedup"] for t, per in summary["tasks"].items()}
    assert len(speedups) == c.num_tasks
    assert max(speedups, key=speedups.get) == c.task
    assert min(speedups, key=speedups.get) == c.worst_task and round(min(speedups.values()), 2) == c.worst_speedup
    committed = summary["settings"]
    ours = demo_settings().to_dict()
    for key in ("suite", "tasks", "budget", "history", "history_size", "target", "population_size",
                "tournament_size", "shuffle_history", "objective"):
        assert ours[key] == committed[key], key
    # the committed run's per-method settings were the defaults; so are the demo's
    assert (committed["warm_start"], committed["train_config"], committed["refine"]) == ({}, None, {})
    assert ours["method_options"] == {}


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
        demo_settings(seeds=0)


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
