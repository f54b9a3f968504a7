"""``metanas bench``: the leave-one-task-out speedup benchmark."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="leave-one-task-out speedup benchmark of warm-started search",
        description="For each held-out task: build a history from the other tasks, warm-start regularized "
                    "evolution, and compare evaluations-to-target with a random initial population "
                    "(same seeds). Writes runs.csv, curves.csv.gz and summary.json to --out.",
    )
    p.add_argument("--suite", default="nasbench-graph", help="nasbench-graph (default) or nb201")
    p.add_argument("--methods", default="random,dataset_meta",
                   help="comma-separated methods (random is always included); see --list-methods")
    p.add_argument("--tasks", default=None, help="comma-separated held-out tasks (default: the suite's default tasks)")
    p.add_argument("--seeds", type=int, default=30, help="search seeds per fold (default 30)")
    p.add_argument("--history-seeds", type=int, default=3, help="history draws per fold (default 3)")
    p.add_argument("--budget", type=int, default=None, help="evaluations per search (default 300; 1000 for --target best)")
    p.add_argument("--history", default="random-1000", help="random-1000 (default), full or trajectory")
    p.add_argument("--target", default="top0.1", help="top0.1 (default: top-0.1%% validation quantile) or best")
    p.add_argument("--shuffle-history", action="store_true", help="control: permute history scores across architectures")
    p.add_argument("--objective", default=None, help="metric to optimise (default val_acc)")
    p.add_argument("--nb201-dir", default=None, help="folder of the NAS-Bench-201 tables")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU count)")
    p.add_argument("--cache-dir", default=None, help="fold-model cache folder")
    p.add_argument("--out", required=False, help="output folder")
    p.add_argument("--plot", action="store_true", help="also write PNG figures to --out")
    p.add_argument("--list-methods", action="store_true", help="list the registered methods and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from metanas.benchmarks.loto import LotoSettings, format_table, method_names, run_loto
    from metanas.exceptions import ConfigError

    if args.list_methods:
        print("\n".join(method_names()))
        return 0
    if not args.out:
        raise ConfigError("'--out' is required: the folder that receives runs.csv, curves.csv.gz and summary.json")
    budget = args.budget if args.budget is not None else (1000 if args.target == "best" else 300)
    settings = LotoSettings(
        suite=args.suite,
        tasks=tuple(t for t in args.tasks.split(",") if t) if args.tasks else None,
        methods=tuple(m for m in args.methods.split(",") if m),
        seeds=args.seeds,
        history_seeds=args.history_seeds,
        budget=budget,
        history=args.history,
        target=args.target,
        shuffle_history=args.shuffle_history,
        objective=args.objective,
        nb201_dir=args.nb201_dir,
        workers=args.workers,
        cache_dir=args.cache_dir,
    )
    result = run_loto(settings, progress=sys.stderr.isatty())
    out = result.write(args.out)
    print(format_table(result.summary))
    print(f"wrote {out}/runs.csv, curves.csv.gz, summary.json in {result.seconds:.1f} s")
    if args.plot:
        from metanas.benchmarks.plots import plot_all

        for path in plot_all(out):
            print(f"wrote {path}")
    return 0
