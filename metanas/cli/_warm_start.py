"""``metanas warm-start``: print a warm-started initial population and where each member came from."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "warm-start",
        help="warm-start a population for a task from the experiment database",
        description="Find past tasks similar to --task in the database, transfer their best diverse "
                    "architectures and fill the rest randomly; print the population with provenance. The task "
                    "is a benchmark task (--suite), a task recorded in the database (e.g. by metanas search; "
                    "with --space), or one described in a YAML file (--task-file, with --space).",
    )
    p.add_argument("--db", required=True, help="experiment database: a SQLite file path or a SQLAlchemy URL")
    p.add_argument("--suite", help="benchmark suite of the task: nasbench-graph or nb201 (omit for a task of the "
                                   "database or of --task-file)")
    p.add_argument("--task", help="the new task, e.g. nbg/photo or photo; without --suite a task id of the database")
    p.add_argument("--task-file", help="YAML of the new task's metadata (the fields of TaskMetadata: task_id, "
                                       "dataset_name, num_samples, num_classes, input_size, problem_type, "
                                       "meta_features); needs --space")
    p.add_argument("--space", help="search space of a task of the database or of --task-file, e.g. nb201")
    p.add_argument("--population", type=int, default=20, help="population size (default 20)")
    p.add_argument("--config", help="warm-start YAML config (keys of WarmStartConfig), e.g. configs/warm_start.yaml")
    p.add_argument("--seed", type=int, default=None, help="seed of the random fill (default: the config's seed)")
    p.add_argument("--nb201-dir", help="folder of the NAS-Bench-201 tables (default: METANAS_NB201_DIR or ../shared)")
    p.add_argument("--scores", action="store_true", help="also print each member's true score on the task (benchmark lookup)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from metanas.benchmarks import get_suite
    from metanas.cli._db import open_existing
    from metanas.exceptions import ConfigError
    from metanas.spaces import get_space
    from metanas.warm_start import WarmStartConfig, WarmStarter

    if args.seed is not None and args.seed < 0:
        raise ConfigError(f"--seed must be an integer >= 0 (the seed of the random fill), got {args.seed}")
    if (args.task is None) == (args.task_file is None):
        raise ConfigError("give the new task with exactly one of --task (a benchmark task with --suite, or a task "
                          "id of the database) or --task-file (a YAML of its metadata)")
    suite = None
    if args.suite is not None:
        if args.task_file is not None:
            raise ConfigError("--suite takes --task (a benchmark task), not --task-file")
        suite = get_suite(args.suite, **({} if args.nb201_dir is None else {"nb201_dir": args.nb201_dir}))
        task = suite.task(args.task)
        space = suite.space(task.task_id)
    else:
        if args.space is None:
            raise ConfigError("--space is needed for a task of the database or of --task-file (e.g. --space nb201); "
                              "a benchmark task takes --suite instead")
        if args.scores:
            raise ConfigError("--scores looks up benchmark tables: it needs --suite")
        space = get_space(args.space)
        task = _task_from_file(args.task_file) if args.task_file is not None else None
    config = WarmStartConfig.from_yaml(args.config) if args.config else WarmStartConfig()
    seed = config.seed if args.seed is None else args.seed
    with open_existing(args.db) as db:  # a mistyped path is an error, not a new, empty database
        if task is None:
            task = db.get_task(args.task)  # a task recorded by metanas search (unknown id: one line)
        plan = WarmStarter(db, config).plan(task, args.population, space, rng=np.random.default_rng(seed))
    table = suite.table(task.task_id) if suite is not None and args.scores else None
    rows = []
    for i, m in enumerate(plan.members):
        row = {
            "index": i,
            "source": m.source,
            "from_task": m.task_id,
            "score_there": m.score,
            "similarity": m.similarity,
            "architecture": m.graph.to_dict(),
        }
        if table is not None:
            row["true_score"] = table.lookup(m.graph)[table.objective]
        rows.append(row)
    if args.json:
        print(json.dumps({"task": task.task_id, "metric": plan.metric, "similar_tasks": plan.similar_tasks,
                          "notes": plan.notes, "population": rows}, indent=2))
        return 0
    print(f"warm start for {task.task_id} ({plan.metric}); similar tasks: "
          + (", ".join(f"{t} ({s:.3f})" for t, s in plan.similar_tasks) or "none"))
    for note in plan.notes:
        print(f"note: {note}")
    print(format_population(rows, space))
    return 0


def _task_from_file(path: str):
    """The new task's metadata from a YAML mapping (the fields of `TaskMetadata`)."""
    from metanas.exceptions import ConfigError, InvalidTaskError
    from metanas.resources import read_yaml_mapping
    from metanas.tasks import TaskMetadata

    _, data = read_yaml_mapping(path, "--task-file")
    try:
        return TaskMetadata.from_dict(data)
    except InvalidTaskError as exc:
        raise ConfigError(f"--task-file {path!r}: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"--task-file {path!r}: not a task's metadata ({exc}); give task_id, dataset_name, "
                          "num_samples, num_classes, input_size, problem_type and optionally meta_features") from exc


def format_population(rows: list[dict], space) -> str:
    """Fixed-width table of population rows (index, source, task, score there, similarity, [true score], ops)."""
    has_true = any("true_score" in r for r in rows)
    head = f"{'#':>3} {'source':<9}{'from task':<16}{'score there':>12}{'similarity':>11}"
    head += f"{'true score':>11}" if has_true else ""
    lines = [head + "  architecture", "-" * (len(head) + 40)]
    for r in rows:
        from metanas.graph import ModelGraph

        g = ModelGraph.from_dict(r["architecture"])
        desc = describe(g, space)
        line = (f"{r['index']:>3} {r['source']:<9}{(r['from_task'] or '-'):<16}"
                f"{_fmt(r['score_there']):>12}{_fmt(r['similarity']):>11}")
        if has_true:
            line += f"{_fmt(r.get('true_score')):>11}"
        lines.append(f"{line}  {desc}")
    return "\n".join(lines)


def describe(graph, space) -> str:
    """Short text of an architecture in its space's own notation where there is one."""
    for attr in ("encode", "to_arch"):
        fn = getattr(space, attr, None)
        if fn is not None:
            try:
                out = fn(graph)
            except Exception:  # noqa: BLE001 - description only
                break
            if isinstance(out, tuple):
                link, ops = out
                return f"link={list(link)} ops={list(ops)}"
            return str(out)
    return " ".join(graph.operations)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.4f}"
