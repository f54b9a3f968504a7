"""``python -m benchmarks.build_params``: the NAS-Bench-Graph networks' parameter counts against the table."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.build_params import nbg_agreement
from metanas.benchmarks import get_suite


@pytest.mark.parametrize("task_id", ["nbg/cora", "nbg/pubmed", "nbg/cs", "nbg/computers", "nbg/arxiv", "nbg/proteins"])
def test_nbg_parameter_counts_equal_the_table_on_a_sample(task_id):
    n = len(get_suite("nasbench-graph").table(task_id).graphs)
    rows = np.random.default_rng(0).choice(n, size=25, replace=False).tolist()
    res = nbg_agreement(task_id, rows)
    assert res.checked == 25
    assert res.matches == 25, res.mismatches
