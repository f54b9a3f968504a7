"""`ExperimentDatabase`: past searches (tasks, runs, architectures, evaluations) on SQLAlchemy 2.

Storage (see `metanas.db._schema`) and domain objects (`TaskMetadata`, `ModelGraph`,
`Evaluation`...) are kept apart; `metanas.db._codec` translates between them.

Sessions are scoped to one public call: each write runs in one transaction that is rolled
back on any error, and SQLAlchemy errors are re-raised as `DatabaseError`. On SQLite (the
default, a file) the database runs in WAL mode; a write transaction starts with
``BEGIN IMMEDIATE`` and waits up to `BUSY_TIMEOUT_S` for another writer, then is retried, so
several processes can record into one file at once. On PostgreSQL a run's row is locked while
evaluations are appended to it.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from numbers import Integral
from pathlib import Path
from typing import Any, Self, TypeVar

import numpy as np
from sqlalchemy import Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from metanas.db import _codec
from metanas.db._records import Evaluation, RunInfo, TopEvaluation
from metanas.db._schema import (
    VERSION_TABLE,
    ArchitectureRow,
    EvaluationRow,
    MetricRow,
    RunRow,
    TaskRow,
)
from metanas.exceptions import (
    ConfigError,
    DatabaseError,
    DatabaseOpenError,
    InvalidArchitectureError,
    MetanasError,
    SchemaVersionError,
    UnknownNameError,
    UnknownTaskError,
)
from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata

__all__ = ["BUSY_TIMEOUT_S", "MIGRATIONS_DIR", "ExperimentDatabase", "schema_head"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a write waits for another writer to finish (SQLite busy timeout).
BUSY_TIMEOUT_S = 60.0
#: Attempts of a write transaction that hits a busy database or a concurrent insert.
_WRITE_ATTEMPTS = 6
#: Folder of the Alembic environment and revisions (shipped in the package).
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Identifiers per ``IN (...)`` list.
_CHUNK = 5000
#: Decoded graphs kept per database object (architecture rows are never changed).
_GRAPH_CACHE_SIZE = 300_000
#: Canonical hashes of architectures already validated in a registered space, by
#: (space id, space repr, identity): validating and hashing dominate a first bulk import, and
#: the same benchmark graphs are imported into many databases (one per protocol fold).
_CANONICAL_MEMO: dict[tuple[str, str, str], str] = {}
_MEMO_SIZE = 500_000
#: Imports of at least this many evaluations refresh PostgreSQL's planner statistics.
_ANALYZE_AFTER = 5000
#: Key in `Session.info` of the graphs a write inserted (architecture id -> graph).
_WRITTEN_GRAPHS = "metanas_written_graphs"
#: PostgreSQL advisory lock key held while the schema is created or upgraded.
_PG_MIGRATION_LOCK = 0x6D65_7461
_STRATEGY_MAX = 100
_SPACE_MAX = 100


# ============================================================================ opening
def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return cfg


def _script_directory():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


@lru_cache(maxsize=1)
def _revisions() -> tuple[str, frozenset[str]]:
    """(head revision, every known revision) of the shipped migrations."""
    script = _script_directory()
    return script.get_current_head(), frozenset(rev.revision for rev in script.walk_revisions())


def schema_head() -> str:
    """The schema revision this version of metanas writes (the Alembic head)."""
    return _revisions()[0]


def _display(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _resolve_url(url_or_path: str | os.PathLike) -> URL:
    """A file path (-> SQLite) or an SQLAlchemy URL string, as a `URL`."""
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
    except (ArgumentError, ValueError) as exc:
        shown = re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", raw)  # hide a password
        raise DatabaseOpenError(
            f"could not parse the database URL {shown!r} ({exc}); pass a file path or a URL such as "
            "sqlite:///experiments.db or postgresql+psycopg://user@host:5432/dbname"
        ) from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        _check_sqlite_path(Path(url.database).expanduser(), _display(url))
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


def _open_hint(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return "check that the file is an SQLite database that you may read and write, or pass a new file path"
    return (
        "check that the server is running and reachable, and that the URL's user, password, host, port and "
        "database name are right (create the database first if needed)"
    )


def _create_engine(url: URL) -> Engine:
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
            f"cannot use the database URL {_display(url)!r}: {exc}; use a file path, sqlite:///PATH, or a URL "
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


def _is_transient(exc: DBAPIError) -> bool:
    """A busy SQLite file, or a PostgreSQL serialisation failure / deadlock: worth a retry."""
    if isinstance(exc, OperationalError):
        message = str(exc.orig).lower()
        if "database is locked" in message or "database is busy" in message:
            return True
    return getattr(exc.orig, "sqlstate", None) in ("40001", "40P01")


def _reason(exc: BaseException) -> str:
    """The driver's message of a SQLAlchemy error, on one line."""
    return " ".join(str(getattr(exc, "orig", None) or exc).split())


def _chunks(seq: Sequence[T], size: int = _CHUNK) -> Iterable[Sequence[T]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


# ============================================================================ the database
class ExperimentDatabase:
    """The experiment database: tasks, search runs, architectures and their evaluations.

    Args:
        url_or_path: a file path (SQLite; created if missing) or any SQLAlchemy URL, e.g.
            ``sqlite:///experiments.db`` or ``postgresql+psycopg://user@host:5432/dbname``.

    A new database is created at the current schema revision and an older one upgraded
    (Alembic migrations shipped with the package). Also a context manager (closes on exit).

    Raises:
        DatabaseOpenError: the path or URL cannot be opened; the message names it and the fix.
        SchemaVersionError: the database is newer than this metanas, or not a metanas database.
    """

    def __init__(self, url_or_path: str | os.PathLike) -> None:
        self._url = _resolve_url(url_or_path)
        self._engine = _create_engine(self._url)
        self._closed = False
        self._graph_cache: dict[int, ModelGraph] = {}
        self._spaces: dict[str, Any] = {}
        try:
            self._ensure_schema()
        except BaseException:
            self._engine.dispose()
            raise

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """The database URL (for a path: ``sqlite:////absolute/path``), password included."""
        return self._url.render_as_string(hide_password=False)

    def close(self) -> None:
        """Release the connections; the object cannot be used afterwards."""
        if not self._closed:
            self._engine.dispose()
            self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ExperimentDatabase({_display(self._url)!r})"

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseError(f"the experiment database {_display(self._url)!r} is closed; open a new one")

    # ------------------------------------------------------------------ schema
    def _ensure_schema(self) -> None:
        head, known = _revisions()
        try:
            with self._engine.connect() as conn:
                current = self._current_revision(conn, known, head)
                conn.rollback()
            if current == head:
                return
            with self._engine.connect() as conn:
                conn.execution_options(metanas_write=True)
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
                    current = self._current_revision(conn, known, head)  # another process may have done it
                    if current != head:
                        self._migrate(conn, current, head)
        except MetanasError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            raise DatabaseOpenError(
                f"could not open the experiment database {_display(self._url)!r}: {_reason(exc)}; "
                f"{_open_hint(self._url)}"
            ) from None

    def _current_revision(self, conn: Any, known: frozenset[str], head: str) -> str | None:
        tables = set(inspect(conn).get_table_names())
        others = sorted(t for t in tables - {VERSION_TABLE} if not t.startswith("sqlite_"))
        shown = _display(self._url)
        if VERSION_TABLE not in tables:
            if others:
                raise SchemaVersionError(
                    f"{shown!r} is not a metanas experiment database: it holds the table(s) {others[:8]} but no "
                    f"{VERSION_TABLE!r} table; pass a new file path or an empty database"
                )
            return None
        revisions = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
        if not revisions:
            if others:
                raise SchemaVersionError(
                    f"{shown!r} has an empty {VERSION_TABLE!r} table beside the table(s) {others[:8]}, so its "
                    "schema revision is unknown; it was not created by metanas (or was damaged)"
                )
            return None
        unknown = [r for r in revisions if r not in known]
        if unknown or len(revisions) > 1:
            raise SchemaVersionError(
                f"the experiment database {shown!r} has schema revision {', '.join(revisions)}, which this version "
                f"of metanas does not know (it writes revision {head}): the database was made by a newer metanas; "
                "upgrade metanas (pip install -U metanas) to read it"
            )
        return revisions[0]

    def _migrate(self, conn: Any, current: str | None, head: str) -> None:
        from alembic import command

        if current is None:
            logger.info("creating the experiment database schema (revision %s) in %s", head, _display(self._url))
        else:
            logger.warning(
                "upgrading the experiment database %s from schema revision %s to %s",
                _display(self._url),
                current,
                head,
            )
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, head)

    # ------------------------------------------------------------------ sessions
    def _write(self, fn: Callable[[Session], T], what: str) -> T:
        """Run ``fn`` in one write transaction; roll back and raise a library error on failure."""
        self._check_open()
        delay = 0.05
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with self._engine.connect() as conn:
                    conn.execution_options(metanas_write=True)
                    with Session(bind=conn, autoflush=False, expire_on_commit=False) as session, session.begin():
                        result = fn(session)
                self._remember_graphs(session.info.get(_WRITTEN_GRAPHS, {}))  # committed: safe to cache
                return result
            except MetanasError:
                raise
            except (IntegrityError, DBAPIError) as exc:
                # a unique-key race with another writer (inputs are checked beforehand) or a busy database
                transient = (isinstance(exc, IntegrityError) and attempt < 3) or _is_transient(exc)
                if transient and attempt < _WRITE_ATTEMPTS:
                    logger.info("%s hit a concurrent writer (%s); retrying (%d)", what, exc.orig, attempt)
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                raise DatabaseError(
                    f"{what} failed and was rolled back (database {_display(self._url)!r}): {_reason(exc)}"
                ) from exc
            except SQLAlchemyError as exc:
                raise DatabaseError(
                    f"{what} failed and was rolled back (database {_display(self._url)!r}): {_reason(exc)}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, fn: Callable[[Session], T], what: str) -> T:
        """Run ``fn`` in one read transaction; raise a library error on failure."""
        self._check_open()
        try:
            with self._engine.connect() as conn:
                if conn.dialect.name == "postgresql":  # one snapshot for the queries of one call
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with Session(bind=conn, autoflush=False) as session:
                    return fn(session)
        except MetanasError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            raise DatabaseError(f"{what} failed (database {_display(self._url)!r}): {_reason(exc)}") from exc

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _task_row(session: Session, task_id: str) -> TaskRow:
        if not isinstance(task_id, str):
            raise UnknownTaskError(f"task id must be a string, got {task_id!r}")
        row = session.scalars(select(TaskRow).where(TaskRow.task_id == task_id)).one_or_none()
        if row is None:
            known = list(session.scalars(select(TaskRow.task_id).order_by(TaskRow.task_id).limit(20)))
            raise UnknownTaskError(
                f"task {task_id!r} is not in the experiment database; add it with add_task() or import_table() "
                f"(tasks there: {known or 'none'})"
            )
        return row

    @staticmethod
    def _run_row(session: Session, run_id: Any, *, lock: bool = False) -> RunRow:
        if isinstance(run_id, bool) or not isinstance(run_id, Integral):
            raise DatabaseError(f"run_id must be an integer returned by start_run(), got {run_id!r}")
        stmt = select(RunRow).where(RunRow.id == int(run_id))
        if lock:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).one_or_none()
        if row is None:
            raise DatabaseError(f"run {run_id} does not exist in the experiment database; start one with start_run()")
        return row

    def _space(self, space_id: str) -> Any:
        """The registered search space of ``space_id`` or ``None`` (user-defined, unregistered)."""
        if space_id not in self._spaces:
            from metanas.spaces import get_space, space_names

            self._spaces[space_id] = get_space(space_id) if space_id in space_names() else None
        return self._spaces[space_id]

    def _ensure_task(self, session: Session, values: dict[str, Any]) -> TaskRow:
        row = session.scalars(select(TaskRow).where(TaskRow.task_id == values["task_id"])).one_or_none()
        if row is None:
            row = TaskRow(**values, created_at=_codec.now_utc())
            session.add(row)
            session.flush()
            return row
        diffs = [f"{k}: stored {getattr(row, k)!r}, given {v!r}" for k, v in values.items() if getattr(row, k) != v]
        if diffs:
            raise DatabaseError(
                f"task {values['task_id']!r} already exists with different metadata ({'; '.join(diffs)}); "
                "use another task id, or pass the stored metadata and objective"
            )
        return row

    def _graphs(self, session: Session, arch_ids: Iterable[int]) -> dict[int, ModelGraph]:
        """Decoded graphs of architecture rows (cached: rows never change)."""
        out: dict[int, ModelGraph] = {}
        missing = []
        for a in set(arch_ids):
            g = self._graph_cache.get(a)
            if g is None:
                missing.append(a)
            else:
                out[a] = g
        for chunk in _chunks(sorted(missing)):
            rows = session.execute(
                select(ArchitectureRow.id, ArchitectureRow.space_id, ArchitectureRow.graph).where(
                    ArchitectureRow.id.in_(chunk)
                )
            )
            for arch_id, space_id, graph_text in rows:
                out[arch_id] = _codec.decode_graph(arch_id, space_id, graph_text)
        self._remember_graphs({a: out[a] for a in missing})
        return out

    def _remember_graphs(self, graphs: dict[int, ModelGraph]) -> None:
        if len(self._graph_cache) + len(graphs) > _GRAPH_CACHE_SIZE:
            self._graph_cache.clear()
        self._graph_cache.update(graphs)

    # ------------------------------------------------------------------ tasks
    def add_task(self, task: TaskMetadata, *, objective: str = "val_acc", direction: str = "maximize") -> None:
        """Add a task with its objective metric and direction.

        Idempotent: adding an identical task again does nothing.

        Raises:
            DatabaseError: a different task with that id exists, or objective/direction are invalid.
        """
        values = _codec.encode_task(task, objective, direction)

        def fn(s: Session) -> None:
            self._ensure_task(s, values)

        self._write(fn, f"adding task {task.task_id!r}")

    def get_task(self, task_id: str) -> TaskMetadata:
        """The task's metadata.

        Raises:
            UnknownTaskError: no task with that id.
        """
        return self._read(lambda s: _codec.decode_task(self._task_row(s, task_id)), f"reading task {task_id!r}")

    def get_all_tasks(self) -> list[TaskMetadata]:
        """Every task, ordered by task id."""

        def fn(s: Session) -> list[TaskMetadata]:
            return [_codec.decode_task(r) for r in s.scalars(select(TaskRow).order_by(TaskRow.task_id))]

        return self._read(fn, "reading the tasks")

    def task_objective(self, task_id: str) -> tuple[str, str]:
        """The task's objective: ``(metric name, "maximize" | "minimize")``.

        Raises:
            UnknownTaskError: no task with that id.
        """

        def fn(s: Session) -> tuple[str, str]:
            row = self._task_row(s, task_id)
            return row.objective, row.direction

        return self._read(fn, f"reading the objective of task {task_id!r}")

    # ------------------------------------------------------------------ runs
    def start_run(
        self,
        task_id: str,
        strategy: str,
        *,
        space_id: str,
        config: dict | None = None,
        seed: int | None = None,
    ) -> int:
        """Start a search run on a task in a search space.

        Args:
            task_id: an existing task.
            strategy: the strategy's name (e.g. ``"regularized-evolution"``).
            space_id: the search space every recorded architecture must belong to.
            config: the strategy's configuration (JSON-serialisable).
            seed: the run's seed.

        Returns:
            The run id.

        Raises:
            UnknownTaskError: the task is not in the database.
            DatabaseError: an argument is invalid.
        """
        _check_run_args(strategy, space_id, seed)
        config_text = _codec.encode_config(config)

        def fn(s: Session) -> int:
            return _new_run(s, self._task_row(s, task_id), strategy, space_id, config_text, seed).id

        return self._write(fn, f"starting a run on task {task_id!r}")

    def finish_run(self, run_id: int, status: str = "finished") -> None:
        """End a run (``finished``, ``failed`` or ``cancelled``); it accepts no evaluations afterwards.

        Raises:
            DatabaseError: the run does not exist, has already ended, or the status is invalid.
        """
        _codec.check_status(status, terminal=True)

        def fn(s: Session) -> None:
            run = self._run_row(s, run_id, lock=True)
            if run.status != "running":
                raise DatabaseError(f"run {run_id} has already ended with status {run.status!r}")
            run.status = status
            run.finished_at = _codec.now_utc()

        self._write(fn, f"finishing run {run_id}")

    def runs(self, task_id: str | None = None) -> list[RunInfo]:
        """Runs (of one task, or all), ordered by run id.

        Raises:
            UnknownTaskError: ``task_id`` is given and not in the database.
        """

        def fn(s: Session) -> list[RunInfo]:
            count = (
                select(func.count(EvaluationRow.id))
                .where(EvaluationRow.run_id == RunRow.id)
                .correlate(RunRow)
                .scalar_subquery()
            )
            stmt = select(RunRow, TaskRow.task_id, count).join(TaskRow, TaskRow.id == RunRow.task_pk)
            if task_id is not None:
                stmt = stmt.where(RunRow.task_pk == self._task_row(s, task_id).id)
            return [
                RunInfo(
                    run_id=run.id,
                    task_id=tid,
                    strategy=run.strategy,
                    space_id=run.space_id,
                    config=_codec.decode_config(run.id, run.config),
                    seed=run.seed,
                    status=run.status,
                    num_evaluations=int(n),
                    started_at=_codec.as_utc(run.started_at),
                    finished_at=_codec.as_utc(run.finished_at),
                )
                for run, tid, n in s.execute(stmt.order_by(RunRow.id))
            ]

        return self._read(fn, "reading the runs")

    # ------------------------------------------------------------------ recording
    def record_evaluation(
        self,
        run_id: int,
        graph: ModelGraph,
        metrics: dict[str, float],
        *,
        step: int | None = None,
        cost: float | None = None,
        cost_unit: str = "seconds",
    ) -> int:
        """Record one evaluation of ``graph`` in a running run.

        Args:
            run_id: a run from `start_run` that has not ended.
            graph: the architecture; its ``space_id`` must be the run's (or ``None``: tagged).
            metrics: metric name -> finite value (the objective and any extras, e.g. latency).
            step: position in the run; ``None`` appends after the run's last step.
            cost: what the evaluation cost (``None``: unknown), in ``cost_unit``.
            cost_unit: ``"seconds"`` or ``"epochs"``.

        Returns:
            The evaluation's id.

        Raises:
            InvalidArchitectureError: the graph is not in the run's search space.
            DatabaseError: unknown or ended run, a metric that is not a finite number, a step
                already recorded, or a bad cost; nothing is written.
        """
        if step is not None and (isinstance(step, bool) or not isinstance(step, Integral) or step < 0):
            raise DatabaseError(f"step must be None or an integer >= 0, got {step!r}")
        items = [(graph, _codec.check_metrics(metrics, "the evaluation"), None if step is None else int(step))]
        cost, cost_unit = _codec.check_cost(cost, cost_unit)
        ids = self._write(
            lambda s: self._insert_evaluations(s, run_id, items, cost, cost_unit, "the evaluation"),
            f"recording an evaluation in run {run_id}",
        )
        return ids[0]

    def record_evaluations(
        self,
        run_id: int,
        items: Iterable[tuple[ModelGraph, dict[str, float]]],
        *,
        cost: float | None = None,
        cost_unit: str = "seconds",
    ) -> int:
        """Record a batch of evaluations, appended in order after the run's last step.

        One transaction: either every evaluation is recorded or none.

        Args:
            run_id: a run from `start_run` that has not ended.
            items: ``(graph, metrics)`` pairs.
            cost: the cost of each evaluation (``None``: unknown), in ``cost_unit``.
            cost_unit: ``"seconds"`` or ``"epochs"``.

        Returns:
            How many evaluations were recorded.

        Raises:
            InvalidArchitectureError: a graph is not in the run's search space.
            DatabaseError: as `record_evaluation`; nothing is written.
        """
        prepared = []
        for i, item in enumerate(items):
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise DatabaseError(f"item {i} of the batch must be a (graph, metrics) pair, got {item!r}")
            prepared.append((item[0], _codec.check_metrics(item[1], f"item {i} of the batch"), None))
        cost, cost_unit = _codec.check_cost(cost, cost_unit)
        if not prepared:
            return 0
        self._write(
            lambda s: self._insert_evaluations(s, run_id, prepared, cost, cost_unit, "item {i} of the batch"),
            f"recording {len(prepared)} evaluations in run {run_id}",
        )
        return len(prepared)

    def import_table(
        self,
        table: Any,
        *,
        rows: Sequence[int] | None = None,
        strategy: str = "benchmark-import",
        seed: int | None = None,
    ) -> int:
        """Import rows of a benchmark table as one finished run (one transaction).

        Adds the table's task (objective and direction from the table; an identical task may
        already exist), starts a run in the table's space and records each row as one
        evaluation with every metric of the table and no cost.

        Args:
            table: a `metanas.benchmarks.BenchmarkTable`.
            rows: row indices to import, in this order (steps 0, 1, ...); ``None``: all rows.
            strategy: the run's strategy name.
            seed: the seed that drew ``rows``, if any.

        Returns:
            The run id.

        Raises:
            InvalidArchitectureError: a row's graph is not in the table's space.
            DatabaseError: the task exists with other metadata or objective, a row index is out
                of range, or a metric value is not finite; nothing is written.
        """
        for attr in ("task", "space", "graphs", "metrics", "objective", "direction"):
            if not hasattr(table, attr):
                raise DatabaseError(f"import_table expects a BenchmarkTable, got {type(table).__name__}")
        n = len(table.graphs)
        if rows is None:
            index = np.arange(n)
        else:
            index = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows)
            if index.ndim != 1 or (index.size and not np.issubdtype(index.dtype, np.integer)):
                raise DatabaseError(f"rows must be a sequence of integer row indices, got {rows!r:.80}")
            bad = index[(index < 0) | (index >= n)]
            if bad.size:
                raise DatabaseError(
                    f"rows must be indices in [0, {n}) of the {table.task.task_id} table, got {bad[:5].tolist()}"
                )
        columns: dict[str, np.ndarray] = {}
        for name, values in table.metrics.items():
            col = np.asarray(values, dtype=np.float64)[index]
            if not np.all(np.isfinite(col)):
                at = int(index[np.flatnonzero(~np.isfinite(col))[0]])
                raise DatabaseError(
                    f"metric {name!r} of row {at} of the {table.task.task_id} table is not a finite number; "
                    "nothing was imported"
                )
            columns[_codec.check_metric_name(name)] = col
        values = _codec.encode_task(table.task, table.objective, table.direction)
        space_id = table.space.id
        _check_run_args(strategy, space_id, seed)
        config = {"source": "benchmark-table", "objective": table.objective, "num_rows": int(index.size)}
        if rows is not None and not np.array_equal(index, np.arange(n)):
            config["rows"] = index.tolist()
        config_text = _codec.encode_config(config)
        names = list(columns)
        matrix = np.column_stack([columns[k] for k in names]) if names else np.empty((index.size, 0))
        items = [(table.graphs[r], dict(zip(names, vals)), None) for r, vals in zip(index.tolist(), matrix.tolist())]
        t0 = time.perf_counter()
        run_id = self._import_run(values, space_id, strategy, config_text, seed, items, "row {i} of the table",
                                  f"importing the {table.task.task_id} table")
        logger.info("imported %d rows of %s as run %d in %.2f s", len(items), table.task.task_id, run_id,
                    time.perf_counter() - t0)
        return run_id

    def _import_run(
        self,
        task_values: dict[str, Any],
        space_id: str,
        strategy: str,
        config_text: str,
        seed: int | None,
        items: Sequence[tuple[Any, dict[str, float], int | None]],
        where: str,
        what: str,
        *,
        analyze: bool = True,
    ) -> int:
        """Add (or check) a task, then record ``items`` as one finished run, in one transaction.

        ``analyze``: refresh PostgreSQL's statistics after a large import (see `_analyze`).
        """

        def fn(s: Session) -> int:
            task = self._ensure_task(s, task_values)
            run = _new_run(s, task, strategy, space_id, config_text, seed)
            if items:
                self._insert_evaluations(s, run.id, items, None, "seconds", where, run_row=run)
            run.status = "finished"
            run.finished_at = _codec.now_utc()
            return run.id

        run_id = self._write(fn, what)
        if analyze and len(items) >= _ANALYZE_AFTER:
            self._analyze()
        return run_id

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics after a bulk import.

        Without them the planner does not know how many rows a task has and sorts them all
        instead of walking the ranking index (~10x slower top-k right after a large import).
        """
        if self._engine.dialect.name != "postgresql":
            return
        try:
            with self._engine.connect() as conn:
                conn.execute(text("ANALYZE evaluation_metrics, evaluations, architectures"))
                conn.commit()
        except SQLAlchemyError as exc:  # the import itself is committed; only the statistics are stale
            logger.warning("could not ANALYZE %s after a bulk import (%s); queries may be slower until "
                           "autovacuum does", _display(self._url), _reason(exc))

    def _insert_evaluations(
        self,
        s: Session,
        run_id: int,
        items: Sequence[tuple[Any, dict[str, float], int | None]],
        cost: float | None,
        cost_unit: str,
        where: str,
        *,
        run_row: RunRow | None = None,
    ) -> list[int]:
        """Insert ``(graph, metrics, step)`` items into a running run (inside a write transaction).

        ``where`` names an item in messages; ``{i}`` is replaced by its index.
        """
        run = run_row if run_row is not None else self._run_row(s, run_id, lock=True)
        if run.status != "running":
            raise DatabaseError(
                f"run {run.id} has ended (status {run.status!r}) and accepts no evaluations; start a new run"
            )
        space_id = run.space_id
        space = self._space(space_id)
        conn = s.connection()

        # -- architectures: look up stored ones; validate, hash and insert the new ones
        first: dict[str, tuple[int, ModelGraph]] = {}
        identities: list[str] = []
        for i, (graph, _, _) in enumerate(items):
            if not isinstance(graph, ModelGraph):
                raise InvalidArchitectureError(
                    f"{where.format(i=i)} must hold a ModelGraph, got {type(graph).__name__}"
                )
            if graph.space_id is not None and graph.space_id != space_id:
                raise InvalidArchitectureError(
                    f"{where.format(i=i)}: the architecture belongs to search space {graph.space_id!r} but run "
                    f"{run.id} searches {space_id!r}; record it in a run of space {graph.space_id!r}"
                )
            ident = graph.identity
            identities.append(ident)
            first.setdefault(ident, (i, graph))
        arch_ids = self._architecture_ids(conn, space_id, list(first))
        new: list[_codec.EncodedGraph] = []
        tagged_new: dict[str, ModelGraph] = {}
        space_key = repr(space) if space is not None else None
        for ident, (i, graph) in first.items():
            if ident in arch_ids:
                continue  # stored: validated when it was first recorded (same space, same exact graph)
            tagged = graph if graph.space_id == space_id else graph.with_space(space_id)
            if space is not None:
                memo_key = (space_id, space_key, ident)
                chash = _CANONICAL_MEMO.get(memo_key)
                if chash is None:
                    try:
                        tagged = space.validate(graph)
                    except InvalidArchitectureError as exc:
                        raise type(exc)(f"{where.format(i=i)}: {exc}") from None
                    chash = space.canonical_hash(tagged)
                    if len(_CANONICAL_MEMO) >= _MEMO_SIZE:
                        _CANONICAL_MEMO.clear()
                    _CANONICAL_MEMO[memo_key] = chash
            else:
                chash = tagged.canonical_hash
            tagged_new[ident] = tagged
            new.append(_codec.encode_graph(tagged, space_id, chash))
        if new:
            self._insert_architectures(conn, new)
            stored = self._architecture_ids(conn, space_id, [e.identity for e in new])
            arch_ids.update(stored)
            written = s.info.setdefault(_WRITTEN_GRAPHS, {})
            written.update((stored[k], g) for k, g in tagged_new.items() if k in stored)

        # -- steps
        explicit = [st for _, _, st in items if st is not None]
        if len(set(explicit)) != len(explicit):
            raise DatabaseError(f"the batch records a step of run {run.id} twice; steps must be distinct")
        if explicit:
            in_range = conn.execute(
                select(EvaluationRow.step).where(
                    EvaluationRow.run_id == run.id,
                    EvaluationRow.step >= min(explicit),
                    EvaluationRow.step <= max(explicit),
                )
            ).scalars()
            taken = sorted(set(in_range) & set(explicit))
            if taken:
                raise DatabaseError(
                    f"step(s) {taken[:5]} of run {run.id} are already recorded; pass step=None to append"
                )
        steps: list[int] = []
        if len(explicit) < len(items):
            last = conn.execute(select(func.max(EvaluationRow.step)).where(EvaluationRow.run_id == run.id)).scalar()
            nxt = 0 if last is None else last + 1
            for _, _, st in items:
                if st is None:
                    steps.append(nxt)
                    nxt += 1
                else:
                    steps.append(st)
                    nxt = max(nxt, st + 1)
        else:
            steps = [st for _, _, st in items]  # type: ignore[misc]

        # -- evaluations, then read their ids back by step
        now = _codec.now_utc()
        _bulk_insert(
            conn,
            EvaluationRow.__table__,
            ("run_id", "task_pk", "architecture_id", "step", "cost", "cost_unit", "created_at"),
            [(run.id, run.task_pk, arch_ids[ident], st, cost, cost_unit, now) for ident, st in zip(identities, steps)],
            convert=("created_at",),
        )
        lo, hi = min(steps), max(steps)
        by_step = dict(
            conn.execute(
                select(EvaluationRow.step, EvaluationRow.id).where(
                    EvaluationRow.run_id == run.id, EvaluationRow.step >= lo, EvaluationRow.step <= hi
                )
            ).all()
        )
        eval_ids = [by_step[st] for st in steps]

        # -- metric values (task and architecture copied in for the ranking index)
        task_pk = run.task_pk
        _bulk_insert(
            conn,
            MetricRow.__table__,
            ("evaluation_id", "name", "value", "task_pk", "architecture_id"),
            [
                (eid, name, value, task_pk, arch_ids[ident])
                for eid, ident, (_, metrics, _) in zip(eval_ids, identities, items)
                for name, value in metrics.items()
            ],
        )
        return eval_ids

    @staticmethod
    def _architecture_ids(conn: Any, space_id: str, identities: Sequence[str]) -> dict[str, int]:
        """Stored architectures of a space by identity (identity -> id)."""
        table = ArchitectureRow.__table__
        found: dict[str, int] = {}
        for chunk in _chunks(identities):
            found.update(
                conn.execute(
                    select(table.c.identity, table.c.id).where(
                        table.c.space_id == space_id, table.c.identity.in_(chunk)
                    )
                ).all()
            )
        return found

    @staticmethod
    def _insert_architectures(conn: Any, encoded: Sequence[_codec.EncodedGraph]) -> None:
        """Insert architectures, skipping any that a concurrent writer has just inserted."""
        table = ArchitectureRow.__table__
        dialect = conn.dialect.name
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:  # elsewhere a concurrent insert raises IntegrityError and the write is retried
            dialect_insert = None
        stmt = (
            dialect_insert(table).on_conflict_do_nothing(index_elements=["space_id", "identity"])
            if dialect_insert is not None
            else table.insert()
        )
        conn.execute(
            stmt,
            [
                {"space_id": e.space_id, "identity": e.identity, "canonical_hash": e.canonical_hash, "graph": e.graph}
                for e in encoded
            ],
        )

    # ------------------------------------------------------------------ queries
    def top_evaluations(self, task_id: str, top_k: int = 10) -> list[TopEvaluation]:
        """The ``top_k`` best distinct architectures of a task by its objective.

        An architecture evaluated several times counts once, with its best value (and the
        earliest evaluation reaching it). Ties are broken by architecture identity.

        Raises:
            UnknownTaskError: the task is not in the database.
            ConfigError: ``top_k`` is not an integer >= 0.
        """
        top_k = _check_top_k(top_k)

        def fn(s: Session) -> list[TopEvaluation]:
            task = self._task_row(s, task_id)
            if top_k == 0:
                return []
            sign = 1.0 if task.direction == "maximize" else -1.0
            order = MetricRow.value.desc() if sign > 0 else MetricRow.value.asc()
            base = (
                select(MetricRow.architecture_id, MetricRow.value, MetricRow.evaluation_id)
                .where(MetricRow.task_pk == task.id, MetricRow.name == task.objective)
                .order_by(order)
            )
            limit = 4 * top_k + 16
            while True:
                rows = s.execute(base.limit(limit)).all()
                best: dict[int, tuple[float, int]] = {}
                for arch, value, eid in rows:
                    score = sign * value
                    cur = best.get(arch)
                    if cur is None or score > cur[0] or (score == cur[0] and eid < cur[1]):
                        best[arch] = (score, eid)
                if len(rows) < limit:
                    break  # every row of the task seen
                if len(best) >= top_k:
                    kth = sorted((b[0] for b in best.values()), reverse=True)[top_k - 1]
                    if sign * rows[-1].value < kth:
                        break  # rows past here are worse than the k-th architecture
                limit *= 4
            if not best:
                return []
            kth = sorted((b[0] for b in best.values()), reverse=True)[min(top_k, len(best)) - 1]
            candidates = [a for a, b in best.items() if b[0] >= kth]
            idents = dict(
                s.execute(
                    select(ArchitectureRow.id, ArchitectureRow.identity).where(ArchitectureRow.id.in_(candidates))
                ).all()
            )
            chosen = sorted(candidates, key=lambda a: (-best[a][0], idents[a]))[:top_k]
            graphs = self._graphs(s, chosen)
            eval_ids = [best[a][1] for a in chosen]
            run_of = dict(
                s.execute(select(EvaluationRow.id, EvaluationRow.run_id).where(EvaluationRow.id.in_(eval_ids))).all()
            )
            return [
                TopEvaluation(graphs[a], sign * best[a][0], task.objective, run_of[best[a][1]], best[a][1])
                for a in chosen
            ]

        return self._read(fn, f"ranking the architectures of task {task_id!r}")

    def get_top_architectures(self, task_id: str, top_k: int = 10) -> list[ModelGraph]:
        """The ``top_k`` best distinct architectures of a task (see `top_evaluations`)."""
        return [t.graph for t in self.top_evaluations(task_id, top_k)]

    def task_evaluations(self, task_id: str, metric: str | None = None) -> list[tuple[ModelGraph, float]]:
        """Every distinct architecture evaluated on a task with its best value of ``metric``.

        "Best" follows the direction of the task's objective. Ordered best first, ties by
        architecture identity.

        Args:
            task_id: the task.
            metric: a metric name; ``None``: the task's objective.

        Raises:
            UnknownTaskError: the task is not in the database.
            UnknownNameError: the task has evaluations but none with ``metric``.
        """

        def fn(s: Session) -> list[tuple[ModelGraph, float]]:
            task = self._task_row(s, task_id)
            name = task.objective if metric is None else metric
            maximize = task.direction == "maximize"
            agg = (func.max if maximize else func.min)(MetricRow.value).label("best")
            sub = (
                select(MetricRow.architecture_id, agg)
                .where(MetricRow.task_pk == task.id, MetricRow.name == name)
                .group_by(MetricRow.architecture_id)
                .subquery()
            )
            stmt = (
                select(ArchitectureRow.id, sub.c.best)
                .join(sub, ArchitectureRow.id == sub.c.architecture_id)
                .order_by(sub.c.best.desc() if maximize else sub.c.best.asc(), ArchitectureRow.identity)
            )
            rows = s.execute(stmt).all()
            if not rows and metric is not None and metric != task.objective:
                names = sorted(s.scalars(select(MetricRow.name).where(MetricRow.task_pk == task.id).distinct()))
                if names:
                    raise UnknownNameError(
                        f"task {task_id!r} has no metric {metric!r}; its evaluations record {names}"
                    )
            graphs = self._graphs(s, [a for a, _ in rows])
            return [(graphs[a], float(v)) for a, v in rows]

        return self._read(fn, f"reading the evaluations of task {task_id!r}")

    def trajectory(self, run_id: int) -> list[Evaluation]:
        """The run's evaluations, ordered by step.

        Raises:
            DatabaseError: the run does not exist.
        """

        def fn(s: Session) -> list[Evaluation]:
            run = self._run_row(s, run_id)
            evs = s.execute(
                select(
                    EvaluationRow.id,
                    EvaluationRow.step,
                    EvaluationRow.architecture_id,
                    EvaluationRow.cost,
                    EvaluationRow.cost_unit,
                    EvaluationRow.created_at,
                )
                .where(EvaluationRow.run_id == run.id)
                .order_by(EvaluationRow.step)
            ).all()
            metrics: dict[int, dict[str, float]] = {e.id: {} for e in evs}
            for eid, name, value in s.execute(
                select(MetricRow.evaluation_id, MetricRow.name, MetricRow.value)
                .join(EvaluationRow, EvaluationRow.id == MetricRow.evaluation_id)
                .where(EvaluationRow.run_id == run.id)
                .order_by(MetricRow.evaluation_id, MetricRow.name)
            ):
                metrics[eid][name] = value
            graphs = self._graphs(s, [e.architecture_id for e in evs])
            return [
                Evaluation(
                    run_id=run.id,
                    step=e.step,
                    graph=graphs[e.architecture_id],
                    metrics=metrics[e.id],
                    cost=e.cost,
                    cost_unit=e.cost_unit,
                    created_at=_codec.as_utc(e.created_at),
                )
                for e in evs
            ]

        return self._read(fn, f"reading the trajectory of run {run_id}")

    def summary(self) -> dict[str, Any]:
        """Counts: ``tasks``, ``runs``, ``architectures``, ``evaluations``, ``schema_revision`` and
        ``per_task`` (task id -> ``objective``, ``direction``, ``runs``, ``evaluations``,
        ``architectures`` (distinct))."""

        def fn(s: Session) -> dict[str, Any]:
            def count(col: Any) -> int:
                return int(s.execute(select(func.count(col))).scalar() or 0)

            per_run = dict(s.execute(select(RunRow.task_pk, func.count(RunRow.id)).group_by(RunRow.task_pk)).all())
            per_eval = {
                tpk: (int(n), int(a))
                for tpk, n, a in s.execute(
                    select(
                        EvaluationRow.task_pk,
                        func.count(EvaluationRow.id),
                        func.count(EvaluationRow.architecture_id.distinct()),
                    ).group_by(EvaluationRow.task_pk)
                )
            }
            per_task = {}
            for row in s.execute(
                select(TaskRow.id, TaskRow.task_id, TaskRow.objective, TaskRow.direction).order_by(TaskRow.task_id)
            ):
                n_eval, n_arch = per_eval.get(row.id, (0, 0))
                per_task[row.task_id] = {
                    "objective": row.objective,
                    "direction": row.direction,
                    "runs": int(per_run.get(row.id, 0)),
                    "evaluations": n_eval,
                    "architectures": n_arch,
                }
            return {
                "tasks": len(per_task),
                "runs": count(RunRow.id),
                "architectures": count(ArchitectureRow.id),
                "evaluations": count(EvaluationRow.id),
                "schema_revision": s.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar(),
                "per_task": per_task,
            }

        return self._read(fn, "summarising the database")


def _bulk_insert(
    conn: Any, table: Any, columns: Sequence[str], rows: list[tuple], convert: Sequence[str] = ()
) -> None:
    """Insert many rows fast: ``COPY`` on PostgreSQL with psycopg 3, the driver's executemany on
    SQLite, else SQLAlchemy's executemany.

    Values must be plain Python values (int, float, str, None) except in the ``convert``
    columns, which go through their column type's conversion (e.g. datetimes on SQLite).
    """
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        prep = dialect.identifier_preparer
        sql = f"COPY {prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)}) FROM STDIN"
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except dialect.loaded_dbapi.Error as exc:
            raise DatabaseError(f"bulk insert into {table.name} failed and was rolled back: {exc}") from exc
        finally:
            cursor.close()
        return
    if dialect.name == "sqlite":  # straight to the driver's executemany (SQLAlchemy adds ~40% here)
        prep = dialect.identifier_preparer
        sql = (
            f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        procs = [
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) if c in convert else None
            for c in columns
        ]
        if any(procs):
            rows = [tuple(v if p is None or v is None else p(v) for p, v in zip(procs, row)) for row in rows]
        conn.exec_driver_sql(sql, rows)
        return
    conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])


def _check_run_args(strategy: Any, space_id: Any, seed: Any) -> None:
    for name, value, limit in (("strategy", strategy, _STRATEGY_MAX), ("space_id", space_id, _SPACE_MAX)):
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise DatabaseError(f"{name} must be a non-empty string of at most {limit} characters, got {value!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral)):
        raise DatabaseError(f"seed must be an integer or None, got {seed!r}")


def _check_top_k(top_k: Any) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, Integral) or top_k < 0:
        raise ConfigError(f"top_k must be an integer >= 0, got {top_k!r}")
    return int(top_k)


def _new_run(s: Session, task: Any, strategy: str, space_id: str, config_text: str | None, seed: int | None) -> RunRow:
    """Insert a running run of ``task`` and return its row (id assigned)."""
    run = RunRow(
        task_pk=task.id,
        strategy=strategy,
        space_id=space_id,
        config=config_text,
        seed=None if seed is None else int(seed),
        status="running",
        started_at=_codec.now_utc(),
    )
    s.add(run)
    s.flush()
    return run
