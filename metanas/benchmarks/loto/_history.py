"""The history of a fold: a fresh database holding the past tasks (never the held-out one)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import numpy as np

from metanas.benchmarks._suites import BenchmarkSuite, BenchmarkTable
from metanas.benchmarks.loto._settings import LotoSettings
from metanas.exceptions import ConfigError

__all__ = ["build_history", "fold_tasks", "past_tasks", "pool_tasks", "random_rows", "stable_seed"]


def stable_seed(*parts: Any) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def random_rows(settings: LotoSettings, table: BenchmarkTable, history_seed: int) -> np.ndarray:
    """The sorted rows of ``table`` that a ``random-1000`` history of seed ``history_seed`` holds
    (``settings.history_size`` of them at most): the sample `build_history` imports for a past task."""
    rng = np.random.default_rng(stable_seed("history", history_seed, table.task.task_id))
    return np.sort(rng.choice(len(table), size=min(settings.history_size, len(table)), replace=False))


def _shuffled(table: BenchmarkTable, rows: np.ndarray, seed: int) -> BenchmarkTable:
    perm = np.random.default_rng(seed).permutation(len(rows))
    metrics = {}
    for name, values in table.metrics.items():
        v = values.copy()
        v[rows] = values[rows][perm]
        metrics[name] = v
    return replace(table, metrics=metrics, _index=dict(table._index))


def build_history(settings: LotoSettings, suite: BenchmarkSuite, held_out: str, history_seed: int,
                  db_url: str) -> tuple[Any, tuple[str, ...]]:
    """A fresh database holding the history of one fold (never the held-out task).

    Returns:
        The open `ExperimentDatabase` and the past task ids it holds.
    """
    from metanas.db import ExperimentDatabase

    past = past_tasks(settings, suite, held_out)
    db = ExperimentDatabase(db_url)
    for task_id in past:
        table = suite.table(task_id, settings.objective)
        seed = stable_seed("history", history_seed, task_id)
        if settings.history == "full":
            rows = np.arange(len(table))
        elif settings.history == "random-1000":
            rows = random_rows(settings, table, history_seed)
        else:
            rows = None
        if settings.history == "trajectory":
            _record_trajectory(db, table, settings, seed)
            continue
        if settings.shuffle_history:
            table = _shuffled(table, rows, seed + 1)
        db.import_table(table, rows=[int(r) for r in rows], strategy=settings.history, seed=history_seed)
    return db, past


def _record_trajectory(db, table: BenchmarkTable, settings: LotoSettings, seed: int) -> None:
    from metanas.search import BenchmarkEvaluator, DatabaseRecorder, get_strategy, run_search

    db.add_task(table.task, objective=table.objective, direction=table.direction)
    strategy = get_strategy("regularized_evolution", space=table.space, seed=seed % (2**31),
                            population_size=settings.population_size, tournament_size=settings.tournament_size)
    recorder = DatabaseRecorder(db, table.task.task_id, "trajectory", table.space.id,
                                {"population_size": settings.population_size}, seed % (2**31))
    evaluator = BenchmarkEvaluator(table)
    if settings.shuffle_history:
        raise ConfigError("'shuffle_history' applies to table histories, not to 'trajectory'")
    run_search(strategy, evaluator, settings.history_size, direction=table.direction, recorder=recorder)


def fold_tasks(settings: LotoSettings, suite: BenchmarkSuite) -> tuple[str, ...]:
    """The held-out tasks (one fold each): ``settings.tasks``, else the suite's default tasks."""
    return tuple(suite.resolve(t) for t in settings.tasks) if settings.tasks else tuple(suite.default_tasks)


def pool_tasks(settings: LotoSettings, suite: BenchmarkSuite) -> tuple[str, ...]:
    """The tasks histories are drawn from: ``settings.pool``, else the suite's default tasks
    (whichever tasks are held out)."""
    return tuple(suite.resolve(t) for t in settings.pool) if settings.pool else tuple(suite.default_tasks)


def past_tasks(settings: LotoSettings, suite: BenchmarkSuite, held_out: str) -> tuple[str, ...]:
    """The history of the fold of ``held_out``: the pool's tasks of its search space but itself."""
    space_id = suite.space(held_out).id
    return tuple(t for t in pool_tasks(settings, suite) if t != held_out and suite.space(t).id == space_id)
