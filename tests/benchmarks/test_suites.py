"""Benchmark suites read the real tables."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from metanas.benchmarks import NB201Suite, get_suite
from metanas.exceptions import BenchmarkDataError, UnknownSuiteError, UnknownTaskError


def test_nb201_tables(nb201_suite):
    assert nb201_suite.task_ids() == ["nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120"]
    c10 = nb201_suite.task("cifar10")
    assert (c10.num_samples, c10.num_classes, c10.input_size) == (50000, 10, (3, 32, 32))
    assert nb201_suite.task("nb201/imagenet16-120").input_size == (3, 16, 16)
    table = nb201_suite.table("nb201/cifar10")
    assert len(table) == 15625 and len(set(table.keys)) == 15625
    # The 200-epoch table's published best CIFAR-10 test accuracy is 94.37%.
    assert table.metrics["test_acc_200ep"].max() == pytest.approx(94.37, abs=0.01)
    assert table.metrics["test_acc"].max() == pytest.approx(89.16, abs=0.01)
    g = nb201_suite.space("nb201/cifar10").decode(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
    assert table.row(g) == 1
    assert table.lookup(g)["val_acc"] == pytest.approx(82.834, abs=1e-3)
    t200 = nb201_suite.table("nb201/cifar100", objective="test_acc_200ep")
    assert t200.objective == "test_acc_200ep" and t200.test_metric == "test_acc_200ep"
    assert t200.best_value() == pytest.approx(73.51, abs=0.01)


def test_nb201_missing_and_malformed_files(tmp_path, nb201_dir):
    with pytest.raises(BenchmarkDataError, match="not found; pass --nb201-dir"):
        NB201Suite(tmp_path).table("cifar10")
    shutil.copy(nb201_dir / "nb201_200epoch_test.csv", tmp_path)
    lines = (nb201_dir / "nb201_accuracies.csv").read_text().splitlines()
    (tmp_path / "nb201_accuracies.csv").write_text("\n".join([lines[0].replace("cifar10-val", "c10v"), *lines[1:]]))
    from metanas.benchmarks._suites import _nb201_tables

    _nb201_tables.cache_clear()
    with pytest.raises(BenchmarkDataError, match=r"lacks the column\(s\) \['cifar10-val'\]"):
        NB201Suite(tmp_path).table("cifar10")


def test_nasbench_graph_tables(nbg_suite):
    assert len(nbg_suite.task_ids()) == 9
    cora = nbg_suite.table("nbg/cora")
    assert len(cora) == 26206 and cora.space.id == "nbg"
    assert cora.task.meta_features["num_edges"] == 10556 and cora.task.input_size is None
    prot = nbg_suite.table("proteins")
    assert len(prot) == 2021 and prot.space.id == "nbg-proteins"
    assert prot.task.problem_type == "node_multilabel_classification"
    # Every table row resolves to itself through the space's key (isomorphic graphs share a row).
    rng = np.random.default_rng(0)
    for i in rng.integers(0, len(cora), 50):
        assert cora.row(cora.graphs[i]) == i
    assert 0.5 < cora.best_value() <= 1.0


def test_unknown_suite_and_task():
    with pytest.raises(UnknownSuiteError, match="nasbench-graph"):
        get_suite("nb101")
    with pytest.raises(UnknownTaskError, match="nbg/cora"):
        get_suite("nasbench-graph").task("reddit")


def test_quantile_target_counts_ties(nbg_suite):
    t = nbg_suite.table("nbg/cora")
    target = t.quantile_target(0.001)
    assert (t.values >= target).sum() >= int(0.001 * len(t))
