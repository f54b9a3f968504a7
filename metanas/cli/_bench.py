"""``metanas bench``: the leave-one-task-out speedup benchmark."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="leave-one-task-out speedup benchmark of warm-started search",
        description="For each held-out task: build a history from the other tasks, run each method's search "
                    "(its own strategy, default regularized evolution) and compare evaluations-to-target with "
                    "the baseline (regularized evolution from a random population; same seeds). Writes runs.csv, "
                    "curves.csv.gz and summary.json to --out.",
    )
    p.add_argument("--suite", default="nasbench-graph",
                   help="a registered suite: nasbench-graph (default), nb201, or one a --plugin registers")
    p.add_argument("--methods", default="random,dataset_meta",
                   help="comma-separated methods (the baseline is always included); see --list-methods")
    p.add_argument("--baseline", default="random",
                   help="the method every speedup is measured against (default random: regularized evolution from "
                        "a random population); it always runs")
    p.add_argument("--tasks", default=None, help="comma-separated held-out tasks (default: the suite's default tasks)")
    p.add_argument("--pool", default=None,
                   help="comma-separated tasks the histories are drawn from (default: the suite's default tasks, "
                        "whichever are held out)")
    p.add_argument("--seeds", type=int, default=30, help="search seeds per fold (default 30)")
    p.add_argument("--history-seeds", type=int, default=3, help="history draws per fold (default 3)")
    p.add_argument("--budget", type=int, default=None, help="evaluations per search (default 300; 1000 for --target best)")
    p.add_argument("--history", default="random-1000", help="random-1000 (default), full or trajectory")
    p.add_argument("--history-size", type=int, default=1000,
                   help="rows per past task of a random history, or evaluations of a trajectory (default 1000); "
                        "e.g. --history-size 200 --pool A,B for a team with one small past search")
    p.add_argument("--target", default="top0.1",
                   help="topP: the task's top-P%% quantile of the objective, P in (0, 100), e.g. top0.1 (default), "
                        "top1, top2.5; or best")
    p.add_argument("--method-option", action="append", default=[], metavar="METHOD:KEY=VALUE",
                   help="a keyword option of one method (repeatable; VALUE is read as JSON, else as a string), "
                        "e.g. transfer-bo:kappa=2, dataset_meta:strategy=random, or a warm start's cost weight "
                        "dataset_meta:config='{\"cost_weight\": 1}' (on suites whose tables have costs)")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE first (repeatable), so that the suites and methods it registers are "
                        "available, e.g. --plugin benchmarks.methods from the repository root")
    p.add_argument("--evaluator", default="benchmark",
                   help="evaluator (registry name, default benchmark: the table lookup); see --list-evaluators")
    p.add_argument("--noise", default="none", choices=("none", "seed"),
                   help="none (default): each evaluation sees the table value; seed: one training seed's value drawn "
                        "per evaluation (suites with per-seed values: nb201-pypi), seeded per search seed; "
                        "targets stay on the seed-mean of the evaluated architectures")
    p.add_argument("--shuffle-history", action="store_true", help="control: permute history scores across architectures")
    p.add_argument("--objective", default=None, help="metric to optimise (default val_acc)")
    p.add_argument("--nb201-dir", default=None, help="folder of the NAS-Bench-201 tables")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU count)")
    p.add_argument("--cache-dir", default=None, help="fold-model cache folder")
    p.add_argument("--out", required=False, help="output folder")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out (same settings; --workers and --cache-dir may differ): jobs whose "
                        "rows runs.csv holds are not run again")
    p.add_argument("--plot", action="store_true", help="also write PNG figures to --out")
    p.add_argument("--list-methods", action="store_true", help="list the registered methods and exit")
    p.add_argument("--list-suites", action="store_true", help="list the registered suites and exit")
    p.add_argument("--list-strategies", action="store_true", help="list the registered search strategies and exit")
    p.add_argument("--list-evaluators", action="store_true", help="list the registered evaluators and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from metanas.benchmarks import suite_names
    from metanas.benchmarks.loto import LotoSettings, method_names, render_info, render_summary, run_loto
    from metanas.exceptions import ConfigError
    from metanas.resources import check_output_folder
    from metanas.search import evaluator_names, strategy_names

    for module in args.plugin:
        load_plugin(module)
    for flag, names in (("list_methods", method_names), ("list_suites", suite_names),
                        ("list_strategies", strategy_names), ("list_evaluators", evaluator_names)):
        if getattr(args, flag):
            print("\n".join(names()))
            return 0
    if not args.out:
        raise ConfigError("'--out' is required: the folder that receives runs.csv, curves.csv.gz and summary.json")
    check_output_folder(args.out, "--out")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be an integer >= 1 (worker processes), got {args.workers}; "
                          "omit it to use one per CPU")
    budget = args.budget if args.budget is not None else (1000 if args.target == "best" else 300)
    settings = LotoSettings(
        suite=args.suite,
        tasks=tuple(t for t in args.tasks.split(",") if t) if args.tasks else None,
        pool=tuple(t for t in args.pool.split(",") if t) if args.pool else None,
        methods=tuple(m for m in args.methods.split(",") if m),
        baseline=args.baseline,
        seeds=args.seeds,
        history_seeds=args.history_seeds,
        budget=budget,
        history=args.history,
        history_size=args.history_size,
        target=args.target,
        method_options=parse_method_options(args.method_option),
        evaluator=args.evaluator,
        noise=args.noise,
        shuffle_history=args.shuffle_history,
        objective=args.objective,
        nb201_dir=args.nb201_dir,
        workers=args.workers,
        cache_dir=args.cache_dir,
    )
    result = run_loto(settings, progress=sys.stderr.isatty(), out=args.out, resume=args.resume)
    out = args.out
    print(render_summary(result.summary))
    info = render_info(result.summary)
    if info:
        print(f"\n{info}")
    print(f"wrote {out}/runs.csv, curves.csv.gz, summary.json in {result.seconds:.1f} s")
    if args.plot:
        from metanas.benchmarks.plots import plot_all

        for path in plot_all(out):
            print(f"wrote {path}")
    return 0


def load_plugin(module: str) -> None:
    """Import ``module`` (``--plugin``): its import registers suites and methods. The module is
    looked up as ``python -m`` would: the current folder first, then the installed packages.

    Raises:
        ConfigError: the module cannot be imported (named, with the import error).
    """
    import importlib
    import os

    from metanas.exceptions import ConfigError

    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"--plugin {module!r} cannot be imported ({exc}); give an importable module, e.g. "
                          "--plugin benchmarks.methods run from the repository root") from None


def parse_method_options(items: list[str]) -> dict[str, dict]:
    """``["METHOD:KEY=VALUE", ...]`` -> ``{METHOD: {KEY: VALUE}}`` (`parse_options` per method).

    Raises:
        ConfigError: an item without ``METHOD:``, or as in `parse_options`.
    """
    from metanas.exceptions import ConfigError

    by_method: dict[str, list[str]] = {}
    for item in items:
        method, sep, option = item.partition(":")
        if not sep or not method.strip() or "=" in method:
            raise ConfigError(f"'--method-option' takes METHOD:KEY=VALUE (e.g. --method-option transfer-bo:kappa=2), "
                              f"got {item!r}")
        by_method.setdefault(method.strip(), []).append(option)
    return {m: parse_options(opts, f"--method-option {m}:") for m, opts in by_method.items()}


def parse_options(items: list[str], flag: str) -> dict:
    """``["k=v", ...]`` -> ``{k: v}``; each value is parsed as JSON (numbers, booleans, null,
    lists), else kept as a string.

    Raises:
        ConfigError: an item without ``=`` or with an empty key, or a key given twice.
    """
    from metanas.exceptions import ConfigError

    out: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"'{flag}' takes KEY=VALUE (e.g. {flag} population_size=50), got {item!r}")
        if key in out:
            raise ConfigError(f"'{flag}' sets {key!r} twice; give each key once")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out
