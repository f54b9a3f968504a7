"""Writing evaluations: architectures (validated, hashed, de-duplicated), steps, metric values, bulk imports.

Every function runs inside a write transaction of `metanas.db._session.Sessions` and never
commits. The search space that validates and hashes new architectures is passed in by the
caller (``None``: a user-defined space, checked as a generic graph); the database layer does
not know the registered spaces or the benchmarks.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from metanas.db import _codec
from metanas.db._engine import reason
from metanas.db._rows import WRITTEN_GRAPHS, check_run_args, chunks, ensure_task, new_run
from metanas.db._schema import ArchitectureRow, EvaluationRow, MetricRow, RunRow, TaskRow
from metanas.exceptions import DatabaseError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.protocols import CostedTable, ResultTable

if TYPE_CHECKING:
    from metanas.spaces import SearchSpace

__all__ = [
    "ANALYZE_AFTER",
    "Item",
    "analyze",
    "bulk_insert",
    "existing_import",
    "import_run",
    "insert_evaluations",
    "lock_task_imports",
    "table_import",
]

logger = logging.getLogger(__name__)

#: ``(graph, metrics, step or None)``: one evaluation to write.
Item = tuple[Any, dict[str, float], int | None]
#: Imports of at least this many evaluations refresh PostgreSQL's planner statistics.
ANALYZE_AFTER = 5000
#: Canonical hashes of architectures already validated in a space, by (space id, space repr,
#: identity): validating and hashing dominate a first bulk import, and the same benchmark
#: graphs are imported into many databases (one per protocol fold).
_CANONICAL_MEMO: dict[tuple[str, str, str], str] = {}
_MEMO_SIZE = 500_000


# ---------------------------------------------------------------------------- low level
def bulk_insert(conn: Any, table: Any, columns: Sequence[str], rows: list[tuple], convert: Sequence[str] = ()) -> None:
    """Insert many rows fast: ``COPY`` on PostgreSQL with psycopg 3, the driver's executemany on
    SQLite, else SQLAlchemy's executemany.

    Values must be plain Python values (int, float, str, None) except in the ``convert``
    columns, which go through their column type's conversion (e.g. datetimes on SQLite).
    """
    if not rows:
        return
    dialect = conn.dialect
    prep = dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in columns)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(f"COPY {prep.format_table(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except dialect.loaded_dbapi.Error as exc:
            raise DatabaseError(f"bulk insert into {table.name} failed and was rolled back: {exc}") from exc
        finally:
            cursor.close()
        return
    if dialect.name == "sqlite":  # straight to the driver's executemany (SQLAlchemy adds ~40% here)
        sql = f"INSERT INTO {prep.format_table(table)} ({names}) VALUES ({', '.join('?' for _ in columns)})"
        procs = [
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) if c in convert else None for c in columns
        ]
        if any(procs):
            rows = [tuple(v if p is None or v is None else p(v) for p, v in zip(procs, row)) for row in rows]
        conn.exec_driver_sql(sql, rows)
        return
    conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])


def _architecture_ids(conn: Any, space_id: str, identities: Sequence[str]) -> dict[str, int]:
    """Stored architectures of a space by identity (identity -> id)."""
    table = ArchitectureRow.__table__
    found: dict[str, int] = {}
    for chunk in chunks(identities):
        found.update(
            conn.execute(
                select(table.c.identity, table.c.id).where(table.c.space_id == space_id, table.c.identity.in_(chunk))
            ).all()
        )
    return found


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


# ---------------------------------------------------------------------------- evaluations
def _canonical(space: SearchSpace | None, space_id: str, graph: ModelGraph, where: str) -> tuple[ModelGraph, str]:
    """``graph`` validated and tagged in ``space`` (``None``: generic), with its canonical hash."""
    if space is None:
        tagged = graph if graph.space_id == space_id else graph.with_space(space_id)
        return tagged, tagged.canonical_hash
    key = (space_id, repr(space), graph.identity)
    chash = _CANONICAL_MEMO.get(key)
    if chash is not None:
        return (graph if graph.space_id == space_id else graph.with_space(space_id)), chash
    try:
        tagged = space.validate(graph)
    except InvalidArchitectureError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    chash = space.canonical_hash(tagged)
    if len(_CANONICAL_MEMO) >= _MEMO_SIZE:
        _CANONICAL_MEMO.clear()
    _CANONICAL_MEMO[key] = chash
    return tagged, chash


def _store_architectures(s: Session, run: RunRow, space: SearchSpace | None, items: Sequence[Item], where: str):
    """Identities of the items' graphs and their architecture ids (new ones validated and inserted)."""
    space_id = run.space_id
    first: dict[str, tuple[int, ModelGraph]] = {}
    identities: list[str] = []
    for i, (graph, _, _) in enumerate(items):
        if not isinstance(graph, ModelGraph):
            raise InvalidArchitectureError(f"{where.format(i=i)} must hold a ModelGraph, got {type(graph).__name__}")
        if graph.space_id is not None and graph.space_id != space_id:
            raise InvalidArchitectureError(
                f"{where.format(i=i)}: the architecture belongs to search space {graph.space_id!r} but run "
                f"{run.id} searches {space_id!r}; record it in a run of space {graph.space_id!r}"
            )
        ident = graph.identity
        identities.append(ident)
        first.setdefault(ident, (i, graph))
    conn = s.connection()
    arch_ids = _architecture_ids(conn, space_id, list(first))
    new: list[_codec.EncodedGraph] = []
    tagged_new: dict[str, ModelGraph] = {}
    for ident, (i, graph) in first.items():
        if ident in arch_ids:
            continue  # stored: validated when it was first recorded (same space, same exact graph)
        tagged, chash = _canonical(space, space_id, graph, where.format(i=i))
        tagged_new[ident] = tagged
        new.append(_codec.encode_graph(tagged, space_id, chash))
    if new:
        _insert_architectures(conn, new)
        stored = _architecture_ids(conn, space_id, [e.identity for e in new])
        arch_ids.update(stored)
        written = s.info.setdefault(WRITTEN_GRAPHS, {})
        written.update((stored[k], g) for k, g in tagged_new.items() if k in stored)
    return identities, arch_ids


def _steps(conn: Any, run: RunRow, items: Sequence[Item]) -> list[int]:
    """The step of each item: explicit ones checked free, ``None`` ones appended after the last."""
    explicit = [st for _, _, st in items if st is not None]
    if len(set(explicit)) != len(explicit):
        raise DatabaseError(f"the batch records a step of run {run.id} twice; steps must be distinct")
    if explicit:
        in_range = conn.execute(
            select(EvaluationRow.step).where(
                EvaluationRow.run_id == run.id, EvaluationRow.step >= min(explicit), EvaluationRow.step <= max(explicit)
            )
        ).scalars()
        taken = sorted(set(in_range) & set(explicit))
        if taken:
            raise DatabaseError(f"step(s) {taken[:5]} of run {run.id} are already recorded; pass step=None to append")
    if len(explicit) == len(items):
        return list(explicit)
    last = conn.execute(select(func.max(EvaluationRow.step)).where(EvaluationRow.run_id == run.id)).scalar()
    nxt = 0 if last is None else last + 1
    steps: list[int] = []
    for _, _, st in items:
        if st is None:
            steps.append(nxt)
            nxt += 1
        else:
            steps.append(st)
            nxt = max(nxt, st + 1)
    return steps


def insert_evaluations(
    s: Session, run: RunRow, space: SearchSpace | None, items: Sequence[Item], cost: float | None | Sequence[float | None],
    cost_unit: str, where: str
) -> list[int]:
    """Insert ``(graph, metrics, step)`` items into a running run; returns the evaluation ids.

    Args:
        s: the write session.
        run: the run's row (locked by the caller where it matters).
        space: the run's search space, validating new architectures; ``None``: generic graphs.
        items: the evaluations.
        cost: the cost of each (``None``: unknown), in ``cost_unit``, or one cost per item
            (checked by the caller, `_codec.check_cost`).
        cost_unit: ``"seconds"`` or ``"epochs"``.
        where: names an item in messages; ``{i}`` is replaced by its index.
    """
    if run.status != "running":
        raise DatabaseError(f"run {run.id} has ended (status {run.status!r}) and accepts no evaluations; start a new run")
    identities, arch_ids = _store_architectures(s, run, space, items, where)
    conn = s.connection()
    steps = _steps(conn, run, items)
    now = _codec.now_utc()
    bulk_insert(
        conn,
        EvaluationRow.__table__,
        ("run_id", "task_pk", "architecture_id", "step", "cost", "cost_unit", "created_at"),
        [(run.id, run.task_pk, arch_ids[ident], st, c, cost_unit, now)
         for ident, st, c in zip(identities, steps, _per_item(cost, len(items)))],
        convert=("created_at",),
    )
    by_step = dict(
        conn.execute(
            select(EvaluationRow.step, EvaluationRow.id).where(
                EvaluationRow.run_id == run.id, EvaluationRow.step >= min(steps), EvaluationRow.step <= max(steps)
            )
        ).all()
    )
    eval_ids = [by_step[st] for st in steps]
    # metric values, with task and architecture copied in for the ranking index
    bulk_insert(
        conn,
        MetricRow.__table__,
        ("evaluation_id", "name", "value", "task_pk", "architecture_id"),
        [
            (eid, name, value, run.task_pk, arch_ids[ident])
            for eid, ident, (_, metrics, _) in zip(eval_ids, identities, items)
            for name, value in metrics.items()
        ],
    )
    return eval_ids


# ---------------------------------------------------------------------------- imports
def _per_item(cost: float | None | Sequence[float | None], n: int) -> Sequence[float | None]:
    if cost is None or isinstance(cost, (int, float)):
        return [cost] * n
    if len(cost) != n:
        raise DatabaseError(f"{len(cost)} costs given for {n} evaluations; give one cost per evaluation")
    return cost


def import_run(
    s: Session,
    task_values: dict[str, Any],
    space_id: str,
    space: SearchSpace | None,
    strategy: str,
    config_text: str,
    seed: int | None,
    items: Sequence[Item],
    where: str,
    costs: Sequence[float | None] | None = None,
    cost_unit: str = "seconds",
) -> int:
    """Add (or check) a task, then record ``items`` as one finished run (with one cost per item
    in ``cost_unit``, or none: ``costs=None``); returns the run id."""
    task = ensure_task(s, task_values)
    run = new_run(s, task, strategy, space_id, config_text, seed)
    if items:
        insert_evaluations(s, run, space, items, costs, cost_unit, where)
    run.status = "finished"
    run.finished_at = _codec.now_utc()
    return run.id


def lock_task_imports(s: Session, task_id: str) -> None:
    """Serialise the imports into one task until the transaction ends.

    On SQLite the write transaction's ``BEGIN IMMEDIATE`` already serialises every writer; on
    PostgreSQL a transaction-level advisory lock keyed by the task id does (released at commit
    or rollback), so that a check for an existing import followed by the import is atomic.
    """
    if s.connection().dialect.name == "postgresql":
        digest = hashlib.blake2b(f"metanas-import/{task_id}".encode(), digest_size=8).digest()
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest, "big", signed=True)})


def existing_import(s: Session, task_id: str, strategy: str, config_text: str, num_evaluations: int) -> int | None:
    """Id of a finished run of the task with this strategy and run config that holds
    ``num_evaluations`` evaluations (the earliest such run), or ``None``."""
    wanted = json.loads(config_text)
    stmt = (
        select(RunRow.id, RunRow.config)
        .join(TaskRow, TaskRow.id == RunRow.task_pk)
        .where(TaskRow.task_id == task_id, RunRow.strategy == strategy, RunRow.status == "finished")
        .order_by(RunRow.id)
    )
    for run_id, config in s.execute(stmt).all():
        if _codec.decode_config(run_id, config) != wanted:
            continue
        count = s.execute(select(func.count(EvaluationRow.id)).where(EvaluationRow.run_id == run_id)).scalar()
        if count == num_evaluations:
            return run_id
    return None


def _row_index(table: ResultTable, rows: Sequence[int] | None) -> np.ndarray:
    n = len(table.graphs)
    if rows is None:
        return np.arange(n)
    index = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows)
    if index.ndim != 1 or (index.size and not np.issubdtype(index.dtype, np.integer)):
        raise DatabaseError(f"rows must be a sequence of integer row indices, got {rows!r:.80}")
    bad = index[(index < 0) | (index >= n)]
    if bad.size:
        raise DatabaseError(f"rows must be indices in [0, {n}) of the {table.task.task_id} table, got {bad[:5].tolist()}")
    return index


def table_import(table: ResultTable, rows: Sequence[int] | None, strategy: str, seed: int | None) -> dict[str, Any]:
    """Validated arguments of `import_run` for rows of a benchmark table (nothing written).

    ``table`` is a `metanas.protocols.ResultTable` (as `metanas.benchmarks.BenchmarkTable`:
    ``task``, ``space``, ``graphs``, ``metrics``, ``objective``, ``direction``); its ``space``
    validates the graphs.

    Returns:
        The keyword arguments of `import_run` (less the session).
    """
    if not isinstance(table, ResultTable):
        raise DatabaseError(f"import_table expects a BenchmarkTable, got {type(table).__name__}")
    index = _row_index(table, rows)
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
    task_values = _codec.encode_task(table.task, table.objective, table.direction)
    space_id = table.space.id
    check_run_args(strategy, space_id, seed)
    config = {"source": "benchmark-table", "objective": table.objective, "num_rows": int(index.size)}
    if rows is not None and not np.array_equal(index, np.arange(len(table.graphs))):
        config["rows"] = index.tolist()
    names = list(columns)
    matrix = np.column_stack([columns[k] for k in names]) if names else np.empty((index.size, 0))
    items = [(table.graphs[r], dict(zip(names, vals)), None) for r, vals in zip(index.tolist(), matrix.tolist())]
    costs, cost_unit = _table_costs(table, index)
    return {
        "task_values": task_values,
        "space_id": space_id,
        "space": table.space,
        "strategy": strategy,
        "config_text": _codec.encode_config(config),
        "seed": seed,
        "items": items,
        "where": "row {i} of the table",
        "costs": costs,
        "cost_unit": cost_unit,
    }


def _table_costs(table: ResultTable, index: np.ndarray) -> tuple[list[float | None] | None, str]:
    """The evaluation cost of each imported row (``table.cost(row)`` in ``table.cost_unit``, e.g.
    ``nb201-pypi``'s training time) and the unit; ``(None, "seconds")`` for a table without costs
    (not a `metanas.protocols.CostedTable`)."""
    if not isinstance(table, CostedTable):
        return None, "seconds"
    unit = table.cost_unit
    costs = []
    for r in index.tolist():
        try:
            costs.append(_codec.check_cost(table.cost(r), unit)[0])
        except DatabaseError as exc:
            raise DatabaseError(f"row {r} of the {table.task.task_id} table: {exc}; nothing was imported") from None
    return (costs if any(c is not None for c in costs) else None), unit


def analyze(engine: Engine, shown: str) -> None:
    """Refresh PostgreSQL's statistics after a bulk import (a no-op elsewhere).

    Without them the planner does not know how many rows a task has and sorts them all
    instead of walking the ranking index (~10x slower top-k right after a large import).
    """
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE evaluation_metrics, evaluations, architectures"))
            conn.commit()
    except SQLAlchemyError as exc:  # the import itself is committed; only the statistics are stale
        logger.warning(
            "could not ANALYZE %s after a bulk import (%s); queries may be slower until autovacuum does",
            shown,
            reason(exc),
        )
