"""Bad input the database must refuse the same way on every backend, and what `db show` prints (issue 13)."""

from __future__ import annotations

import math
import os
from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from metanas.cli import main
from metanas.db import ExperimentDatabase
from metanas.exceptions import DatabaseError, InvalidTaskError
from metanas.graph import ModelGraph
from metanas.similarity.task import dataset_meta
from metanas.tasks import INT32_MAX, INT64_MAX, MAX_NAME_LENGTH, TaskMetadata

IMAGE = TaskMetadata("img/a", "cifar-like", 50000, 10, (3, 32, 32), "classification")
GRAPH = TaskMetadata("graph/b", "cora-like", 2708, 7, None, "node_classification",
                     {"num_nodes": 2708, "num_edges": 10556, "num_node_features": 1433, "num_classes": 7})


# ============================================================================ limits (item 7)
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task_id": "t" * (MAX_NAME_LENGTH + 1)}, r"task_id .*at most 200 characters, got 201"),
        ({"task_id": "img/\x00a"}, r"task_id .*control characters.*'\\x00'"),
        ({"task_id": "img/a\nb"}, r"task_id .*control characters.*'\\n'"),
        ({"task_id": "img/\ud800"}, r"task_id .*control characters"),
        ({"dataset_name": "d" * (MAX_NAME_LENGTH + 1)}, r"dataset_name .*at most 200 characters"),
        ({"dataset_name": "\x1b[31mred"}, r"dataset_name .*control characters.*'\\x1b'"),
        ({"num_samples": INT64_MAX + 1}, r"num_samples .*integer in \[1, 9223372036854775807\]"),
        ({"num_samples": 10**400}, r"num_samples .*integer in \[1, "),
        ({"num_samples": 10**300}, r"num_samples .*integer in \[1, "),  # made dataset_meta NaN
        ({"num_classes": INT32_MAX + 1}, r"num_classes .*integer in \[1, 2147483647\]"),
        ({"input_size": (3, INT32_MAX + 1, 32)}, r"input_size .*integers in \[1, 2147483647\]"),
        ({"meta_features": {"bad\x00key": 1.0}}, r"meta_features key .*control characters"),
        ({"meta_features": {"k" * 201: 1.0}}, r"meta_features key .*at most 200 characters"),
    ],
)
def test_task_metadata_refuses_what_a_backend_could_not_store(changes, message):
    with pytest.raises(InvalidTaskError, match=message):
        replace(IMAGE, **changes)


@pytest.mark.parametrize(
    ("feature", "value", "message"),
    [
        ("num_nodes", 1e300, r"integer in \[1, 9223372036854775807\]"),
        ("num_edges", float(2**64), r"integer in \[0, 9223372036854775807\]"),
        ("num_node_features", 2.5, r"must be an integer"),
        ("num_edges", -1.0, r"integer in \[0, "),
    ],
)
def test_graph_counts_are_integers_within_int64(feature, value, message):
    with pytest.raises(InvalidTaskError, match=f"meta_features\\['{feature}'\\].*{message}"):
        replace(GRAPH, meta_features={**GRAPH.meta_features, feature: value})


def test_the_largest_valid_counts_keep_dataset_meta_finite():
    """dataset_meta promises a number in [0, 1], never NaN, for every valid task."""
    big = math.nextafter(2.0**63, 0.0)  # the largest float count within int64
    huge_image = replace(IMAGE, task_id="img/huge", num_samples=INT64_MAX, num_classes=INT32_MAX,
                         input_size=(INT32_MAX, INT32_MAX, INT32_MAX))
    huge_graph = replace(GRAPH, task_id="graph/huge", num_samples=INT64_MAX, num_classes=INT32_MAX,
                         meta_features={"num_nodes": big, "num_edges": big, "num_node_features": big,
                                        "num_classes": float(INT32_MAX)})
    for a, b in ((huge_image, IMAGE), (huge_image, huge_image), (huge_graph, GRAPH), (huge_graph, huge_graph)):
        value = dataset_meta(a, b)
        assert math.isfinite(value) and 0.0 <= value <= 1.0
    assert dataset_meta(huge_image, huge_image) == 1.0


def _bypass(task: TaskMetadata, **changes) -> TaskMetadata:
    """A TaskMetadata whose fields were changed after validation (frozen dataclasses can be forced)."""
    for name, value in changes.items():
        object.__setattr__(task, name, value)
    return task


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task_id": "x" * 300}, "at most 200 characters"),
        ({"dataset_name": "a\x00b"}, "control characters"),
        ({"num_samples": 2**63}, r"integer in \[1, 9223372036854775807\]"),
        ({"num_classes": 2**40}, r"integer in \[1, 2147483647\]"),
    ],
)
def test_the_codec_refuses_the_same_on_every_backend(db, changes, message):
    task = _bypass(replace(IMAGE), **changes)
    with pytest.raises(InvalidTaskError, match=message):
        db.add_task(task)
    assert db.summary()["tasks"] == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db, run: db.start_run("img/a", "rand\x00om", space_id="nb201"), "strategy .*control characters"),
        (lambda db, run: db.start_run("img/a", "random", space_id="nb\n201"), "space_id .*control characters"),
        (lambda db, run: db.start_run("img/a", "random", space_id="nb201", seed=2**63), r"seed .*\[-9223372036854775808"),
        (lambda db, run: db.record_evaluation(run, _g(), {"val\x00acc": 1.0}), "metric name .*control characters"),
        (lambda db, run: db.record_evaluation(run, _g(), {"val_acc": 1.0}, step=2**31), r"step .*2147483647"),
        (lambda db, run: db.add_task(IMAGE, objective="val\x1bacc"), "objective .*control characters"),
    ],
)
def test_run_and_metric_arguments_are_bounded_on_every_backend(db, call, message):
    db.add_task(IMAGE)
    run = db.start_run("img/a", "random", space_id="my-dag")
    before = db.summary()
    with pytest.raises(DatabaseError, match=message):
        call(db, run)
    assert db.summary() == before


def _g() -> ModelGraph:
    return ModelGraph(("input", "conv", "output"), ((0, 1), (1, 2)))


# ============================================================================ db show escapes (item 9)
def test_db_show_escapes_control_characters_in_stored_strings(tmp_path, capsys):
    path = tmp_path / "x.db"
    with ExperimentDatabase(path) as db:
        db.add_task(IMAGE)
        run = db.start_run("img/a", "random", space_id="my-dag")
        db.record_evaluation(run, ModelGraph(("input", "\x1b[2Jconv\nEVIL", "output"), ((0, 1), (1, 2))),
                             {"val_acc": 1.0})
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # written by an older or a tampered metanas
        conn.execute(text("UPDATE tasks SET objective = :o"), {"o": "val_acc\x1b[31m"})
        conn.execute(text("UPDATE evaluation_metrics SET name = :o"), {"o": "val_acc\x1b[31m"})
    engine.dispose()
    assert main(["db", "show", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2Jconv\\nEVIL" in out and "val_acc\\x1b[31m" in out
    assert "\nEVIL" not in out


# ============================================================================ quick_check (item 9)
def test_writing_into_a_damaged_sqlite_file_is_refused(tmp_path, nbg_suite):
    path = tmp_path / "x.db"
    with ExperimentDatabase(path) as db:
        db.import_table(nbg_suite.table("nbg/cora"), rows=list(range(3000)))
    size = os.path.getsize(path)
    assert not os.path.exists(f"{path}-wal") or os.path.getsize(f"{path}-wal") == 0
    rng = np.random.default_rng(0)
    with open(path, "r+b") as f:  # garbage over pages in the second half (architectures, evaluations, indexes)
        for page in range(size // 4096 // 2, size // 4096 - 1, 3):
            f.seek(page * 4096 + 100)
            f.write(rng.bytes(2000))
    damaged = path.read_bytes()
    for _ in range(2):  # refused every time, and nothing is written
        with ExperimentDatabase(path) as db, pytest.raises(DatabaseError, match=r"is damaged .*quick_check.*backup"):
            db.add_task(IMAGE)
        assert path.read_bytes() == damaged
    assert main(["db", "import", "--suite", "nasbench-graph", "--tasks", "photo", "--db", str(path)]) == 2


# ============================================================================ warm-start --db (item 5)
@pytest.mark.parametrize("form", ["path", "url"])
def test_warm_start_refuses_a_missing_database_file(tmp_path, capsys, form):
    path = tmp_path / "typo.db"
    target = str(path) if form == "path" else f"sqlite:///{path}"
    assert main(["warm-start", "--db", target, "--suite", "nasbench-graph", "--task", "photo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: there is no experiment database at") and err.count("\n") == 1
    assert not path.exists()
