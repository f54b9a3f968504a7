"""``metanas db``: fill and inspect an experiment database.

* ``metanas db import --suite SUITE --db PATH_OR_URL [--tasks ...]`` imports whole benchmark
  tables (one run per task).
* ``metanas db show --db PATH_OR_URL [--top N] [--steps N]`` prints the tasks, their objectives,
  counts and best architectures, and each task's runs with their trajectories (best so far by
  step; benchmark imports and runs of over `MAX_SHOWN_RUN` evaluations as counts only).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metanas.exceptions import ConfigError
from metanas.validation import Direction

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase, RunInfo
    from metanas.graph import ModelGraph

__all__ = ["describe_graph", "escape", "open_existing", "print_database", "print_imports", "register"]

_DB_HELP = (
    "experiment database: a file path (SQLite) or an SQLAlchemy URL such as "
    "postgresql+psycopg://user@host:5432/dbname"
)


def register(sub: Any) -> None:
    """Add the ``db`` command and its sub-commands to the CLI's sub-parsers."""
    parser = sub.add_parser(
        "db",
        help="fill and inspect an experiment database",
        description="Fill an experiment database with benchmark histories and inspect what it holds.",
    )
    parser.set_defaults(func=lambda _args: _print_help(parser))
    commands = parser.add_subparsers(dest="db_command", metavar="SUBCOMMAND")

    from metanas.benchmarks import suite_names

    imp = commands.add_parser(
        "import",
        help="import whole benchmark tables (one run per task)",
        description=(
            "Import the whole result table of each task of a benchmark suite into the database: the task "
            "(metadata, objective and direction), one finished run, and one evaluation per table row with every "
            "metric of the table. A task that already holds a full import of its table is skipped."
        ),
    )
    imp.add_argument("--suite", required=True, help=f"benchmark suite, one of {suite_names()}")
    imp.add_argument(
        "--nb201-dir",
        type=Path,
        default=None,
        help="folder with the NAS-Bench-201 CSV tables (suite nb201 only; default: $METANAS_NB201_DIR or "
        "../shared/data/nasbench201 beside the repository)",
    )
    imp.add_argument(
        "--tasks",
        nargs="+",
        default=None,
        metavar="TASK",
        help="task ids or short names (e.g. nbg/cora or cora); default: every task of the suite",
    )
    imp.add_argument(
        "--objective",
        default=None,
        help="objective metric of the tasks (default val_acc; e.g. test_acc_200ep for nb201, latency for "
        "nasbench-graph, which is minimised)",
    )
    imp.add_argument("--db", required=True, help=_DB_HELP + "; created if missing")
    imp.add_argument("--force", action="store_true", help="import a table again even if the task already holds it")
    imp.set_defaults(func=_import)

    show = commands.add_parser(
        "show",
        help="print the tasks, counts and best architectures",
        description="Print what an experiment database holds: each task with its objective, runs, evaluations, "
        "distinct architectures and its best architectures with their values.",
    )
    show.add_argument("--db", required=True, help=_DB_HELP + "; must exist")
    show.add_argument("--top", type=int, default=5, help="best architectures to list per task (default 5)")
    show.add_argument("--steps", type=int, default=30,
                      help="steps of each search's trajectory (best so far) to print, 0 for none (default 30)")
    show.set_defaults(func=_show)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def open_existing(target: str):
    """Open a database that must already exist (a missing SQLite file is an error, not a new database).

    Raises:
        DatabaseOpenError: ``target`` is a path, or an ``sqlite://`` URL, of a missing file, or an
            empty database.
    """
    from metanas.db import ExperimentDatabase

    return ExperimentDatabase(target, create=False)


def _import(args: argparse.Namespace) -> int:
    from metanas.benchmarks import get_suite, import_suite
    from metanas.db import ExperimentDatabase

    kwargs = {}
    if args.nb201_dir is not None:
        if args.suite != "nb201":
            raise ConfigError(f"--nb201-dir applies to --suite nb201 only, got --suite {args.suite}")
        kwargs["nb201_dir"] = args.nb201_dir
    suite = get_suite(args.suite, **kwargs)
    # Unknown tasks, a bad objective or missing tables fail before the database is touched
    # (tables are cached, so the first one is not read twice).
    task_ids = [suite.resolve(t) for t in args.tasks] if args.tasks else suite.task_ids()
    suite.table(task_ids[0], args.objective)
    with ExperimentDatabase(args.db) as db:
        print(f"importing {args.suite} into {_shown(db)}")
        results = import_suite(db, suite, task_ids, objective=args.objective, force=args.force)
        print_imports(results)
        s = db.summary()
        print(f"the database now holds {_counts(s)}")
    return 0


def print_imports(results: list) -> None:
    """One line per `ImportResult`."""
    for r in results:
        what = (
            f"{escape(r.task_id)}: {r.rows:,} architectures, objective {escape(r.objective)} ({r.direction}), "
            f"best {r.best_value:.4g}"
        )
        if r.skipped:
            print(f"  {what} -- already imported as run {r.run_id}, skipped (--force imports it again)")
        else:
            print(f"  {what} -- imported as run {r.run_id} in {r.seconds:.1f} s")


def _show(args: argparse.Namespace) -> int:
    if args.top < 0:
        raise ConfigError(f"--top must be an integer >= 0, got {args.top}")
    if args.steps < 0:
        raise ConfigError(f"--steps must be an integer >= 0, got {args.steps}")
    with open_existing(args.db) as db:
        print_database(db, args.top, args.steps)
    return 0


def escape(text: Any) -> str:
    """``text`` safe for a terminal: control characters (escape sequences, newlines, NUL) and
    other unprintable characters written as Python escapes (``\\x1b``, ``\\n``)."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


def _shown(db: ExperimentDatabase) -> str:
    return escape(repr(db).removeprefix("ExperimentDatabase(").removesuffix(")"))


def _counts(summary: dict) -> str:
    return (
        f"{summary['tasks']} task(s), {summary['runs']} run(s), {summary['architectures']:,} architecture(s), "
        f"{summary['evaluations']:,} evaluation(s)"
    )


def describe_graph(graph: ModelGraph) -> str:
    """A one-line description of an architecture: identity prefix, operations and edges."""
    edges = " ".join(f"{u}>{v}" for u, v in graph.edges)
    return f"{graph.identity[:12]}  ops {escape('/'.join(graph.operations))}  edges {edges}"


#: Runs with more evaluations than this (e.g. benchmark tables) are shown without their trajectory.
MAX_SHOWN_RUN = 10_000


def print_database(db: ExperimentDatabase, top: int = 5, steps: int = 30) -> None:
    """Print the database's counts, and per task its objective, counts, ``top`` best architectures
    and runs, each search run with the first ``steps`` values of its best-so-far trajectory."""
    s = db.summary()
    print(f"experiment database {_shown(db)} (schema revision {s['schema_revision']})")
    print(f"{_counts(s)}")
    for task in db.get_all_tasks():
        info = s["per_task"][task.task_id]
        print()
        print(
            f"{escape(task.task_id)}  ({escape(task.dataset_name)}, {task.problem_type})  objective "
            f"{escape(info['objective'])} ({escape(info['direction'])})"
        )
        print(
            f"  {info['runs']} run(s), {info['evaluations']:,} evaluation(s), "
            f"{info['architectures']:,} distinct architecture(s)"
        )
        if top:
            for rank, t in enumerate(db.top_evaluations(task.task_id, top), 1):
                print(f"  {rank:>3}. {escape(t.metric)} {t.value:.6g}  {describe_graph(t.graph)}  (run {t.run_id})")
        for run in db.runs(task.task_id):
            _print_run(db, run, info, steps)


def _print_run(db: ExperimentDatabase, run: RunInfo, info: dict, steps: int) -> None:
    """One line per run (strategy, status, evaluations, where its initial population came from)
    and, for a search, its trajectory: the best-so-far objective by step."""
    origins = run.config.get("origins") if isinstance(run.config, dict) else None
    line = (f"  run {run.run_id}: {escape(run.strategy)}, {escape(run.status)}, {run.num_evaluations:,} evaluation(s)"
            + (f", seed {run.seed}" if run.seed is not None else ""))
    if isinstance(origins, list) and origins:
        counts: dict[str, int] = {}
        for o in origins:
            counts[str(o)] = counts.get(str(o), 0) + 1
        line += "; initial population " + ", ".join(f"{n} {escape(k)}" for k, n in sorted(counts.items()))
    if isinstance(run.config, dict) and run.config.get("resumed_from") is not None:
        line += f"; resumes run {run.config['resumed_from']}"
    print(line)
    if steps == 0 or run.strategy == "benchmark-import" or not 0 < run.num_evaluations <= MAX_SHOWN_RUN:
        return
    from metanas.search import failure_of

    sign = Direction(info["direction"]).sign
    best, values, failed = None, [], 0
    for ev in db.trajectory(run.run_id):
        v = ev.metrics.get(info["objective"])
        if v is None or failure_of(ev.metrics) is not None:
            failed += 1
        elif best is None or sign * v > sign * best:
            best = v
        values.append("-" if best is None else f"{best:.4g}")
    more = f" ... ({len(values) - steps} more)" if len(values) > steps else ""
    print(f"    best {escape(info['objective'])} so far by step: {' '.join(values[:steps])}{more}"
          + (f"; {failed} failed" if failed else ""))
