"""Alembic environment of the metanas experiment database.

`ExperimentDatabase` runs the migrations in code and hands its open connection over in
``config.attributes["connection"]``. Run from the ``alembic`` command line (see
``alembic.ini``), the database comes from ``-x db=PATH_OR_URL`` or ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from metanas.db._schema import VERSION_TABLE, Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("pass the database as: alembic -c .../alembic.ini -x db=PATH_OR_URL <command>")
    return url if "://" in url else f"sqlite:///{url}"


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite alters tables by copy-and-move
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a connection (ExperimentDatabase's, or a new one)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        # ExperimentDatabase runs the upgrade inside its own transaction (SQLite: BEGIN IMMEDIATE
        # emitted by metanas, so DDL is transactional there too): all revisions commit or none.
        _configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    if config.config_file_name is not None:
        from logging.config import fileConfig

        fileConfig(config.config_file_name)
    engine = create_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
