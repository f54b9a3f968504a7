"""The table import records each row's evaluation cost (issue 25, item 3): what the warm start's
``cost_weight`` reads. A constructed table with known costs; a table without costs records none;
a bad cost writes nothing."""

from __future__ import annotations

from itertools import islice, product

import numpy as np
import pytest

from metanas.benchmarks import BenchmarkTable
from metanas.benchmarks._nb201_pypi import NB201PyPITable
from metanas.exceptions import DatabaseError
from metanas.spaces import NB201_OPS, NB201Space
from metanas.tasks import TaskMetadata

N = 12


def _table(costs=None) -> BenchmarkTable:
    space = NB201Space()
    graphs = [space.from_ops(ops) for ops in islice(product(NB201_OPS, repeat=6), 0, 97 * N, 97)]
    task = TaskMetadata(task_id="costed/import", dataset_name="costed", num_samples=1000, num_classes=10,
                        input_size=(3, 32, 32), problem_type="classification")
    acc = np.linspace(60.0, 90.0, N)
    keys = [space.key(g) for g in graphs]
    if costs is None:
        return BenchmarkTable(task, space, graphs, keys, {"val_acc": acc}, "val_acc", "val_acc")
    seeds = np.column_stack([acc - 1, acc + 1, np.full(N, np.nan)])
    return NB201PyPITable(task, space, graphs, keys, {"val_acc": acc, "train_time": np.asarray(costs, float)},
                          "val_acc", "val_acc", seed_values=seeds)


def test_import_records_each_rows_cost(db):
    costs = [100.0 + 7 * i for i in range(N)]
    table = _table(costs)
    rows = [3, 0, 11, 5]
    run = db.import_table(table, rows=rows, strategy="random-1000", seed=1)
    traj = db.trajectory(run)
    assert [e.cost for e in traj] == [costs[r] for r in rows]  # before: None for every row
    assert {e.cost_unit for e in traj} == {"seconds"}
    assert [e.metrics["train_time"] for e in traj] == [costs[r] for r in rows]
    top = db.top_evaluations("costed/import", top_k=2)
    assert [t.cost for t in top] == [costs[11], costs[5]]  # what the warm start's candidates carry


def test_import_of_a_table_without_costs_records_none(db):
    run = db.import_table(_table())
    assert {e.cost for e in db.trajectory(run)} == {None}


def test_a_bad_cost_imports_nothing(db):
    costs = [10.0] * N
    costs[4] = -1.0
    table = _table(costs)
    with pytest.raises(DatabaseError, match=r"row 4 of the costed/import table: cost must be None or a finite number "
                                            r">= 0 \(seconds\), got -1.0; nothing was imported"):
        db.import_table(table)
    assert db.get_all_tasks() == []
