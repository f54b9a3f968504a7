"""Schema versioning: which revision a database is at, upgrading it, refusing what we cannot read.

The schema is created and upgraded only by the Alembic migrations shipped in
``metanas/db/migrations``. `VersionManager` (after Optuna's ``_VersionManager``) reads a
database's revision, upgrades an older (or empty) one to the head under a lock, and refuses a
database made by a newer metanas or one that is not a metanas database at all.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

from metanas.db._schema import VERSION_TABLE
from metanas.exceptions import DatabaseOpenError, MetanasError, SchemaVersionError

__all__ = ["MIGRATIONS_DIR", "VersionManager", "alembic_config", "schema_head"]

logger = logging.getLogger(__name__)

#: Folder of the Alembic environment and revisions (shipped in the package).
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL advisory lock key held while the schema is created or upgraded.
_PG_MIGRATION_LOCK = 0x6D65_7461


def alembic_config():
    """An Alembic `Config` pointing at the shipped migrations (no ini file)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return cfg


@lru_cache(maxsize=1)
def _revisions() -> tuple[str, frozenset[str]]:
    """(head revision, every known revision) of the shipped migrations."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return script.get_current_head(), frozenset(rev.revision for rev in script.walk_revisions())


def schema_head() -> str:
    """The schema revision this version of metanas writes (the Alembic head)."""
    return _revisions()[0]


class VersionManager:
    """Reads and upgrades the schema revision of one database.

    Args:
        engine: the database's engine.
        shown: the database as shown in messages (password hidden).
    """

    def __init__(self, engine: Engine, shown: str) -> None:
        self._engine = engine
        self._shown = shown

    @property
    def head(self) -> str:
        """The revision this metanas writes."""
        return schema_head()

    def current(self, conn: Any) -> str | None:
        """The database's revision (``None``: empty, no schema yet).

        Raises:
            SchemaVersionError: a newer or unknown revision, or tables that are not metanas's.
        """
        head, known = _revisions()
        tables = set(inspect(conn).get_table_names())
        others = sorted(t for t in tables - {VERSION_TABLE} if not t.startswith("sqlite_"))
        if VERSION_TABLE not in tables:
            if others:
                raise SchemaVersionError(
                    f"{self._shown!r} is not a metanas experiment database: it holds the table(s) {others[:8]} but "
                    f"no {VERSION_TABLE!r} table; pass a new file path or an empty database"
                )
            return None
        revisions = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
        if not revisions:
            if others:
                raise SchemaVersionError(
                    f"{self._shown!r} has an empty {VERSION_TABLE!r} table beside the table(s) {others[:8]}, so its "
                    "schema revision is unknown; it was not created by metanas (or was damaged)"
                )
            return None
        unknown = [r for r in revisions if r not in known]
        if unknown or len(revisions) > 1:
            raise SchemaVersionError(
                f"the experiment database {self._shown!r} has schema revision {', '.join(revisions)}, which this "
                f"version of metanas does not know (it writes revision {head}): the database was made by a newer "
                "metanas; upgrade metanas (pip install -U metanas) to read it"
            )
        return revisions[0]

    def ensure_head(self, *, create: bool = True) -> None:
        """Create or upgrade the schema to the head revision (a no-op at the head).

        The upgrade runs in one write transaction; on PostgreSQL under an advisory lock, and
        the revision is read again inside it, so concurrent openers upgrade once.

        Args:
            create: create the schema in an empty database; ``False``: refuse an empty one.

        Raises:
            SchemaVersionError: see `current`.
            DatabaseOpenError: ``create=False`` and the database holds no schema.
        """
        head = self.head
        with self._engine.connect() as conn:
            current = self.current(conn)
            conn.rollback()
        if current == head:
            return
        if current is None and not create:
            raise DatabaseOpenError(
                f"{self._shown!r} holds no experiment database (it is empty); record searches into it first "
                "('metanas db import', 'metanas demo' or 'metanas search'), or check the path or URL"
            )
        try:
            with self._engine.connect() as conn:
                conn.execution_options(metanas_write=True)
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
                    current = self.current(conn)  # another process may have done it
                    if current != head:
                        self._upgrade(conn, current, head)
        except MetanasError:
            raise
        except Exception as exc:
            if current is None:  # creating a new schema: the opener's hints (path, permissions) apply
                raise
            from metanas.db._engine import reason

            raise SchemaVersionError(
                f"upgrading the experiment database {self._shown!r} from schema revision {current} to {head} failed: "
                f"{reason(exc, self._engine.url.password)}. The upgrade ran in one transaction and was rolled back: "
                f"the database is unchanged at revision {current} and its data is intact. Keep a copy of it and "
                "report this error, or read it with the metanas version that wrote it"
            ) from exc

    def _upgrade(self, conn: Any, current: str | None, head: str) -> None:
        from alembic import command

        if current is None:
            logger.info("creating the experiment database schema (revision %s) in %s", head, self._shown)
        else:
            logger.warning(
                "upgrading the experiment database %s from schema revision %s to %s", self._shown, current, head
            )
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, head)
