"""``best`` and ``topP`` targets against references computed from the tables by other means."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from metanas.benchmarks import parse_target, target_value
from metanas.benchmarks.loto import LotoSettings, task_info
from metanas.exceptions import ConfigError

PERCENTS = ("0.1", "1", "2.5", "10", "50", "99.9")


def _kth_best(values: np.ndarray, percent: float, maximize: bool) -> float:
    """The floor((n-1) p) + 1-th best value, from a sort (not numpy's quantile)."""
    ordered = sorted(values.tolist(), reverse=maximize)
    return ordered[math.floor((len(ordered) - 1) * percent / 100)]


@pytest.mark.parametrize("percent", PERCENTS)
def test_top_p_is_the_table_quantile_and_the_kth_best(nb201_suite, percent):
    table = nb201_suite.table("nb201/cifar100")
    value = target_value(table, f"top{percent}")
    q = np.quantile(table.values, 1 - float(percent) / 100, method="higher")
    assert value == q == _kth_best(table.values, float(percent), maximize=True)
    # At least P% of the architectures reach it, and fewer than that are strictly better.
    n = len(table)
    assert np.sum(table.values >= value) >= math.floor((n - 1) * float(percent) / 100) + 1
    assert np.sum(table.values > value) <= math.floor((n - 1) * float(percent) / 100)


def test_top_p_of_a_minimised_objective(nbg_suite):
    table = nbg_suite.table("nbg/cora")
    low = replace(table, direction="minimize", _index=dict(table._index))
    for percent in PERCENTS:
        assert target_value(low, f"top{percent}") == _kth_best(low.values, float(percent), maximize=False)
    assert target_value(low, "best") == table.values.min()
    assert target_value(table, "best") == table.values.max()


def test_top0_1_is_bit_identical_to_the_committed_protocol(nb201_suite, nbg_suite):
    assert parse_target("top0.1") == 0.001 and parse_target("top1") == 0.01 and parse_target("best") is None
    for suite in (nb201_suite, nbg_suite):
        for task in suite.default_tasks:
            table = suite.table(task)
            assert target_value(table, "top0.1") == table.quantile_target(0.001)
    info = task_info(nb201_suite.table("nb201/cifar10"), "top0.1")
    assert info["num_at_target"] == 16  # the "at target" column of the nb201-top0.1 results page


@pytest.mark.parametrize("bad", ["top0", "top100", "top150", "top", "top-1", "top1%", "Top1", "best1", "1", "", None])
def test_malformed_targets_name_the_field_and_the_form(bad):
    with pytest.raises(ConfigError, match=r"'target' must be 'best' or 'topP' with P a percentage strictly between"):
        parse_target(bad)
    with pytest.raises(ConfigError, match="'target'"):
        LotoSettings(target=bad)


def test_a_loto_run_with_a_top1_target(nb201_dir, nb201_suite):
    from metanas.benchmarks.loto import run_loto

    result = run_loto(LotoSettings(suite="nb201", tasks=("cifar10",), methods=("random",), seeds=2, history_seeds=1,
                                   budget=30, population_size=5, tournament_size=2, target="top1", workers=1,
                                   nb201_dir=str(nb201_dir)))
    info = result.summary["task_info"]["nb201/cifar10"]
    values = nb201_suite.table("nb201/cifar10").values
    reference = _kth_best(values, 1.0, maximize=True)
    assert info["target"] == "top1" and info["target_value"] == reference
    assert info["num_at_target"] == int(np.sum(values >= reference)) >= 157  # floor(15624 * 0.01) + 1, ties too
