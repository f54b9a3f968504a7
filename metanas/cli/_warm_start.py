"""``metanas warm-start``: print a warm-started initial population and where each member came from."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "warm-start",
        help="warm-start a population for a task from the experiment database",
        description="Find past tasks similar to --task in the database, transfer their best diverse "
                    "architectures and fill the rest randomly; print the population with provenance.",
    )
    p.add_argument("--db", required=True, help="experiment database: a SQLite file path or a SQLAlchemy URL")
    p.add_argument("--suite", required=True, help="benchmark suite of the task: nasbench-graph or nb201")
    p.add_argument("--task", required=True, help="the new task, e.g. nbg/photo or photo")
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
    from metanas.warm_start import WarmStartConfig, WarmStarter

    if args.seed is not None and args.seed < 0:
        raise ConfigError(f"--seed must be an integer >= 0 (the seed of the random fill), got {args.seed}")
    suite = get_suite(args.suite, **({} if args.nb201_dir is None else {"nb201_dir": args.nb201_dir}))
    task = suite.task(args.task)
    space = suite.space(task.task_id)
    config = WarmStartConfig.from_yaml(args.config) if args.config else WarmStartConfig()
    seed = config.seed if args.seed is None else args.seed
    with open_existing(args.db) as db:  # a mistyped path is an error, not a new, empty database
        plan = WarmStarter(db, config).plan(task, args.population, space, rng=np.random.default_rng(seed))
    table = suite.table(task.task_id) if args.scores else None
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
