"""A real warm-started search against a cold one on a pair of related real tasks (a benchmark, not a test).

For a pair of tasks (first, second) it

1. runs one search of the first task (random initial population) into a fresh experiment
   database: the history;
2. for each seed, runs two searches of the second task with the same budget, strategy and
   seed, each in its own copy of that history database (so no search sees another search of
   the second task): *warm* (initial population warm-started from the first task, as
   ``metanas search`` does) and *cold* (``--no-warm-start``: a random population);
3. reports, per seed and as median and range over the seeds, the cold search's final best
   validation accuracy (the target), and for both searches the evaluations and the training
   seconds needed to reach it. A warm search that never reaches it within the budget is
   censored (``>budget``; counted as ``budget + 1`` evaluations and its total seconds, both
   lower bounds, in the medians).

Every architecture is trained with the same split and initialisation seed, so its result is
a function of the architecture; an architecture asked again (by another search of the same
task) gets its first result, and its recorded training seconds, without being trained again.
Seconds to reach the target are the sums of those recorded training seconds up to that step
(training only: no warm-start or strategy overhead, which is milliseconds).

Pairs (`PAIRS`):

* ``digits``: scikit-learn's digits, classes 0-4 first, classes 5-9 second. The same 8x8
  pen-stroke images from the same writers, the same 5-way problem and nearly the same number
  of samples: only which digits differ. What makes an NAS-Bench-201 cell good at these
  images (convolutions against pooling / ``none`` on the cell's edges) should not depend on
  the digits, so transfer is plausible; the warm start's ``dataset_meta`` similarity finds
  the first task (similarity ~1).
* ``digits-noisy``: as ``digits``, both tasks with strong Gaussian pixel noise (sigma 0.6,
  independent draws). On clean digits the NB201 cell networks reach 99-100% validation
  accuracy within a few evaluations, so warm and cold both hit the ceiling at once; with this
  noise and 2 epochs random cells score about 0.47-0.67, so architectures matter.
* ``digits-noise``: all ten digits first, the same digits with Gaussian pixel noise
  (sigma 0.3) second.

Run: ``OMP_NUM_THREADS=1 python -m benchmarks.real_search --pair digits --seeds 5 --budget 30
--threads 1 --out benchmarks/results/real-search-digits``
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from metanas.search import EvaluationResult, Evaluator

__all__ = ["PAIRS", "CachedEvaluator", "TaskPair", "main", "run_pair"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskPair:
    """Two related tasks: the first fills the history, the second is searched warm and cold."""

    first: str
    second: str
    why: str


PAIRS: dict[str, TaskPair] = {
    "digits": TaskPair("sklearn:digits?classes=0-4", "sklearn:digits?classes=5-9",
                       "same images and writers, same 5-way problem size; other digits"),
    "digits-noisy": TaskPair("sklearn:digits?classes=0-4&noise=0.6&seed=0", "sklearn:digits?classes=5-9&noise=0.6&seed=1",
                             "as digits, both with strong Gaussian pixel noise (sigma 0.6): far from 100% accuracy"),
    "digits-noise": TaskPair("sklearn:digits", "sklearn:digits?noise=0.3&seed=1",
                             "the same ten digits, the second with Gaussian pixel noise (sigma 0.3)"),
}


class CachedEvaluator(Evaluator):
    """An evaluator that trains each architecture once (by the space's key) and reuses its result.

    Args:
        inner: the training evaluator.
        space: the search space (its `key` identifies an architecture).
    """

    def __init__(self, inner: Evaluator, space: Any) -> None:
        self.inner, self.space = inner, space
        self.objective, self.direction, self.test_metric = inner.objective, inner.direction, inner.test_metric
        self.cache: dict[str, EvaluationResult] = {}
        self.trained = self.reused = 0

    def evaluate(self, graph: Any) -> EvaluationResult:
        key = self.space.key(graph)
        res = self.cache.get(key)
        if res is None:
            res = self.cache[key] = self.inner.evaluate(graph)
            self.trained += 1
        else:
            self.reused += 1
        return res


def _first_reaching(best_so_far: np.ndarray, target: float) -> int | None:
    """1-based number of evaluations after which ``best_so_far >= target`` (``None``: never)."""
    hit = np.flatnonzero(np.nan_to_num(best_so_far, nan=-np.inf) >= target)
    return int(hit[0]) + 1 if len(hit) else None


def _trace(found: Any) -> dict[str, Any]:
    res = found.result
    costs = [float(e.cost or 0.0) for e in res.evaluations]
    return {"run_id": found.run_id, "origins": found.origins,
            "objectives": [None if np.isnan(v) else float(v) for v in res.objectives],
            "best_so_far": [None if np.isnan(v) else float(v) for v in res.best_so_far],
            "seconds": costs, "failed": sum(e.failure is not None for e in res.evaluations),
            "similar_tasks": [list(t) for t in found.similar_tasks]}


def run_pair(pair: TaskPair, *, seeds: int, budget: int, source_budget: int, population: int, epochs: int,
             threads: int | None, work: Path, progress: bool = False) -> dict[str, Any]:
    """Run the benchmark (see the module docstring); returns every run's trace and the summary rows."""
    from metanas.db import ExperimentDatabase
    from metanas.networks._data import load_data
    from metanas.pipeline import SearchSettings, run_real_search
    from metanas.search import get_evaluator
    from metanas.spaces import get_space

    space = get_space("nb201")
    train = {"epochs": epochs, "network": {"C": 8, "N": 1}, "device": "cpu"}
    opts = {"population_size": population, "tournament_size": min(3, population)}
    data = [load_data(pair.first), load_data(pair.second)]
    tasks = [data[0].task("first", pair.first), data[1].task("second", pair.second)]
    evals = [CachedEvaluator(get_evaluator("image_classification", data=d, space=space, config=train), space)
             for d in data]
    history = work / "history.db"
    t0 = time.perf_counter()
    with ExperimentDatabase(history) as db:
        src = run_real_search(db, space, data[0], tasks[0], warm_start=False, evaluator=evals[0], progress=progress,
                              settings=SearchSettings(budget=source_budget, population=population,
                                                      strategy_options=opts, seed=0, threads=threads))
    logger.info("first task: %d evaluations, best %.4f (%.0f s)", len(src.result), src.result.best().objective,
                time.perf_counter() - t0)
    runs: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for seed in range(seeds):
        traces = {}
        for arm in ("cold", "warm"):
            path = work / f"seed{seed}-{arm}.db"
            shutil.copyfile(history, path)
            with ExperimentDatabase(path) as db:
                found = run_real_search(db, space, data[1], tasks[1], warm_start=arm == "warm", evaluator=evals[1],
                                        progress=progress,
                                        settings=SearchSettings(budget=budget, population=population,
                                                                strategy_options=opts, seed=seed, threads=threads))
            traces[arm] = {"seed": seed, "arm": arm, **_trace(found)}
            runs.append(traces[arm])
        target = max(v for v in traces["cold"]["objectives"] if v is not None)
        row: dict[str, Any] = {"seed": seed, "target": target}
        for arm, tr in traces.items():
            n = _first_reaching(np.array(tr["best_so_far"], dtype=float), target)
            row[f"{arm}_evals"] = n
            row[f"{arm}_seconds"] = float(np.sum(tr["seconds"][: n if n is not None else budget]))
            row[f"{arm}_final_best"] = max(v for v in tr["objectives"] if v is not None)
        row["warm_transferred"] = sum(o.startswith("transfer:") for o in traces["warm"]["origins"])
        rows.append(row)
        logger.info("seed %d: target %.4f, cold %s evals, warm %s evals", seed, target, row["cold_evals"],
                    row["warm_evals"])
    return {"first": _trace(src), "first_best": src.result.best().objective, "runs": runs, "rows": rows,
            "trained": {"first": evals[0].trained, "second": evals[1].trained},
            "reused": {"first": evals[0].reused, "second": evals[1].reused}}


def _med_range(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}..{format(max(values), fmt)})"


def summarize(out: dict[str, Any], budget: int) -> list[str]:
    """Lines of the report: one per seed and the medians (range) over seeds."""
    rows = out["rows"]
    lines = ["seed  target  cold evals  warm evals  cold s  warm s  cold final  warm final  transferred"]
    for r in rows:
        we = r["warm_evals"] if r["warm_evals"] is not None else f">{budget}"
        lines.append(f"{r['seed']:>4}  {r['target']:.4f}  {r['cold_evals']:>10}  {we:>10}  {r['cold_seconds']:>6.1f}  "
                     f"{r['warm_seconds']:>6.1f}  {r['cold_final_best']:>10.4f}  {r['warm_final_best']:>10.4f}  "
                     f"{r['warm_transferred']:>11}")
    cold_n = [r["cold_evals"] for r in rows]
    warm_n = [r["warm_evals"] if r["warm_evals"] is not None else budget + 1 for r in rows]
    cold_s = [r["cold_seconds"] for r in rows]
    warm_s = [r["warm_seconds"] for r in rows]
    reached = sum(r["warm_evals"] is not None for r in rows)
    lines += [
        "",
        (f"evaluations to reach the cold search's final best, median (min..max) over {len(rows)} seeds: "
         f"cold {_med_range(cold_n, 'g')}, warm {_med_range(warm_n, 'g')}"
         + (f" (censored runs counted as {budget + 1})" if reached < len(rows) else "")),
        f"training seconds to reach it: cold {_med_range(cold_s, '.1f')}, warm {_med_range(warm_s, '.1f')}",
        (f"the warm search reached the cold search's final best in {reached} of {len(rows)} seeds; "
         f"it ended better in {sum(r['warm_final_best'] > r['cold_final_best'] for r in rows)}, equal in "
         f"{sum(r['warm_final_best'] == r['cold_final_best'] for r in rows)}, worse in "
         f"{sum(r['warm_final_best'] < r['cold_final_best'] for r in rows)}"),
        (f"median ratio cold/warm evaluations: {statistics.median(c / w for c, w in zip(cold_n, warm_n)):.2f}x; "
         f"seconds: {statistics.median(c / w for c, w in zip(cold_s, warm_s) if w > 0):.2f}x"),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pair", default="digits", choices=sorted(PAIRS), help="task pair (default digits)")
    parser.add_argument("--seeds", type=int, default=5, help="search seeds of the second task (default 5)")
    parser.add_argument("--budget", type=int, default=30, help="evaluations per search of the second task (default 30)")
    parser.add_argument("--source-budget", type=int, default=None, help="evaluations of the first task (default: --budget)")
    parser.add_argument("--population", type=int, default=10, help="initial population (default 10)")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs per architecture (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", type=Path, default=None, help="folder for results.json and summary.txt")
    parser.add_argument("--progress", action="store_true", help="progress bars")
    args = parser.parse_args(argv)
    for key in ("seeds", "budget", "population", "epochs", "threads"):
        if getattr(args, key) < 1:
            parser.error(f"--{key} must be an integer >= 1, got {getattr(args, key)}")
    if args.population > args.budget:
        parser.error(f"--population must be at most --budget ({args.budget}), got {args.population}")
    source_budget = args.source_budget or args.budget
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in ("metanas.warm_start", "metanas.networks", "metanas.search"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    import torch

    pair = PAIRS[args.pair]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="metanas-real-search-") as tmp:
        out = run_pair(pair, seeds=args.seeds, budget=args.budget, source_budget=source_budget,
                       population=args.population, epochs=args.epochs, threads=args.threads, work=Path(tmp),
                       progress=args.progress)
    wall = time.perf_counter() - t0
    command = "OMP_NUM_THREADS=1 python -m benchmarks.real_search " + " ".join(argv or sys.argv[1:])
    header = [
        (f"pair {args.pair}: first {pair.first} ({source_budget} evaluations, best {out['first_best']:.4f}), "
         f"second {pair.second}: {args.seeds} seeds x (warm, cold) x {args.budget} evaluations"),
        (f"NB201 cell network C=8 N=1, {args.epochs} epochs, population {args.population}, regularized evolution; "
         f"torch {torch.__version__}, {args.threads} thread(s); trained {out['trained']['second']} distinct "
         f"architectures of the second task ({out['reused']['second']} evaluations reused a result); "
         f"wall {wall:.0f} s"),
        "",
    ]
    lines = header + summarize(out, args.budget)
    print("\n".join(lines))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        settings = {"pair": args.pair, "first": pair.first, "second": pair.second, "seeds": args.seeds,
                    "budget": args.budget, "source_budget": source_budget, "population": args.population,
                    "epochs": args.epochs, "threads": args.threads, "network": {"C": 8, "N": 1},
                    "strategy": "regularized_evolution", "torch": torch.__version__, "wall_seconds": wall}
        (args.out / "results.json").write_text(json.dumps({"command": command, "settings": settings, **out},
                                                          indent=1, default=float))
        (args.out / "summary.txt").write_text(f"$ {command}\n\n" + "\n".join(lines) + "\n")
        print(f"wrote {args.out / 'results.json'} and {args.out / 'summary.txt'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
