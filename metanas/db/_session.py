"""Scoped sessions: one transaction per public call, rolled back and re-raised as `DatabaseError`.

A write runs in one transaction (``BEGIN IMMEDIATE`` on SQLite) and is retried when it hits
a busy database, a serialisation failure or a unique-key race with a concurrent writer. A
read runs in one snapshot (``REPEATABLE READ`` on PostgreSQL). Library errors raised inside
pass through unchanged; SQLAlchemy's become `DatabaseError` naming the call and the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from metanas.db._engine import is_transient, reason
from metanas.exceptions import DatabaseError, MetanasError

__all__ = ["WRITE_ATTEMPTS", "Sessions"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Attempts of a write transaction that hits a busy database or a concurrent insert.
WRITE_ATTEMPTS = 6


class Sessions:
    """Runs functions of a `Session` in read or write transactions of one engine.

    Args:
        engine: the database's engine.
        shown: the database as shown in messages (password hidden).
        on_commit: called with the committed session's ``info`` after each successful write.
        secret: the URL's password, masked in any driver message that would quote it.
        first_write_check: run on the connection inside the first write transaction (until it
            passes once), e.g. an integrity check of an SQLite file.
    """

    def __init__(
        self,
        engine: Engine,
        shown: str,
        on_commit: Callable[[dict], None] | None = None,
        secret: str | None = None,
        first_write_check: Callable[[Connection], None] | None = None,
    ) -> None:
        self._engine = engine
        self._first_write_check = first_write_check
        self._shown = shown
        self._secret = secret
        self._on_commit = on_commit
        self.closed = False

    def check_open(self) -> None:
        """Raise `DatabaseError` if the database was closed."""
        if self.closed:
            raise DatabaseError(f"the experiment database {self._shown!r} is closed; open a new one")

    def write(self, fn: Callable[[Session], T], what: str) -> T:
        """Run ``fn`` in one write transaction; roll back and raise a library error on failure.

        Args:
            fn: does the work with the session (it must not commit).
            what: the call, for messages (e.g. ``"adding task 'x'"``).
        """
        self.check_open()
        delay = 0.05
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._engine.connect() as conn:
                    conn.execution_options(metanas_write=True)
                    with Session(bind=conn, autoflush=False, expire_on_commit=False) as session, session.begin():
                        if self._first_write_check is not None:
                            self._first_write_check(session.connection())
                            self._first_write_check = None
                        result = fn(session)
                if self._on_commit is not None:
                    self._on_commit(session.info)
                return result
            except MetanasError:
                raise
            except (IntegrityError, DBAPIError) as exc:
                # a unique-key race with another writer (inputs are checked beforehand) or a busy database
                transient = (isinstance(exc, IntegrityError) and attempt < 3) or is_transient(exc)
                if transient and attempt < WRITE_ATTEMPTS:
                    logger.info("%s hit a concurrent writer (%s); retrying (%d)", what, reason(exc, self._secret), attempt)
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                raise DatabaseError(
                    f"{what} failed and was rolled back (database {self._shown!r}): {reason(exc, self._secret)}"
                ) from exc
            except SQLAlchemyError as exc:
                raise DatabaseError(
                    f"{what} failed and was rolled back (database {self._shown!r}): {reason(exc, self._secret)}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, fn: Callable[[Session], T], what: str) -> T:
        """Run ``fn`` in one read transaction; raise a library error on failure."""
        self.check_open()
        try:
            with self._engine.connect() as conn:
                if conn.dialect.name == "postgresql":  # one snapshot for the queries of one call
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with Session(bind=conn, autoflush=False) as session:
                    return fn(session)
        except MetanasError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            raise DatabaseError(f"{what} failed (database {self._shown!r}): {reason(exc, self._secret)}") from exc
