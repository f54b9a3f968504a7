"""``metanas demo``: build an experiment database from the NAS-Bench-Graph history and show it.

`build_demo_db` is the reusable part (the warm-started search will start from it).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_DEMO_DB", "build_demo_db", "register"]

#: Where ``metanas demo`` writes its database unless ``--db`` says otherwise (current directory).
DEFAULT_DEMO_DB = "metanas-demo.db"


def register(sub: Any) -> None:
    """Add the ``demo`` command to the CLI's sub-parsers."""
    parser = sub.add_parser(
        "demo",
        help="build an experiment database from the NAS-Bench-Graph history and show it",
        description=(
            "Build an SQLite experiment database holding the NAS-Bench-Graph history (every architecture of "
            "each task's table, with validation/test accuracy, latency and parameters) and print what it holds: "
            "tasks, objectives, counts and the best architectures. Tasks already in the database are kept, so "
            "running it again is quick."
        ),
    )
    parser.add_argument(
        "--db",
        default=DEFAULT_DEMO_DB,
        help=f"database file (or SQLAlchemy URL) to build; default ./{DEFAULT_DEMO_DB}",
    )
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=None,
        metavar="TASK",
        help="NAS-Bench-Graph tasks to import (e.g. cora citeseer or nbg/cora); default: all 9",
    )
    parser.add_argument("--top", type=int, default=3, help="best architectures to list per task (default 3)")
    parser.set_defaults(func=_run)


def build_demo_db(db: str | os.PathLike | Any, tasks: Sequence[str] | None = None) -> tuple[Any, list]:
    """Build (or complete) an experiment database with the NAS-Bench-Graph history.

    Args:
        db: an open `ExperimentDatabase`, or a file path / URL to open (created if missing).
        tasks: NAS-Bench-Graph task ids or short names; ``None``: all 9 tasks.

    Returns:
        ``(database, import results)``: the open database and one `ImportResult` per task
        (tasks already imported are skipped, not duplicated).

    Raises:
        UnknownTaskError: a task is not a NAS-Bench-Graph task.
        DatabaseOpenError: the database cannot be opened.
    """
    from metanas.benchmarks import get_suite
    from metanas.db import ExperimentDatabase, import_suite

    suite = get_suite("nasbench-graph")
    ids = [suite.resolve(t) for t in tasks] if tasks else None  # fail before opening anything
    database = db if isinstance(db, ExperimentDatabase) else ExperimentDatabase(db)
    try:
        results = import_suite(database, suite, ids)
    except BaseException:
        if database is not db:
            database.close()
        raise
    return database, results


def _run(args: argparse.Namespace) -> int:
    from metanas.cli._db import print_database, print_imports
    from metanas.exceptions import ConfigError

    if args.top < 0:
        raise ConfigError(f"--top must be an integer >= 0, got {args.top}")
    target = args.db if "://" in str(args.db) else str(Path(args.db).expanduser().resolve())
    print(f"building the NAS-Bench-Graph experiment database in {target}")
    db, results = build_demo_db(target, args.tasks)
    with db:
        print_imports(results)
        print()
        print_database(db, args.top)
        print()
        print(f"inspect it again with: metanas db show --db {target}")
    return 0
