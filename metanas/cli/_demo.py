"""``metanas demo``: what metanas is for, measured: a search that learns from past searches against a cold one.

On a held-out NAS-Bench-Graph task (the package ships its tables, so it runs on a fresh
machine): the benchmark's history of the other tasks, the project's best library method (chosen
from the committed results by `metanas.benchmarks.demo.choose`) against regularized evolution
from a random population, a few seeds; prints evaluations-to-target of both, the saving, a
best-so-far curve and where to go next (`metanas.benchmarks.demo` does the measuring).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``demo`` command to the CLI's sub-parsers (without importing the benchmarks: the
    defaults are resolved when it runs; a test checks the help names them)."""
    parser = sub.add_parser(
        "demo",
        help="measure the search time warm-starting saves on a held-out NAS-Bench-Graph task",
        description=(
            "One fold of the leave-one-task-out benchmark (`metanas bench`): hold a NAS-Bench-Graph task out, build "
            "the history of the other tasks of its search space (1,000 random table rows each), prepare the "
            "method on that history only, then run regularized evolution (population 20, tournament 5) "
            "from a random population (cold) and the method's search, for each seed, and print how many "
            "evaluations each needed to reach the task's top-0.1% validation accuracy, the saving and the "
            "best-so-far curves. The default method is the library method with the highest median speedup in "
            "the committed NAS-Bench-Graph top-0.1% results (benchmarks/results, its latest run), the default "
            "task the one where it helps nearest its median (metanas.benchmarks.demo.choose); the figures the "
            "demo quotes are read from that summary."
        ),
    )
    parser.add_argument("--held-out", default=None,
                        help="the new task (default: chosen from the committed results with the method; any "
                             "NAS-Bench-Graph task of the 9-op space)")
    parser.add_argument("--method", default=None,
                        help="a registered LOTO method (default: the best library method of the committed results; "
                             "see `metanas bench --list-methods`)")
    parser.add_argument("--seeds", type=int, default=10, help="search seeds 0..N-1 (default 10)")
    parser.add_argument("--budget", type=int, default=300, help="evaluations per search (default 300)")
    parser.add_argument("--history-seed", type=int, default=0, help="which history draw (default 0)")
    parser.add_argument("--db", default=None,
                        help="keep the fold's history database in this new SQLite file (default: a temporary one)")
    parser.add_argument("--cache-dir", default=None,
                        help="fold-model cache folder (default: the benchmark's, in the temp folder)")
    parser.add_argument("--out", default=None, help="also write the curves as a PNG figure to this path")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads of the numerical libraries and torch (default 1: on a busy machine "
                             "more threads are often many times slower, as with metanas search --threads)")
    parser.set_defaults(func=_run)


def _check_args(args: argparse.Namespace) -> None:
    from metanas.exceptions import ConfigError

    if args.out is not None:
        out = Path(args.out).expanduser()
        if out.suffix.lower() != ".png" or out.is_dir():
            raise ConfigError(f"--out must be the path of a .png file to write, got {args.out!r}; e.g. --out demo.png")
        if not out.parent.is_dir():
            raise ConfigError(f"--out {args.out!r}: the folder {out.parent} does not exist; create it first")
    if isinstance(args.threads, bool) or not isinstance(args.threads, int) or args.threads < 1:
        raise ConfigError(f"--threads must be an integer >= 1, got {args.threads!r}; e.g. --threads 1")
    if args.db is not None and ("://" in args.db or Path(args.db).expanduser().exists()):
        raise ConfigError(f"--db must be the path of a new SQLite file (the demo builds the fold's history in it), "
                          f"got {args.db!r}, which exists or is a URL; remove it or choose another path")


def _run(args: argparse.Namespace) -> int:
    from metanas.benchmarks.demo import choose, demo_settings

    start = time.perf_counter()
    _check_args(args)
    chosen = None
    if args.held_out is None or args.method is None:
        chosen = choose()
        args.held_out = args.held_out or chosen.task
        args.method = args.method or chosen.method
    settings = demo_settings(args.method, seeds=args.seeds, budget=args.budget, cache_dir=args.cache_dir)
    with tempfile.TemporaryDirectory(prefix="metanas-demo-") as tmp, threads(args.threads):
        db_path = Path(args.db).expanduser() if args.db else Path(tmp) / "history.db"
        comparison = _measure(args, settings, str(db_path), chosen)
    _report(args, comparison, time.perf_counter() - start)
    return 0


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Limit the BLAS/OpenMP pools (threadpoolctl) and torch's intra-op threads to ``n`` while the
    demo measures, and restore them afterwards (the demo used every core's thread before, 264 s to
    prepare on a loaded machine against 29 s with one)."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)


def _say(text: str = "") -> None:
    print(text, flush=True)


def _measure(args: argparse.Namespace, settings: Any, db_path: str, chosen: Any) -> Any:
    from metanas.benchmarks.demo import compare, open_fold

    _say("metanas demo: does learning from past searches save search time on a new task?")
    _say()
    c = chosen
    if c is not None and (args.held_out, args.method) == (c.task, c.method):
        column = "" if c.column == c.method else f"; its column {c.column} runs the same searches"
        _say(f"held-out task {c.task}, method {c.method}: the library method with the highest median speedup in the "
             f"committed results ({c.folder}, {c.date}{column}):")
        _say(f"  median {c.median_speedup_over_tasks:.2f}x fewer evaluations than random over the {c.num_tasks} "
             f"tasks, {c.worst_speedup:.2f}x on {c.worst_task} (the worst); on {c.task}, the fold where it helps "
             f"nearest its median,")
        _say(f"  {c.speedup:.2f}x (median {c.method_median:g} against {c.random_median:g} evaluations over "
             f"{c.runs} runs).")
    elif c is not None:
        which = ("held-out task {} (the committed results' choice), method {} (--method)" if c.task == args.held_out
                 else "held-out task {} (--held-out), method {} (the committed results' choice)")
        _say(which.format(args.held_out, args.method))
    else:
        _say(f"held-out task {args.held_out}, method {args.method} (chosen with --held-out / --method)")
    fold = open_fold(settings, args.held_out, args.history_seed, db_path)
    try:
        past = ", ".join(t.split("/", 1)[-1] for t in fold.past_tasks)
        where = f"kept in {db_path}" if args.db else "a temporary SQLite database"
        _say(f"history: {settings.history_size:,} random table rows of each of the {len(fold.past_tasks)} other "
             f"tasks ({past}; history seed {args.history_seed}), {where}; never {fold.task.task_id}")
        if args.method.startswith("task_embedding"):
            _say(f"preparing {args.method}: a meta-learner trained on that history only (the first time; then "
                 "loaded from the fold cache), then the searches...")
        else:
            _say(f"preparing {args.method} on that history, then the searches...")
        comparison = compare(fold, args.method, range(args.seeds))
    finally:
        fold.db.close()
    _say(f"  prepared in {comparison.prepare_seconds:.1f} s; {2 * len(comparison.seeds)} searches in "
         f"{comparison.seconds - comparison.prepare_seconds:.1f} s")
    return comparison


def _report(args: argparse.Namespace, c: Any, seconds: float) -> None:
    from metanas.benchmarks.demo import text_curve

    _say(f"target: {c.objective} >= {c.target:.4f}, the top 0.1% of {c.task} ({c.num_at_target} of its "
         f"architectures; best {c.best:.4f})")
    _say(f"budget {c.budget} evaluations per search, seeds 0..{len(c.seeds) - 1}")
    _say(f"  cold: {c.searches['cold']}")
    _say(f"  warm: {c.searches['warm']}" + (" (its random fill drawn from a stream of its own, not the cold "
                                             "population's)" if "warm start" in c.searches["warm"] else ""))
    _say()
    _say(f"evaluations to reach the target ({c.budget + 1} = not reached within the budget)")
    width = max(4, len(str(c.budget + 1)) + 1)
    _say("seed    " + "".join(f"{s:>{width}}" for s in c.seeds) + "   median")
    for which in ("cold", "warm"):
        flag = "+" if c.censored(which) else ""
        _say(f"{which:<8}" + "".join(f"{e:>{width}}" for e in c.evals[which]) + f"   {c.median(which):>6g}{flag}")
    _say()
    _say(_saving(c))
    _say(f"(one fold: history seed {args.history_seed}, {len(c.seeds)} search seeds; the benchmark repeats it over "
         "history draws and 30 seeds per task)")
    _say()
    _say(f"median best-so-far {c.objective} over the {len(c.seeds)} seeds (w: warm-started, c: cold, *: both)")
    _say(text_curve({"warm": c.curves["warm"], "cold": c.curves["cold"]}, c.target,
                    marks={"warm": "w", "cold": "c"}))
    if args.out:
        from metanas.benchmarks.demo import plot_comparison

        _say(f"figure written to {plot_comparison(c, args.out)}")
    from metanas.benchmarks.demo import QUICKSTART

    _say(f"done in {seconds:.1f} s; the full benchmark: metanas bench --methods random,{c.method}")
    _say(f"next: {QUICKSTART} (your own history and task, the library in a few lines; `mkdocs serve` shows the "
         "docs site)")


def _saving(c: Any) -> str:
    cold, warm = c.median("cold"), c.median("warm")
    if c.censored("warm"):
        return (f"no saving measured: the {c.method} search's median run did not reach the target within "
                f"{c.budget} evaluations (cold median {cold:g})")
    bound = "at least " if c.censored("cold") else ""
    if c.speedup <= 1.0:
        return (f"no saving on this fold: median {warm:g} evaluations warm-started against {cold:g} cold "
                f"({c.speedup:.2f}x)")
    return (f"saving: the {c.method} search reached the target in {warm:g} evaluations instead of {cold:g} "
            f"(medians over {len(c.seeds)} seeds): {bound}{c.speedup:.2f}x fewer evaluations, {bound}"
            f"{100 * c.reduction:.0f}% of the search saved")

