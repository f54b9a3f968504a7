"""Fixtures of the experiment-database tests.

``db_url`` is parametrised over the backends: a fresh SQLite file, and a fresh PostgreSQL
schema (``pg_url``'s rules: skipped outside CI when the server is not configured, failing
in CI) that is dropped afterwards. Every database test runs against both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

from metanas.db import ExperimentDatabase
from metanas.spaces import get_space, space_names


def schema_url(pg_url: str, schema: str) -> str:
    """``pg_url`` with its connections' ``search_path`` set to ``schema``."""
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def pg_schema_url(pg_url) -> Iterator[str]:
    """A URL whose connections work in a new, empty PostgreSQL schema (dropped afterwards)."""
    schema = f"metanas_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(pg_url, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A URL (or path) of a new, empty database on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "experiments.db")
    return request.getfixturevalue("pg_schema_url")


def registered_space(space_id: str):
    """The registered search space of ``space_id``, ``None`` for a user-defined one (a ``spaces`` resolver)."""
    return get_space(space_id) if space_id in space_names() else None


@pytest.fixture
def db(db_url) -> Iterator[ExperimentDatabase]:
    database = ExperimentDatabase(db_url, spaces=registered_space)
    yield database
    database.close()

