"""``metanas optuna``: N worker processes on one Optuna study (e.g. on PostgreSQL)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "optuna",
        help="run N Optuna worker processes on one study, recorded in the experiment database",
        description="Create (or load) an Optuna study, enqueue the metanas warm start once, start N worker "
                    "processes on it and record every finished trial into the experiment database as one run. "
                    "Needs Optuna (pip install metanas[optuna]).",
    )
    p.add_argument("--storage", required=True, help="Optuna storage URL, e.g. postgresql+psycopg://user@host/optuna")
    p.add_argument("--study", required=True, help="study name")
    p.add_argument("--db", required=True, help="experiment database path or URL")
    p.add_argument("--task", required=True, help="task id (e.g. nbg/cora)")
    p.add_argument("--suite", default=None, help="benchmark suite whose table is the objective (nasbench-graph, nb201)")
    p.add_argument("--space", default=None, help="search space id (default: the suite task's space)")
    p.add_argument("--objective", default=None, help="user objective 'module:function' (instead of --suite)")
    p.add_argument("--sampler", default="tpe", help="tpe (default), random or metanas")
    p.add_argument("--workers", type=int, default=4, help="worker processes (default 4)")
    p.add_argument("--trials", type=int, default=100, help="trials of the study in total (default 100)")
    p.add_argument("--warm-start", type=int, default=20, help="warm-start population size (0: none; default 20)")
    p.add_argument("--seed", type=int, default=0, help="base seed (worker i: seed + i)")
    p.add_argument("--heartbeat", type=int, default=60,
                   help="seconds between the workers' Optuna heartbeats (default 60; 0: none): the trial of a worker "
                        "that died is failed after two missed intervals and recorded as trial_stale, never as a score")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from metanas.exceptions import ConfigError
    from metanas.integrations.optuna._workers import WorkerSpec, run_workers

    space = args.space
    if space is None:
        if args.suite is None:
            raise ConfigError("'--space' is required with --objective (e.g. --space nbg)")
        from metanas.benchmarks import get_suite

        space = get_suite(args.suite).space(args.task).id
    spec = WorkerSpec(storage=args.storage, study_name=args.study, db_url=args.db, task=args.task, space=space,
                      n_trials=args.trials, suite=args.suite, objective=args.objective, sampler=args.sampler,
                      seed=args.seed, warm_start=args.warm_start, heartbeat=args.heartbeat or None)
    study = run_workers(spec, args.workers)
    best = study.best_trial
    print(json.dumps({"study": study.study_name, "trials": len(study.trials), "best_value": best.value,
                      "best_params": best.params}, indent=2))
    return 0
