"""Run leases: one process at a time continues a run.

A lease is held by an open lock that the operating system or the database server releases
when its process ends, however it ends (``kill -9`` included), so a lease is never left
behind by a dead process and a killed search can be resumed at once:

* a PostgreSQL database: a session advisory lock (``pg_try_advisory_lock``) on its own
  connection, keyed by the database URL (its ``search_path`` included) and the run id;
* an SQLite file: a POSIX record lock on byte ``run_id`` of ``<file>.leases`` beside it;
* any other backend: a lock within this process only.

Acquiring never waits: a lease held elsewhere raises `RunLeaseError` at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Self

from sqlalchemy.engine import URL

from metanas.exceptions import DatabaseError

__all__ = ["RunLease", "RunLeaseError", "acquire_run_lease"]

logger = logging.getLogger(__name__)

_GUARD = threading.Lock()
#: Leases held by this process: (database identity, run id).
_HELD: set[tuple[str, int]] = set()
#: Open lock files of this process: path -> [fd, leases on it]. POSIX record locks belong to the
#: process and closing any descriptor of the file drops them all, so each file is opened once.
_FILES: dict[str, list[int]] = {}


class RunLeaseError(DatabaseError):
    """Another process (or another part of this one) holds the run's lease."""


class RunLease:
    """A held lease on one run; `release` (or leaving the ``with`` block) gives it back.

    Attributes:
        run_id: the leased run.
    """

    def __init__(self, run_id: int, release: Callable[[], None]) -> None:
        self.run_id = run_id
        self._release: Callable[[], None] | None = release

    @property
    def held(self) -> bool:
        """Whether the lease is still held."""
        return self._release is not None

    def release(self) -> None:
        """Give the lease back (a no-op when already released)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"RunLease(run_id={self.run_id}, held={self.held})"


def acquire_run_lease(url: URL, shown: str, run_id: int) -> RunLease:
    """Take the lease of ``run_id`` in the database at ``url`` without waiting.

    Args:
        url: the database URL.
        shown: the database as shown in messages (password hidden).
        run_id: the run.

    Raises:
        RunLeaseError: the lease is held by another process or elsewhere in this one.
    """
    identity = url.render_as_string(hide_password=False)
    key = (identity, int(run_id))
    with _GUARD:
        if key in _HELD:
            raise _busy(shown, run_id)
        _HELD.add(key)
    try:
        backend = url.get_backend_name()
        if backend == "postgresql":
            release_lock = _pg_lock(url, identity, shown, run_id)
        elif backend == "sqlite" and url.database not in (None, "", ":memory:"):
            release_lock = _file_lock(f"{url.database}.leases", shown, run_id)
        else:
            release_lock = _no_lock
    except BaseException:
        with _GUARD:
            _HELD.discard(key)
        raise

    def release() -> None:
        try:
            release_lock()
        finally:
            with _GUARD:
                _HELD.discard(key)

    logger.debug("took the lease of run %d in %s", run_id, shown)
    return RunLease(int(run_id), release)


def _busy(shown: str, run_id: int) -> RunLeaseError:
    return RunLeaseError(
        f"run {run_id} in {shown!r} is being continued by another process right now (it holds the run's lease); "
        "wait for that process to end, then resume again if the run is still unfinished"
    )


def _no_lock() -> None:
    return None


def _pg_lock(url: URL, identity: str, shown: str, run_id: int) -> Callable[[], None]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    key = int.from_bytes(hashlib.sha256(f"metanas-run-lease|{identity}|{run_id}".encode()).digest()[:8], "big",
                         signed=True)
    engine = create_engine(url, poolclass=NullPool)
    conn = None
    try:
        conn = engine.connect()
        taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
    except BaseException:
        if conn is not None:
            conn.close()
        engine.dispose()
        raise
    if not taken:
        conn.close()
        engine.dispose()
        raise _busy(shown, run_id)

    def release() -> None:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
        except Exception:  # closing the session releases the lock anyway
            logger.debug("unlocking run %d failed; closing the connection releases it", run_id, exc_info=True)
        finally:
            conn.close()
            engine.dispose()

    return release


def _file_lock(path: str, shown: str, run_id: int) -> Callable[[], None]:
    import fcntl

    with _GUARD:
        entry = _FILES.get(path)
        if entry is None:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the lease file {path!r} of {shown!r}: {exc.strerror or exc}; the database's "
                    "folder must be writable"
                ) from None
            entry = _FILES[path] = [fd, 0]
        entry[1] += 1
    fd = entry[0]
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(run_id))
    except OSError:
        _drop_file(path)
        raise _busy(shown, run_id) from None

    def release() -> None:
        try:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, int(run_id))
        finally:
            _drop_file(path)

    return release


def _drop_file(path: str) -> None:
    with _GUARD:
        entry = _FILES.get(path)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            os.close(entry[0])
            del _FILES[path]
