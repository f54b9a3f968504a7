"""Opening databases: schema versions (Alembic), foreign databases and bad paths or URLs."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, inspect, text

from metanas.db import ExperimentDatabase, schema_head
from metanas.db._schema import VERSION_TABLE
from metanas.db._versions import alembic_config as _alembic_config
from metanas.exceptions import DatabaseOpenError, SchemaVersionError
from metanas.tasks import TaskMetadata

TASK = TaskMetadata("img/a", "cifar-like", 50000, 10, (3, 32, 32), "classification")


def _url(db_url: str) -> str:
    return db_url if "://" in db_url else f"sqlite:///{db_url}"


def _execute(db_url: str, *statements: str) -> None:
    engine = create_engine(_url(db_url))
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        engine.dispose()


def test_an_older_database_is_upgraded_and_keeps_its_rows(db_url):
    """A database at the first revision (no ranking index) is upgraded to the head on opening."""
    from alembic import command

    engine = create_engine(_url(db_url))
    with engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO tasks (task_id, dataset_name, num_samples, num_classes, input_size, problem_type, "
            "meta_features, objective, direction, created_at) VALUES ('img/a', 'cifar-like', 50000, 10, "
            "'[3,32,32]', 'classification', '{}', 'val_acc', 'maximize', '2026-01-01 00:00:00')"
        ))
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "0001"
        assert "ix_evaluation_metrics_rank" not in {i["name"] for i in inspect(conn).get_indexes("evaluation_metrics")}
    with ExperimentDatabase(db_url) as db:
        assert db.summary()["schema_revision"] == schema_head() != "0001"
        assert db.get_task("img/a") == TASK
    with engine.connect() as conn:
        assert "ix_evaluation_metrics_rank" in {i["name"] for i in inspect(conn).get_indexes("evaluation_metrics")}
    engine.dispose()


def test_a_database_newer_than_the_code_is_refused(db_url):
    with ExperimentDatabase(db_url) as db:
        db.add_task(TASK)
    _execute(db_url, f"UPDATE {VERSION_TABLE} SET version_num = '9999_from_the_future'")
    with pytest.raises(SchemaVersionError, match="revision 9999_from_the_future, which this version of metanas "
                                                 "does not know.*newer metanas; upgrade metanas"):
        ExperimentDatabase(db_url)
    _execute(db_url, f"UPDATE {VERSION_TABLE} SET version_num = '{schema_head()}'")  # untouched otherwise
    with ExperimentDatabase(db_url) as db:
        assert db.get_task("img/a") == TASK


def test_a_foreign_database_is_refused(db_url):
    _execute(db_url, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(SchemaVersionError, match=r"is not a metanas experiment database: it holds the table\(s\) "
                                                 r"\['customers'\]"):
        ExperimentDatabase(db_url)
    engine = create_engine(_url(db_url))
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["customers"]  # nothing was added
    engine.dispose()


def test_a_non_metanas_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
    con.execute("INSERT INTO alembic_version VALUES ('abc123')")
    con.execute("CREATE TABLE tasks (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(SchemaVersionError, match="not a metanas experiment database"):
        ExperimentDatabase(path)


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(DatabaseOpenError, match=f"could not open the experiment database 'sqlite:///{path}'.*"
                                                "file is not a database.*SQLite database"):
        ExperimentDatabase(path)


def test_bad_paths(tmp_path):
    with pytest.raises(DatabaseOpenError, match=f"the directory {tmp_path / 'missing'} does not exist; create it"):
        ExperimentDatabase(tmp_path / "missing" / "x.db")
    with pytest.raises(DatabaseOpenError, match="is a directory; pass a file path such as"):
        ExperimentDatabase(tmp_path)
    with pytest.raises(DatabaseOpenError, match="path is empty"):
        ExperimentDatabase("  ")
    with pytest.raises(DatabaseOpenError, match="must be a file path or an SQLAlchemy URL string, got 42"):
        ExperimentDatabase(42)
    with pytest.raises(DatabaseOpenError, match="does not exist"):
        ExperimentDatabase(f"sqlite:///{tmp_path}/missing/x.db")
    assert not (tmp_path / "missing").exists()


def test_bad_urls():
    with pytest.raises(DatabaseOpenError, match="cannot use the database URL 'nosuchdb://host/x'.*driver"):
        ExperimentDatabase("nosuchdb://host/x")
    with pytest.raises(DatabaseOpenError, match="could not parse the database URL"):
        ExperimentDatabase("postgresql+psycopg://user@host:notaport/db")
    # nothing listens on port 1: the message names the URL (password hidden) and the fix
    with pytest.raises(DatabaseOpenError, match=r"'postgresql\+psycopg://me:\*\*\*@127.0.0.1:1/exp'.*server is "
                                                "running"):
        ExperimentDatabase("postgresql+psycopg://me:secret@127.0.0.1:1/exp")


@pytest.mark.postgres
def test_a_missing_postgresql_database(pg_url):
    from sqlalchemy import make_url

    url = make_url(pg_url).set(database="metanas_no_such_database").render_as_string(hide_password=False)
    with pytest.raises(DatabaseOpenError, match="metanas_no_such_database.*does not exist.*create the database"):
        ExperimentDatabase(url)


def test_the_database_file_uses_wal_and_is_closed_cleanly(tmp_path):
    path = tmp_path / "exp.db"
    with ExperimentDatabase(path) as db:
        db.add_task(TASK)
        assert db.url == f"sqlite:///{path}"
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    with ExperimentDatabase(f"sqlite:///{path}") as again:  # the same file through a URL
        assert again.get_task("img/a") == TASK and again.url == db.url
    from metanas.exceptions import DatabaseError

    with pytest.raises(DatabaseError, match="is closed"):
        db.get_all_tasks()
