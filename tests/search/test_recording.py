"""Recording a search into the experiment database (SQLite file)."""

from __future__ import annotations

import pytest

from metanas.db import ExperimentDatabase
from metanas.exceptions import ConfigError
from metanas.search import (
    BenchmarkEvaluator,
    DatabaseRecorder,
    EvaluationResult,
    RandomSearch,
    RegularizedEvolution,
    run_search,
)


@pytest.fixture
def db(tmp_path, cifar10):
    database = ExperimentDatabase(tmp_path / "experiments.db")
    database.add_task(cifar10.task, objective=cifar10.objective, direction=cifar10.direction)
    yield database
    database.close()


def test_trajectory_recorded_in_order(db, cifar10):
    s = RegularizedEvolution(cifar10.space, seed=7, population_size=10, tournament_size=3)
    rec = DatabaseRecorder.for_strategy(db, "nb201/cifar10", s, warm_start="none")
    assert rec.run_id is None  # started lazily
    res = run_search(s, BenchmarkEvaluator(cifar10), 40, recorder=rec)
    traj = db.trajectory(rec.run_id)
    assert [e.step for e in traj] == list(range(40))
    assert [e.graph for e in traj] == res.graphs
    assert [e.metrics for e in traj] == [dict(e.metrics) for e in res.evaluations]
    assert all(e.cost is None for e in traj)
    (run,) = db.runs("nb201/cifar10")
    assert (run.run_id, run.status, run.num_evaluations) == (rec.run_id, "finished", 40)
    assert (run.strategy, run.space_id, run.seed) == ("regularized_evolution", "nb201", 7)
    assert run.config == {"population_size": 10, "tournament_size": 3, "warm_start": "none"}


def test_failed_search_is_marked_failed(db, cifar10):
    calls = []

    def crash(event):
        calls.append(event.step)
        if event.step == 4:
            raise RuntimeError("hook crashed")

    rec = DatabaseRecorder(db, "nb201/cifar10", "random", "nb201", {"note": "test"}, seed=1)
    with pytest.raises(RuntimeError, match="hook crashed"):
        run_search(RandomSearch(cifar10.space, seed=1), BenchmarkEvaluator(cifar10), 20, recorder=rec, hooks=[crash])
    (run,) = db.runs("nb201/cifar10")
    assert run.status == "failed" and run.num_evaluations == 5
    assert [e.step for e in db.trajectory(rec.run_id)] == list(range(5))


def test_failure_before_the_first_evaluation_still_leaves_a_failed_run(db, cifar10):
    class Broken(BenchmarkEvaluator):
        def evaluate(self, graph):
            raise RuntimeError("no GPU")

    rec = DatabaseRecorder(db, "nb201/cifar10", "random", "nb201", None, seed=0)
    with pytest.raises(RuntimeError, match="no GPU"):
        run_search(RandomSearch(cifar10.space, seed=0), Broken(cifar10), 5, recorder=rec)
    (run,) = db.runs("nb201/cifar10")
    assert run.status == "failed" and run.num_evaluations == 0


def test_two_runs_on_one_task_keep_separate_trajectories(db, cifar10):
    ev = BenchmarkEvaluator(cifar10)
    ids = []
    for seed in (0, 1):
        s = RandomSearch(cifar10.space, seed=seed)
        rec = DatabaseRecorder.for_strategy(db, "nb201/cifar10", s)
        res = run_search(s, ev, 15, recorder=rec)
        assert [e.graph for e in db.trajectory(rec.run_id)] == res.graphs
        ids.append(rec.run_id)
    assert ids[0] != ids[1] and [r.status for r in db.runs()] == ["finished", "finished"]


class _Renamed(BenchmarkEvaluator):
    """Scores like the table but calls its objective 'accuracy' (the task's is the table's)."""

    def __init__(self, table):
        super().__init__(table)
        self.objective = "accuracy"

    def evaluate(self, graph):
        res = super().evaluate(graph)
        return EvaluationResult(res.objective, {"accuracy": res.objective})


def test_an_evaluator_with_another_objective_name_is_refused_before_evaluating(db, cifar10):
    calls = []

    class Counted(_Renamed):
        def evaluate(self, graph):
            calls.append(graph)
            return super().evaluate(graph)

    rec = DatabaseRecorder(db, "nb201/cifar10", "random", "nb201", None, seed=0)
    with pytest.raises(ConfigError) as exc:
        run_search(RandomSearch(cifar10.space, seed=0), Counted(cifar10), 5, recorder=rec)
    assert "'accuracy'" in str(exc.value) and repr(cifar10.objective) in str(exc.value)
    assert calls == [] and db.runs("nb201/cifar10") == []


def test_an_evaluator_with_another_direction_is_refused(db, cifar10):
    minimising = BenchmarkEvaluator(cifar10)
    minimising.direction = "minimize"
    rec = DatabaseRecorder(db, "nb201/cifar10", "random", "nb201", None, seed=0)
    with pytest.raises(ConfigError, match="directions must agree"):
        run_search(RandomSearch(cifar10.space, seed=0), minimising, 5, recorder=rec)


@pytest.mark.parametrize("metrics", [{}, {"accuracy": 0.5}])
def test_a_result_without_the_task_objective_is_refused_at_the_first_evaluation(db, cifar10, metrics):
    class NoScore(BenchmarkEvaluator):
        def evaluate(self, graph):
            return EvaluationResult(0.5, dict(metrics))

    rec = DatabaseRecorder(db, "nb201/cifar10", "random", "nb201", None, seed=0)
    with pytest.raises(ConfigError) as exc:
        run_search(RandomSearch(cifar10.space, seed=0), NoScore(cifar10), 5, recorder=rec)
    text = str(exc.value)
    assert repr(cifar10.objective) in text and ("no metrics" in text if not metrics else "'accuracy'" in text)
    (run,) = db.runs("nb201/cifar10")
    assert run.status == "failed" and run.num_evaluations == 0
