"""A small leave-one-task-out experiment for developing the meta-learner (not the benchmark).

For each held-out task of a suite: a fold model is trained on the other tasks' history
(`fold_embedder`, cached), then regularized evolution runs from a random population and
from a warm-started one, with and without the refinement hook, over the same search
seeds; the figure is the median number of evaluations to reach the held-out task's
top-quantile target (censored at budget + 1). Run as::

    python -m training.experiment --suite nasbench-graph --seeds 30 --out runs/exp
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from metanas.benchmarks import get_suite
from metanas.db import ExperimentDatabase
from metanas.search import BenchmarkEvaluator, get_strategy, run_search

from ..models.embedder import MetaLearnerEmbedder
from ..models.losses import kendall_tau
from ..models.refine import RefinementHook, refine_task_vector
from .config import resolve_config
from .folds import fold_embedder

__all__ = ["build_history", "evals_to_target", "main", "run_fold", "warm_population"]

logger = logging.getLogger(__name__)


def build_history(suite: Any, tasks: Sequence[str], path: Path, rows: int, seed: int) -> ExperimentDatabase:
    """A database with ``rows`` random table rows of each task (generator seeded by (seed, task index))."""
    fresh = not path.exists()
    db = ExperimentDatabase(path)
    if fresh:
        for i, tid in enumerate(tasks):
            table = suite.table(tid)
            rng = np.random.default_rng([seed, i])
            db.import_table(table, rows=rng.choice(len(table), size=min(rows, len(table)), replace=False),
                            strategy="random-history", seed=seed)
    return db


def warm_population(embedder: MetaLearnerEmbedder, db: Any, task: Any, past: Sequence[str], *, top_tasks: int,
                    per_task: int) -> list:
    """Top architectures of the past tasks closest to the task's prior embedding (cosine)."""
    ranked = [t for t, _ in embedder.similar_tasks(embedder.embed_task(task), past)][:top_tasks]
    out, seen = [], set()
    for t in ranked:
        for g in db.get_top_architectures(t, per_task):
            if g.identity not in seen:
                seen.add(g.identity)
                out.append(g)
    return out


def evals_to_target(objectives: np.ndarray, target: float, budget: int) -> int:
    """1-based index of the first evaluation reaching ``target`` (maximised), else ``budget + 1``."""
    hit = np.flatnonzero(objectives >= target)
    return int(hit[0]) + 1 if hit.size else budget + 1


def run_fold(suite: Any, db: Any, held_out: str, tasks: Sequence[str], embedder: MetaLearnerEmbedder, *,
             methods: Sequence[str], seeds: int, budget: int, top_fraction: float, hook_options: dict,
             warm_options: dict) -> dict[str, Any]:
    """Evals-to-target of every method and seed on one held-out task, plus model diagnostics."""
    table = suite.table(held_out)
    task = table.task
    space = table.space
    past = [t for t in tasks if t != held_out]
    target = table.quantile_target(top_fraction) if top_fraction > 0 else table.best_value()
    sign = table.sign()
    graphs, keys, emb = embedder.space_embeddings(space)
    row = np.array([table._index[k] for k in keys])
    truth = sign * table.values[row]
    diag = {"tau_prior": kendall_tau(emb @ embedder.embed_task(task), truth)}
    rng = np.random.default_rng(12345)
    pick = rng.choice(len(graphs), 20, replace=False)
    ref = refine_task_vector(embedder, task, past, [graphs[i] for i in pick], truth[pick],
                             **{k: v for k, v in hook_options.items() if k in ("temperature", "prior_weight", "steps",
                                                                               "lr", "l2")})
    diag["tau_refined_20_random"] = kendall_tau(emb @ ref.vector, truth)
    diag["refined_ranking"] = ref.ranking[:3]
    diag["top_fraction_in_model_top100"] = float(np.mean(truth[np.argsort(-(emb @ ref.vector))[:100]] >= sign * target))
    init = warm_population(embedder, db, task, past, **warm_options)
    out: dict[str, list[int]] = {m: [] for m in methods}
    hook_kw = {k: v for k, v in hook_options.items()}
    for m in methods:
        for s in range(seeds):
            pop = init if m.startswith("te") else None
            strategy = get_strategy("regularized_evolution", space=space, seed=s, initial_population=pop,
                                    population_size=20, tournament_size=5)
            hooks = [RefinementHook(embedder, space, task, past, **hook_kw)] if m.endswith("refine") else []
            res = run_search(strategy, BenchmarkEvaluator(table), budget, hooks=hooks)
            out[m].append(evals_to_target(sign * res.objectives, sign * target, budget))
    return {"task": held_out, "target": target, "diagnostics": diag, "evals": out,
            "median": {m: float(np.median(v)) for m, v in out.items()}}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", default="nasbench-graph")
    p.add_argument("--tasks", nargs="*", help="held-out tasks (default: all of the suite's default tasks)")
    p.add_argument("--history-rows", type=int, default=1000)
    p.add_argument("--history-seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--budget", type=int, default=300)
    p.add_argument("--top-fraction", type=float, default=0.001, help="0: the single best")
    p.add_argument("--methods", default="random,te,te+refine,random+refine")
    p.add_argument("--config", default="{}", help="training settings as JSON")
    p.add_argument("--hook", default="{}", help="RefinementHook options as JSON")
    p.add_argument("--warm", default='{"top_tasks": 2, "per_task": 5}', help="warm-start options as JSON")
    p.add_argument("--out", type=Path, default=Path("runs/experiment"))
    p.add_argument("--history-only", type=Path, default=None, metavar="DB",
                   help="only write the history database (random rows of every task) to DB and exit")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    suite = get_suite(a.suite)
    tasks = list(suite.default_tasks)
    if a.history_only is not None:
        if a.history_only.exists():
            raise SystemExit(f"{a.history_only} exists; choose a new path")
        build_history(suite, tasks, a.history_only, a.history_rows, a.history_seed).close()
        print(f"history written to {a.history_only}")
        return 0
    space_id = suite.space(tasks[0]).id
    a.out.mkdir(parents=True, exist_ok=True)
    db = build_history(suite, tasks, a.out / f"history-{a.suite}-{a.history_rows}-s{a.history_seed}.db",
                       a.history_rows, a.history_seed)
    cfg = resolve_config(json.loads(a.config))
    hook = {"refine_after": 20, "inject": 10, **json.loads(a.hook)}
    results = []
    for held_out in a.tasks or tasks:
        t0 = time.perf_counter()
        emb = fold_embedder(db, space_id=space_id, exclude_task=held_out,
                            history_key=f"{a.suite}/random-{a.history_rows}/seed{a.history_seed}", config=cfg,
                            cache_dir=a.out / "folds")
        t1 = time.perf_counter()
        r = run_fold(suite, db, held_out, tasks, emb, methods=a.methods.split(","), seeds=a.seeds, budget=a.budget,
                     top_fraction=a.top_fraction, hook_options=hook, warm_options=json.loads(a.warm))
        r["train_seconds"] = emb.card["training"]["seconds"]
        r["search_seconds"] = round(time.perf_counter() - t1, 1)
        results.append(r)
        med = r["median"]
        print(f"{held_out:18s} " + " ".join(f"{m}={v:6.1f}" for m, v in med.items())
              + f"  tau_prior={r['diagnostics']['tau_prior']:.2f} tau_ref={r['diagnostics']['tau_refined_20_random']:.2f}"
              f" top@100={r['diagnostics']['top_fraction_in_model_top100']:.2f} rank={r['diagnostics']['refined_ranking']}"
              f" [{t1 - t0:.0f}s train]", flush=True)
    methods = a.methods.split(",")
    base = "random"
    if base in methods:
        for m in methods:
            if m == base:
                continue
            sp = [r["median"][base] / r["median"][m] for r in results]
            print(f"speedup {m}: median {np.median(sp):.2f} min {np.min(sp):.2f} per task "
                  + " ".join(f"{x:.2f}" for x in sp))
    (a.out / "results.json").write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
