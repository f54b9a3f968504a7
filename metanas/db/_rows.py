"""Row helpers shared by ingest and queries: looking up tasks and runs, creating them, decoded graphs.

Every function takes an open `Session` (or connection) inside a transaction of
`metanas.db._session.Sessions`; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from metanas.db import _codec
from metanas.db._schema import ArchitectureRow, RunRow, TaskRow
from metanas.exceptions import DatabaseError, UnknownTaskError
from metanas.graph import ModelGraph
from metanas.tasks import INT32_MAX, INT64_MAX, check_label
from metanas.validation import check_int

__all__ = [
    "GraphCache",
    "check_run_args",
    "check_step",
    "check_top_k",
    "chunks",
    "ensure_task",
    "new_run",
    "run_row",
    "task_row",
]

T = TypeVar("T")

#: Identifiers per ``IN (...)`` list.
CHUNK = 5000
#: Decoded graphs kept per database object (architecture rows are never changed).
_GRAPH_CACHE_SIZE = 300_000
#: Key in `Session.info` of the graphs a write inserted (architecture id -> graph).
WRITTEN_GRAPHS = "metanas_written_graphs"
_STRATEGY_MAX = 100
_SPACE_MAX = 100


def chunks(seq: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    """``seq`` in slices of at most ``size``."""
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def check_run_args(strategy: Any, space_id: Any, seed: Any) -> None:
    """Validate a run's strategy name, space id (non-empty, bounded, no control characters)
    and seed (``None`` or a 64-bit integer)."""
    for name, value, limit in (("strategy", strategy, _STRATEGY_MAX), ("space_id", space_id, _SPACE_MAX)):
        try:
            check_label(value, name, limit)
        except ValueError as exc:
            raise DatabaseError(str(exc)) from None
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, Integral) or not -INT64_MAX - 1 <= seed <= INT64_MAX
    ):
        raise DatabaseError(f"seed must be an integer or None, in [{-INT64_MAX - 1}, {INT64_MAX}], got {seed!r}")


def check_step(step: Any) -> int | None:
    """Validate an evaluation's step: ``None`` or an integer in [0, 2^31 - 1]."""
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, Integral) or not 0 <= step <= INT32_MAX:
        raise DatabaseError(f"step must be None or an integer >= 0 (at most {INT32_MAX}), got {step!r}")
    return int(step)


def check_top_k(top_k: Any) -> int:
    """Validate a ``top_k`` argument (an integer >= 0)."""
    return check_int(top_k, "top_k", low=0)


def task_row(session: Session, task_id: str) -> TaskRow:
    """The task's row.

    Raises:
        UnknownTaskError: no such task (the message lists some that exist).
    """
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


def run_row(session: Session, run_id: Any, *, lock: bool = False) -> RunRow:
    """The run's row (``lock``: ``SELECT ... FOR UPDATE`` where supported).

    Raises:
        DatabaseError: not an integer, or no such run.
    """
    if isinstance(run_id, bool) or not isinstance(run_id, Integral):
        raise DatabaseError(f"run_id must be an integer returned by start_run(), got {run_id!r}")
    stmt = select(RunRow).where(RunRow.id == int(run_id))
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise DatabaseError(f"run {run_id} does not exist in the experiment database; start one with start_run()")
    return row


def ensure_task(session: Session, values: dict[str, Any]) -> TaskRow:
    """The row of the task with these column values, inserted if missing.

    Raises:
        DatabaseError: the task exists with other values.
    """
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


def new_run(s: Session, task: Any, strategy: str, space_id: str, config_text: str | None, seed: int | None) -> RunRow:
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


class GraphCache:
    """Decoded graphs of architecture rows by id (rows never change, so entries never go stale)."""

    def __init__(self, size: int = _GRAPH_CACHE_SIZE) -> None:
        self._size = size
        self._graphs: dict[int, ModelGraph] = {}

    def remember(self, graphs: dict[int, ModelGraph]) -> None:
        """Keep ``graphs`` (the cache is emptied when it would grow past its size)."""
        if len(self._graphs) + len(graphs) > self._size:
            self._graphs.clear()
        self._graphs.update(graphs)

    def on_commit(self, info: dict) -> None:
        """Keep the graphs a committed write inserted (`Sessions`'s ``on_commit`` hook)."""
        self.remember(info.get(WRITTEN_GRAPHS, {}))

    def graphs(self, session: Session, arch_ids: Iterable[int]) -> dict[int, ModelGraph]:
        """Decoded graphs of architecture rows (read from the database when not cached)."""
        out: dict[int, ModelGraph] = {}
        missing = []
        for a in set(arch_ids):
            g = self._graphs.get(a)
            if g is None:
                missing.append(a)
            else:
                out[a] = g
        for chunk in chunks(sorted(missing)):
            rows = session.execute(
                select(ArchitectureRow.id, ArchitectureRow.space_id, ArchitectureRow.graph).where(
                    ArchitectureRow.id.in_(chunk)
                )
            )
            for arch_id, space_id, graph_text in rows:
                out[arch_id] = _codec.decode_graph(arch_id, space_id, graph_text)
        self.remember({a: out[a] for a in missing})
        return out
