"""LOTO speedup of Optuna samplers with the metanas warm start (a benchmark, not a test).

Same protocol as ``metanas bench`` (`metanas.benchmarks.loto`): for each held-out task T of
NAS-Bench-Graph and each history seed h, the history is ``random-1000`` of the other tasks
(`build_history`: T is never in it); each search has budget B (300) on T's table; the
target is T's top-0.1% validation quantile; evaluations-to-target are censored at B+1.
Methods (all on an in-memory Optuna study, one per search seed):

* ``tpe``: Optuna's `TPESampler` from cold (depends on no history: once per seed).
* ``tpe+warm``: the same with the metanas warm start (`warm_start_study`, 20 members,
  ``dataset_meta``) enqueued.
* ``metanas``: `MetanasSampler.warm_started` (warm start + regularized evolution, 20/5).
* ``re``: `MetanasSampler` from cold (regularized evolution; ``metanas bench``'s baseline).
* ``metanas-transfer``: `MetanasSampler.warm_started` with ``strategy="transfer-bo"``: the
  project's transfer search (its own designed first population, the past tasks' rankers
  weighted by RGPE; 20/5, the strategy's defaults, as ``metanas bench``'s ``transfer-bo``).

Speedup of a method on T = median evaluations-to-target of ``tpe`` / that of the method;
the summary gives the median over tasks. A search stops at the target (what follows does
not change evaluations-to-target).

Run: ``python -m benchmarks.optuna_speedup --seeds 30 --history-seeds 3 --out benchmarks/results/optuna-nasbench-graph-top0.1``
(``--resume`` keeps the runs already in ``--out/runs.csv`` and runs only the missing ones;
``--methods`` runs a subset.)
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from metanas.benchmarks.loto import LotoSettings, build_history, evals_to_target

METHODS = ("tpe", "tpe+warm", "metanas", "re", "metanas-transfer")
#: Methods that use no history (run once per search seed, not per history seed).
COLD_METHODS = ("tpe", "re")
POPULATION, TOURNAMENT = 20, 5
_SUITE = None


def _suite():
    global _SUITE
    if _SUITE is None:
        from metanas.benchmarks import get_suite

        _SUITE = get_suite("nasbench-graph")
    return _SUITE


def _search(method: str, table, db, seed: int, budget: int) -> int:
    """Evaluations-to-target of one search (``budget + 1``: censored)."""
    import optuna

    from metanas.integrations.optuna import BenchmarkObjective, MetanasSampler, warm_start_study

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    task = table.task.task_id
    if method in ("tpe", "tpe+warm"):
        sampler = optuna.samplers.TPESampler(seed=seed)
    elif method == "metanas":
        sampler = MetanasSampler.warm_started(db, task, table.space, population_size=POPULATION, seed=seed,
                                              tournament_size=TOURNAMENT)
    elif method == "metanas-transfer":
        sampler = MetanasSampler.warm_started(db, task, table.space, strategy="transfer-bo",
                                              population_size=POPULATION, seed=seed, tournament_size=TOURNAMENT)
    else:
        sampler = MetanasSampler(table.space, seed=seed, population_size=POPULATION, tournament_size=TOURNAMENT)
    study = optuna.create_study(direction=table.direction, sampler=sampler)
    if method == "tpe+warm":
        warm_start_study(study, db, task, table.space, population_size=POPULATION, seed=seed)
    target = table.quantile_target(0.001)
    sign = table.sign()

    def stop_at_target(study, trial):
        if trial.value is not None and sign * trial.value >= sign * target:
            study.stop()

    study.optimize(BenchmarkObjective(table), n_trials=budget, callbacks=[stop_at_target])
    values = np.array([t.value for t in study.trials], dtype=float)
    curve = np.maximum.accumulate(sign * values) * sign
    return evals_to_target(curve, target, table.direction)


def _history_db(task: str, history_seed: int, budget: int, cache: Path):
    """The fold's ``random-1000`` history database, built once per (task, history seed) into ``cache``."""
    from metanas.db import ExperimentDatabase

    path = cache / f"{task.replace('/', '_')}-h{history_seed}.db"
    if not path.exists():
        settings = LotoSettings(suite="nasbench-graph", history="random-1000", budget=budget)
        tmp = cache / f"{path.stem}.{os.getpid()}.tmp"
        db, _ = build_history(settings, _suite(), task, history_seed, str(tmp))
        table = _suite().table(task)
        db.add_task(table.task, objective=table.objective, direction=table.direction)
        db.close()
        os.replace(tmp, path)
    return ExperimentDatabase(path)


def _job(task: str, history_seed: int | None, methods: tuple[str, ...], seeds: range, budget: int,
         cache: str) -> list[dict]:
    table = _suite().table(task)
    if history_seed is None:
        return [{"task": task, "method": method, "history_seed": "", "seed": seed,
                 "evals_to_target": _search(method, table, None, seed, budget)} for method in methods for seed in seeds]
    with _history_db(task, history_seed, budget, Path(cache)) as db:
        return [{"task": task, "method": method, "history_seed": history_seed, "seed": seed,
                 "evals_to_target": _search(method, table, db, seed, budget)} for method in methods for seed in seeds]


def plan_jobs(tasks: list[str], methods: list[str], seeds: int, history_seeds: int, chunk: int,
              done: set[tuple[str, str, str, int]] = frozenset()) -> list[tuple[str, int | None, tuple[str, ...], range]]:
    """Jobs ``(task, history seed or None, methods, seeds)`` still to run: every (task,
    method, history seed, seed) cell not in ``done`` (keys as in runs.csv, history seed
    ``""`` for the cold methods)."""
    jobs = []
    for a in range(0, seeds, chunk):
        block = range(a, min(a + chunk, seeds))
        for task in tasks:
            for h in [None, *range(history_seeds)]:
                ms = tuple(m for m in methods if (m in COLD_METHODS) == (h is None) and any(
                    (task, m, "" if h is None else str(h), s) not in done for s in block))
                if ms:
                    jobs.append((task, h, ms, block))
    return jobs


def _read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return [{**r, "seed": int(r["seed"]), "evals_to_target": int(r["evals_to_target"])}
                for r in csv.DictReader(fh)]


def summarise(rows: list[dict], budget: int) -> dict:
    """Per task and method: runs, median evaluations-to-target, speedup against ``tpe``; medians over tasks."""
    tasks: dict[str, dict] = {}
    for task in dict.fromkeys(r["task"] for r in rows):
        per = {}
        for method in METHODS:
            ev = [r["evals_to_target"] for r in rows if r["task"] == task and r["method"] == method]
            if ev:
                per[method] = {"runs": len(ev), "median_evals": float(np.median(ev)),
                               "frac_reached": float(np.mean(np.array(ev) <= budget))}
        base = per["tpe"]["median_evals"] if "tpe" in per else float("nan")
        for method, entry in per.items():
            entry["speedup_vs_tpe"] = base / entry["median_evals"]
        tasks[task] = per
    median = {}
    for m in METHODS:
        sp = [tasks[t][m]["speedup_vs_tpe"] for t in tasks if m in tasks[t] and np.isfinite(tasks[t][m]["speedup_vs_tpe"])]
        median[m] = float(np.median(sp)) if sp else float("nan")
    return {"budget": budget, "target": "top0.1", "history": "random-1000", "tasks": tasks,
            "median_speedup_vs_tpe": median}


def format_table(summary: dict) -> str:
    """Median evaluations-to-target per task and method (speedup against cold TPE)."""
    head = f"{'task':<16}" + "".join(f"{m:>20}" for m in METHODS)
    lines = [head, "-" * len(head)]
    for task, per in summary["tasks"].items():
        cells = "".join(f"{per[m]['median_evals']:>9.0f} ({per[m]['speedup_vs_tpe']:5.2f}x)".rjust(20)
                        if m in per else f"{'-':>20}" for m in METHODS)
        lines.append(f"{task:<16}{cells}")
    lines.append("-" * len(head))
    lines.append(f"{'median speedup':<16}" + "".join(
        f"{summary['median_speedup_vs_tpe'][m]:>19.2f}x" for m in METHODS))
    return "\n".join(lines)


def markdown_table(summary: dict) -> str:
    """The README's table of a summary: median evaluations-to-target per task and method
    (``+``: censored at budget + 1) with the speedup against ``tpe`` (``>=``: ``tpe``'s
    median censored, a lower bound)."""
    budget = summary["budget"]
    methods = [m for m in METHODS if any(m in per for per in summary["tasks"].values())]
    lines = ["| task | " + " | ".join(methods) + " |", "| --- |" + " ---: |" * len(methods)]
    for task, per in summary["tasks"].items():
        base_censored = per.get("tpe", {}).get("median_evals", 0) > budget
        cells = []
        for m in methods:
            if m not in per:
                cells.append("-")
                continue
            med = per[m]["median_evals"]
            text = f"{med:.0f}{'+' if med > budget else ''}"
            if m != "tpe":
                bound = ">=" if base_censored and med <= budget else ""
                text += f" ({bound}{per[m]['speedup_vs_tpe']:.2f}x)"
            cells.append(text)
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    medians = summary["median_speedup_vs_tpe"]
    lines.append("| **median speedup vs tpe** | " + " | ".join(
        "" if m == "tpe" else f"**{medians[m]:.2f}x**" for m in methods) + " |")
    return "\n".join(lines)


def _write(out: Path, rows: list[dict], args: argparse.Namespace, start: float, done: int, total: int) -> None:
    with open(out / "runs.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: (r["task"], r["method"], str(r["history_seed"]), r["seed"])))
    summary = summarise(rows, args.budget)
    tasks = list(summary["tasks"].values())
    per_cell = [per[m]["runs"] // (1 if m in COLD_METHODS else args.history_seeds) if m in per else 0
                for per in tasks for m in args.methods.split(",")]
    summary.update(seeds=args.seeds, history_seeds=args.history_seeds, jobs_done=done, jobs=total,
                   complete_seeds=min(per_cell) if per_cell else 0, seconds=time.perf_counter() - start)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default=None, help="comma-separated held-out tasks (default: all 8)")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--history-seeds", type=int, default=1)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=5, help="seeds per job (results are written after each job)")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated subset of {list(METHODS)}")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in OUT/runs.csv and run only the missing ones")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    tasks = args.tasks.split(",") if args.tasks else list(_suite().default_tasks)
    methods = args.methods.split(",")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        parser.error(f"--methods: unknown {unknown}; choose from {list(METHODS)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = _read_rows(out / "runs.csv") if args.resume else []
    rows = [r for r in rows if r["method"] in methods and r["seed"] < args.seeds and r["task"] in tasks
            and (r["history_seed"] == "" or int(r["history_seed"]) < args.history_seeds)]
    done = {(r["task"], r["method"], str(r["history_seed"]), r["seed"]) for r in rows}
    jobs = plan_jobs(tasks, methods, args.seeds, args.history_seeds, args.chunk, done)
    summary_path = out / "summary.json"
    prior = json.loads(summary_path.read_text()).get("seconds", 0.0) if rows and summary_path.is_file() else 0.0
    start = time.perf_counter() - prior  # the summary's seconds: all runs in runs.csv
    if not jobs:
        print("nothing to run: every requested run is in runs.csv")
        _write(out, rows, args, start, 0, 0)
    with tempfile.TemporaryDirectory(prefix="metanas-optuna-bench-") as cache, ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(_job, t, h, ms, c, args.budget, cache) for t, h, ms, c in jobs]
        for n_done, f in enumerate(as_completed(futures), 1):  # results so far are written after every job
            rows += [r for r in f.result() if (r["task"], r["method"], str(r["history_seed"]), r["seed"]) not in done]
            _write(out, rows, args, start, n_done, len(jobs))
    summary = json.loads((out / "summary.json").read_text())
    print(format_table(summary))
    print(f"{summary['complete_seeds']} seeds x {args.history_seeds} history seed(s); wrote {out}/runs.csv, "
          f"summary.json in {summary['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
