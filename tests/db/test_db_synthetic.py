"""The synthetic database builder (small sizes; the 1,000,000-row size is measured, not tested)."""

from __future__ import annotations

import pytest

from metanas.db import build_synthetic_db
from metanas.exceptions import ConfigError, DatabaseError


def test_synthetic_database_is_complete_plausible_and_repeatable(db_url, tmp_path):
    db = build_synthetic_db(db_url, num_tasks=4, evals_per_task=300, seed=3)
    try:
        s = db.summary()
        assert (s["tasks"], s["runs"], s["evaluations"]) == (4, 4, 1200)
        tasks = db.get_all_tasks()
        assert [t.modality for t in sorted(tasks, key=lambda t: t.task_id)] == ["image", "graph", "image", "graph"]
        assert {r.space_id for r in db.runs()} == {"nb201", "nbg"}
        for task in tasks:
            assert db.task_objective(task.task_id) == ("val_acc", "maximize")
            (run,) = db.runs(task.task_id)
            traj = db.trajectory(run.run_id)
            assert len(traj) == 300 and set(traj[0].metrics) == {"val_acc", "test_acc"}
            best: dict[str, float] = {}
            for e in traj:  # reference: best value per distinct architecture
                best[e.graph.identity] = max(best.get(e.graph.identity, -1.0), e.metrics["val_acc"])
            assert len(best) < 300  # drawn with replacement: some architectures repeat
            ref = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            assert [(t.graph.identity, t.value) for t in db.top_evaluations(task.task_id, 10)] == ref
            assert s["per_task"][task.task_id]["architectures"] == len(best)
        again = build_synthetic_db(tmp_path / "again.db", num_tasks=4, evals_per_task=300, seed=3)
        with again:
            assert again.get_all_tasks() == tasks
            for task in tasks:
                assert again.top_evaluations(task.task_id, 5) == db.top_evaluations(task.task_id, 5)
        with pytest.raises(DatabaseError, match="needs an empty database.*already holds 4 task"):
            build_synthetic_db(db_url, num_tasks=1, evals_per_task=1)
    finally:
        db.close()


def test_synthetic_database_arguments(tmp_path):
    with pytest.raises(ConfigError, match=r"The 'num_tasks' parameter must be an int in the range \[1, inf\). Got 0 instead."):
        build_synthetic_db(tmp_path / "x.db", num_tasks=0)
    with pytest.raises(ConfigError, match=r"'evals_per_task' parameter must be an int in the range \[1, inf\)"):
        build_synthetic_db(tmp_path / "x.db", evals_per_task=2.5)
    assert not (tmp_path / "x.db").exists()
