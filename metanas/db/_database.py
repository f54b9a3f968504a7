"""`ExperimentDatabase`: past searches (tasks, runs, architectures, evaluations) on SQLAlchemy 2.

The facade over the database layer's parts:

* `metanas.db._engine`: path or URL -> engine (WAL and ``BEGIN IMMEDIATE`` on SQLite), URLs
  shown without their password;
* `metanas.db._versions`: the schema revision (create, upgrade, refuse newer or foreign);
* `metanas.db._session`: one transaction per public call, rolled back on any error, SQLAlchemy
  errors re-raised as `DatabaseError`, writes retried on a busy database;
* `metanas.db._ingest`: recording evaluations and bulk imports (the facade's import methods in
  `metanas.db._imports`);
* `metanas.db._queries`: rankings, trajectories, runs and counts.

Storage (`metanas.db._schema`) and domain objects (`TaskMetadata`, `ModelGraph`,
`Evaluation`...) are kept apart; `metanas.db._codec` translates between them. The search space
that validates and canonically hashes recorded architectures comes from the caller (a run's
``space``, the ``spaces`` resolver, or a table's ``space``): this layer imports neither the
registered spaces nor the benchmarks.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from metanas.db import _codec, _ingest, _queries
from metanas.db._engine import (
    BUSY_TIMEOUT_S,
    create_db_engine,
    display_url,
    open_hint,
    reason,
    resolve_url,
    sqlite_quick_check,
)
from metanas.db._imports import ImportMixin
from metanas.db._lease import RunLease, acquire_run_lease
from metanas.db._records import Evaluation, Objective, RunInfo, TopEvaluation
from metanas.db._rows import (
    GraphCache,
    check_run_args,
    check_step,
    check_top_k,
    ensure_task,
    new_run,
    run_row,
    task_row,
)
from metanas.db._schema import TaskRow
from metanas.db._session import Sessions
from metanas.db._versions import MIGRATIONS_DIR, VersionManager, schema_head
from metanas.exceptions import DatabaseError, DatabaseOpenError, MetanasError
from metanas.graph import ModelGraph
from metanas.protocols import ArchitectureSpace
from metanas.tasks import TaskMetadata

if TYPE_CHECKING:
    from metanas.spaces import SearchSpace

__all__ = ["BUSY_TIMEOUT_S", "MIGRATIONS_DIR", "ExperimentDatabase", "schema_head"]

logger = logging.getLogger(__name__)

#: What resolves a space id to the search space that validates its architectures.
SpaceResolver = Mapping[str, Any] | Callable[[str], Any]


def _refuse_missing_file(url: Any, shown: str) -> None:
    """``create=False``: an SQLite URL must name an existing file."""
    from pathlib import Path

    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if not Path(url.database).expanduser().is_file():
        raise DatabaseOpenError(
            f"there is no experiment database at {shown!r}; create one with 'metanas db import --suite ... "
            f"--db PATH', 'metanas demo --db PATH' or 'metanas search --db PATH ...', or check the path"
        )


class ExperimentDatabase(ImportMixin):
    """The experiment database: tasks, search runs, architectures and their evaluations.

    Args:
        url_or_path: a file path (SQLite; created if missing) or any SQLAlchemy URL, e.g.
            ``sqlite:///experiments.db`` or ``postgresql+psycopg://user@host:5432/dbname``.
        spaces: how to find the search space of a run started elsewhere (a mapping or a
            function ``space id -> space or None``); ``None``: only the spaces passed to
            `start_run`. A recorded architecture is validated and canonically hashed by its
            run's space; without one it is checked as a generic graph.
        create: ``True`` (default): a missing SQLite file, or an empty database, becomes a new
            experiment database. ``False``: open an existing experiment database only (for
            reading a knowledge base: a mistyped path is an error, not a new empty database).

    A new database is created at the current schema revision and an older one upgraded
    (Alembic migrations shipped with the package). Also a context manager (closes on exit).

    Raises:
        DatabaseOpenError: the path or URL cannot be opened, or (``create=False``) there is no
            experiment database there; the message names it and the fix.
        SchemaVersionError: the database is newer than this metanas, or not a metanas database.
    """

    def __init__(self, url_or_path: str | os.PathLike, *, spaces: SpaceResolver | None = None,
                 create: bool = True) -> None:
        if spaces is not None and not (isinstance(spaces, Mapping) or callable(spaces)):
            raise DatabaseError(
                f"spaces must be a mapping or a function space id -> search space, got {type(spaces).__name__}"
            )
        if not isinstance(create, bool):
            raise DatabaseError(f"create must be True or False, got {create!r}")
        self._url = resolve_url(url_or_path)
        self._shown = display_url(self._url)
        self._create = create
        if not create:
            _refuse_missing_file(self._url, self._shown)
        self._engine = create_db_engine(self._url)
        self._cache = GraphCache()
        file_check = None
        if self._url.get_backend_name() == "sqlite" and self._url.database not in (None, "", ":memory:"):
            file_check = functools.partial(sqlite_quick_check, shown=self._shown)
        self._sessions = Sessions(
            self._engine, self._shown, on_commit=self._cache.on_commit, secret=self._url.password,
            first_write_check=file_check,
        )
        self._resolver = spaces
        self._run_spaces: dict[int, SearchSpace | None] = {}
        try:
            self._ensure_schema()
        except BaseException:
            self._engine.dispose()
            raise

    def _ensure_schema(self) -> None:
        try:
            VersionManager(self._engine, self._shown).ensure_head(create=self._create)
        except MetanasError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            raise DatabaseOpenError(
                f"could not open the experiment database {self._shown!r}: {reason(exc, self._url.password)}; "
                f"{open_hint(self._url)}"
            ) from None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """The database URL (for a path: ``sqlite:////absolute/path``), password included."""
        return self._url.render_as_string(hide_password=False)

    def close(self) -> None:
        """Release the connections; the object cannot be used afterwards."""
        if not self._sessions.closed:
            self._engine.dispose()
            self._sessions.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ExperimentDatabase({self._shown!r})"

    def _space(self, run_id: int, space_id: str) -> SearchSpace | None:
        """The space validating the architectures of a run (``None``: generic graphs)."""
        space = self._run_spaces.get(run_id)
        if space is None and self._resolver is not None:
            resolver = self._resolver
            space = resolver.get(space_id) if isinstance(resolver, Mapping) else resolver(space_id)
        if space is not None and getattr(space, "id", None) != space_id:
            raise DatabaseError(
                f"the space resolver returned space {getattr(space, 'id', None)!r} for space id {space_id!r}; "
                "it must return the space of that id (or None)"
            )
        return space

    # ------------------------------------------------------------------ tasks
    def add_task(self, task: TaskMetadata, *, objective: str = "val_acc", direction: str = "maximize") -> None:
        """Add a task with its objective metric and direction.

        Idempotent: adding an identical task again does nothing.

        Raises:
            DatabaseError: a different task with that id exists, or objective/direction are invalid.
        """
        values = _codec.encode_task(task, objective, direction)
        self._sessions.write(lambda s: ensure_task(s, values), f"adding task {task.task_id!r}")

    def get_task(self, task_id: str) -> TaskMetadata:
        """The task's metadata.

        Raises:
            UnknownTaskError: no task with that id.
        """
        return self._sessions.read(lambda s: _codec.decode_task(task_row(s, task_id)), f"reading task {task_id!r}")

    def get_all_tasks(self) -> list[TaskMetadata]:
        """Every task, ordered by task id."""

        def fn(s: Session) -> list[TaskMetadata]:
            return [_codec.decode_task(r) for r in s.scalars(select(TaskRow).order_by(TaskRow.task_id))]

        return self._sessions.read(fn, "reading the tasks")

    def task_objective(self, task_id: str) -> Objective:
        """The task's objective: ``Objective(metric name, "maximize" | "minimize")``.

        Raises:
            UnknownTaskError: no task with that id.
        """

        def fn(s: Session) -> Objective:
            row = task_row(s, task_id)
            return Objective(row.objective, row.direction)

        return self._sessions.read(fn, f"reading the objective of task {task_id!r}")

    # ------------------------------------------------------------------ runs
    def start_run(
        self,
        task_id: str,
        strategy: str,
        *,
        space_id: str | None = None,
        space: SearchSpace | None = None,
        config: dict | None = None,
        seed: int | None = None,
    ) -> int:
        """Start a search run on a task in a search space.

        Args:
            task_id: an existing task.
            strategy: the strategy's name (e.g. ``"regularized-evolution"``).
            space_id: the search space every recorded architecture must belong to.
            space: that search space (a `metanas.spaces.SearchSpace`): validates and hashes the
                run's architectures recorded through this object; ``space_id`` defaults to its id.
            config: the strategy's configuration (JSON-serialisable).
            seed: the run's seed.

        Returns:
            The run id.

        Raises:
            UnknownTaskError: the task is not in the database.
            DatabaseError: an argument is invalid, or ``space`` is not the space ``space_id``.
        """
        if space is not None:
            if not isinstance(space, ArchitectureSpace):
                raise DatabaseError(f"space must be a search space (id, validate, canonical_hash), got {space!r:.80}")
            if space_id is None:
                space_id = space.id
            elif space.id != space_id:
                raise DatabaseError(f"space {space.id!r} is not space_id {space_id!r}; pass one of them")
        check_run_args(strategy, space_id, seed)
        config_text = _codec.encode_config(config)

        def fn(s: Session) -> int:
            return new_run(s, task_row(s, task_id), strategy, space_id, config_text, seed).id

        run_id = self._sessions.write(fn, f"starting a run on task {task_id!r}")
        if space is not None:
            self._run_spaces[run_id] = space
        return run_id

    def finish_run(self, run_id: int, status: str = "finished") -> None:
        """End a run (``finished``, ``failed`` or ``cancelled``); it accepts no evaluations afterwards.

        Raises:
            DatabaseError: the run does not exist, has already ended, or the status is invalid.
        """
        _codec.check_status(status, terminal=True)

        def fn(s: Session) -> None:
            run = run_row(s, run_id, lock=True)
            if run.status != "running":
                raise DatabaseError(f"run {run_id} has already ended with status {run.status!r}")
            run.status = status
            run.finished_at = _codec.now_utc()

        self._sessions.write(fn, f"finishing run {run_id}")

    def lease_run(self, run_id: int) -> RunLease:
        """Take the run's lease: while it is held, no other process can lease the run.

        A search that continues a run holds its lease (`metanas.pipeline.run_real_search`), so
        a second ``--resume`` of the same run is refused at once instead of both writing the
        same steps. The lease ends with `RunLease.release`, the ``with`` block, or the process
        (a killed process holds nothing: see `metanas.db._lease`).

        Returns:
            The held `RunLease` (a context manager).

        Raises:
            DatabaseError: ``run_id`` is not an integer, or no such run.
            RunLeaseError: another process (or another part of this one) holds it.
        """
        self._sessions.read(lambda s: run_row(s, run_id).id, f"reading run {run_id}")
        return acquire_run_lease(self._url, self._shown, int(run_id))

    def runs(self, task_id: str | None = None) -> list[RunInfo]:
        """Runs (of one task, or all), ordered by run id.

        Raises:
            UnknownTaskError: ``task_id`` is given and not in the database.
        """
        return self._sessions.read(lambda s: _queries.runs(s, task_id), "reading the runs")

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
        items = [(graph, _codec.check_metrics(metrics, "the evaluation"), check_step(step))]
        cost, cost_unit = _codec.check_cost(cost, cost_unit)
        ids = self._sessions.write(
            lambda s: self._insert(s, run_id, items, cost, cost_unit, "the evaluation"),
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
        self._sessions.write(
            lambda s: self._insert(s, run_id, prepared, cost, cost_unit, "item {i} of the batch"),
            f"recording {len(prepared)} evaluations in run {run_id}",
        )
        return len(prepared)

    def _insert(self, s: Session, run_id: int, items: list, cost: float | None, cost_unit: str, where: str):
        run = run_row(s, run_id, lock=True)
        return _ingest.insert_evaluations(s, run, self._space(run.id, run.space_id), items, cost, cost_unit, where)

    # ------------------------------------------------------------------ queries
    def top_evaluations(self, task_id: str, top_k: int = 10) -> list[TopEvaluation]:
        """The ``top_k`` best distinct architectures of a task by its objective.

        An architecture evaluated several times counts once, with its best value (and the
        earliest evaluation reaching it). Ties are broken by architecture identity.

        Raises:
            UnknownTaskError: the task is not in the database.
            ConfigError: ``top_k`` is not an integer >= 0.
        """
        top_k = check_top_k(top_k)
        return self._sessions.read(
            lambda s: _queries.top_evaluations(s, self._cache, task_id, top_k),
            f"ranking the architectures of task {task_id!r}",
        )

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
        return self._sessions.read(
            lambda s: _queries.task_evaluations(s, self._cache, task_id, metric),
            f"reading the evaluations of task {task_id!r}",
        )

    def trajectory(self, run_id: int) -> list[Evaluation]:
        """The run's evaluations, ordered by step.

        Raises:
            DatabaseError: the run does not exist.
        """
        return self._sessions.read(
            lambda s: _queries.trajectory(s, self._cache, run_id), f"reading the trajectory of run {run_id}"
        )

    def summary(self) -> dict[str, Any]:
        """Counts: ``tasks``, ``runs``, ``architectures``, ``evaluations``, ``schema_revision`` and
        ``per_task`` (task id -> ``objective``, ``direction``, ``runs``, ``evaluations``,
        ``architectures`` (distinct))."""
        return self._sessions.read(_queries.summary, "summarising the database")
