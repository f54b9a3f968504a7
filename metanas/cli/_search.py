"""``metanas search``: a real, warm-started architecture search on your data, recorded in the database."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from metanas.pipeline import RealSearch
    from metanas.spaces import SearchSpace


def register(sub: Any) -> None:
    """Add the ``search`` command to the CLI's sub-parsers."""
    p = sub.add_parser(
        "search",
        help="search architectures on your data (real training), warm-started from the database",
        description="Extract the task's meta-features from the data, store the task, warm-start the initial "
                    "population from similar past tasks in the database, run the strategy with a training "
                    "evaluator and record every evaluation as it finishes (a killed search resumes with --resume). "
                    "Prints the best architecture and writes a best-so-far curve to --out.",
    )
    p.add_argument("--db", required=True, help="experiment database: a SQLite file path or a SQLAlchemy URL")
    p.add_argument("--space", required=True,
                   help="search space: nb201 (images), nbg (graphs), mlp (tables) or a registered id")
    p.add_argument("--data", required=True,
                   help="PATH.npz, PATH.csv (a 'target' column), sklearn:digits[?classes=0-4&noise=0.2&seed=0], "
                        "pyg:sbm[?nodes=2000&blocks=4&seed=0] or a table: sklearn:breast_cancer, sklearn:wine, "
                        "sklearn:iris, sklearn:diabetes")
    p.add_argument("--task-id", required=True, help="id of the task in the database, e.g. mine/digits-a")
    p.add_argument("--task-name", default=None, help="dataset name stored with the task (default: --data)")
    p.add_argument("--budget", type=int, default=None, help="evaluations, initial population included (config: 20)")
    p.add_argument("--strategy", default=None, help="search strategy (config: regularized_evolution)")
    p.add_argument("--warm-start", action=argparse.BooleanOptionalAction, default=True,
                   help="seed the population from similar past tasks (default) or start at random")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads torch trains with (config search.threads; default: torch's, one per core); "
                        "1 is often fastest on a machine shared with other jobs")
    p.add_argument("--config", default=None,
                   help="search YAML (sections search, warm_start, training) or a preset: 'small' (the default, "
                        "configs/search.yaml: small networks that train in seconds on a CPU) or 'benchmark' "
                        "(configs/search_benchmark.yaml: the benchmarks' networks, ~20x slower)")
    p.add_argument("--out", default=None, help="folder for best_so_far.png and search.json")
    p.add_argument("--resume", action="store_true", help="continue the task's latest unfinished search")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    from metanas.cli._optuna import add_engine_arguments

    add_engine_arguments(p)  # --engine optuna --storage URL --workers N (metanas/cli/_optuna.py)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from metanas.cli._warm_start import describe
    from metanas.db import ExperimentDatabase
    from metanas.exceptions import ConfigError
    from metanas.networks._data import load_data
    from metanas.pipeline import check_space_fits_data, load_search_config, run_real_search
    from metanas.spaces import get_space

    settings, ws_config, training = load_search_config(args.config)
    if args.budget is not None:
        if args.budget < 1:
            raise ConfigError(f"--budget must be an integer >= 1, got {args.budget}")
        settings = replace(settings, budget=args.budget)
    if args.strategy is not None:
        settings = replace(settings, strategy=args.strategy)
    if args.threads is not None:
        if args.threads < 1:
            raise ConfigError(f"--threads must be an integer >= 1, got {args.threads}")
        settings = replace(settings, threads=args.threads)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; pass a folder")
    space = get_space(args.space)
    data = load_data(args.data)
    task = data.task(args.task_id, args.task_name or args.data)
    check_space_fits_data(space, data, training)  # before the database is opened or anything trains
    if args.engine == "optuna":
        from metanas.cli._optuna import run_search_engine

        return run_search_engine(args, settings, ws_config, training, space, data, task)
    with ExperimentDatabase(args.db) as db:
        found = run_real_search(db, space, data, task, settings=settings, warm_start=args.warm_start,
                                warm_start_config=ws_config, training=training, resume=args.resume,
                                progress=not args.no_progress)
    res = found.result
    best = res.best()
    counts: dict[str, int] = {}
    for origin in found.origins:
        counts[origin] = counts.get(origin, 0) + 1
    print(f"task {task.task_id}: {len(res)} evaluations ({found.trained} trained now, {found.replayed} read back), "
          f"{sum(e.failure is not None for e in res.evaluations)} failed; run {found.run_id}")
    sims = ", ".join(f"{t} ({s:.3f})" for t, s in found.similar_tasks) or "none"
    designed = any(o.startswith("design:") for o in found.origins)  # the strategy read the past tasks itself
    print(f"initial population of {len(found.initial)}: "
          + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
          + (f"; past tasks read (final ensemble weight): {sims}" if designed else f"; similar past tasks: {sims}"))
    print(f"best: {describe(best.graph, space)}")
    objective = res.objective or "val_acc"  # val_acc; val_r2 for a tabular regression
    label = "" if objective == "val_acc" else f"{objective.removeprefix('val_')} "
    test = best.metrics.get("test_" + objective.removeprefix("val_"), float("nan"))
    print(f"  validation {label}{best.metrics[objective]:.4f}, test {label}{test:.4f}, "
          f"{int(best.metrics.get('params', 0))} parameters, step {best.step}, from {found.origin_of(best.graph)}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        _write_outputs(out, found, space)
        print(f"wrote {out / 'best_so_far.png'} and {out / 'search.json'}")
    return 0


def _write_outputs(out: Path, found: RealSearch, space: SearchSpace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from metanas.cli._warm_start import describe

    res = found.result
    fig, ax = plt.subplots(figsize=(6, 3.5))
    steps = range(1, len(res) + 1)
    ax.plot(steps, res.best_so_far, drawstyle="steps-post", label="best so far")
    ax.scatter(steps, res.objectives, s=10, alpha=0.5, label="evaluation")
    ax.axvline(len(found.initial) + 0.5, color="grey", lw=0.8, ls="--", label="end of initial population")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("validation accuracy" if res.objective in (None, "val_acc") else res.objective)
    ax.set_title(found.task.task_id)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "best_so_far.png", dpi=120)
    plt.close(fig)
    rows = [{"step": e.step, "architecture": describe(e.graph, space), "origin": found.origin_of(e.graph),
             "failure": e.failure, "cost_seconds": e.cost, **dict(e.metrics)} for e in res.evaluations]
    (out / "search.json").write_text(json.dumps({"task": found.task.to_dict(), "run_id": found.run_id,
                                                 "similar_tasks": found.similar_tasks, "evaluations": rows},
                                                indent=2, default=str))
