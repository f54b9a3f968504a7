"""A real, recorded, resumable architecture search on the user's data (what ``metanas search`` runs).

`run_real_search` does the whole job: the task's meta-features from the data (with its landmarks,
computed from the training part of the evaluator's split: `record_search_task`), the task in the
experiment database, a warm-started (or random) initial population with provenance, the
strategy with a training evaluator, every evaluation recorded as it finishes, and the result.

Resuming (``resume=True``): the latest unfinished run of the task in the space with the same
strategy (status ``running`` after a hard kill, or ``failed`` after an interrupt) and the runs
it continued are read back; the strategy is rebuilt with the recorded initial population and
seed, and every architecture asked again gets its recorded result without training, so the
search retraces its steps and goes on where it stopped. A run still ``running`` is continued
in place; an ended one is continued by a new run (config ``resumed_from``) whose steps carry
on the numbering. Nothing is evaluated twice and no row is lost.

One process at a time writes a run: a search holds the lease (`ExperimentDatabase.lease_run`)
of every run it writes, so a second ``resume`` of a run being continued is refused at once
with one line (it used to continue the same run too, and both died on the same step). A
killed process holds no lease: ``kill -9`` then ``resume`` works at once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.landmarks import LANDMARK_NAMES
from metanas.resources import read_yaml_mapping
from metanas.search import (
    DatabaseRecorder,
    EvaluationResult,
    Evaluator,
    SearchResult,
    SearchStrategy,
    failure_of,
    get_evaluator,
    run_search,
    start_search,
)
from metanas.spaces import SearchSpace
from metanas.tasks import TaskMetadata

__all__ = ["DEFAULT_SEARCH_PRESET", "SEARCH_PRESETS", "RealSearch", "SearchSettings", "available_cores", "check_space_fits_data", "load_search_config", "record_search_task", "run_real_search"]

logger = logging.getLogger(__name__)

_EVALUATOR_OF_KIND = {"image": "image_classification", "graph": "node_classification",
                      "tabular": "tabular_classification"}


def _evaluator_of(data: Any) -> tuple[str, str]:
    """``(data kind, training evaluator name)``: the ``training`` section and the evaluator of ``data``
    (a table's problem picks ``tabular_classification`` or ``tabular_regression``)."""
    from metanas.networks._data import ImageData, TabularData

    if isinstance(data, TabularData):
        return "tabular", f"tabular_{data.problem}"
    kind = "image" if isinstance(data, ImageData) else "graph"
    return kind, _EVALUATOR_OF_KIND[kind]


@dataclass(frozen=True)
class SearchSettings:
    """The ``search`` section of a search config.

    Attributes:
        budget: evaluations in total, the initial population included (>= 1).
        population: size of the initial population (>= 1).
        strategy: a registered strategy name.
        strategy_options: the strategy's own settings (e.g. ``population_size``).
        seed: seed of the strategy and of the population's random fill.
        threads: CPU threads torch may use while training (``torch.set_num_threads``, set for
            the search and restored after it); ``None``: torch's default (one per core). On a
            machine shared with other jobs 1 is often much faster.
    """

    budget: int = 20
    population: int = 10
    strategy: str = "regularized_evolution"
    strategy_options: dict[str, Any] = field(default_factory=lambda: {"population_size": 10, "tournament_size": 3})
    seed: int = 0
    threads: int | None = None

    def __post_init__(self) -> None:
        for key, low in (("budget", 1), ("population", 1), ("seed", 0)):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ConfigError(f"search config: '{key}' must be an integer >= {low}, got {v!r}")
        t = self.threads
        if t is not None and (isinstance(t, bool) or not isinstance(t, int) or t < 1):
            raise ConfigError(f"search config: 'threads' must be an integer >= 1 or null (torch's default), got {t!r}")
        if not isinstance(self.strategy, str) or not isinstance(self.strategy_options, Mapping):
            raise ConfigError("search config: 'strategy' must be a name and 'strategy_options' a mapping")


#: Named search configs (``--config NAME``): the shipped YAML each stands for. ``small`` is the
#: default of ``metanas search``: small networks (nb201 C=8, N=1; nbg dim 64) that train in
#: seconds on a CPU; ``benchmark``: the networks NAS-Bench-201 (C=16, N=5, about 10x the
#: parameters and ~20x the time) and NAS-Bench-Graph train.
SEARCH_PRESETS = {"small": "configs/search.yaml", "benchmark": "configs/search_benchmark.yaml"}
#: The preset read when no config is given.
DEFAULT_SEARCH_PRESET = "small"


def load_search_config(path: str | Path | None) -> tuple[SearchSettings, dict[str, Any], dict[str, Any]]:
    """``(search settings, warm_start mapping, training mapping)`` of a YAML file or a preset.

    Args:
        path: a YAML file (sections ``search``, ``warm_start``, ``training``), the name of a
            preset in `SEARCH_PRESETS` (``small``, ``benchmark``; a file of that name in the
            working directory wins), or ``None``: the ``small`` preset.

    Raises:
        ConfigError: unknown sections or keys, or invalid values (the message names them).
    """
    if path is None:
        path = DEFAULT_SEARCH_PRESET
    if isinstance(path, str) and not Path(path).exists():
        if path in SEARCH_PRESETS:
            path = SEARCH_PRESETS[path]
        elif not Path(path).suffix and len(Path(path).parts) == 1:
            raise ConfigError(
                f"search config {path!r} is neither a file nor a preset; pass a YAML file or one of the presets "
                f"{sorted(SEARCH_PRESETS)}"
            )
    p, data = read_yaml_mapping(path, "search config file")
    unknown = sorted(set(data) - {"search", "warm_start", "training"})
    if unknown:
        raise ConfigError(f"{p}: unknown section(s) {unknown}; known: ['search', 'training', 'warm_start']")
    search = data.get("search") or {}
    known = {f.name for f in fields(SearchSettings)}
    bad = sorted(set(search) - known)
    if bad:
        raise ConfigError(f"{p}: unknown 'search' key(s) {bad}; known keys: {sorted(known)}")
    training = data.get("training") or {}
    bad = sorted(set(training) - set(_EVALUATOR_OF_KIND))
    if bad:
        raise ConfigError(f"{p}: unknown 'training' section(s) {bad}; known: {sorted(_EVALUATOR_OF_KIND)}")
    return SearchSettings(**search), dict(data.get("warm_start") or {}), dict(training)


@dataclass
class RealSearch:
    """What `run_real_search` returns.

    Attributes:
        task: the task searched.
        result: every evaluation of the search (replayed ones included) and the best.
        run_id: the database run that holds the newest evaluations.
        origins: source of each initial member (``transfer:<task>``, ``model`` or ``random``).
        initial: the initial population, in order.
        similar_tasks: ``[(task_id, similarity)]`` the warm start used.
        replayed: evaluations read back from the database instead of trained (resume).
        trained: evaluations trained in this call.
    """

    task: TaskMetadata
    result: SearchResult
    run_id: int | None
    origins: list[str]
    initial: list[ModelGraph]
    similar_tasks: list[tuple[str, float]]
    replayed: int = 0
    trained: int = 0

    def origin_of(self, graph: ModelGraph) -> str:
        """Where an architecture came from: its initial-population source, else ``search``."""
        for g, origin in zip(self.initial, self.origins):
            if g == graph:
                return origin
        return "search"


class _Replay(Evaluator):
    """Recorded results for architectures already evaluated; the real evaluator for the others."""

    def __init__(self, inner: Evaluator, space: SearchSpace, recorded: dict[str, EvaluationResult]) -> None:
        self.inner, self.space, self.recorded = inner, space, recorded
        self.objective, self.direction = inner.objective, inner.direction
        self.test_metric = getattr(inner, "test_metric", None)
        self.last_replayed = False
        self.replayed = self.trained = 0

    def evaluate(self, graph: ModelGraph) -> EvaluationResult:
        res = self.recorded.pop(self.space.key(graph), None)
        self.last_replayed = res is not None
        if res is None:
            self.trained += 1
            return self.inner.evaluate(graph)
        self.replayed += 1
        return res


class _Recorder(DatabaseRecorder):
    """Records only what was trained (replayed steps are in the database already), into a run
    whose lease it holds: a run it continues was leased before, a run it starts is leased at once."""

    def __init__(self, replay: _Replay, *args: Any, run_id: int | None = None, leases: list[Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replay = replay
        self.run_id = run_id
        self.leases = leases
        self._holds = run_id is not None  # a continued run: leased by the caller

    def _start(self) -> int:
        fresh = self.run_id is None
        run_id = super()._start()
        if fresh:
            self.leases.append(self.db.lease_run(run_id))
            self._holds = True
        return run_id

    def record(self, step: int, graph: ModelGraph, result: EvaluationResult) -> None:
        if not self.replay.last_replayed:
            super().record(step, graph, result)

    def finish(self, status: str) -> None:
        if self.run_id is not None and not self._holds:  # another process leased the run first: it is theirs
            return
        super().finish(status)


def _recorded_result(metrics: Mapping[str, float], cost: float | None, unit: str, objective: str) -> EvaluationResult:
    reason = failure_of(metrics)
    if reason is not None:
        return EvaluationResult.failed(reason, "recorded failure", metrics, cost, unit)
    return EvaluationResult(metrics[objective], dict(metrics), cost, unit)


def _resume_point(db: Any, task_id: str, strategy: str, space_id: str) -> tuple[Any, list[Any]]:
    """The task's latest run (strategy, space), which must be unfinished, and the chain of runs it continues."""
    runs = [r for r in db.runs(task_id) if r.strategy == strategy and r.space_id == space_id]
    if not runs or runs[-1].status == "finished":
        raise ConfigError(
            f"--resume: the latest {strategy} run of task {task_id!r} in space {space_id!r} is not unfinished "
            f"(runs: {[(r.run_id, r.status) for r in runs]}); run without --resume to start a search"
        )
    by_id = {r.run_id: r for r in runs}
    chain = [runs[-1]]
    while chain[-1].config.get("resumed_from") in by_id:
        chain.append(by_id[chain[-1].config["resumed_from"]])
    return runs[-1], chain[::-1]


def run_real_search(db: Any, space: SearchSpace | str, data: Any = None, task: TaskMetadata | None = None, *,
                    settings: SearchSettings | None = None, warm_start: bool = True,
                    warm_start_config: Mapping[str, Any] | None = None, training: Mapping[str, Any] | None = None,
                    resume: bool = False, progress: bool = False, evaluator: Evaluator | None = None) -> RealSearch:
    """Search ``task`` with an evaluator into an experiment database, resumably (what ``metanas search`` runs).

    The task is added to the database with the evaluator's objective and direction; the
    initial population is warm-started from the similar past tasks in the database (or
    random); every evaluation is recorded as it finishes. After a crash, ``kill -9`` or
    Ctrl-C, the same call with ``resume=True`` replays what was recorded without evaluating
    it again and goes on to the budget (see the module docstring); one process at a time
    writes a run (a second concurrent resume raises `metanas.db.RunLeaseError`).

    Example::

        from metanas import ExperimentDatabase, SearchSettings, TaskMetadata, run_real_search

        task = TaskMetadata("mine/tabular-a", "my data", 569, 2, (1, 1, 30), "classification")
        found = run_real_search("history.db", my_space, task=task, evaluator=MyEvaluator(),
                                settings=SearchSettings(budget=30, population=10))
        print(found.result.best().graph, found.similar_tasks)

    Args:
        db: an open `ExperimentDatabase`, or the path/URL of one (opened for this call and
            closed afterwards; created when missing).
        space: the search space (instance or registered id).
        data: `ImageData`, `GraphData` or `TabularData` (from `metanas.networks.load_data`) for
            the training evaluator of its kind; ``None`` when ``evaluator`` is given.
        task: the task's metadata; ``None``: ``data.task(...)`` needs an id, so pass it.
        settings: budget, population, strategy and seed (``None``: `SearchSettings()`).
        warm_start: seed the population from similar past tasks (else random).
        warm_start_config: `WarmStartConfig` keys.
        training: `TrainConfig` keys per data kind (``{"image": {...}, "graph": {...}, "tabular": {...}}``).
        resume: continue the latest unfinished search of the task instead of starting one.
        progress: progress bar over the evaluations.
        evaluator: an `Evaluator` to use instead of the training evaluator of the data's kind
            (your own objective: its ``objective`` names the metric its results carry, and
            ``direction`` says which way is better).

    Returns:
        `RealSearch`: the result (every evaluation, the best), the run id, the initial
        population with where each member came from, the similar past tasks used, and how
        many evaluations were trained now and how many read back.

    Before anything is recorded or trained, a network of the space is built for the data, so
    that image data with a graph space (and the reverse) is refused; ``threads`` above the
    machine's cores and a budget above the space's distinct architectures are logged as
    warnings.

    Raises:
        ConfigError: bad settings, no task, neither data nor evaluator, a space that cannot
            build networks for the data, nothing to resume, or a resumed run recorded differently.
        RunLeaseError: another process is writing the run to resume.
    """
    from metanas.spaces import get_space

    settings = SearchSettings() if settings is None else settings
    if not isinstance(settings, SearchSettings):
        raise ConfigError(f"run_real_search: 'settings' must be a SearchSettings, got {settings!r}")
    if not isinstance(task, TaskMetadata):
        raise ConfigError(f"run_real_search: 'task' must be a TaskMetadata (e.g. data.task('mine/a')), got {task!r}")
    if data is None and evaluator is None:
        raise ConfigError("run_real_search: pass 'data' (for the training evaluator of its kind) or an 'evaluator'")
    space = get_space(space)
    if isinstance(db, (str, os.PathLike)):
        from metanas.db import ExperimentDatabase

        with ExperimentDatabase(db) as opened:
            return run_real_search(opened, space, data, task, settings=settings, warm_start=warm_start,
                                   warm_start_config=warm_start_config, training=training, resume=resume,
                                   progress=progress, evaluator=evaluator)
    _warn_about(settings, space)
    if settings.threads is None:
        return _search(db, space, data, task, settings, warm_start, warm_start_config, training, resume, progress,
                       evaluator)
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    logger.info("training with %d torch thread(s) (was %d)", settings.threads, before)
    try:
        return _search(db, space, data, task, settings, warm_start, warm_start_config, training, resume, progress,
                       evaluator)
    finally:
        torch.set_num_threads(before)


def available_cores() -> int:
    """CPU cores this process may run on (its affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _warn_about(settings: SearchSettings, space: SearchSpace) -> None:
    cores = available_cores()
    if settings.threads is not None and settings.threads > cores:
        logger.warning("threads=%d is more than the %d CPU core(s) available: training will be slower than with "
                       "threads=%d", settings.threads, cores, cores)
    distinct = space.distinct_size
    if distinct is not None and settings.budget > distinct:
        logger.warning("budget=%d is larger than the %d distinct architectures of space %r: the search stops when "
                       "the space is exhausted; lower the budget", settings.budget, distinct, space.id)


def check_space_fits_data(space: SearchSpace, data: Any, training: Mapping[str, Any] | None = None) -> None:
    """Refuse, before anything is recorded or trained, a space that cannot build networks for ``data``.

    Builds one network of ``space`` with the training evaluator of the data's kind (the
    settings of ``training``), as `run_real_search` does before its first evaluation.

    Args:
        space: the search space.
        data: `ImageData`, `GraphData` or `TabularData` (from `load_data`).
        training: `TrainConfig` keys per data kind (``{"image": {...}, "graph": {...}, "tabular": {...}}``).

    Raises:
        ConfigError: data of another kind than the space builds (images with a graph or mlp
            space, tables with an image space...), or bad training settings.
    """
    kind, name = _evaluator_of(data)
    _preflight(get_evaluator(name, data=data, space=space, config=(training or {}).get(kind)),
               space)


def _preflight(evaluator: Evaluator, space: SearchSpace) -> None:
    """Build one network of ``space`` for the training evaluator's data: a space that cannot
    build networks for this kind of data (images with a graph space, or the reverse) is
    refused here instead of failing every evaluation."""
    from metanas.networks import build_network
    from metanas.networks._train import TrainingEvaluator

    if not isinstance(evaluator, TrainingEvaluator):
        return
    graph = space.sample(np.random.default_rng(0))
    kind = evaluator.spec.kind
    try:  # the builder's defaults first: a wrong kind of data is named as such
        build_network(graph, space, evaluator.spec)
    except ConfigError as exc:
        raise ConfigError(f"space {space.id!r} cannot train on the {kind} data {evaluator.data.name!r}: {exc}") from None
    try:
        build_network(graph, space, evaluator.spec, **evaluator.config.network)
    except (ConfigError, TypeError) as exc:
        raise ConfigError(
            f"training.{kind}.network {dict(evaluator.config.network)} does not fit space {space.id!r}: {exc}"
        ) from None


def _search(db: Any, space: SearchSpace, data: Any, task: TaskMetadata, settings: SearchSettings, warm_start: bool,
            warm_start_config: Mapping[str, Any] | None, training: Mapping[str, Any] | None, resume: bool,
            progress: bool, evaluator: Evaluator | None) -> RealSearch:
    leases: list[Any] = []  # the runs this search writes: one process at a time (db.lease_run)
    try:
        return _leased_search(db, space, data, task, settings, warm_start, warm_start_config, training, resume,
                              progress, evaluator, leases)
    finally:
        for lease in reversed(leases):
            lease.release()


def _lease_resume_point(db: Any, task_id: str, strategy: str, space_id: str, leases: list[Any]) -> tuple[Any, list[Any]]:
    """`_resume_point`, with the lease of the run to continue taken and the point read again under it
    (another process may have moved it on between the first read and the lease)."""
    last, _ = _resume_point(db, task_id, strategy, space_id)
    leases.append(db.lease_run(last.run_id))
    again, chain = _resume_point(db, task_id, strategy, space_id)
    if (again.run_id, again.status) != (last.run_id, last.status):
        raise ConfigError(
            f"--resume: run {last.run_id} of task {task_id!r} was continued by another process meanwhile (now run "
            f"{again.run_id}, {again.status}); wait for that process to end, then resume again"
        )
    return again, chain


def _learned_surrogate(db: Any, space: SearchSpace, task: TaskMetadata, options: dict[str, Any],
                       warm_start: bool) -> None:
    """``strategy_options.embedding: learned`` (with ``surrogate: learned`` or ``both``): the Bayesian
    surrogate's embedding is a meta-learner trained now on the database's other tasks
    (`metanas.training.learned_embedding`, cached per history in a temporary folder), and the task
    is passed for its prior mean (`start_search`). Without a warm start the search is cold: the option
    is refused."""
    if options.get("embedding") != "learned":
        return
    if not warm_start:
        raise ConfigError("strategy option 'embedding: learned' trains on the past tasks; it needs the warm start "
                          "(drop --no-warm-start, or the option)")
    import hashlib

    from metanas.training import learned_embedding  # torch: only for this option
    from metanas.transfer import history_from_db

    past = history_from_db(db, space, exclude=[task.task_id])
    if not past:
        raise ConfigError(f"strategy option 'embedding: learned': the database holds no other task with "
                          f"architectures of space {space.id!r} to train on; drop the option for a cold start")
    key = hashlib.sha256(repr(sorted((p.task_id, len(p.graphs)) for p in past)).encode()).hexdigest()[:16]
    logger.info("training the learned surrogate's meta-learner on %d past task(s)", len(past))
    options["embedding"] = learned_embedding(db, space, [p.task_id for p in past], history_key=f"search-{key}")


def _leased_search(db: Any, space: SearchSpace, data: Any, task: TaskMetadata, settings: SearchSettings,
                   warm_start: bool, warm_start_config: Mapping[str, Any] | None, training: Mapping[str, Any] | None,
                   resume: bool, progress: bool, evaluator: Evaluator | None, leases: list[Any]) -> RealSearch:

    if evaluator is None:
        kind, name = _evaluator_of(data)
        evaluator = get_evaluator(name, data=data, space=space,
                                  config=(training or {}).get(kind))
    _preflight(evaluator, space)
    task = record_search_task(db, task, data, evaluator)
    objective, _ = db.task_objective(task.task_id)
    recorded: dict[str, EvaluationResult] = {}
    continue_run: int | None = None
    extra: dict[str, Any] = {}
    recorded_population: list[ModelGraph] | None = None
    if resume:
        last, chain = _lease_resume_point(db, task.task_id, settings.strategy, space.id, leases)
        cfg = chain[0].config
        recorded_population = [ModelGraph.from_dict(g) for g in cfg["initial_population"]]
        recorded_origins, recorded_similar = list(cfg["origins"]), [tuple(s) for s in cfg.get("similar_tasks", [])]
        seed = chain[0].seed if chain[0].seed is not None else settings.seed
        for run in chain:
            for ev in db.trajectory(run.run_id):
                recorded[space.key(ev.graph)] = _recorded_result(ev.metrics, ev.cost, ev.cost_unit, objective)
        if last.status == "running":
            continue_run = last.run_id
        extra = {"resumed_from": last.run_id}
        logger.info("resuming run %d of %s: %d recorded evaluation(s)", last.run_id, task.task_id, len(recorded))
    else:
        seed = settings.seed
    options = dict(settings.strategy_options)
    _learned_surrogate(db, space, task, options, warm_start)
    start = start_search(settings.strategy, space=space, seed=seed, db=db, task=task,
                         initial_size=settings.population, warm_start=warm_start,
                         warm_start_config=warm_start_config, recorded_population=recorded_population, **options)
    strategy = start.strategy
    initial, origins, similar = list(start.population), list(start.sources), list(start.similar_tasks)
    if resume:
        initial, origins, similar = recorded_population, recorded_origins, recorded_similar
    replay = _Replay(evaluator, space, recorded)
    run_config = {**strategy.config, "initial_population": [g.to_dict() for g in initial], "origins": origins,
                  "similar_tasks": [list(s) for s in similar], "warm_start": bool(warm_start), "budget": settings.budget,
                  **extra}
    recorder = _Recorder(replay, db, task.task_id, strategy.name, space, run_config, seed, run_id=continue_run,
                         leases=leases)
    result = run_search(strategy, replay, settings.budget, recorder=recorder, progress=progress)
    if replay.recorded:
        logger.warning("%d recorded evaluation(s) were not asked again on resuming (kept in the database)",
                       len(replay.recorded))
    initial, origins, similar = _first_population(strategy, result, initial, origins, similar)
    return RealSearch(task, result, recorder.run_id, origins, list(initial), similar, replay.replayed, replay.trained)


def _landmarks_of(task: TaskMetadata, data: Any, evaluator: Evaluator) -> dict[str, float]:
    """The landmark meta-features of ``data`` from the training part of the evaluator's split
    (``{}`` when the evaluator has no split settings or the data is not of the task's kind)."""
    cfg = getattr(evaluator, "config", None)
    split = getattr(data, "split", None)
    if cfg is None or split is None or not all(hasattr(cfg, k) for k in ("val_fraction", "test_fraction", "split_seed")):
        return {}
    train = split(cfg.val_fraction, cfg.test_fraction, cfg.split_seed)[0]
    computed = data.task(task.task_id, task.dataset_name, train_index=train)
    if (computed.modality, computed.problem_type) != (task.modality, task.problem_type):
        logger.info("task %s: no landmarks (the data is a %s task)", task.task_id, computed.problem_type)
        return {}
    names = set(LANDMARK_NAMES[task.modality])
    return {k: v for k, v in computed.meta_features.items() if k in names}


def record_search_task(db: Any, task: TaskMetadata, data: Any, evaluator: Evaluator) -> TaskMetadata:
    """Add the landmark meta-features to a search's task and record it; the task as recorded.

    The landmarks (`metanas.landmarks`) are computed from the training part of the split the
    evaluator trains with (``val_fraction``, ``test_fraction``, ``split_seed`` of its
    config; a graph's own masks), so the validation labels that score the architectures are
    never read. Landmark values already in ``task`` are replaced (logged when they differ).
    Without ``data`` or a training evaluator the task is recorded as given.

    A task already in the database is never changed: when the stored record differs from the
    new one only in landmark features (recorded before they existed, or by another library
    version), the stored record is kept and returned (logged); any other difference raises.

    Args:
        db: an open `ExperimentDatabase`.
        task: the task's metadata (e.g. ``data.task(task_id)``).
        data: `ImageData`, `GraphData` or `TabularData`, or ``None``.
        evaluator: the search's evaluator (its objective and direction are recorded).

    Returns:
        The task the search runs under.

    Raises:
        DatabaseError: a task with that id exists with other metadata.
    """
    from metanas.exceptions import UnknownTaskError

    if data is not None:
        found = _landmarks_of(task, data, evaluator)
        changed = sorted(k for k, v in found.items() if k in task.meta_features and task.meta_features[k] != v)
        if changed:
            logger.info("task %s: landmark(s) %s recomputed from the evaluator's training split", task.task_id, changed)
        if found:
            task = replace(task, meta_features={**task.meta_features, **found})
    try:
        stored = db.get_task(task.task_id)
    except UnknownTaskError:
        stored = None
    if stored is not None and stored != task:
        landmarks = set(LANDMARK_NAMES[task.modality])

        def strip(t: TaskMetadata) -> TaskMetadata:
            return replace(t, meta_features={k: v for k, v in t.meta_features.items() if k not in landmarks})

        if strip(stored) == strip(task):
            logger.info("task %s is recorded with other landmark features (%s); the stored record is kept",
                        task.task_id, sorted(set(stored.meta_features) & landmarks) or "none")
            task = stored
    db.add_task(task, objective=evaluator.objective, direction=evaluator.direction)
    return task


def _first_population(strategy: SearchStrategy, result: SearchResult, given: list[ModelGraph], origins: list[str],
                      similar: list[tuple[str, float]]
                      ) -> tuple[list[ModelGraph], list[str], list[tuple[str, float]]]:
    """What a search really started from: the members it was given or designed plus the random ones
    the strategy drew to fill its population (the first ``population_size`` evaluations), and the
    past tasks it read: the warm start's similar tasks, or those of a strategy that learns from past
    tasks with their final ensemble weights (0 where the last refit gave none). Before, a transfer
    search reported only its designed half, called the random members ``search`` and said it used
    no past task."""
    size = int(strategy.config.get("population_size", len(given)))
    first = [e.graph for e in result.evaluations[:size]]
    known = set(given)
    members = list(given) + [g for g in first if g not in known]
    labels = list(origins) + ["random"] * (len(members) - len(given))
    if not similar:
        weights = (strategy.info.get("weights", {}) if hasattr(strategy, "info") else {}) or {}
        similar = [(t, float(weights.get(t, 0.0))) for t in strategy.config.get("past_tasks", [])]
    return members, labels, similar
