"""The import methods of `ExperimentDatabase`: whole runs written in one transaction.

`ImportMixin` holds `import_table` (rows of a benchmark table) and `import_evaluations` (a
task and a list of evaluations); both add or check the task, write one finished run and
refresh PostgreSQL's statistics after a large import. It works on the attributes
`ExperimentDatabase` sets (``_sessions``, ``_engine``, ``_shown``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from metanas.db import _codec, _ingest
from metanas.db._rows import check_run_args
from metanas.graph import ModelGraph
from metanas.protocols import ResultTable
from metanas.tasks import TaskMetadata

if TYPE_CHECKING:
    from metanas.spaces import SearchSpace

__all__ = ["ImportMixin"]

logger = logging.getLogger("metanas.db._database")


class ImportMixin:
    """Bulk imports of `ExperimentDatabase` (see the module docstring)."""

    _sessions: Any
    _engine: Any
    _shown: str

    def import_table(
        self,
        table: ResultTable,
        *,
        rows: Sequence[int] | None = None,
        strategy: str = "benchmark-import",
        seed: int | None = None,
    ) -> int:
        """Import rows of a benchmark table as one finished run (one transaction).

        Adds the table's task (objective and direction from the table; an identical task may
        already exist), starts a run in the table's space and records each row as one
        evaluation with every metric of the table and its cost: ``table.cost(row)`` in
        ``table.cost_unit`` where the table has costs (``nb201-pypi``: the training time, which
        a warm start's ``cost_weight`` reads), none otherwise. The table's ``space`` validates
        and hashes the graphs.

        Args:
            table: a `metanas.benchmarks.BenchmarkTable` (or another `metanas.protocols.ResultTable`).
            rows: row indices to import, in this order (steps 0, 1, ...); ``None``: all rows.
            strategy: the run's strategy name.
            seed: the seed that drew ``rows``, if any.

        Returns:
            The run id.

        Raises:
            InvalidArchitectureError: a row's graph is not in the table's space.
            DatabaseError: the task exists with other metadata or objective, a row index is out
                of range, a metric value is not finite, or a cost is negative or not finite;
                nothing is written.
        """
        args = _ingest.table_import(table, rows, strategy, seed)
        t0 = time.perf_counter()
        run_id = self._import(args, f"importing the {table.task.task_id} table")
        logger.info(
            "imported %d rows of %s as run %d in %.2f s",
            len(args["items"]), table.task.task_id, run_id, time.perf_counter() - t0,
        )
        return run_id

    def import_table_once(self, table: ResultTable, *, strategy: str = "benchmark-import") -> tuple[int, bool]:
        """Import the whole table as one finished run unless its task already holds such an import.

        The check for an existing import (a finished run of ``strategy`` holding every row of
        the table with the same objective) runs inside the write transaction: SQLite's
        ``BEGIN IMMEDIATE`` and, on PostgreSQL, a transaction-level advisory lock on the task
        serialise concurrent importers, so two processes importing one table store it once.

        Args:
            table: as `import_table`.
            strategy: the run's strategy name.

        Returns:
            ``(run id, imported)``: the new run and ``True``, or the existing one and ``False``.

        Raises:
            InvalidArchitectureError, DatabaseError: as `import_table`; nothing is written.
        """
        args = _ingest.table_import(table, None, strategy, None)
        task_id = table.task.task_id

        def fn(s: Any) -> tuple[int, bool]:
            _ingest.lock_task_imports(s, task_id)
            found = _ingest.existing_import(s, task_id, strategy, args["config_text"], len(args["items"]))
            if found is not None:
                return found, False
            return _ingest.import_run(s, **args), True

        run_id, imported = self._sessions.write(fn, f"importing the {task_id} table")
        if imported and len(args["items"]) >= _ingest.ANALYZE_AFTER:
            self.analyze()
        return run_id, imported

    def import_evaluations(
        self,
        task: TaskMetadata,
        items: Iterable[tuple[ModelGraph, dict[str, float]]],
        *,
        space: SearchSpace | str,
        strategy: str,
        objective: str = "val_acc",
        direction: str = "maximize",
        config: dict | None = None,
        seed: int | None = None,
        analyze: bool = True,
    ) -> int:
        """Add (or check) a task and record ``items`` as one finished run, in one transaction.

        Args:
            task: the task (an identical one may already exist).
            items: ``(graph, metrics)`` pairs, recorded at steps 0, 1, ...
            space: the search space of the graphs (validates and hashes them), or a space id
                string for a user-defined space (generic graphs).
            strategy: the run's strategy name.
            objective: the task's objective metric.
            direction: ``"maximize"`` or ``"minimize"``.
            config: the run's configuration (JSON object).
            seed: the run's seed.
            analyze: refresh PostgreSQL's planner statistics after a large import.

        Returns:
            The run id.

        Raises:
            InvalidArchitectureError: a graph is not in the space.
            DatabaseError: as `import_table`; nothing is written.
        """
        space_id, space_obj = (space, None) if isinstance(space, str) else (getattr(space, "id", None), space)
        check_run_args(strategy, space_id, seed)
        prepared = [(g, _codec.check_metrics(m, f"evaluation {i}"), None) for i, (g, m) in enumerate(items)]
        args = {
            "task_values": _codec.encode_task(task, objective, direction),
            "space_id": space_id,
            "space": space_obj,
            "strategy": strategy,
            "config_text": _codec.encode_config(config),
            "seed": seed,
            "items": prepared,
            "where": "evaluation {i}",
        }
        return self._import(args, f"importing evaluations of task {task.task_id!r}", analyze=analyze)

    def _import(self, args: dict[str, Any], what: str, *, analyze: bool = True) -> int:
        run_id = self._sessions.write(lambda s: _ingest.import_run(s, **args), what)
        if analyze and len(args["items"]) >= _ingest.ANALYZE_AFTER:
            self.analyze()
        return run_id

    def analyze(self) -> None:
        """Refresh PostgreSQL's planner statistics (after bulk imports; a no-op on SQLite)."""
        self._sessions.check_open()
        _ingest.analyze(self._engine, self._shown)

