"""Bootstrap intervals with the history draw as the unit (`bootstrap_intervals`)."""

from __future__ import annotations

import math

import pytest

from metanas.benchmarks.loto import render_summary
from metanas.benchmarks.loto._intervals import bootstrap_intervals
from metanas.exceptions import ConfigError


def _rows(task, method, history_seed, values):
    return [{"task": task, "method": method, "history_seed": history_seed, "evals_to_target": v} for v in values]


def _runs():
    runs = _rows("t/a", "random", "", [50] * 30) + _rows("t/b", "random", "", [40] * 30)
    for task in ("t/a", "t/b"):
        # two history draws help at once, one does not at all: 20 of 30 runs at 2 evaluations
        runs += _rows(task, "warm", 0, [2] * 10) + _rows(task, "warm", 1, [2] * 10) + _rows(task, "warm", 2, [100] * 10)
    return runs


def test_a_history_draw_moves_the_interval_as_a_unit():
    iv = bootstrap_intervals(_runs(), ["random", "warm"], "random", samples=2000, seed=0)
    lo, hi = iv["tasks"]["t/a"]["warm"]["median_evals"]
    # drawing the bad history twice out of three (p = 7/27) makes the median 100: the interval shows it;
    # resampling the 30 runs alone would almost never (15 of 30 draws at 100 with p = 1/3: ~3%)
    assert lo == 2 and hi == 100
    assert iv["tasks"]["t/a"]["random"]["median_evals"] == [50, 50]  # no history: its runs alone
    assert iv["tasks"]["t/a"]["warm"]["speedup"] == [0.5, 25.0]
    assert iv["median_speedup"]["warm"][0] <= 0.5 and iv["median_speedup"]["warm"][1] >= 20
    assert "speedup" not in iv["tasks"]["t/a"]["random"]
    assert iv["unit"].startswith("history seed")


def test_a_method_without_history_resamples_its_runs_alone():
    runs = _runs() + _rows("t/a", "cold", "", [25] * 30) + _rows("t/b", "cold", "", [20, 40] * 15)
    iv = bootstrap_intervals(runs, ["random", "warm", "cold"], "random", samples=300, seed=0)
    assert iv["tasks"]["t/a"]["cold"]["median_evals"] == [25, 25]  # NaN before: its "" seed was never drawn
    assert iv["tasks"]["t/a"]["cold"]["speedup"] == [2.0, 2.0]
    assert all(math.isfinite(v) for v in iv["median_speedup"]["cold"])


def test_intervals_are_reproducible_and_contain_the_point_estimate():
    runs = _runs()
    a = bootstrap_intervals(runs, ["random", "warm"], "random", samples=500, seed=3)
    b = bootstrap_intervals(runs, ["random", "warm"], "random", samples=500, seed=3)
    assert a == b
    lo, hi = a["tasks"]["t/b"]["warm"]["median_evals"]
    assert lo <= 2 <= hi  # the point median of the 30 runs is 2


@pytest.mark.parametrize("kwargs, match", [({"samples": 10}, "'samples' must be"), ({"level": 1.0}, "'level' must be")])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        bootstrap_intervals(_runs(), ["random", "warm"], "random", **kwargs)


def test_the_table_prints_the_intervals_when_the_summary_has_them():
    iv = bootstrap_intervals(_runs(), ["random", "warm"], "random", samples=200, seed=0)
    summary = {
        "suite": "s", "methods": ["random", "warm"], "baseline": "random",
        "settings": {"target": "top0.1", "seeds": 30, "history_seeds": 3, "budget": 300, "history": "random",
                     "history_size": 1000, "population_size": 20, "tournament_size": 5},
        "strategies": {"random": "regularized evolution", "warm": "regularized evolution"},
        "tasks": {t: {"random": {"median_evals": 50.0, "median_censored": False},
                      "warm": {"median_evals": 2.0, "median_censored": False, "speedup": 25.0,
                               "speedup_lower_bound": False}} for t in ("t/a", "t/b")},
        "median_speedup": {"warm": 25.0}, "reduction": {"warm": 0.96},
    }
    assert "bootstrap intervals" not in render_summary(summary)  # summaries written before: unchanged
    text = render_summary(summary | {"intervals": iv})
    assert "90% bootstrap intervals of the speedups (200 replicates; the unit is the history seed" in text
    assert "`warm` [" in text and "(per task: a [0.50, 25.00], b [0.40, 20.00])" in text
