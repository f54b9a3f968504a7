"""The leave-one-task-out (LOTO) speedup protocol.

For each task T of a suite (a *fold*) and each history seed h:

* History: the other tasks of the suite that share T's search space. ``random-1000``: 1,000
  table rows per past task drawn uniformly without replacement by a generator seeded by
  ``(h, past task)``, imported as one run (strategy ``random-1000``) per past task into a
  fresh database for the fold; ``full``: whole tables; ``trajectory``: one recorded
  regularized-evolution run of 1,000 evaluations per past task (seeded by ``(h, task)``).
  ``shuffle_history`` permutes the scores across the imported architectures (a control
  in which no warm start should help).
* Each method builds an initial population (``random``: none, so the strategy samples its
  own; ``dataset_meta``: the `WarmStarter`; later methods plug in through `register_method`),
  then the search runs with budget B on T's table: the settings' ``strategy`` (a registry
  name, default regularized evolution; `LotoMethod.build_strategy` lets a method bring its
  own) with the settings' ``evaluator`` (default the table lookup). Search seeds vary only the
  search; the random baseline depends on no history and runs once per seed.
* Per run: evaluations-to-target (first evaluation whose best-so-far reaches the target,
  1-based; censored at B+1), best-so-far after every evaluation, regret to T's best after
  20, 50, 100 and B evaluations, and the test metric of the returned architecture.
* Speedup of a method on a task = median evaluations-to-target of ``random`` / that of the
  method (medians over all its runs, censored values counted as B+1). When the random
  median is censored the speedup is a lower bound (flagged); when the method's median is
  censored the task does not meet the target. Reduction = 1 - 1/median speedup over tasks.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from metanas.benchmarks._suites import SUITES, BenchmarkSuite, BenchmarkTable, get_suite
from metanas.exceptions import ConfigError, UnknownNameError
from metanas.graph import ModelGraph
from metanas.registry import Registry

if TYPE_CHECKING:
    from metanas.search import SearchStrategy

__all__ = [
    "LOTO_METHODS",
    "Fold",
    "LotoMethod",
    "LotoResult",
    "LotoSettings",
    "build_history",
    "evals_to_target",
    "format_table",
    "method_names",
    "register_method",
    "run_loto",
    "summarise",
    "task_info",
]

logger = logging.getLogger(__name__)

HISTORIES = ("random-1000", "full", "trajectory")
TARGETS = ("top0.1", "best")
REGRET_AT = (20, 50, 100)


@dataclass(frozen=True)
class LotoSettings:
    """Every parameter of a LOTO benchmark (stored in ``summary.json``).

    Attributes:
        suite: ``nasbench-graph`` or ``nb201``.
        tasks: held-out tasks (``None``: the suite's default tasks).
        methods: registry names; ``random`` is always run as the baseline.
        seeds: number of search seeds (0..seeds-1).
        history_seeds: number of history draws per fold.
        budget: evaluations per search (the initial population included).
        history: ``random-1000``, ``full`` or ``trajectory``.
        history_size: rows per past task for ``random-1000`` and evaluations for ``trajectory``.
        target: ``top0.1`` (the task's top-0.1% validation quantile) or ``best``.
        strategy: the search strategy's registry name (``metanas.search.strategy_names()``);
            built by `LotoMethod.build_strategy` for each search.
        strategy_options: further keyword arguments of the strategy's factory (e.g.
            ``{"population_size": 20}`` is how ``population_size`` below reaches it).
        evaluator: the evaluator's registry name (``metanas.search.evaluator_names()``), built
            as ``factory(table=held-out table)``; default the benchmark table lookup.
        population_size / tournament_size: the initial population's size (also the warm-start
            methods' population) and regularized evolution's tournament; passed to any strategy
            whose factory takes arguments of these names.
        shuffle_history: permute scores across architectures in the history (control).
        warm_start: `WarmStartConfig` keys applied to the warm-start methods.
        objective: the metric optimised (``None``: the suite's default).
        nb201_dir: folder of the NAS-Bench-201 tables.
        workers: worker processes (``None``: the CPU count).
        cache_dir: where fold models are cached (``None``: a temp folder).
        train_config: training settings of the fold meta-learners (``None``: the defaults
            of ``configs/train.yaml``); part of the fold-model cache key.
        refine: options of the refinement hook (``task_embedding+refine``).
    """

    suite: str = "nasbench-graph"
    tasks: tuple[str, ...] | None = None
    methods: tuple[str, ...] = ("random", "dataset_meta")
    seeds: int = 30
    history_seeds: int = 3
    budget: int = 300
    history: str = "random-1000"
    history_size: int = 1000
    target: str = "top0.1"
    strategy: str = "regularized_evolution"
    strategy_options: dict = field(default_factory=dict)
    evaluator: str = "benchmark"
    population_size: int = 20
    tournament_size: int = 5
    shuffle_history: bool = False
    warm_start: dict = field(default_factory=dict)
    objective: str | None = None
    nb201_dir: str | None = None
    workers: int | None = None
    cache_dir: str | None = None
    train_config: dict | None = None
    refine: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._fold_strategy_options()
        for key in ("seeds", "history_seeds", "budget", "history_size", "population_size", "tournament_size"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"'{key}' must be an integer >= 1, got {v!r}")
        SUITES.factory(self.suite)  # an unknown suite fails here, naming the registered ones
        if self.history not in HISTORIES:
            raise ConfigError(f"'history' must be one of {list(HISTORIES)}, got {self.history!r}")
        if self.target not in TARGETS:
            raise ConfigError(f"'target' must be one of {list(TARGETS)}, got {self.target!r}")
        if self.tournament_size > self.population_size:
            raise ConfigError(
                f"'tournament_size' must be <= population_size={self.population_size}, got {self.tournament_size}"
            )
        if self.population_size > self.budget:
            raise ConfigError(f"'budget' must be >= population_size={self.population_size}, got {self.budget}")
        unknown = [m for m in self.methods if m not in LOTO_METHODS]
        if unknown:
            raise UnknownNameError(f"unknown method(s) {unknown}; choose from {method_names()}")
        if "random" not in self.methods:
            object.__setattr__(self, "methods", ("random", *self.methods))
        self._check_strategy_and_evaluator()

    def _fold_strategy_options(self) -> None:
        """Check ``strategy_options``; its ``population_size`` / ``tournament_size`` move to the fields."""
        if not isinstance(self.strategy_options, dict) or not all(isinstance(k, str) for k in self.strategy_options):
            raise ConfigError(f"'strategy_options' must be a dict of keyword arguments, got {self.strategy_options!r}")
        shadowed = sorted({"space", "seed", "initial_population"} & set(self.strategy_options))
        if shadowed:
            raise ConfigError(f"'strategy_options' must not set {shadowed}: the protocol sets them per search")
        options = dict(self.strategy_options)
        for key in ("population_size", "tournament_size"):  # the settings fields hold these two
            if key not in options:
                continue
            value = options.pop(key)
            default = type(self).__dataclass_fields__[key].default
            if getattr(self, key) not in (default, value):
                raise ConfigError(f"'strategy_options' sets {key}={value!r} but the settings say {key}="
                                  f"{getattr(self, key)!r}; give it once")
            object.__setattr__(self, key, value)
        object.__setattr__(self, "strategy_options", options)

    def _check_strategy_and_evaluator(self) -> None:
        from metanas.registry import check_kwargs
        from metanas.search import EVALUATORS, STRATEGIES

        factory = STRATEGIES.factory(self.strategy)
        check_kwargs(factory, self.strategy_kwargs(None, 0, None), f"'strategy' {self.strategy!r}")
        check_kwargs(EVALUATORS.factory(self.evaluator), {"table": None}, f"'evaluator' {self.evaluator!r}")

    def strategy_kwargs(self, space: Any, seed: int, initial_population: Sequence[ModelGraph] | None) -> dict:
        """The keyword arguments of the settings' strategy for one search."""
        import inspect

        from metanas.search import STRATEGIES

        kwargs: dict[str, Any] = {"space": space, "seed": seed, "initial_population": initial_population}
        try:
            params = inspect.signature(STRATEGIES.factory(self.strategy)).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            params = {}
        for key in ("population_size", "tournament_size"):
            if key in params:
                kwargs[key] = getattr(self, key)
        return kwargs | self.strategy_options

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tasks"] = list(self.tasks) if self.tasks else None
        d["methods"] = list(self.methods)
        return d


@dataclass
class Fold:
    """What a method sees of one fold: the held-out task and a history without it."""

    settings: LotoSettings
    suite: BenchmarkSuite
    table: BenchmarkTable
    past_tasks: tuple[str, ...]
    history_seed: int
    db: Any
    history_key: str
    cache_dir: Path
    state: dict = field(default_factory=dict)

    @property
    def task(self):
        return self.table.task

    @property
    def space(self):
        return self.table.space


class LotoMethod(ABC):
    """A way to start (and steer) the search of a fold. One registry line per method."""

    name: str
    #: Whether the method reads the history (``random`` does not, and runs once per seed).
    uses_history: bool = True

    def prepare(self, fold: Fold) -> None:
        """Per-fold preparation (e.g. train or load a fold model). Default: nothing."""

    @abstractmethod
    def initial_population(self, fold: Fold, seed: int) -> list[ModelGraph] | None:
        """The initial population for search seed ``seed`` (``None``: the strategy's own)."""

    def hooks(self, fold: Fold, seed: int) -> list[Callable]:
        """Run-loop hooks for this search (default: none)."""
        return []

    def build_strategy(self, fold: Fold, seed: int, initial_population: list[ModelGraph] | None) -> SearchStrategy:
        """The search strategy of one run: by default the settings' ``strategy`` (registry name)
        with ``strategy_options``; override to bring a method's own strategy."""
        from metanas.search import get_strategy

        s = fold.settings
        return get_strategy(s.strategy, **s.strategy_kwargs(fold.space, seed, initial_population))


class RandomInit(LotoMethod):
    """The baseline: regularized evolution from its own random population."""

    name = "random"
    uses_history = False

    def initial_population(self, fold: Fold, seed: int) -> None:
        return None


class DatasetMetaWarmStart(LotoMethod):
    """`WarmStarter` with ``dataset_meta`` similarity."""

    name = "dataset_meta"
    metric = "dataset_meta"

    def _config(self, fold: Fold) -> dict:
        cfg = {"similarity_metric": self.metric, **fold.settings.warm_start}
        cfg["similarity_metric"] = self.metric
        return cfg

    def initial_population(self, fold: Fold, seed: int) -> list[ModelGraph]:
        from metanas.warm_start import WarmStarter

        starter = WarmStarter(fold.db, self._config(fold), task_embedder=fold.state.get("embedder"))
        return starter.generate_initial_population(
            fold.task, fold.settings.population_size, fold.space, rng=np.random.default_rng(seed)
        )


#: The LOTO methods by name (entry-point group ``metanas.loto_methods``); factories take no arguments.
LOTO_METHODS: Registry[LotoMethod] = Registry("LOTO method", base=LotoMethod, entry_point_group="metanas.loto_methods")


def register_method(name: str, factory: Callable[[], LotoMethod]) -> None:
    """Register a LOTO method under ``name`` (`LOTO_METHODS.register`)."""
    LOTO_METHODS.register(name, factory)


def method_names() -> list[str]:
    """Registered LOTO methods."""
    return LOTO_METHODS.names()


class TaskEmbeddingWarmStart(DatasetMetaWarmStart):
    """`WarmStarter` with ``task_embedding`` similarity from a meta-learner trained on the fold's
    history only (never the held-out task); fold models are cached by `training.folds`."""

    name = "task_embedding"
    metric = "task_embedding"

    def prepare(self, fold: Fold) -> None:
        if "embedder" in fold.state:
            return
        from metanas.training.folds import fold_embedder  # lazily: only the benchmark reaches training/

        fold.state["embedder"] = fold_embedder(
            fold.db, space_id=fold.space.id, exclude_task=fold.task.task_id, history_key=fold.history_key,
            config=fold.settings.train_config, cache_dir=fold.cache_dir,
        )


class TaskEmbeddingRefine(TaskEmbeddingWarmStart):
    """``task_embedding`` plus refinement: after the initial population is evaluated, the new task's
    embedding is re-estimated from its observations and the model's best-ranked unseen
    architectures are injected into the running evolution (`models.refine.RefinementHook`)."""

    name = "task_embedding+refine"

    def hooks(self, fold: Fold, seed: int) -> list[Callable]:
        from metanas.models.refine import RefinementHook

        options = {"refine_after": fold.settings.population_size, **fold.settings.refine}
        return [RefinementHook(fold.state["embedder"], fold.space, fold.task, fold.past_tasks, **options)]


LOTO_METHODS.register("random", RandomInit)
LOTO_METHODS.register("dataset_meta", DatasetMetaWarmStart)
LOTO_METHODS.register("task_embedding", TaskEmbeddingWarmStart)
LOTO_METHODS.register("task_embedding+refine", TaskEmbeddingRefine)


# ---------------------------------------------------------------------------- history
def _stable_seed(*parts: Any) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


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

    space_id = suite.space(held_out).id
    past = tuple(t for t in _fold_tasks(settings, suite) if t != held_out and suite.space(t).id == space_id)
    db = ExperimentDatabase(db_url)
    for task_id in past:
        table = suite.table(task_id, settings.objective)
        seed = _stable_seed("history", history_seed, task_id)
        if settings.history == "full":
            rows = np.arange(len(table))
        elif settings.history == "random-1000":
            rng = np.random.default_rng(seed)
            rows = np.sort(rng.choice(len(table), size=min(settings.history_size, len(table)), replace=False))
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


def _fold_tasks(settings: LotoSettings, suite: BenchmarkSuite) -> tuple[str, ...]:
    return tuple(suite.resolve(t) for t in settings.tasks) if settings.tasks else tuple(suite.default_tasks)


# ---------------------------------------------------------------------------- metrics
def evals_to_target(best_so_far: np.ndarray, target: float, direction: str = "maximize") -> int:
    """1-based index of the first evaluation reaching ``target``; ``len + 1`` if none (censored)."""
    hit = best_so_far >= target if direction == "maximize" else best_so_far <= target
    idx = np.flatnonzero(hit)
    return int(idx[0]) + 1 if idx.size else len(best_so_far) + 1


def _target_value(table: BenchmarkTable, target: str) -> float:
    return table.best_value() if target == "best" else table.quantile_target(0.001)


def _run_one(fold: Fold, method: LotoMethod, seed: int) -> tuple[dict, np.ndarray]:
    from metanas.search import get_evaluator, run_search

    s = fold.settings
    table = fold.table
    init = method.initial_population(fold, seed)
    strategy = method.build_strategy(fold, seed, init)
    result = run_search(strategy, get_evaluator(s.evaluator, table=table), s.budget, direction=table.direction,
                        hooks=method.hooks(fold, seed))
    curve = np.asarray(result.best_so_far, dtype=float)
    target = _target_value(table, s.target)
    best = table.best_value()
    sign = table.sign()
    n = evals_to_target(curve, target, table.direction)
    best_metrics = result.best().metrics
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
    row["test_metric"] = float(best_metrics[table.test_metric])
    return row, curve


# ---------------------------------------------------------------------------- jobs
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
        method = LOTO_METHODS.create("random")
        for seed in range(settings.seeds):
            out.append(_run_one(fold, method, seed))
        return out
    with tempfile.TemporaryDirectory(prefix="metanas-loto-") as tmp:
        db, past = build_history(settings, suite, job.task, job.history_seed, str(Path(tmp) / "history.db"))
        try:
            history_key = _history_key(settings, job.task, job.history_seed)
            fold = Fold(settings, suite, table, past, job.history_seed, db, history_key, Path(cache_dir))
            for name in job.methods:
                method = LOTO_METHODS.create(name)
                method.prepare(fold)
                for seed in range(settings.seeds):
                    out.append(_run_one(fold, method, seed))
        finally:
            db.close()
    return out


def _history_key(settings: LotoSettings, task: str, history_seed: int) -> str:
    parts = {
        "suite": settings.suite, "task": task, "history": settings.history, "size": settings.history_size,
        "seed": history_seed, "objective": settings.objective, "shuffle": settings.shuffle_history,
        "tasks": list(_fold_tasks(settings, _suite(settings))),
    }  # the fold model's own settings enter its cache key in training.folds
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _suite(settings: LotoSettings) -> BenchmarkSuite:
    kwargs = {} if settings.nb201_dir is None else {"nb201_dir": settings.nb201_dir}
    return get_suite(settings.suite, **kwargs)


@dataclass
class LotoResult:
    """Rows, curves and summary of a LOTO benchmark."""

    settings: LotoSettings
    runs: list[dict]
    curves: list[tuple[dict, np.ndarray]]
    summary: dict
    seconds: float

    def write(self, out_dir: str | Path) -> Path:
        """Write ``runs.csv``, ``curves.csv.gz`` and ``summary.json`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        cols = ["task", "method", "history_seed", "seed", "evals_to_target", "censored", "regret_20",
                "regret_50", "regret_100", "regret_B", "test_metric"]
        with open(out / "runs.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(self.runs)
        with gzip.open(out / "curves.csv.gz", "wt", newline="") as f:
            w = csv.writer(f)
            w.writerow(["task", "method", "history_seed", "seed", "evaluation", "best_so_far"])
            for key, curve in self.curves:
                prefix = [key["task"], key["method"], key["history_seed"], key["seed"]]
                w.writerows([*prefix, i + 1, f"{v:.6g}"] for i, v in enumerate(curve))
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2, sort_keys=False))
        return out


def run_loto(settings: LotoSettings, *, progress: bool = False) -> LotoResult:
    """Run the protocol; parallel over folds with ``settings.workers`` processes."""
    start = time.perf_counter()
    suite = _suite(settings)
    tasks = _fold_tasks(settings, suite)
    for t in tasks:  # load tables once (shared by forked workers) and fail early on bad names
        suite.table(t, settings.objective)
    cache_dir = settings.cache_dir or str(Path(tempfile.gettempdir()) / "metanas-fold-cache")
    warm = tuple(m for m in settings.methods if m != "random")
    jobs = [_Job(t, None, ("random",)) for t in tasks]
    jobs += [_Job(t, h, warm) for t in tasks for h in range(settings.history_seeds) if warm]
    workers = settings.workers or os.cpu_count() or 1
    results: list[tuple[dict, np.ndarray]] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="LOTO folds", unit="fold")
    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            results += _run_job(job, settings, cache_dir)
            if bar:
                bar.update()
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = mp.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
            futures = {pool.submit(_run_job, job, settings, cache_dir): i for i, job in enumerate(jobs)}
            by_job: dict[int, list] = {}
            for fut in as_completed(futures):
                by_job[futures[fut]] = fut.result()
                if bar:
                    bar.update()
            for i in range(len(jobs)):
                results += by_job[i]
    if bar:
        bar.close()
    order = {m: i for i, m in enumerate(settings.methods)}
    results.sort(key=lambda rc: (tasks.index(rc[0]["task"]), order[rc[0]["method"]],
                                 -1 if rc[0]["history_seed"] == "" else rc[0]["history_seed"], rc[0]["seed"]))
    runs = [r for r, _ in results]
    curves = [({k: r[k] for k in ("task", "method", "history_seed", "seed")}, c) for r, c in results]
    summary = summarise(runs, settings)
    summary["task_info"] = {t: task_info(suite.table(t, settings.objective), settings.target) for t in tasks}
    summary["seconds"] = round(time.perf_counter() - start, 1)
    summary["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return LotoResult(settings, runs, curves, summary, time.perf_counter() - start)


def task_info(table: BenchmarkTable, target: str) -> dict:
    """Facts of a held-out task's table: best value, target value and how many reach it."""
    t = _target_value(table, target)
    hit = table.values >= t if table.direction == "maximize" else table.values <= t
    return {"objective": table.objective, "test_metric": table.test_metric, "direction": table.direction,
            "best": table.best_value(), "target": target, "target_value": t,
            "num_at_target": int(hit.sum()), "num_architectures": len(table)}


def summarise(runs: Sequence[dict], settings: LotoSettings) -> dict:
    """``summary.json``: per task and method medians, speedups, and the median over tasks."""
    B = settings.budget
    tasks: dict[str, dict] = {}
    for task in dict.fromkeys(r["task"] for r in runs):
        per: dict[str, dict] = {}
        rows_t = [r for r in runs if r["task"] == task]
        base = [r["evals_to_target"] for r in rows_t if r["method"] == "random"]
        base_med = float(np.median(base)) if base else math.nan
        for method in settings.methods:
            rows = [r for r in rows_t if r["method"] == method]
            if not rows:
                continue
            evals = np.array([r["evals_to_target"] for r in rows], dtype=float)
            med = float(np.median(evals))
            entry = {
                "runs": len(rows),
                "median_evals": med,
                "frac_reached": float(np.mean(evals <= B)),
                "median_censored": bool(med > B),
                "regret_at": {str(k): float(np.median([r[f"regret_{k}"] for r in rows])) for k in REGRET_AT}
                | {"B": float(np.median([r["regret_B"] for r in rows]))},
                "median_test_metric": float(np.median([r["test_metric"] for r in rows])),
            }
            if method != "random":
                entry["speedup"] = base_med / med
                entry["speedup_lower_bound"] = bool(base_med > B)
                entry["meets_target"] = bool(med <= B)
            per[method] = entry
        tasks[task] = per
    median_speedup, reduction, lower = {}, {}, {}
    for method in settings.methods:
        if method == "random":
            continue
        sp = [tasks[t][method]["speedup"] for t in tasks if method in tasks[t]]
        if not sp:
            continue
        m = float(np.median(sp))
        median_speedup[method] = m
        reduction[method] = 1.0 - 1.0 / m if m > 0 else -math.inf
        lower[method] = sum(tasks[t][method]["speedup_lower_bound"] for t in tasks if method in tasks[t])
    return {
        "suite": settings.suite,
        "settings": settings.to_dict(),
        "methods": list(settings.methods),
        "tasks": tasks,
        "median_speedup": median_speedup,
        "reduction": reduction,
        "tasks_with_lower_bound_speedup": lower,
    }


def format_table(summary: dict) -> str:
    """A plain-text table of the summary (what `metanas bench` prints)."""
    methods = [m for m in summary["methods"] if m != "random"]
    head = f"{'task':<22}{'random':>10}" + "".join(f"{m:>24}" for m in methods)
    lines = [head, "-" * len(head)]
    for task, per in summary["tasks"].items():
        r = per["random"]
        cell = f"{r['median_evals']:>7.0f}{'+' if r['median_censored'] else ' '}  "
        line = f"{task:<22}{cell:>10}"
        for m in methods:
            e = per.get(m)
            if e is None:
                line += f"{'-':>24}"
                continue
            flag = ">=" if e["speedup_lower_bound"] else "  "
            cens = "+" if e["median_censored"] else " "
            line += f"{e['median_evals']:>9.0f}{cens} ({flag}{e['speedup']:5.2f}x)".rjust(24)
        lines.append(line)
    lines.append("-" * len(head))
    tail = f"{'median speedup':<32}" + "".join(
        f"{summary['median_speedup'].get(m, math.nan):>18.2f}x ({100 * summary['reduction'].get(m, math.nan):.0f}%)"
        for m in methods)
    lines.append(tail)
    lines.append("cells: median evaluations-to-target (+: censored at budget+1) and speedup against random "
                 "(>=: lower bound, random censored); reduction = 1 - 1/median speedup")
    return "\n".join(lines)
