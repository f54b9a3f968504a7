"""``transfer-bo-nested``: `TransferBO` whose configuration is chosen by nested leave-one-out.

Issue 10 asks for one transfer method whose configuration is chosen without the held-out
task. This LOTO method does that inside every fold, from the fold's own history only:

1. The fold's past tasks ``P`` (the held-out task is never among them) form an *inner*
   LOTO benchmark: each inner task ``s`` in ``P`` is held out in turn, with a history of the
   tasks ``P \\ {s}`` (same history kind and size, inner history seed 0), the same budget and
   target as the outer benchmark, ``NESTED_SEEDS`` search seeds.
2. Every configuration of ``NESTED_GRID`` runs on that inner benchmark against the random
   baseline; its score is the median over inner tasks of the speedup (evaluations-to-target
   of random / of the configuration), the protocol's own statistic.
3. The configuration with the best score (ties: the earlier one in the grid) runs the
   outer fold's searches. With fewer than 2 past tasks there is no inner benchmark and the
   first configuration (the strategy's defaults) runs.

The inner benchmark depends on ``P`` and the settings only, not on the outer history seed,
so it runs once per held-out task and is cached (a JSON file in the fold-model cache
folder, written under a file lock so that parallel folds compute it once). The chosen
configuration and the inner scores are logged and reported per run (``info`` column of
``runs.csv``, ``info`` of ``summary.json``).

The grid members are LOTO methods of their own (``transfer-bo``, ``transfer-bo-exploit``,
``transfer-bo-designed``, ``transfer-bo-model``, ``transfer-bo-top``, ``transfer-bo-stack``), so the inner
benchmark is one `run_loto` call (shared random baseline, history and past-task rankers).
The grid is fixed here, chosen before any of its runs, and covers the levers of
`TransferBO` that the first measurements pointed at: how much of the first population is
designed from the history and how much of it exploits the past tasks' consensus, how
many later asks come from the model rather than from evolution, and (``transfer-bo-top``,
``weight_focus`` 3) whether the past tasks are weighed by how well they rank the new
task's best observations rather than all of them (on NAS-Bench-Graph the tasks agree on
the bulk of the space and disagree on its top, `benchmarks.task_relations`), and
(``transfer-bo-stack``, ``stack_past``) whether the new task's own forest takes the past
rankers' scores as inputs, to learn which past task knows its top. ``transfer-bo-stack`` was
added in a later round, after diagnostics on NAS-Bench-Graph (the README's transfer section
says which): unlike the first five it was not fixed before any run; the per-fold choice
among the six is still made without the held-out task. Since `TransferBO`'s default
``stack_past`` became ``"both"`` (both target forests in the ensemble, a change argued from
the stacked forest's losses on the tasks where no past ranker knows the top, and measured
on NAS-Bench-Graph before it became the default), every member but ``transfer-bo-stack``
(the stacked forest alone) carries both forests.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
from typing import Any

from benchmarks.variants import TransferBOVariant

logger = logging.getLogger(__name__)

#: The configurations chosen from, as LOTO methods (first: the strategy's defaults). Each is
#: a registered method too, so that ``metanas bench`` can measure any of them directly.
NESTED_GRID: tuple[tuple[str, dict[str, Any]], ...] = (
    ("transfer-bo", {}),
    ("transfer-bo-exploit", {"inform_share": 0.0}),
    ("transfer-bo-designed", {"design_share": 1.0}),
    ("transfer-bo-model", {"model_share": 1.0}),
    ("transfer-bo-top", {"weight_focus": 3.0}),
    ("transfer-bo-stack", {"stack_past": True}),
)
#: Search seeds per inner task and configuration.
NESTED_SEEDS = 15
#: Version of the selection rule and of what the grid's members mean (part of the cache key):
#: 2 since `TransferBO`'s default ``stack_past`` became ``"both"`` (every member but
#: ``transfer-bo-stack`` holds both target forests).
_RULE = 2


def _cache_key(settings, tasks: tuple[str, ...]) -> str:
    parts = {"rule": _RULE, "grid": NESTED_GRID, "seeds": NESTED_SEEDS, "suite": settings.suite, "tasks": sorted(tasks),
             "budget": settings.budget, "target": settings.target, "history": settings.history,
             "size": settings.history_size, "objective": settings.objective, "shuffle": settings.shuffle_history,
             "population": settings.population_size, "tournament": settings.tournament_size,
             "evaluator": settings.evaluator,
             "options": {m: o for m, o in settings.method_options.items() if m in (settings.baseline, *dict(NESTED_GRID))},
             "baseline": settings.baseline}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def inner_scores(settings, past_tasks: tuple[str, ...], seeds: int | None = None) -> dict[str, dict[str, Any]]:
    """Per configuration of `NESTED_GRID`: the inner benchmark's median speedup and per-task speedups.

    The inner benchmark holds out each of ``past_tasks`` in turn with a history of the others
    (history seed 0, ``seeds`` search seeds, default `NESTED_SEEDS`, the outer budget and target)."""
    from metanas.benchmarks.loto import run_loto

    methods = (settings.baseline, *(n for n, _ in NESTED_GRID))
    inner = dataclasses.replace(settings, tasks=tuple(past_tasks), pool=tuple(past_tasks), methods=methods,
                                method_options={m: o for m, o in settings.method_options.items() if m in methods},
                                seeds=NESTED_SEEDS if seeds is None else seeds, history_seeds=1, workers=1)
    summary = run_loto(inner).summary
    return {name: {"median_speedup": round(float(summary["median_speedup"][name]), 4),
                   "tasks": {t: round(float(v[name]["speedup"]), 4) for t, v in summary["tasks"].items()}}
            for name, _ in NESTED_GRID}


def choose(scores: dict[str, dict[str, Any]]) -> str:
    """The configuration with the best median inner speedup; ties go to the earlier one in the grid."""
    best_name, best = NESTED_GRID[0][0], -1.0
    for name, _ in NESTED_GRID:
        value = scores[name]["median_speedup"]
        if value > best + 1e-12:
            best_name, best = name, value
    return best_name


def inner_tasks(past_tasks) -> tuple[str, ...]:
    """The inner benchmark's tasks, in the order it runs them (sorted: the order of a fold's past
    tasks decides the order of its rankers, so the inner figures depend on it)."""
    return tuple(sorted(past_tasks))


def select_config(fold) -> dict[str, Any]:
    """The fold's choice: ``{"config": name, "options": {...}, "inner": scores or None}`` (cached)."""
    settings = fold.settings
    past = inner_tasks(fold.past_tasks)
    if len(past) < 2:
        name, options = NESTED_GRID[0]
        return {"config": name, "options": dict(options), "inner": None}
    fold.cache_dir.mkdir(parents=True, exist_ok=True)
    path = fold.cache_dir / f"nested-transfer-{_cache_key(settings, past)}.json"
    with open(fold.cache_dir / f"{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel folds of one held-out task compute it once
        if path.exists():
            scores = json.loads(path.read_text())
        else:
            scores = inner_scores(settings, past)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(scores, indent=1, sort_keys=True))
            tmp.replace(path)
    name = choose(scores)
    logger.info("transfer-bo-nested for %s: %s (inner median speedups %s)", fold.task.task_id, name,
                {k: v["median_speedup"] for k, v in scores.items()})
    return {"config": name, "options": dict(dict(NESTED_GRID)[name]), "inner": scores}


class NestedTransferBO(TransferBOVariant):
    """`TransferBO` with the configuration chosen by nested LOO on the fold's past tasks (chosen
    in `prepare`, once per fold: a method instance serves one fold)."""

    def __init__(self) -> None:
        super().__init__()
        self._choice: dict[str, Any] | None = None

    def prepare(self, fold) -> None:
        super().prepare(fold)
        if self._choice is None:
            self._choice = select_config(fold)

    def describe(self, settings) -> str:
        return (f"TransferBO (population {settings.population_size}, tournament {settings.tournament_size}), "
                "configuration chosen per fold by nested leave-one-out on its past tasks")

    def options_for(self, fold) -> dict[str, Any]:
        return self._choice["options"]

    def run_info(self, fold, seed: int, strategy) -> dict[str, Any]:
        choice = self._choice
        inner = choice["inner"]
        return {**super().run_info(fold, seed, strategy), "config": choice["config"],
                "inner_median_speedup": {k: v["median_speedup"] for k, v in inner.items()} if inner else None}


def main(argv: list[str] | None = None) -> int:
    """Print one fold's inner benchmark: each configuration's median inner speedup and the choice.

    ``--seeds`` other than `NESTED_SEEDS` shows how the choice depends on the inner benchmark's
    size (what ``transfer-bo-nested`` would choose with that many seeds); nothing is cached."""
    import argparse

    from benchmarks.methods import register

    register()  # the grid's methods (under `benchmarks.nested`'s names, also when this file runs as __main__)
    from metanas.benchmarks._suites import get_suite
    from metanas.benchmarks.loto import LotoSettings
    from metanas.benchmarks.loto._history import past_tasks
    from metanas.exceptions import UnknownTaskError

    parser = argparse.ArgumentParser(prog="python -m benchmarks.nested", description=main.__doc__)
    parser.add_argument("--suite", default="nasbench-graph")
    parser.add_argument("--held-out", required=True, help="the outer fold's held-out task, e.g. nbg/arxiv")
    parser.add_argument("--seeds", type=int, default=NESTED_SEEDS, help="inner search seeds per task and configuration")
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--target", default="top0.1")
    parser.add_argument("--history", default="random-1000")
    parser.add_argument("--nb201-dir", default=None)
    args = parser.parse_args(argv)
    settings = LotoSettings(suite=args.suite, budget=args.budget, target=args.target, history=args.history,
                            nb201_dir=args.nb201_dir, seeds=args.seeds)
    suite = get_suite(args.suite, **({"nb201_dir": args.nb201_dir} if args.nb201_dir else {}))
    try:
        held_out = suite.resolve(args.held_out)
    except UnknownTaskError as exc:
        parser.error(f"--held-out: {exc}")
    past = inner_tasks(past_tasks(settings, suite, held_out))
    scores = inner_scores(settings, past, seeds=args.seeds)
    print(f"inner benchmark of the fold holding out {held_out} ({len(past)} past tasks, {args.seeds} seeds): "
          f"chosen {choose(scores)}")
    for name, _ in NESTED_GRID:
        per_task = ", ".join(f"{t.split('/')[-1]} {v:.2f}x" for t, v in scores[name]["tasks"].items())
        print(f"  {name:<22} median {scores[name]['median_speedup']:.2f}x  ({per_task})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
