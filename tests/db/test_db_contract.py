"""Contract of `ExperimentDatabase`, run against every backend (SQLite file, PostgreSQL schema)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from metanas.benchmarks import BenchmarkTable
from metanas.db import Evaluation, ExperimentDatabase, RunInfo, TopEvaluation, schema_head
from metanas.exceptions import (
    ConfigError,
    DatabaseError,
    InvalidArchitectureError,
    UnknownNameError,
    UnknownOperationError,
    UnknownTaskError,
)
from metanas.graph import ModelGraph
from metanas.spaces import get_space
from metanas.tasks import TaskMetadata

IMAGE = TaskMetadata("img/a", "cifar-like", 50000, 10, (3, 32, 32), "classification")
GRAPH = TaskMetadata(
    "graph/b",
    "cora-like",
    2708,
    7,
    None,
    "node_classification",
    {"num_nodes": 2708, "num_edges": 10556, "num_node_features": 1433, "num_classes": 7, "avg_degree": 3.9},
)


def graphs(space_id: str, n: int, seed: int = 0) -> list[ModelGraph]:
    """``n`` distinct architectures of a space."""
    space, rng, out = get_space(space_id), np.random.default_rng(seed), {}
    while len(out) < n:
        g = space.sample(rng)
        out.setdefault(g.identity, g)
    return list(out.values())


def counts(db: ExperimentDatabase) -> tuple:
    s = db.summary()
    return s["tasks"], s["runs"], s["architectures"], s["evaluations"]


def reference_top(table: BenchmarkTable, k: int) -> list[tuple[str, float]]:
    """(identity, value) of the table's k best rows, best first, ties by identity."""
    sign = 1.0 if table.direction == "maximize" else -1.0
    order = sorted(range(len(table)), key=lambda i: (-sign * table.values[i], table.graphs[i].identity))
    return [(table.graphs[i].identity, float(table.values[i])) for i in order[:k]]


def tamper(db: ExperimentDatabase, sql: str, **params) -> None:
    engine = create_engine(db.url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


# ============================================================================ opening, tasks
def test_new_database_is_empty_at_the_head_revision(db):
    s = db.summary()
    assert (s["tasks"], s["runs"], s["architectures"], s["evaluations"], s["per_task"]) == (0, 0, 0, 0, {})
    assert s["schema_revision"] == schema_head()
    assert db.get_all_tasks() == []


def test_migrations_build_exactly_the_orm_schema(db):
    """The Alembic revisions and the ORM rows describe the same schema (no autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from metanas.db._schema import VERSION_TABLE, Base

    engine = create_engine(db.url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
            assert compare_metadata(ctx, Base.metadata) == []
    finally:
        engine.dispose()


def test_tasks_round_trip_and_are_ordered(db):
    db.add_task(GRAPH, objective="val_acc")
    db.add_task(IMAGE, objective="latency", direction="minimize")
    assert db.get_task("img/a") == IMAGE and db.get_task("graph/b") == GRAPH
    assert db.get_task("graph/b").meta_features == GRAPH.meta_features
    assert [t.task_id for t in db.get_all_tasks()] == ["graph/b", "img/a"]
    assert db.task_objective("img/a") == ("latency", "minimize")
    assert db.task_objective("graph/b") == ("val_acc", "maximize")
    db.add_task(IMAGE, objective="latency", direction="minimize")  # identical: nothing happens
    assert counts(db)[0] == 2


def test_a_problem_type_metanas_does_not_know_is_stored_and_round_trips(db):
    pose = TaskMetadata("img/pose", "poses", 2000, 17, (3, 64, 64), "pose_estimation", {"pixel_mean": 0.4})
    survival = TaskMetadata("tab/s", "survival", 900, 1, None, "tabular_survival", {"num_features": 7})
    db.add_task(pose, objective="pck")
    db.add_task(survival, objective="c_index")
    assert db.get_task("img/pose") == pose and db.get_task("img/pose").modality == "image"
    assert db.get_task("tab/s") == survival and db.get_task("tab/s").modality == "tabular"
    longest = TaskMetadata("img/long", "l", 10, 2, (1, 8, 8), "p" * 64)  # the column's width
    db.add_task(longest)
    assert db.get_task("img/long").problem_type == "p" * 64


def test_adding_a_different_task_under_an_existing_id_fails(db):
    db.add_task(IMAGE)
    with pytest.raises(DatabaseError, match="already exists with different metadata.*num_classes"):
        db.add_task(replace(IMAGE, num_classes=100))
    with pytest.raises(DatabaseError, match="objective"):
        db.add_task(IMAGE, objective="test_acc")
    assert db.get_task("img/a") == IMAGE and db.task_objective("img/a") == ("val_acc", "maximize")


def test_unknown_task_and_bad_task_arguments(db):
    db.add_task(IMAGE)
    for call in (
        lambda: db.get_task("nope"),
        lambda: db.task_objective("nope"),
        lambda: db.start_run("nope", "random", space_id="nb201"),
        lambda: db.get_top_architectures("nope"),
        lambda: db.task_evaluations("nope"),
        lambda: db.runs("nope"),
    ):
        with pytest.raises(UnknownTaskError, match="'nope' is not in the experiment database.*img/a"):
            call()
    with pytest.raises(DatabaseError, match="direction must be one of"):
        db.add_task(GRAPH, direction="up")
    with pytest.raises(DatabaseError, match="expects a TaskMetadata"):
        db.add_task({"task_id": "x"})
    assert counts(db) == (1, 0, 0, 0)


# ============================================================================ runs, evaluations
def test_record_evaluations_and_read_the_trajectory(db):
    db.add_task(IMAGE)
    gs = graphs("nb201", 6)
    run = db.start_run("img/a", "regularized-evolution", space_id="nb201", config={"population": 20}, seed=3)
    t0 = datetime.now(UTC)
    e0 = db.record_evaluation(run, gs[0].with_space(None), {"val_acc": 80.5}, cost=12.5)  # untagged -> tagged
    e1 = db.record_evaluation(run, gs[1], {"val_acc": 70.0, "latency": 0.01, "params": 1.5}, cost=3, cost_unit="epochs")
    assert db.record_evaluations(run, [(g, {"val_acc": 60.0 + i}) for i, g in enumerate(gs[2:5])]) == 3
    e5 = db.record_evaluation(run, gs[5], {"val_acc": 1.0}, step=9)
    e6 = db.record_evaluation(run, gs[0], {"val_acc": 81.0})  # appended after the highest step
    assert len({e0, e1, e5, e6}) == 4
    traj = db.trajectory(run)
    assert all(isinstance(e, Evaluation) for e in traj)
    assert [e.step for e in traj] == [0, 1, 2, 3, 4, 9, 10]
    assert [e.graph for e in traj] == [gs[0], gs[1], gs[2], gs[3], gs[4], gs[5], gs[0]]
    assert all(e.graph.space_id == "nb201" and e.run_id == run for e in traj)
    assert traj[1].metrics == {"val_acc": 70.0, "latency": 0.01, "params": 1.5}
    assert [e.metrics["val_acc"] for e in traj[2:5]] == [60.0, 61.0, 62.0]
    assert (traj[0].cost, traj[0].cost_unit, traj[1].cost, traj[1].cost_unit) == (12.5, "seconds", 3.0, "epochs")
    assert traj[2].cost is None
    assert all(e.created_at.tzinfo is not None and abs((e.created_at - t0).total_seconds()) < 60 for e in traj)

    (info,) = db.runs("img/a")
    assert isinstance(info, RunInfo)
    assert (info.run_id, info.task_id, info.strategy, info.space_id) == (run, "img/a", "regularized-evolution", "nb201")
    assert (info.config, info.seed, info.status, info.num_evaluations) == ({"population": 20}, 3, "running", 7)
    assert info.finished_at is None and info.started_at.tzinfo is not None
    db.finish_run(run)
    (info,) = db.runs()
    assert info.status == "finished" and info.finished_at >= info.started_at
    assert counts(db) == (1, 1, 6, 7)
    with pytest.raises(DatabaseError, match="has ended .* start a new run"):
        db.record_evaluation(run, gs[1], {"val_acc": 1.0})
    with pytest.raises(DatabaseError, match="already ended"):
        db.finish_run(run, "failed")


def test_graphs_round_trip_with_their_space_canonical_hash(db):
    db.add_task(GRAPH)
    stored = {}
    for space_id in ("nbg", "nbg-proteins"):
        run = db.start_run("graph/b", "random", space_id=space_id)
        gs = graphs(space_id, 25, seed=1)
        db.record_evaluations(run, [(g, {"val_acc": 0.5}) for g in gs])
        assert [e.graph for e in db.trajectory(run)] == gs
        assert [e.graph.to_dict() for e in db.trajectory(run)] == [g.to_dict() for g in gs]
        stored.update({(space_id, g.identity): get_space(space_id).canonical_hash(g) for g in gs})
    engine = create_engine(db.url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT space_id, identity, canonical_hash FROM architectures")).all()
    engine.dispose()
    assert {(s, i): h for s, i, h in rows} == stored


def test_user_defined_space_uses_the_generic_canonical_hash(db):
    db.add_task(GRAPH)
    run = db.start_run("graph/b", "random", space_id="my-dag")
    g = ModelGraph(("input", "conv", "pool", "output"), ((0, 1), (1, 2), (2, 3)))
    db.record_evaluation(run, g, {"val_acc": 0.7})
    (e,) = db.trajectory(run)
    assert e.graph == g and e.graph.space_id == "my-dag"
    engine = create_engine(db.url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT canonical_hash FROM architectures")).scalar() == g.canonical_hash
    engine.dispose()


def test_explicit_steps_and_duplicates(db):
    db.add_task(IMAGE)
    g = graphs("nb201", 2)
    run = db.start_run("img/a", "random", space_id="nb201")
    db.record_evaluation(run, g[0], {"val_acc": 1.0}, step=0)
    with pytest.raises(DatabaseError, match=r"step\(s\) \[0\] of run .* already recorded"):
        db.record_evaluation(run, g[1], {"val_acc": 1.0}, step=0)
    with pytest.raises(DatabaseError, match="step must be None or an integer >= 0"):
        db.record_evaluation(run, g[1], {"val_acc": 1.0}, step=-1)
    assert [e.step for e in db.trajectory(run)] == [0]


# ============================================================================ ranking
def test_ranking_is_direction_aware(db):
    gs = graphs("nb201", 5)
    values = [3.0, 1.0, 5.0, 2.0, 4.0]
    for task_id, direction in (("max", "maximize"), ("min", "minimize")):
        db.add_task(replace(IMAGE, task_id=task_id), objective="loss", direction=direction)
        run = db.start_run(task_id, "random", space_id="nb201")
        db.record_evaluations(run, [(g, {"loss": v, "other": -v}) for g, v in zip(gs, values)])
    assert [t.value for t in db.top_evaluations("max", 3)] == [5.0, 4.0, 3.0]
    assert db.get_top_architectures("max", 2) == [gs[2], gs[4]]
    top_min = db.top_evaluations("min", 3)
    assert [t.value for t in top_min] == [1.0, 2.0, 3.0]
    assert [t.graph for t in top_min] == [gs[1], gs[3], gs[0]]
    assert all(isinstance(t, TopEvaluation) and t.metric == "loss" for t in top_min)
    assert [v for _, v in db.task_evaluations("min")] == [1.0, 2.0, 3.0, 4.0, 5.0]
    # best of another metric follows the task's direction
    assert [v for _, v in db.task_evaluations("min", "other")] == [-5.0, -4.0, -3.0, -2.0, -1.0]
    assert db.get_top_architectures("max", 0) == []
    assert len(db.get_top_architectures("max", 100)) == 5


def test_ties_are_broken_by_architecture_identity_whatever_the_insertion_order(db):
    gs = graphs("nb201", 12, seed=4)
    by_identity = sorted(gs, key=lambda g: g.identity)
    for task_id, order in (("a", gs), ("b", gs[::-1])):
        db.add_task(replace(IMAGE, task_id=task_id))
        run = db.start_run(task_id, "random", space_id="nb201")
        db.record_evaluations(run, [(g, {"val_acc": 50.0 if g in gs[:8] else 10.0}) for g in order])
    tied = [g for g in by_identity if g in gs[:8]]
    for task_id in ("a", "b"):
        assert db.get_top_architectures(task_id, 5) == tied[:5]
        assert [g for g, _ in db.task_evaluations(task_id)] == tied + [g for g in by_identity if g not in tied]


def test_an_architecture_evaluated_several_times_counts_once_with_its_best_value(db):
    db.add_task(IMAGE)
    a, b, c = graphs("nb201", 3, seed=2)
    r1 = db.start_run("img/a", "random", space_id="nb201")
    r2 = db.start_run("img/a", "evolution", space_id="nb201")
    db.record_evaluations(r1, [(a, {"val_acc": 50.0}), (b, {"val_acc": 70.0})])
    first_best = db.record_evaluation(r1, a, {"val_acc": 90.0})
    db.record_evaluations(r2, [(a, {"val_acc": 90.0}), (c, {"val_acc": 80.0}), (a, {"val_acc": 60.0})])
    top = db.top_evaluations("img/a", 3)
    assert [(t.graph, t.value) for t in top] == [(a, 90.0), (c, 80.0), (b, 70.0)]
    assert (top[0].run_id, top[0].evaluation_id) == (r1, first_best)  # the earliest evaluation reaching it
    assert [(g, v) for g, v in db.task_evaluations("img/a")] == [(a, 90.0), (c, 80.0), (b, 70.0)]
    s = db.summary()
    assert (s["architectures"], s["evaluations"]) == (3, 6)
    assert s["per_task"]["img/a"] == {"objective": "val_acc", "direction": "maximize", "runs": 2,
                                      "evaluations": 6, "architectures": 3}


def test_top_evaluations_carry_the_cost_of_the_evaluation_that_reached_the_best(db):
    db.add_task(IMAGE)
    a, b, c = graphs("nb201", 3, seed=3)
    run = db.start_run("img/a", "random", space_id="nb201")
    db.record_evaluation(run, a, {"val_acc": 50.0}, cost=1.0)
    db.record_evaluation(run, a, {"val_acc": 90.0}, cost=7.5)
    db.record_evaluation(run, b, {"val_acc": 80.0}, cost=4, cost_unit="epochs")
    db.record_evaluation(run, c, {"val_acc": 70.0})
    top = db.top_evaluations("img/a", 3)
    assert [(t.graph, t.cost, t.cost_unit) for t in top] == [(a, 7.5, "seconds"), (b, 4.0, "epochs"),
                                                             (c, None, "seconds")]


def test_top_k_walks_past_many_duplicates(db):
    """Many evaluations of the same few architectures at the top must not hide the next ones."""
    db.add_task(IMAGE)
    gs = graphs("nb201", 30, seed=5)
    run = db.start_run("img/a", "random", space_id="nb201")
    items = [(gs[0], {"val_acc": 99.0 - 0.001 * i}) for i in range(200)]
    items += [(g, {"val_acc": 90.0 - i}) for i, g in enumerate(gs[1:])]
    db.record_evaluations(run, items)
    top = db.top_evaluations("img/a", 10)
    assert [t.graph for t in top] == gs[:10]
    assert top[0].value == 99.0 and [t.value for t in top[1:]] == [90.0 - i for i in range(9)]


def test_task_evaluations_of_an_unknown_metric(db):
    db.add_task(IMAGE)
    run = db.start_run("img/a", "random", space_id="nb201")
    assert db.task_evaluations("img/a") == [] and db.task_evaluations("img/a", "latency") == []
    db.record_evaluation(run, graphs("nb201", 1)[0], {"val_acc": 1.0, "latency": 2.0})
    assert [v for _, v in db.task_evaluations("img/a", "latency")] == [2.0]
    with pytest.raises(UnknownNameError, match=r"no metric 'lat'; its evaluations record \['latency', 'val_acc'\]"):
        db.task_evaluations("img/a", "lat")
    with pytest.raises(ConfigError, match=r"The 'top_k' parameter must be an int in the range \[0, inf\). Got -1 instead."):
        db.top_evaluations("img/a", -1)


# ============================================================================ failures leave the database as it was
def test_a_failing_batch_is_rolled_back(db):
    db.add_task(IMAGE)
    gs = graphs("nb201", 10, seed=3)
    run = db.start_run("img/a", "random", space_id="nb201")
    db.record_evaluations(run, [(g, {"val_acc": 1.0}) for g in gs[:3]])
    before, traj = counts(db), db.trajectory(run)

    bad_value = [(g, {"val_acc": 2.0}) for g in gs[3:]]
    bad_value[4] = (gs[7], {"val_acc": math.nan})
    with pytest.raises(DatabaseError, match="metric 'val_acc' of item 4 of the batch must be a finite number"):
        db.record_evaluations(run, bad_value)
    nbg_graph = graphs("nbg", 1)[0].with_space(None)
    with pytest.raises(UnknownOperationError, match="item 2 of the batch: .*not in space 'nb201'"):
        db.record_evaluations(run, [(gs[3], {"val_acc": 1.0}), (gs[4], {"val_acc": 1.0}), (nbg_graph, {"v": 2.0})])
    with pytest.raises(DatabaseError, match="item 1 of the batch must be a \\(graph, metrics\\) pair"):
        db.record_evaluations(run, [(gs[3], {"val_acc": 1.0}), gs[4]])
    assert counts(db) == before and db.trajectory(run) == traj


def test_a_failing_write_inside_the_transaction_is_rolled_back(db, monkeypatch):
    """A failure after rows were written (here: while inserting metric values) undoes them."""
    import metanas.db._ingest as impl

    db.add_task(IMAGE)
    run = db.start_run("img/a", "random", space_id="nb201")
    before = counts(db)
    real = impl.bulk_insert

    def failing(conn, table, columns, rows, **kwargs):
        if table.name == "evaluation_metrics":
            raise DatabaseError("disk full (simulated)")
        return real(conn, table, columns, rows, **kwargs)

    monkeypatch.setattr(impl, "bulk_insert", failing)
    with pytest.raises(DatabaseError, match="simulated"):
        db.record_evaluations(run, [(g, {"val_acc": 1.0}) for g in graphs("nb201", 5)])
    monkeypatch.undo()
    assert counts(db) == before and db.trajectory(run) == []
    assert db.record_evaluations(run, [(g, {"val_acc": 1.0}) for g in graphs("nb201", 5)]) == 5


def test_bad_evaluation_inputs(db):
    db.add_task(IMAGE)
    db.add_task(GRAPH)
    g = graphs("nb201", 1)[0]
    run = db.start_run("img/a", "random", space_id="nb201")
    cases = [
        ({"val_acc": math.inf}, {}, DatabaseError, "finite number"),
        ({"val_acc": "high"}, {}, DatabaseError, "finite number, got 'high'"),
        ({"val_acc": True}, {}, DatabaseError, "finite number"),
        ({"": 1.0}, {}, DatabaseError, "metric name"),
        ([1.0], {}, DatabaseError, "must be a mapping"),
        ({"val_acc": 1.0}, {"cost_unit": "hours"}, DatabaseError, r"cost_unit must be one of \['seconds', 'epochs'\]"),
        ({"val_acc": 1.0}, {"cost": -1.0}, DatabaseError, "cost must be None or a finite number >= 0"),
        ({"val_acc": 1.0}, {"cost": math.nan}, DatabaseError, "cost must be None"),
    ]
    for metrics, kwargs, exc, message in cases:
        with pytest.raises(exc, match=message):
            db.record_evaluation(run, g, metrics, **kwargs)
    with pytest.raises(DatabaseError, match="run 999 does not exist"):
        db.record_evaluation(999, g, {"val_acc": 1.0})
    with pytest.raises(DatabaseError, match="run 999 does not exist"):
        db.trajectory(999)
    with pytest.raises(InvalidArchitectureError, match="belongs to search space 'nbg' but run .* searches 'nb201'"):
        db.record_evaluation(run, graphs("nbg", 1)[0], {"val_acc": 1.0})
    with pytest.raises(InvalidArchitectureError, match="must hold a ModelGraph"):
        db.record_evaluation(run, "input->output", {"val_acc": 1.0})
    with pytest.raises(DatabaseError, match="JSON-serialisable"):
        db.start_run("img/a", "random", space_id="nb201", config={"f": object()})
    with pytest.raises(DatabaseError, match="seed must be an integer"):
        db.start_run("img/a", "random", space_id="nb201", seed=1.5)
    with pytest.raises(DatabaseError, match="strategy must be a non-empty string"):
        db.start_run("img/a", "", space_id="nb201")
    with pytest.raises(DatabaseError, match="run status must be one of"):
        db.finish_run(run, "done")
    assert counts(db) == (2, 1, 0, 0)


def test_malformed_architecture_json_in_a_row_is_reported(db_url):
    with ExperimentDatabase(db_url) as db:
        db.add_task(IMAGE)
        run = db.start_run("img/a", "random", space_id="nb201")
        a, b = graphs("nb201", 2)
        db.record_evaluations(run, [(a, {"val_acc": 2.0}), (b, {"val_acc": 1.0})])
    corruptions = [
        ('{"ops": ["input", ', "holds malformed architecture JSON and cannot be read"),
        ('{"ops": 3, "edges": []}', "'ops' must be a list of strings"),
        ('{"ops": ["input", "output"], "edges": [[1, 0]]}', "edge"),
    ]
    for text_, message in corruptions:
        with ExperimentDatabase(db_url) as db:  # a fresh object: nothing cached
            tamper(db, "UPDATE architectures SET graph = :g WHERE identity = :i", g=text_, i=a.identity)
            with pytest.raises(DatabaseError, match=rf"architectures row \d+ \(space 'nb201'\) .*{message}"):
                db.get_top_architectures("img/a", 1)
            with pytest.raises(DatabaseError, match=r"architectures row \d+"):
                db.trajectory(run)
    with ExperimentDatabase(db_url) as db:
        tamper(db, "UPDATE architectures SET graph = :g WHERE identity = :i", g=a.to_json(), i=a.identity)
        assert db.get_top_architectures("img/a", 2) == [a, b]


# ============================================================================ benchmark tables
def _check_import(db: ExperimentDatabase, table: BenchmarkTable, seconds_cpu: float | None = None) -> None:
    task_id = table.task.task_id
    (run,) = db.runs(task_id)
    assert (run.status, run.strategy, run.num_evaluations, run.space_id) == (
        "finished", "benchmark-import", len(table), table.space.id)
    assert db.get_task(task_id) == table.task
    assert db.task_objective(task_id) == (table.objective, table.direction)
    # The best validation architecture is the table's argmax (ties: smallest identity).
    best = db.get_top_architectures(task_id, 1)[0]
    assert table.values[table.row(best)] == table.best_value()
    assert table.values[int(np.argmax(table.values) if table.direction == "maximize" else np.argmin(table.values))] \
        == table.best_value()
    ref = reference_top(table, 10)
    top = db.top_evaluations(task_id, 10)
    assert [(t.graph.identity, t.value) for t in top] == ref
    assert best.identity == ref[0][0]
    # every metric of a row is stored with its evaluation
    some = db.trajectory(run.run_id)[:: max(1, len(table) // 7)]
    for e in some:
        assert e.metrics == {k: float(v[e.step]) for k, v in table.metrics.items()} and e.cost is None
        assert e.graph == table.graphs[e.step]


@pytest.mark.slow
def test_import_nasbench_graph_tables(db, nbg_suite):
    cora = nbg_suite.table("nbg/cora")
    db.import_table(cora)  # timed by `python -m metanas.benchmarks._synthetic` and the README, not here
    _check_import(db, cora)
    latency = nbg_suite.table("nbg/proteins", "latency")  # a minimised objective
    db.import_table(latency)
    _check_import(db, latency)
    assert db.summary()["architectures"] == len(cora) + len(latency)


@pytest.mark.slow
def test_import_nb201_table(db, nb201_suite):
    table = nb201_suite.table("nb201/cifar100")
    db.import_table(table)
    _check_import(db, table)
    assert counts(db) == (1, 1, 15625, 15625)


def test_import_rows_and_reimport_with_other_metadata(db, nbg_suite):
    table = nbg_suite.table("nbg/proteins")
    rows = [5, 17, 3, 1000]
    run = db.import_table(table, rows=rows, strategy="random-1000", seed=7)
    traj = db.trajectory(run)
    assert [e.graph for e in traj] == [table.graphs[r] for r in rows] and [e.step for e in traj] == [0, 1, 2, 3]
    (info,) = db.runs()
    assert (info.strategy, info.seed, info.config["rows"]) == ("random-1000", 7, rows)
    before = counts(db)
    with pytest.raises(DatabaseError, match="already exists with different metadata"):
        db.import_table(nbg_suite.table("nbg/proteins", "test_acc"))
    with pytest.raises(DatabaseError, match=r"rows must be indices in \[0, 2021\)"):
        db.import_table(table, rows=[0, 2021])
    broken = dict(table.metrics)
    broken["latency"] = broken["latency"].copy()
    broken["latency"][17] = np.nan
    with pytest.raises(DatabaseError, match="metric 'latency' of row 17 .* not a finite number"):
        db.import_table(replace(table, metrics=broken))
    assert counts(db) == before
    # a new task whose table holds a NaN adds nothing at all (no task, no run)
    with pytest.raises(DatabaseError, match="not a finite number"):
        db.import_table(replace(table, task=replace(table.task, task_id="nbg/proteins-2"), metrics=broken))
    assert counts(db) == before and [t.task_id for t in db.get_all_tasks()] == ["nbg/proteins"]
    # an invalid architecture found while writing rolls back the new task and run as well
    foreign = list(table.graphs)
    foreign[-1] = graphs("nb201", 1)[0]
    with pytest.raises(InvalidArchitectureError, match="row 2020 of the table"):
        db.import_table(replace(table, task=replace(table.task, task_id="nbg/proteins-3"), graphs=foreign))
    assert counts(db) == before and [t.task_id for t in db.get_all_tasks()] == ["nbg/proteins"]
