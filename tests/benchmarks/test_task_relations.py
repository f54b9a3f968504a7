"""Ground truth of task relations: the oracle transfer positions on real tables."""

from __future__ import annotations

import numpy as np

from metanas.benchmarks._targets import target_value
from metanas.benchmarks.task_relations import main, oracle_transfer_positions


def test_a_task_is_its_own_perfect_oracle(nb201_suite):
    # the same table twice: ordering by the other one puts a top architecture first
    out = oracle_transfer_positions(nb201_suite, ["nb201/cifar10", "nb201/cifar10"], "top0.1")
    assert out["nb201/cifar10"]["mean_rank"] == 1
    assert list(out["nb201/cifar10"]["per_task"].values()) == [1]


def test_positions_on_nb201_against_a_direct_count(nb201_suite):
    tasks = list(nb201_suite.default_tasks)
    out = oracle_transfer_positions(nb201_suite, tasks, "top1")
    cifar100, imagenet = nb201_suite.table("nb201/cifar100"), nb201_suite.table("nb201/imagenet16-120")
    keys = sorted(set(cifar100.keys) & set(imagenet.keys))
    # per_task of cifar100 by imagenet16-120 alone: walk imagenet's order and count until a cifar100 top-1% hit
    order = sorted(keys, key=lambda k: -imagenet.values[imagenet._index[k]])
    threshold = target_value(cifar100, "top1")
    position = next(i + 1 for i, k in enumerate(order) if cifar100.values[cifar100._index[k]] >= threshold)
    got = out["nb201/cifar100"]["per_task"]["nb201/imagenet16-120"]
    assert abs(got - position) <= 2  # equal up to the order of tied imagenet scores
    for r in out.values():
        assert 1 <= r["mean_rank"] <= r["num_architectures"] and r["num_at_target"] >= 1
        assert np.isfinite(list(r["per_task"].values())).all()


def test_main_prints_both_tables(nb201_dir, capsys):
    assert main(["--suite", "nb201", "--nb201-dir", str(nb201_dir)]) == 0
    text = capsys.readouterr().out
    assert "Spearman rank correlation" in text and "| nb201/cifar10 |" in text
