"""A schema upgrade that fails says so, and that the database is unchanged (issue 22: the hint
after a failed upgrade told the user to check the file or pass a new path)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from metanas.db import ExperimentDatabase, schema_head
from metanas.db._schema import VERSION_TABLE
from metanas.db._versions import alembic_config
from metanas.exceptions import SchemaVersionError


def _url(db_url: str) -> str:
    return db_url if "://" in db_url else f"sqlite:///{db_url}"


def test_a_failed_upgrade_names_the_revisions_and_leaves_the_database_as_it_was(db_url):
    from alembic import command

    engine = create_engine(_url(db_url))
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:  # the name the next revision's index takes: its creation fails
        conn.execute(text("CREATE INDEX ix_evaluation_metrics_rank ON evaluation_metrics (name)"))
        conn.execute(text(
            "INSERT INTO tasks (task_id, dataset_name, num_samples, num_classes, input_size, problem_type, "
            "meta_features, objective, direction, created_at) VALUES ('img/a', 'cifar-like', 50000, 10, "
            "'[3,32,32]', 'classification', '{}', 'val_acc', 'maximize', '2026-01-01 00:00:00')"
        ))
    with pytest.raises(SchemaVersionError) as exc:
        ExperimentDatabase(db_url)
    message = str(exc.value)
    assert f"from schema revision 0001 to {schema_head()} failed" in message
    assert "ix_evaluation_metrics_rank" in message and "unchanged at revision 0001" in message
    assert "pass a new file path" not in message and "\n" not in message
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "0001"
        assert conn.execute(text("SELECT task_id FROM tasks")).scalars().all() == ["img/a"]
    engine.dispose()
