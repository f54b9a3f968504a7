"""A synthetic experiment database at scale (for speed tests of the database and the warm-starter).

Architectures are real: NAS-Bench-201 cells (all 15,625 of the ``nb201`` space) for image
tasks and NAS-Bench-Graph's table graphs (26,206 of the ``nbg`` space) for graph tasks. Tasks
are perturbed copies of the real suites' tasks; scores are random but shared structure makes
them plausible: each architecture has a latent quality, and a task's validation accuracy is a
noisy, task-specific squashing of it.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING

import numpy as np

from metanas.exceptions import DatabaseError
from metanas.tasks import TaskMetadata
from metanas.validation import check_int

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase

__all__ = ["build_synthetic_db"]

logger = logging.getLogger(__name__)


def _check_count(name: str, value: object) -> int:
    return check_int(value, name, low=1)


def _image_task(template: TaskMetadata, task_id: str, rng: np.random.Generator) -> TaskMetadata:
    return TaskMetadata(
        task_id=task_id,
        dataset_name=f"{template.dataset_name}-synthetic",
        num_samples=max(100, int(template.num_samples * np.exp(rng.normal(0.0, 0.4)))),
        num_classes=max(2, round(float(template.num_classes * np.exp(rng.normal(0.0, 0.3))))),
        input_size=template.input_size,
        problem_type=template.problem_type,
        meta_features=dict(template.meta_features),
    )


def _graph_task(template: TaskMetadata, task_id: str, rng: np.random.Generator) -> TaskMetadata:
    feats = dict(template.meta_features)
    nodes = max(50, int(feats["num_nodes"] * np.exp(rng.normal(0.0, 0.4))))
    feats["num_nodes"] = float(nodes)
    feats["num_edges"] = float(max(1, int(feats["num_edges"] * nodes / template.meta_features["num_nodes"]
                                          * np.exp(rng.normal(0.0, 0.2)))))
    feats["num_node_features"] = float(max(1, int(feats["num_node_features"] * np.exp(rng.normal(0.0, 0.3)))))
    classes = max(2, round(float(template.num_classes * np.exp(rng.normal(0.0, 0.2)))))
    feats["num_classes"] = float(classes)
    return TaskMetadata(
        task_id=task_id,
        dataset_name=f"{template.dataset_name}-synthetic",
        num_samples=nodes,
        num_classes=classes,
        input_size=None,
        problem_type=template.problem_type,
        meta_features=feats,
    )


def build_synthetic_db(
    url_or_path: str | os.PathLike,
    num_tasks: int = 100,
    evals_per_task: int = 10_000,
    seed: int = 0,
) -> ExperimentDatabase:
    """Build an experiment database of ``num_tasks`` synthetic tasks x ``evals_per_task`` evaluations.

    Even-numbered tasks are image tasks in the ``nb201`` space (perturbed NAS-Bench-201 tasks,
    ``val_acc``/``test_acc`` in percent), odd-numbered ones graph tasks in the ``nbg`` space
    (perturbed NAS-Bench-Graph tasks, accuracies as fractions). Each task gets one finished
    run (strategy ``"synthetic"``) of architectures drawn with replacement, so some are
    evaluated more than once. The same arguments give the same database.

    Args:
        url_or_path: a new (empty) database: file path or SQLAlchemy URL.
        num_tasks: number of tasks.
        evals_per_task: evaluations per task.
        seed: seed of every random draw.

    Returns:
        The open database.

    Raises:
        ConfigError: a count is not a positive integer.
        DatabaseError: the database already holds tasks.
    """
    num_tasks = _check_count("num_tasks", num_tasks)
    evals_per_task = _check_count("evals_per_task", evals_per_task)
    from metanas.benchmarks import NasBenchGraphSuite, NB201Suite
    from metanas.db import ExperimentDatabase
    from metanas.spaces import get_space

    t0 = time.perf_counter()
    db = ExperimentDatabase(url_or_path)
    try:
        existing = db.summary()["tasks"]
        if existing:
            raise DatabaseError(
                f"build_synthetic_db needs an empty database, but {db!r} already holds {existing} task(s); "
                "pass a new file path"
            )
        rng = np.random.default_rng(seed)
        nbg = NasBenchGraphSuite()
        nb201 = NB201Suite()
        pools = {
            "image": list(get_space("nb201").enumerate()),
            "graph": nbg.table("nbg/cora").graphs,
        }
        templates = {
            "image": [nb201.task(t) for t in nb201.task_ids()],
            "graph": [nbg.task(t) for t in nbg.default_tasks],
        }
        spaces = {"image": get_space("nb201"), "graph": get_space("nbg")}
        scales = {"image": (10.0, 90.0), "graph": (0.1, 0.85)}  # (worst, best) accuracy of a task
        quality = {kind: rng.normal(size=len(pool)) for kind, pool in pools.items()}
        logger.info("synthetic database: architecture pools loaded in %.1f s", time.perf_counter() - t0)
        for i in range(num_tasks):
            kind = "image" if i % 2 == 0 else "graph"
            template = templates[kind][(i // 2) % len(templates[kind])]
            name = template.task_id.split("/", 1)[1]
            task_id = f"synthetic/{i:03d}-{name}"
            task = (_image_task if kind == "image" else _graph_task)(template, task_id, rng)
            pool, q = pools[kind], quality[kind]
            rows = rng.integers(0, len(pool), size=evals_per_task)
            rho = rng.uniform(0.5, 0.95)  # how much the task follows the shared quality
            z = rho * q[rows] + np.sqrt(1.0 - rho**2) * rng.normal(size=evals_per_task)
            lo, hi = scales[kind]
            lo, hi = lo * rng.uniform(0.8, 1.2), min(hi * rng.uniform(0.95, 1.1), 99.9 if kind == "image" else 0.99)
            val = lo + (hi - lo) / (1.0 + np.exp(-1.5 * z))
            test = np.clip(val + rng.normal(0.0, 0.01 * (hi - lo), size=evals_per_task), 0.0, None)
            items = [(pool[r], {"val_acc": v, "test_acc": t}) for r, v, t in zip(rows.tolist(), val.tolist(), test.tolist())]
            db.import_evaluations(task, items, space=spaces[kind], strategy="synthetic", seed=seed, analyze=False,
                                  config={"source": "synthetic", "task_index": i, "rho": float(rho)})
        db.analyze()  # once, after the last task (PostgreSQL only)
        logger.info(
            "synthetic database: %d tasks x %d evaluations in %.1f s", num_tasks, evals_per_task,
            time.perf_counter() - t0,
        )
    except BaseException:
        db.close()
        raise
    return db


def _measure(argv: list[str] | None = None) -> None:  # pragma: no cover - a measurement script
    """``python -m metanas.benchmarks._synthetic PATH [--tasks N] [--evals M]``: build a synthetic
    database and time the warm-starter's queries on it."""
    import argparse

    from metanas.db import ExperimentDatabase

    parser = argparse.ArgumentParser(prog="python -m metanas.benchmarks._synthetic", description=_measure.__doc__)
    parser.add_argument("path", help="new database file or URL")
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--evals", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    db = build_synthetic_db(args.path, args.tasks, args.evals, args.seed)
    s = db.summary()
    print(f"built {s['tasks']} tasks, {s['evaluations']:,} evaluations, {s['architectures']:,} architectures "
          f"in {time.perf_counter() - t0:.1f} s")
    db.close()
    t0 = time.perf_counter()
    with ExperimentDatabase(args.path) as db:  # a fresh object: no cached graphs
        print(f"open: {(time.perf_counter() - t0) * 1e3:.1f} ms")
        t0 = time.perf_counter()
        tasks = db.get_all_tasks()
        t_tasks = time.perf_counter() - t0
        picks = [tasks[i].task_id for i in np.linspace(0, len(tasks) - 1, 5).astype(int)]
        times = []
        for task_id in picks:
            t0 = time.perf_counter()
            db.get_top_architectures(task_id, 10)
            times.append(time.perf_counter() - t0)
        print(f"get_all_tasks ({len(tasks)} tasks): {t_tasks * 1e3:.1f} ms")
        print("get_top_architectures(task, 10): " + ", ".join(f"{t * 1e3:.1f} ms" for t in times))


if __name__ == "__main__":  # pragma: no cover
    _measure()
