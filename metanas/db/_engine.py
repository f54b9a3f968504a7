"""Opening an experiment database: path or URL -> `URL` -> `Engine`, and how URLs are shown.

A file path means SQLite; anything with ``://`` is parsed by SQLAlchemy's `make_url`. A URL
is only ever shown through `display_url` (or `mask_url` for text that did not parse), which
never includes the password. On SQLite the engine runs each connection in WAL mode and
starts a write transaction with ``BEGIN IMMEDIATE`` (the ``metanas_write`` execution option).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import StaticPool

from metanas.exceptions import DatabaseError, DatabaseOpenError

__all__ = [
    "BUSY_TIMEOUT_S",
    "create_db_engine",
    "display_url",
    "is_transient",
    "mask_url",
    "open_hint",
    "reason",
    "resolve_url",
    "safe_url",
    "sqlite_quick_check",
]

#: Seconds a write waits for another writer to finish (SQLite busy timeout).
BUSY_TIMEOUT_S = 60.0


#: Query parameters that carry a password (libpq's ``password``, and common spellings).
_SECRET_QUERY = re.compile(r"(?i)([?&](?:password|passwd|pwd)=)[^&]*")


def mask_url(raw: str) -> str:
    """``raw`` (a URL that may not parse, or a path) with every password hidden.

    Everything between ``://`` and the last ``@`` is reduced to the user name (up to the
    first ``:``) and ``***``, whatever the password holds (``@``, ``/``, ``:``), an empty user
    included; ``password=`` query values become ``***``. SQLite URLs and paths carry no
    credentials and are returned unchanged.
    """
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme.lower().startswith("sqlite"):
        return raw
    creds, at, host = rest.rpartition("@")
    if at:
        user, colon, _ = creds.partition(":")
        rest = f"{user}:***@{host}" if colon else f"{user}@{host}"
    return _SECRET_QUERY.sub(r"\1***", f"{scheme}://{rest}")


def display_url(url: URL) -> str:
    """``url`` as text with its password (if any) replaced by ``***`` (see `mask_url`)."""
    return mask_url(url.render_as_string(hide_password=False))


def safe_url(target: str | os.PathLike) -> str:
    """A database path or URL as it may be shown or logged: never with a password.

    Args:
        target: a file path or an SQLAlchemy URL string (parsable or not).
    """
    return mask_url(os.fspath(target)) if isinstance(target, (str, os.PathLike)) else repr(target)


def resolve_url(url_or_path: str | os.PathLike) -> URL:
    """A file path (-> SQLite) or an SQLAlchemy URL string, as a `URL`.

    Raises:
        DatabaseOpenError: not a string or path, empty, unparsable, or an SQLite file in a
            missing directory (or a directory itself).
    """
    if isinstance(url_or_path, os.PathLike):
        raw, is_path = os.fspath(url_or_path), True
    elif isinstance(url_or_path, str):
        raw, is_path = url_or_path, "://" not in url_or_path
    else:
        raise DatabaseOpenError(
            f"the experiment database must be a file path or an SQLAlchemy URL string, got {url_or_path!r}"
        )
    if not str(raw).strip():
        raise DatabaseOpenError(
            "the experiment database path is empty; pass a file path (e.g. experiments.db) or a URL "
            "(e.g. postgresql+psycopg://user@host:5432/dbname)"
        )
    if is_path:
        path = Path(raw).expanduser()
        _check_sqlite_path(path, str(raw))
        return URL.create("sqlite", database=str(path.resolve()))
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # the messages may quote the URL: never shown
        raise DatabaseOpenError(
            f"could not parse the database URL {mask_url(raw)!r}; pass a file path or a URL of the form "
            "dialect+driver://user:password@host:port/dbname (e.g. sqlite:///experiments.db or "
            "postgresql+psycopg://user@host:5432/dbname), with special characters of the password "
            "percent-encoded (@ as %40, / as %2F, : as %3A)"
        ) from None
    if "@" in (url.host or ""):
        raise DatabaseOpenError(
            f"the database URL {mask_url(raw)!r} holds more than one '@' before its host: a password (or user) "
            "containing '@' must be percent-encoded as %40 (e.g. user:p%40ss@host)"
        )
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        _check_sqlite_path(Path(url.database).expanduser(), display_url(url))
    return url


def _check_sqlite_path(path: Path, shown: str) -> None:
    if path.is_dir():
        raise DatabaseOpenError(
            f"cannot open the experiment database {shown!r}: it is a directory; pass a file path such as "
            f"{path / 'experiments.db'}"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise DatabaseOpenError(
            f"cannot open the experiment database {shown!r}: the directory {parent} does not exist; create it "
            "first (mkdir -p) or pass a path in an existing directory"
        )


def open_hint(url: URL) -> str:
    """What to check when ``url`` cannot be opened."""
    if url.get_backend_name() == "sqlite":
        return "check that the file is an SQLite database that you may read and write, or pass a new file path"
    return (
        "check that the server is running and reachable, and that the URL's user, password, host, port and "
        "database name are right (create the database first if needed)"
    )


def create_db_engine(url: URL) -> Engine:
    """The engine of ``url``: SQLite with WAL and ``BEGIN IMMEDIATE`` writes, else pre-pinged pools.

    Raises:
        DatabaseOpenError: the URL's dialect or driver is unknown or not installed.
    """
    backend = url.get_backend_name()
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_S}
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
            connect_args["check_same_thread"] = False
        kwargs["connect_args"] = connect_args
    else:
        kwargs["pool_pre_ping"] = True
        if backend == "postgresql" and "connect_timeout" not in url.query:
            kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseOpenError(
            f"cannot use the database URL {display_url(url)!r}: {exc}; use a file path, sqlite:///PATH, or a URL "
            "whose driver is installed (e.g. postgresql+psycopg://user@host:5432/dbname with psycopg 3)"
        ) from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN (the driver's own handling would defer it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("metanas_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def sqlite_quick_check(conn: Any, shown: str) -> None:
    """Refuse to write into a damaged SQLite file (``PRAGMA quick_check``, first 5 problems).

    Run once per database object, inside its first write transaction: writing into a file
    with broken pages can spread the damage.

    Raises:
        DatabaseError: the check reports problems (or cannot read the file); names the fix.
    """
    try:
        problems = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check(5)").fetchall()]
    except DBAPIError as exc:
        problems = [reason(exc)]
    if problems != ["ok"]:
        raise DatabaseError(
            f"the SQLite file {shown!r} is damaged (PRAGMA quick_check: {' '.join('; '.join(problems).split())[:300]}); "
            "nothing was "
            "written; restore it from a backup, or salvage what is readable with "
            "'sqlite3 DAMAGED.db .recover | sqlite3 NEW.db' and open the new file"
        )


def is_transient(exc: DBAPIError) -> bool:
    """A busy SQLite file, or a PostgreSQL serialisation failure / deadlock: worth a retry."""
    if isinstance(exc, OperationalError):
        message = str(exc.orig).lower()
        if "database is locked" in message or "database is busy" in message:
            return True
    return getattr(exc.orig, "sqlstate", None) in ("40001", "40P01")


def reason(exc: BaseException, secret: str | None = None) -> str:
    """The driver's message of a SQLAlchemy error, on one line, with ``secret`` (the URL's
    password, should a driver ever quote it) replaced by ``***``."""
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return text.replace(secret, "***") if secret else text
