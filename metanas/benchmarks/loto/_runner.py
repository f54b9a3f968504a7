"""Running the protocol: one job per (held-out task, history seed), in worker processes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metanas.benchmarks._suites import BenchmarkSuite, BenchmarkTable, get_suite
from metanas.benchmarks._targets import target_value
from metanas.benchmarks.loto._history import build_history, fold_tasks, past_tasks, pool_tasks, stable_seed
from metanas.benchmarks.loto._methods import Fold, LotoMethod
from metanas.benchmarks.loto._progress import Progress
from metanas.benchmarks.loto._results import LotoResult, evals_to_target, summarise, task_info, time_to_target
from metanas.benchmarks.loto._settings import REGRET_AT, LotoSettings
from metanas.exceptions import ConfigError
from metanas.validation import Direction

__all__ = ["history_key", "noise_seed", "run_loto", "run_one"]

logger = logging.getLogger(__name__)


def run_one(fold: Fold, method: LotoMethod, seed: int) -> tuple[dict, np.ndarray]:
    """One search of the protocol: ``method`` on ``fold`` with search seed ``seed`` (the method
    prepared). Returns the ``runs.csv`` row and the best-so-far curve.

    With ``noise="seed"`` the evaluator draws each evaluation's objective with a generator seeded
    by `noise_seed` (the held-out task and the search seed: the same for every method), and the
    search steers by those draws; the curve, evaluations-to-target, regrets and the test metric
    are on the true (seed-mean) values of the evaluated architectures: the best true value
    evaluated so far, so a search is credited when it has evaluated an architecture whose mean
    reaches the target (whether it could tell that from one noisy draw is a question of the
    final selection, which a re-evaluation of the top candidates answers; crediting the
    incumbent-by-draw instead would make the curve non-monotone and mix the two). Without noise
    the two coincide.

    ``time_to_target`` is the summed cost of the evaluations up to and including the one that
    reached the target (the whole budget's when censored), in the table's ``cost_unit``;
    ``None`` when an evaluation has no cost (tables without costs).
    """
    from metanas.search import get_evaluator, run_search

    s = fold.settings
    table = fold.table
    init = method.initial_population(fold, seed)
    strategy = method.build_strategy(fold, seed, init)
    noisy = s.noise != "none"
    kwargs = {"table": table} | ({"seed": noise_seed(table.task.task_id, seed)} if noisy else {})
    result = run_search(strategy, get_evaluator(s.evaluator, **kwargs), s.budget, direction=table.direction,
                        hooks=method.hooks(fold, seed))
    if noisy:
        rows = [table.row(e.graph) for e in result.evaluations]
        acc = np.fmax.accumulate if Direction(table.direction) is Direction.MAXIMIZE else np.fmin.accumulate
        curve = acc(np.asarray(table.values, dtype=float)[rows])
        test_value = float(table.metrics[table.test_metric][table.row(result.best().graph)])
    else:
        curve = np.asarray(result.best_so_far, dtype=float)
        test_value = float(result.best().metrics[table.test_metric])
    target = target_value(table, s.target)
    best = table.best_value()
    sign = table.sign()
    n = evals_to_target(curve, target, table.direction)
    row = {
        "task": table.task.task_id,
        "method": method.name,
        "history_seed": fold.history_seed if method.uses_history else "",
        "seed": seed,
        "evals_to_target": n,
        "censored": int(n > s.budget),
    }
    for k in REGRET_AT:
        row[f"regret_{k}"] = sign * (best - curve[min(k, len(curve)) - 1])
    row["regret_B"] = sign * (best - curve[-1])
    row["test_metric"] = test_value
    row["time_to_target"] = time_to_target([e.cost for e in result.evaluations], n)
    info = method.run_info(fold, seed, strategy)
    row["info"] = json.dumps(info, sort_keys=True) if info else ""
    return row, curve


def noise_seed(task: str, seed: int) -> int:
    """The seed of the noisy evaluations of search seed ``seed`` on ``task`` (every method's)."""
    return stable_seed("noise", task, seed)


@dataclass(frozen=True)
class _Job:
    task: str
    history_seed: int | None  # None: the random baseline (no history)
    methods: tuple[str, ...]


def _run_job(job: _Job, settings: LotoSettings, cache_dir: str) -> list[tuple[dict, np.ndarray]]:
    suite = _suite(settings)
    table = suite.table(job.task, settings.objective)
    out = []
    if job.history_seed is None:
        fold = Fold(settings, suite, table, (), -1, None, "", Path(cache_dir))
        for name in job.methods:
            method = settings.method(name)
            method.prepare(fold)
            for seed in range(settings.seeds):
                out.append(run_one(fold, method, seed))
        return out
    with tempfile.TemporaryDirectory(prefix="metanas-loto-") as tmp:
        db, past = build_history(settings, suite, job.task, job.history_seed, str(Path(tmp) / "history.db"))
        try:
            key = history_key(settings, job.task, job.history_seed)
            fold = Fold(settings, suite, table, past, job.history_seed, db, key, Path(cache_dir))
            for name in job.methods:
                method = settings.method(name)
                method.prepare(fold)
                for seed in range(settings.seeds):
                    out.append(run_one(fold, method, seed))
        finally:
            db.close()
    return out


def history_key(settings: LotoSettings, task: str, history_seed: int) -> str:
    """The key of a fold's history (what fold models are cached by, with their own settings)."""
    parts = {
        "suite": settings.suite, "task": task, "history": settings.history, "size": settings.history_size,
        "seed": history_seed, "objective": settings.objective, "shuffle": settings.shuffle_history,
        "tasks": list(pool_tasks(settings, _suite(settings))),  # the history's pool (before: also the held-out tasks)
    }  # the fold model's own settings enter its cache key in training.folds
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _check_noisy(table: BenchmarkTable, settings: LotoSettings) -> None:
    """Refuse a noisy run on a table without noise (it would silently measure the noiseless one),
    and let the table refuse its objective now rather than in a worker."""
    if not table.noisy:
        raise ConfigError(f"noise {settings.noise!r}: the {table.task.task_id} table of suite {settings.suite!r} has no "
                          "per-seed values to draw from; use a suite that has them (nb201-pypi) or noise 'none'")
    table.observe(0, np.random.default_rng(0))


def _suite(settings: LotoSettings) -> BenchmarkSuite:
    kwargs = {} if settings.nb201_dir is None else {"nb201_dir": settings.nb201_dir}
    return get_suite(settings.suite, **kwargs)


def _execute(jobs: list[_Job], settings: LotoSettings, cache_dir: str, progress: bool,
             on_done: Callable[[list[tuple[dict, np.ndarray]]], None] | None = None) -> list[list[tuple[dict, np.ndarray]]]:
    """Every job's rows and curves, in job order, with ``settings.workers`` forked processes;
    ``on_done`` receives each job's results as it finishes (in this process)."""
    workers = settings.workers or os.cpu_count() or 1
    bar = None
    if progress and jobs:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="LOTO folds", unit="fold")
    by_job: dict[int, list] = {}

    def done(i: int, results: list) -> None:
        by_job[i] = results
        if on_done is not None:
            on_done(results)
        if bar:
            bar.update()

    try:
        if workers <= 1 or len(jobs) <= 1:
            for i, job in enumerate(jobs):
                done(i, _run_job(job, settings, cache_dir))
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            ctx = mp.get_context("fork")
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
                futures = {pool.submit(_run_job, job, settings, cache_dir): i for i, job in enumerate(jobs)}
                for fut in as_completed(futures):
                    done(futures[fut], fut.result())
    finally:
        if bar:
            bar.close()
    return [by_job[i] for i in range(len(jobs))]


def run_loto(settings: LotoSettings, *, progress: bool = False, out: str | Path | None = None,
             resume: bool = False) -> LotoResult:
    """Run the protocol; parallel over folds with ``settings.workers`` processes.

    Args:
        settings: the benchmark.
        progress: show a progress bar.
        out: the output folder: each job's rows and curves are appended to ``runs.csv`` and
            ``curves.csv.gz`` as it finishes, and the complete run writes them in order with
            ``summary.json`` (`LotoResult.write`); ``None``: write nothing.
        resume: continue the interrupted (or finished) run in ``out``: its finished jobs are
            read back, not run again (`metanas.benchmarks.loto._progress`); the summary's
            ``seconds`` add this call's to those of a finished run's ``summary.json`` found there.

    Raises:
        ConfigError: ``resume`` without ``out``, or ``out`` holds no run or one with other settings.
    """
    if resume and out is None:
        raise ConfigError("'resume' needs the output folder ('out', --out) of the run to continue")
    start = time.perf_counter()
    before = 0.0
    if resume and (Path(out) / "summary.json").is_file():  # a finished run summarised again
        before = float(json.loads((Path(out) / "summary.json").read_text()).get("seconds") or 0.0)
    suite = _suite(settings)
    tasks = fold_tasks(settings, suite)
    for t in dict.fromkeys((*tasks, *pool_tasks(settings, suite))):  # load tables once (shared by forked
        suite.table(t, settings.objective)  # workers) and fail early on bad names
    if settings.noise != "none":
        for t in tasks:
            _check_noisy(suite.table(t, settings.objective), settings)
    cache_dir = settings.cache_dir or str(Path(tempfile.gettempdir()) / "metanas-fold-cache")
    # Methods without history (the random baseline, cold starts) run once per search seed.
    uses = {m: settings.method(m).uses_history for m in settings.methods}
    warm = tuple(m for m in settings.methods if uses[m])
    jobs = [_Job(t, None, (m,)) for t in tasks for m in settings.methods if not uses[m]]
    empty = [t for t in tasks if warm and not past_tasks(settings, suite, t)]
    if empty:
        raise ConfigError(f"held-out task(s) {empty} have no other task of their search space in the history pool "
                          f"{list(pool_tasks(settings, suite))}, so methods {list(warm)} would read an empty "
                          "history; add tasks of that space to 'pool' (--pool)")
    # History seed outermost: parallel workers start on different held-out tasks (a method's
    # per-task preparation, e.g. transfer-bo-nested's inner benchmark, then runs in parallel).
    jobs += [_Job(t, h, warm) for h in range(settings.history_seeds) for t in tasks if warm]
    tracker = Progress(out, settings, resume=resume) if out is not None else None
    by_job: dict[int, list[tuple[dict, np.ndarray]]] = {}
    for i, job in enumerate(jobs):
        stored = tracker.finished((job.task, "" if job.history_seed is None else job.history_seed), job.methods) \
            if resume else None
        if stored is not None:
            by_job[i] = stored
            tracker.keep(stored)
    pending = [i for i in range(len(jobs)) if i not in by_job]
    if resume:
        logger.info("resuming %s: %d of %d jobs done, %d to run", out, len(by_job), len(jobs), len(pending))
    fresh = _execute([jobs[i] for i in pending], settings, cache_dir, progress,
                     on_done=tracker.add if tracker is not None else None)
    by_job.update(zip(pending, fresh))
    results = [rc for i in range(len(jobs)) for rc in by_job[i]]
    order = {m: i for i, m in enumerate(settings.methods)}
    results.sort(key=lambda rc: (tasks.index(rc[0]["task"]), order[rc[0]["method"]],
                                 -1 if rc[0]["history_seed"] == "" else rc[0]["history_seed"], rc[0]["seed"]))
    runs = [r for r, _ in results]
    curves = [({k: r[k] for k in ("task", "method", "history_seed", "seed")}, c) for r, c in results]
    summary = summarise(runs, settings)
    summary["task_info"] = {t: task_info(suite.table(t, settings.objective), settings.target) for t in tasks}
    summary["seconds"] = round(before + time.perf_counter() - start, 1)
    summary["workers"] = min(settings.workers or os.cpu_count() or 1, max(len(pending), 1))
    summary["cpus"] = os.cpu_count()
    summary["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    result = LotoResult(settings, runs, curves, summary, time.perf_counter() - start)
    if tracker is not None:
        result.write(out)
        tracker.close()
    return result

