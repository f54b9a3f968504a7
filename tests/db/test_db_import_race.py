"""Two processes importing the same benchmark table at once store it once (issue 13, item 2)."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

from metanas.db import ExperimentDatabase

ROWS = 1500


class _SmallSuite:
    """A one-task suite over the first ``ROWS`` NAS-Bench-201 cells with made-up scores."""

    def __init__(self) -> None:
        from metanas.benchmarks import BenchmarkTable
        from metanas.spaces import get_space
        from metanas.tasks import TaskMetadata

        space = get_space("nb201")
        graphs = []
        for g in space.enumerate():
            graphs.append(g)
            if len(graphs) == ROWS:
                break
        values = np.random.default_rng(0).uniform(10.0, 90.0, size=ROWS)
        task = TaskMetadata("race/a", "cifar-like", 50000, 10, (3, 32, 32), "classification")
        self._table = BenchmarkTable(task, space, graphs, [space.key(g) for g in graphs],
                                     {"val_acc": values, "test_acc": values - 1.0})

    def resolve(self, task_id: str) -> str:
        return task_id

    def task_ids(self) -> list[str]:
        return ["race/a"]

    def table(self, task_id: str, objective: str | None = None):
        return self._table


def _importer(url: str, start, done) -> None:
    from metanas.benchmarks import import_suite

    suite = _SmallSuite()
    suite.table("race/a")
    with ExperimentDatabase(url) as db:
        start.wait(60)
        (result,) = import_suite(db, suite)
    done.put((result.run_id, result.skipped))


@pytest.mark.slow
def test_two_concurrent_imports_of_one_table_store_it_once(db_url):
    ExperimentDatabase(db_url).close()  # the schema exists before the race
    ctx = mp.get_context("spawn")
    start, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_importer, args=(db_url, start, done)) for _ in range(2)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0, 0]
    results = sorted(done.get(timeout=5) for _ in procs)
    with ExperimentDatabase(db_url) as db:
        runs = db.runs("race/a")
        assert len(runs) == 1 and runs[0].num_evaluations == ROWS
        assert db.summary()["evaluations"] == ROWS
    # one process imported the table, the other found that import and skipped
    assert sorted(skipped for _, skipped in results) == [False, True]
    assert {run_id for run_id, _ in results} == {runs[0].run_id}
