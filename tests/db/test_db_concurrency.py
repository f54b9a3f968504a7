"""Several processes writing into one SQLite file at once lose nothing."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

from metanas.db import ExperimentDatabase
from metanas.tasks import TaskMetadata

TASK = TaskMetadata("img/a", "cifar-like", 50000, 10, (3, 32, 32), "classification")
SINGLE, BATCHES, BATCH = 60, 6, 25


def _writer(path: str, worker: int, own_run: int, shared_run: int, start, done) -> None:
    """Record evaluations one by one and in batches, into the worker's run and a shared one."""
    from metanas.spaces import get_space

    space = get_space("nb201")
    rng = np.random.default_rng(worker)
    # both workers draw from the same small pool, so they race on inserting the same architectures
    pool = [space.sample(np.random.default_rng(i)) for i in range(40)]
    with ExperimentDatabase(path) as db:
        start.wait(30)
        for i in range(SINGLE):
            g = pool[int(rng.integers(len(pool)))]
            db.record_evaluation(own_run, g, {"val_acc": float(i), "worker": float(worker)}, step=i, cost=0.1)
            db.record_evaluation(shared_run, g, {"val_acc": float(i), "worker": float(worker)})
        for b in range(BATCHES):
            items = [(pool[int(rng.integers(len(pool)))], {"val_acc": float(b), "worker": float(worker)})
                     for _ in range(BATCH)]
            assert db.record_evaluations(own_run, items) == BATCH
            assert db.record_evaluations(shared_run, items) == BATCH
    done.put(worker)


@pytest.mark.slow
def test_two_processes_writing_to_one_sqlite_file_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.db")
    with ExperimentDatabase(path) as db:
        db.add_task(TASK)
        runs = [db.start_run("img/a", f"worker-{w}", space_id="nb201") for w in range(2)]
        shared = db.start_run("img/a", "shared", space_id="nb201")
    ctx = mp.get_context("spawn")
    start, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(path, w, runs[w], shared, start, done)) for w in range(2)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted(done.get(timeout=5) for _ in procs) == [0, 1]

    per_worker = SINGLE + BATCHES * BATCH
    with ExperimentDatabase(path) as db:
        for w in range(2):
            traj = db.trajectory(runs[w])
            assert [e.step for e in traj] == list(range(per_worker))
            assert all(e.metrics["worker"] == w for e in traj)
        shared_traj = db.trajectory(shared)
        assert [e.step for e in shared_traj] == list(range(2 * per_worker))  # no step lost or taken twice
        assert sorted(e.metrics["worker"] for e in shared_traj) == [0.0] * per_worker + [1.0] * per_worker
        s = db.summary()
        assert s["evaluations"] == 4 * per_worker
        assert s["architectures"] == len({e.graph.identity for e in shared_traj})  # each stored once
