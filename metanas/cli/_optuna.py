"""``metanas optuna``: N worker processes on one Optuna study (e.g. on PostgreSQL); ``metanas search --engine optuna``."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from metanas.pipeline import SearchSettings
    from metanas.spaces import SearchSpace
    from metanas.tasks import TaskMetadata


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


# ---------------------------------------------------------------------------- metanas search --engine optuna
def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    """The ``--engine optuna`` options of ``metanas search``."""
    g = p.add_argument_group("engine", "--engine optuna: the same training evaluator in N Optuna worker processes "
                                       "on one study (needs pip install metanas[optuna])")
    g.add_argument("--engine", choices=("metanas", "optuna"), default="metanas",
                   help="metanas: the metanas run loop (default); optuna: an Optuna study with --workers processes, "
                        "the warm start enqueued, every trial recorded into --db")
    g.add_argument("--storage", default=None, help="Optuna storage URL (--engine optuna), e.g. "
                                                   "postgresql+psycopg://user@host/optuna or sqlite:///study.db")
    g.add_argument("--study", default=None, help="Optuna study name (default: the task id); rerunning the command "
                                                 "continues the study up to --budget trials")
    g.add_argument("--workers", type=int, default=1, help="worker processes (--engine optuna; default 1)")
    g.add_argument("--sampler", default="metanas",
                   help="Optuna sampler (--engine optuna): metanas (the configured strategy; default), tpe or random")
    g.add_argument("--heartbeat", type=int, default=60,
                   help="seconds between the workers' Optuna heartbeats (--engine optuna; default 60; 0: none)")


def run_search_engine(args: argparse.Namespace, settings: SearchSettings, ws_config: dict, training: dict,
                      space: SearchSpace, data: Any, task: TaskMetadata) -> int:
    """``metanas search --engine optuna``: the search's budget as Optuna trials over ``--workers`` processes.

    The budget is the study's trial count, the search config's population the enqueued warm
    start (none with ``--no-warm-start``), its strategy the ``metanas`` sampler's; each trial
    trains the architecture with the training evaluator of ``metanas search``.
    """
    from pathlib import Path

    from metanas.cli._warm_start import describe
    from metanas.db import ExperimentDatabase
    from metanas.exceptions import ConfigError
    from metanas.integrations import codec_for
    from metanas.integrations.optuna._training import training_evaluator
    from metanas.integrations.optuna._workers import WorkerSpec, run_workers
    from metanas.pipeline import record_search_task

    if args.storage is None:
        raise ConfigError("--engine optuna needs --storage URL (e.g. sqlite:///study.db or "
                          "postgresql+psycopg://user@host/optuna)")
    if args.resume:
        raise ConfigError("--resume is for --engine metanas; with --engine optuna run the same command again (same "
                          "--storage and --study): the study continues up to --budget trials")
    spec = WorkerSpec(
        storage=args.storage, study_name=args.study or task.task_id, db_url=args.db, task=task.task_id,
        space=space.id, n_trials=settings.budget, objective="metanas.integrations.optuna._training:TrainingObjective",
        objective_args={"data": args.data, "space": space.id, "training": training, "threads": settings.threads},
        sampler=args.sampler, seed=settings.seed, warm_start=settings.population if args.warm_start else 0,
        warm_start_config=dict(ws_config),
        strategy_config={"strategy": settings.strategy, **dict(settings.strategy_options)},
        heartbeat=args.heartbeat or None)
    evaluator = training_evaluator(data, space, training)
    with ExperimentDatabase(args.db) as db:
        task = record_search_task(db, task, data, evaluator)  # with its landmarks (metanas.pipeline)
    study = run_workers(spec, args.workers)
    trials = study.trials
    done = [t for t in trials if t.value is not None]
    codec = codec_for(space)
    print(f"task {task.task_id}: study {study.study_name!r}, {len(trials)} trials ({len(done)} complete, "
          f"{sum(t.state.name == 'FAIL' for t in trials)} failed) over {args.workers} worker(s)")
    if done:
        best = study.best_trial
        graph = codec.from_params({k: v for k, v in best.params.items() if k in codec.choices()})
        source = (best.user_attrs.get("metanas_source") or {}).get("source", "sampler")
        print(f"best: {describe(graph, space)}")
        print(f"  {evaluator.objective} {best.value:.4f}, trial {best.number}, from {source}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        rows = [{"trial": t.number, "state": t.state.name, "value": t.value, "params": t.params,
                 "source": t.user_attrs.get("metanas_source"), "failure": t.user_attrs.get("metanas_failure"),
                 "seconds": t.duration.total_seconds() if t.duration else None} for t in trials]
        (out / "search.json").write_text(json.dumps({"task": task.to_dict(), "study": study.study_name,
                                                     "storage": args.storage, "trials": rows}, indent=2, default=str))
        print(f"wrote {out / 'search.json'}")
    return 0
