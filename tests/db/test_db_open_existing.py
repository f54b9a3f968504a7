"""Opening a knowledge base for reading refuses what is not there (issue 22): a missing file or
an empty database is an error, never a new, empty experiment database."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.db import ExperimentDatabase
from metanas.exceptions import DatabaseError, DatabaseOpenError


def test_a_missing_file_is_refused_and_not_created(tmp_path):
    path = tmp_path / "history.db"
    for target in (path, str(path), f"sqlite:///{path}"):
        with pytest.raises(DatabaseOpenError, match="there is no experiment database at .*history.db.*check the path"):
            ExperimentDatabase(target, create=False)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_an_empty_database_is_refused_without_a_schema_being_written(db_url):
    # SQLite: a new path is a missing file; PostgreSQL: an empty schema
    with pytest.raises(DatabaseOpenError, match="(holds|there is) no experiment database"):
        ExperimentDatabase(db_url, create=False)
    with ExperimentDatabase(db_url) as db:  # the default still creates it
        assert db.get_all_tasks() == []
    with ExperimentDatabase(db_url, create=False) as db:  # and then it opens for reading
        assert db.get_all_tasks() == []


def test_an_empty_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(DatabaseOpenError, match="holds no experiment database"):
        ExperimentDatabase(path, create=False)


def test_create_must_be_a_bool(tmp_path):
    with pytest.raises(DatabaseError, match="create must be True or False"):
        ExperimentDatabase(tmp_path / "x.db", create="no")


def test_the_warm_starter_given_a_missing_path_refuses_it(tmp_path, nb201_suite):
    from metanas.warm_start import WarmStarter

    path = tmp_path / "history.db"
    with pytest.raises(DatabaseOpenError, match="there is no experiment database"):
        WarmStarter(str(path)).generate_initial_population(nb201_suite.task("nb201/cifar10"), 20,
                                                           nb201_suite.space("nb201/cifar10"))
    with pytest.raises(DatabaseOpenError, match="there is no experiment database"):
        WarmStarter(path)
    assert not path.exists()


def test_the_warm_starter_reads_an_existing_path(tmp_path, nbg_suite):
    from metanas.warm_start import WarmStarter

    path = tmp_path / "history.db"
    with ExperimentDatabase(path) as db:
        db.import_table(nbg_suite.table("nbg/cora"), rows=list(range(0, 26206, 500)))
    task = nbg_suite.task("nbg/citeseer")
    plan = WarmStarter(path, {"min_similarity": 0.0}).plan(task, 10, nbg_suite.space(task.task_id),
                                                           rng=np.random.default_rng(0))
    assert len(plan.graphs) == 10 and [t for t, _ in plan.similar_tasks] == ["nbg/cora"]
