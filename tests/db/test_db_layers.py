"""The database layer's seams: it imports neither spaces nor benchmarks; the caller passes the space."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from metanas.db import ExperimentDatabase
from metanas.exceptions import DatabaseError, UnknownOperationError
from metanas.graph import ModelGraph
from metanas.spaces import get_space
from metanas.tasks import TaskMetadata

IMAGE = TaskMetadata("img/a", "cifar-like", 50000, 10, (3, 32, 32), "classification")


def test_the_database_layer_imports_neither_spaces_nor_benchmarks(tmp_path):
    """Opening a database, recording into it and reading it back loads no space or benchmark module."""
    code = f"""
import json, pkgutil, sys, importlib
import metanas.db
for m in pkgutil.iter_modules(metanas.db.__path__):
    if m.name != "migrations":
        importlib.import_module("metanas.db." + m.name)
from metanas.db import ExperimentDatabase
from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata
with ExperimentDatabase({str(tmp_path / "x.db")!r}) as db:
    db.add_task(TaskMetadata("t/a", "d", 10, 2, (3, 8, 8), "classification"))
    run = db.start_run("t/a", "random", space_id="my-dag")
    db.record_evaluation(run, ModelGraph(("input", "conv", "output"), ((0, 1), (1, 2))), {{"val_acc": 1.0}})
    db.top_evaluations("t/a", 1)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("metanas.spaces", "metanas.benchmarks")))))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_moved_import_helpers_are_still_importable_from_metanas_db():
    from metanas import benchmarks, db

    assert db.import_suite is benchmarks.import_suite and db.build_synthetic_db is benchmarks.build_synthetic_db
    assert db.ImportResult is benchmarks.ImportResult and db.IMPORT_STRATEGY == "benchmark-import"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        db.nope  # noqa: B018


def _canonical_hashes(db: ExperimentDatabase) -> list[str]:
    engine = create_engine(db.url)
    with engine.connect() as conn:
        rows = list(conn.execute(text("SELECT canonical_hash FROM architectures ORDER BY id")).scalars())
    engine.dispose()
    return rows


def test_the_space_a_run_is_started_with_validates_and_hashes_its_architectures(db_url):
    nbg = get_space("nbg")
    g = nbg.sample(np.random.default_rng(0))
    foreign = ModelGraph(("input", "not-an-op", "output"), ((0, 1), (1, 2)))
    with ExperimentDatabase(db_url) as db:
        db.add_task(IMAGE)
        run = db.start_run("img/a", "random", space=nbg)  # space_id from the space
        assert db.runs()[0].space_id == "nbg"
        db.record_evaluation(run, g, {"val_acc": 1.0})
        assert _canonical_hashes(db) == [nbg.canonical_hash(g)]
        with pytest.raises(UnknownOperationError, match="the evaluation: .*not-an-op"):
            db.record_evaluation(run, foreign, {"val_acc": 1.0})
        # without a space (another object, no resolver) the same space id takes generic graphs
        with ExperimentDatabase(db_url) as other:
            other.record_evaluation(run, foreign, {"val_acc": 2.0})
            assert _canonical_hashes(other)[1] == foreign.canonical_hash
        # a resolver supplies the space of a run started elsewhere
        with ExperimentDatabase(db_url, spaces={"nbg": nbg}) as resolved:
            other_foreign = ModelGraph(("input", "also-not-an-op", "output"), ((0, 1), (1, 2)))
            with pytest.raises(UnknownOperationError, match="also-not-an-op"):
                resolved.record_evaluation(run, other_foreign, {"val_acc": 3.0})
        with pytest.raises(DatabaseError, match="space 'nbg' is not space_id 'nb201'"):
            db.start_run("img/a", "random", space_id="nb201", space=nbg)
        with pytest.raises(DatabaseError, match="space must be a search space"):
            db.start_run("img/a", "random", space="nbg")


def test_a_resolver_must_return_the_space_of_the_id(tmp_path):
    with pytest.raises(DatabaseError, match="spaces must be a mapping or a function"):
        ExperimentDatabase(tmp_path / "x.db", spaces=3)
    with ExperimentDatabase(tmp_path / "x.db", spaces=lambda _sid: get_space("nbg")) as db:
        db.add_task(IMAGE)
        run = db.start_run("img/a", "random", space_id="nb201")
        with pytest.raises(DatabaseError, match="returned space 'nbg' for space id 'nb201'"):
            db.record_evaluation(run, get_space("nb201").sample(np.random.default_rng(0)), {"val_acc": 1.0})
