"""Fill an experiment database with the history of a benchmark suite (whole tables, one run per task).

The glue between the benchmarks and the database layer: the suite reads the tables, the
database (`ExperimentDatabase.import_table`) stores them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase

__all__ = ["IMPORT_STRATEGY", "ImportResult", "import_suite"]

logger = logging.getLogger(__name__)

#: Strategy name of the runs that hold imported benchmark tables.
IMPORT_STRATEGY = "benchmark-import"


@dataclass(frozen=True)
class ImportResult:
    """What `import_suite` did for one task.

    Attributes:
        task_id: the task.
        run_id: the run holding the table (the existing one when skipped).
        rows: rows in that run.
        objective: the objective metric.
        direction: ``"maximize"`` or ``"minimize"``.
        best_value: the table's best objective value.
        seconds: time spent writing (0 when skipped).
        skipped: the task already held a full import of the table.
    """

    task_id: str
    run_id: int
    rows: int
    objective: str
    direction: str
    best_value: float
    seconds: float
    skipped: bool


def import_suite(
    db: ExperimentDatabase,
    suite: Any,
    task_ids: Sequence[str] | None = None,
    *,
    objective: str | None = None,
    force: bool = False,
) -> list[ImportResult]:
    """Import whole result tables of a benchmark suite, one run per task.

    Args:
        db: the database.
        suite: a `metanas.benchmarks.BenchmarkSuite`.
        task_ids: task ids or short names (``cora`` for ``nbg/cora``); ``None``: every task.
        objective: the objective metric (``None``: the suite's default, ``val_acc``).
        force: import a table again even if the task already holds a full import of it.

    Returns:
        One `ImportResult` per task, in order.

    Raises:
        UnknownTaskError: a task is not in the suite (checked before anything is imported).
        BenchmarkDataError: a table cannot be read, or the objective is not one of its metrics.
        DatabaseError: the task exists in the database with other metadata or objective.
    """
    ids = list(dict.fromkeys(suite.resolve(t) for t in task_ids)) if task_ids else list(suite.task_ids())
    results = []
    for task_id in ids:
        table = suite.table(task_id, objective)
        t0 = time.perf_counter()
        if force:
            run_id, imported = db.import_table(table, strategy=IMPORT_STRATEGY), True
        else:  # the check for an existing import runs inside the import's transaction
            run_id, imported = db.import_table_once(table, strategy=IMPORT_STRATEGY)
        if not imported:
            logger.info("%s: already imported as run %d; skipped", task_id, run_id)
        seconds = time.perf_counter() - t0 if imported else 0.0
        results.append(ImportResult(task_id, run_id, len(table), table.objective, table.direction,
                                    table.best_value(), seconds, not imported))
    return results
