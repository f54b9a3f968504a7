"""A history database of random table rows of every task of a suite (what the shipped checkpoints
were trained on).

Task ``i`` of the suite's default tasks gets ``rows`` table rows drawn without replacement by
``numpy.random.default_rng([seed, i])``, imported as one run of strategy ``random-history``::

    python -m benchmarks.random_history --suite nasbench-graph --rows 1000 --seed 0 --db nbg.db

(The LOTO protocol draws its fold histories with its own per-task seeds: `loto.build_history`.)
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metanas.benchmarks._suites import BenchmarkSuite, get_suite
from metanas.exceptions import ConfigError

__all__ = ["main", "write_random_history"]

logger = logging.getLogger(__name__)


def write_random_history(suite: BenchmarkSuite, tasks: Sequence[str], db_path: str | Path, rows: int,
                         seed: int) -> None:
    """Write ``rows`` random rows of each task into a new SQLite database at ``db_path``.

    Raises:
        ConfigError: ``db_path`` exists already, or ``rows`` is not an integer >= 1.
    """
    from metanas.db import ExperimentDatabase

    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ConfigError(f"'rows' must be an integer >= 1, got {rows!r}")
    if Path(db_path).exists():
        raise ConfigError(f"'db' {str(db_path)!r} exists already; choose a new path")
    db = ExperimentDatabase(str(db_path))
    try:
        for i, task_id in enumerate(tasks):
            table = suite.table(task_id)
            rng = np.random.default_rng([seed, i])
            db.import_table(table, rows=rng.choice(len(table), size=min(rows, len(table)), replace=False),
                            strategy="random-history", seed=seed)
            logger.info("%s: %d rows", task_id, min(rows, len(table)))
    finally:
        db.close()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", required=True, help="nasbench-graph or nb201")
    p.add_argument("--rows", type=int, default=1000, help="table rows per task (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="history seed (default 0)")
    p.add_argument("--db", required=True, type=Path, help="the new SQLite database file")
    a = p.parse_args(argv)
    suite = get_suite(a.suite)
    write_random_history(suite, list(suite.default_tasks), a.db, a.rows, a.seed)
    print(f"history written to {a.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
