"""``metanas demo``: the main job on the embedded default, NAS-Bench-Graph.

Imports the NAS-Bench-Graph history of every task but one into an SQLite experiment
database (`build_demo_db`), warm-starts a population for the held-out task from it, and
prints each member with its provenance and its true score on the held-out task, beside a
random population of the same size.
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
        help="warm-start a held-out NAS-Bench-Graph task from the history of the others",
        description=(
            "Build an SQLite experiment database holding the NAS-Bench-Graph history of every task but the "
            "held-out one (every architecture of each task's table, with validation/test accuracy, latency and "
            "parameters), print what it holds, warm-start a population for the held-out task and print it with "
            "where each member came from and its true score, beside a random population. Tasks already in the "
            "database are kept, so running it again is quick."
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
        help="NAS-Bench-Graph tasks to import (e.g. cora citeseer or nbg/cora); default: all 9 but the held-out one",
    )
    parser.add_argument("--held-out", default="nbg/photo", help="the new task to warm-start (default nbg/photo)")
    parser.add_argument("--population", type=int, default=20, help="population size (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random parts (default 0)")
    parser.add_argument("--config", help="warm-start YAML config (default: configs/warm_start.yaml's defaults)")
    parser.add_argument("--top", type=int, default=1, help="best architectures to list per past task (default 1)")
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
    from metanas.benchmarks import get_suite, import_suite
    from metanas.db import ExperimentDatabase

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
    import numpy as np

    from metanas.benchmarks import get_suite
    from metanas.cli._db import print_database, print_imports
    from metanas.cli._warm_start import format_population
    from metanas.exceptions import ConfigError
    from metanas.warm_start import WarmStartConfig, WarmStarter

    if args.top < 0:
        raise ConfigError(f"--top must be an integer >= 0, got {args.top}")
    suite = get_suite("nasbench-graph")
    held_out = suite.resolve(args.held_out)
    tasks = [suite.resolve(t) for t in args.tasks] if args.tasks else suite.task_ids()
    tasks = [t for t in tasks if t != held_out]
    config = WarmStartConfig.from_yaml(args.config) if args.config else WarmStartConfig(seed=args.seed)
    target = args.db if "://" in str(args.db) else str(Path(args.db).expanduser().resolve())
    print(f"building the NAS-Bench-Graph experiment database in {target} (history of {len(tasks)} tasks; "
          f"held out: {held_out})")
    db, results = build_demo_db(target, tasks)
    with db:
        print_imports(results)
        print()
        print_database(db, args.top)
        print()
        task = suite.task(held_out)
        space = suite.space(held_out)
        table = suite.table(held_out)
        plan = WarmStarter(db, config).plan(task, args.population, space, rng=np.random.default_rng(args.seed))
    rng = np.random.default_rng(args.seed)
    random_pop = []
    while len(random_pop) < args.population:
        g = space.sample(rng)
        if all(space.key(g) != space.key(h) for h in random_pop):
            random_pop.append(g)

    def rows(members):
        return [{"index": i, "source": m.source, "from_task": m.task_id, "score_there": m.score,
                 "similarity": m.similarity, "architecture": m.graph.to_dict(),
                 "true_score": table.lookup(m.graph)[table.objective]} for i, m in enumerate(members)]

    sims = ", ".join(f"{t} ({s:.3f})" for t, s in plan.similar_tasks) or "none"
    print(f"warm-started population for {held_out} ({plan.metric}; similar tasks: {sims})")
    for note in plan.notes:
        print(f"note: {note}")
    print(format_population(rows(plan.members), space))
    print()
    from metanas.warm_start import PopulationMember

    print(f"random population for {held_out} (seed {args.seed})")
    print(format_population(rows([PopulationMember(g, "random") for g in random_pop]), space))
    print()
    values = table.values
    for name, graphs in (("warm-started", plan.graphs), ("random", random_pop)):
        scores = np.array([table.lookup(g)[table.objective] for g in graphs])
        best = scores.max()
        pct = 100.0 * float((values > best).mean())
        print(f"{name:>13}: best true {table.objective} {best:.4f} (top {pct:.2f}% of {len(values)} "
              f"architectures), mean {scores.mean():.4f}")
    print(f"{held_out} table best: {table.best_value():.4f}")
    print(f"inspect the database with: metanas db show --db {target}")
    return 0
