"""LOTO methods: how a fold's search starts (and is steered); the registry `LOTO_METHODS`.

A method is built by a registry factory with keyword options: its search strategy and that
strategy's options are the method's own (``strategy``, ``strategy_options``), as are its other
settings (a warm start's configuration, the fold meta-learner's training settings, ...). A
*named variant* of a method is one registry line with an option set::

    register_method("transfer-bo-learned", TransferBOMethod, surrogate="learned", embedding="learned")

and ``LotoSettings.method_options`` (``metanas bench --method-option METHOD:KEY=VALUE``)
overrides the options of one run's methods. What several methods of one fold share (the past
tasks read from the history, the past-task rankers, the fold meta-learner) is built once per
fold into `FoldCache`.
"""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from metanas.benchmarks._suites import BenchmarkSuite, BenchmarkTable
from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.registry import Registry, check_kwargs

if TYPE_CHECKING:
    from metanas.benchmarks.loto._settings import LotoSettings
    from metanas.search import SearchStrategy
    from metanas.transfer import PastTask, TaskRankers

__all__ = [
    "LOTO_METHODS",
    "Fold",
    "FoldCache",
    "LotoMethod",
    "MethodSpec",
    "RandomInit",
    "WarmStartMethod",
    "create_method",
    "method_names",
    "register_method",
]

#: Strategy arguments the protocol sets for every search (a method's ``strategy_options`` may not).
_PROTOCOL_ARGS = ("space", "seed", "initial_population", "population_size", "tournament_size")


@dataclass
class FoldCache:
    """What the methods of one fold share, built on first use (`Fold.past_history`,
    `Fold.rankers`, `Fold.embedder`) and dropped with the fold.

    Attributes:
        past: the fold's past tasks read from its history database.
        rankers: the past-task rankers fitted on ``past`` (seeded by the history seed).
        embedders: fold meta-learners by their training settings (JSON key).
        learned: the fold's meta-learner as an `ArchitectureEmbedding` (`Fold.learned_embedding`).
    """

    past: list[PastTask] | None = None
    rankers: TaskRankers | None = None
    embedders: dict[str, Any] = field(default_factory=dict)
    learned: Any = None


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
    cache: FoldCache = field(default_factory=FoldCache)

    @property
    def task(self):
        return self.table.task

    @property
    def space(self):
        return self.table.space

    def past_history(self) -> list[PastTask]:
        """The past tasks of the fold's history (never the held-out task), read once."""
        if self.cache.past is None:
            from metanas.search import history_from_db

            self.cache.past = history_from_db(self.db, self.space, self.past_tasks, exclude=[self.task.task_id])
        return self.cache.past

    def rankers(self) -> TaskRankers:
        """The past-task rankers of the fold (fitted once, shared by its methods and search seeds)."""
        if self.cache.rankers is None:
            from metanas.search import CandidatePool, TaskRankers

            self.cache.rankers = TaskRankers(self.space, self.past_history(), seed=self.history_seed,
                                             pool=CandidatePool.for_space(self.space))
        return self.cache.rankers

    def embedder(self, train_config: Mapping[str, Any] | None) -> Any:
        """The fold meta-learner trained with ``train_config`` on the fold's history only (cached
        on disk by `training.folds` and here per training settings)."""
        key = json.dumps(train_config, sort_keys=True, default=str)
        if key not in self.cache.embedders:
            from metanas.training.folds import fold_embedder  # lazily: only the benchmark reaches training/

            self.cache.embedders[key] = fold_embedder(
                self.db, space_id=self.space.id, exclude_task=self.task.task_id, history_key=self.history_key,
                config=None if train_config is None else dict(train_config), cache_dir=self.cache_dir,
            )
        return self.cache.embedders[key]


    def learned_embedding(self) -> Any:
        """The fold's meta-learner as the `ArchitectureEmbedding` of the Bayesian surrogate: trained on
        the fold's past tasks only with the default training settings (the regression objective),
        cached on disk per fold and history (`metanas.training.learned_embedding`)."""
        if self.cache.learned is None:
            from metanas.training import learned_embedding  # lazily: only the benchmark reaches training/

            self.cache.learned = learned_embedding(self.db, self.space, self.past_tasks, history_key=self.history_key,
                                                   cache_dir=self.cache_dir / "learned")
        return self.cache.learned


def strategy_label(name: str, options: Mapping[str, Any], settings: LotoSettings) -> str:
    """How a strategy ran, e.g. ``regularized evolution (population 20, tournament 5)``."""
    extra = "".join(f", {k} {v}" for k, v in sorted(options.items()))
    if name == "regularized_evolution":
        return f"regularized evolution (population {settings.population_size}, tournament {settings.tournament_size}{extra})"
    return f"{name}" + (f" ({extra[2:]})" if extra else "")


class LotoMethod(ABC):
    """A way to start (and steer) the search of a fold. One registry line per method.

    Args:
        strategy: the search strategy's registry name (``metanas.search.strategy_names()``);
            default regularized evolution. A subclass may bring its own (`build_strategy`).
        strategy_options: further keyword arguments of the strategy's factory (the protocol
            sets ``space``, ``seed``, ``initial_population`` and, where the factory takes them,
            the settings' ``population_size`` and ``tournament_size``).

    Raises:
        ConfigError: ``strategy_options`` is not a mapping or sets an argument the protocol sets.
    """

    #: The registry name the method was built under (`create_method` sets it).
    name: str = ""

    def __init__(self, *, strategy: str = "regularized_evolution",
                 strategy_options: Mapping[str, Any] | None = None) -> None:
        options = dict(strategy_options or {})
        if not all(isinstance(k, str) for k in options):
            raise ConfigError(f"'strategy_options' must be a mapping of keyword arguments, got {strategy_options!r}")
        shadowed = sorted(set(_PROTOCOL_ARGS) & set(options))
        if shadowed:
            raise ConfigError(f"'strategy_options' must not set {shadowed}: the protocol sets them per search "
                              "(population_size and tournament_size are settings of the protocol)")
        self.strategy = strategy
        self.strategy_options = options

    @property
    def uses_history(self) -> bool:
        """Whether the method reads the history (one that does not runs once per search seed)."""
        return True

    def check(self, settings: LotoSettings) -> None:
        """Validate the method against the settings at their construction (default: the strategy's
        name and options against its factory)."""
        from metanas.search import STRATEGIES

        factory = STRATEGIES.factory(self.strategy)
        check_kwargs(factory, self._strategy_kwargs(settings, None, 0, None),
                     f"method {self.name!r}: strategy {self.strategy!r}")

    def describe(self, settings: LotoSettings) -> str:
        """How the method's searches run, for ``summary.json`` and the table caption."""
        return f"{strategy_label(self.strategy, self.strategy_options, settings)}, {self.start_label()}"

    def start_label(self) -> str:
        """Where the search starts, for `describe` (e.g. ``from a random population``)."""
        return "from the method's initial population"

    def prepare(self, fold: Fold) -> None:
        """Per-fold preparation (e.g. train or load a fold model). Default: nothing."""

    @abstractmethod
    def initial_population(self, fold: Fold, seed: int) -> list[ModelGraph] | None:
        """The initial population for search seed ``seed`` (``None``: the strategy's own)."""

    def hooks(self, fold: Fold, seed: int) -> list[Callable]:
        """Run-loop hooks for this search (default: none)."""
        return []

    def run_info(self, fold: Fold, seed: int, strategy: SearchStrategy) -> dict:
        """What the run used, for the ``info`` column of ``runs.csv`` (JSON-serialisable; e.g.
        the task similarities of a warm start, the weights of a transfer search). Called after
        the search. Default: nothing."""
        return {}

    def _strategy_kwargs(self, settings: LotoSettings, space: Any, seed: int,
                         initial_population: list[ModelGraph] | None) -> dict[str, Any]:
        from metanas.search import STRATEGIES

        kwargs: dict[str, Any] = {"space": space, "seed": seed, "initial_population": initial_population}
        try:
            params = inspect.signature(STRATEGIES.factory(self.strategy)).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            params = {}
        for key in ("population_size", "tournament_size"):
            if key in params:
                kwargs[key] = getattr(settings, key)
        return kwargs | self.strategy_options

    def build_strategy(self, fold: Fold, seed: int, initial_population: list[ModelGraph] | None) -> SearchStrategy:
        """The search strategy of one run: the method's ``strategy`` with its ``strategy_options``;
        override to bring a method's own strategy."""
        from metanas.search import get_strategy

        return get_strategy(self.strategy, **self._strategy_kwargs(fold.settings, fold.space, seed, initial_population))


class RandomInit(LotoMethod):
    """The protocol's baseline: the strategy (regularized evolution) from its own random population."""

    @property
    def uses_history(self) -> bool:
        return False

    def start_label(self) -> str:
        return "from a random population"

    def initial_population(self, fold: Fold, seed: int) -> None:
        return None


class WarmStartMethod(LotoMethod):
    """The strategy from a `WarmStarter` population (similar-task transfer from the fold's history).

    Args:
        metric: the task similarity (``dataset_meta``; ``task_embedding``: a meta-learner trained
            on the fold's history only, never the held-out task, cached by `training.folds`).
        config: further `WarmStartConfig` keys (``similarity_metric`` is ``metric``).
        train_config: training settings of the fold meta-learner (``task_embedding``; ``None``:
            the defaults of ``configs/train.yaml``); part of the fold-model cache key.
        refine: after the initial population is evaluated, re-estimate the task's embedding from
            its observations and inject the model's best-ranked unseen architectures into the
            running evolution (`models.refine.RefinementHook`; needs ``task_embedding``).
        refine_options: keyword arguments of the refinement hook (default ``refine_after``: the
            population size).
        strategy: as `LotoMethod`.
        strategy_options: as `LotoMethod`.

    Raises:
        ConfigError: ``refine`` without ``task_embedding``, or options of the wrong type.
    """

    def __init__(self, metric: str = "dataset_meta", *, config: Mapping[str, Any] | None = None,
                 train_config: Mapping[str, Any] | None = None, refine: bool = False,
                 refine_options: Mapping[str, Any] | None = None, strategy: str = "regularized_evolution",
                 strategy_options: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy=strategy, strategy_options=strategy_options)
        for key, value in (("config", config), ("train_config", train_config), ("refine_options", refine_options)):
            if value is not None and not isinstance(value, Mapping):
                raise ConfigError(f"'{key}' of a warm-start method must be a mapping, got {value!r}")
        if refine and metric != "task_embedding":
            raise ConfigError(f"'refine' needs metric='task_embedding' (the learned embedding), got metric={metric!r}")
        self.metric = metric
        self.config = dict(config or {})
        self.train_config = None if train_config is None else dict(train_config)
        self.refine = bool(refine)
        self.refine_options = dict(refine_options or {})
        self._info: dict[int, dict] = {}  # per search seed, until `run_info` reports it

    @property
    def learned(self) -> bool:
        return self.metric == "task_embedding"

    def start_label(self) -> str:
        return f"from the {self.metric} warm start" + (" with refinement" if self.refine else "")

    def prepare(self, fold: Fold) -> None:
        if self.learned:
            fold.embedder(self.train_config)

    def initial_population(self, fold: Fold, seed: int) -> list[ModelGraph]:
        from metanas.warm_start import WarmStarter

        cfg = {**self.config, "similarity_metric": self.metric}
        embedder = fold.embedder(self.train_config) if self.learned else None
        starter = WarmStarter(fold.db, cfg, task_embedder=embedder)
        plan = starter.plan(fold.task, fold.settings.population_size, fold.space, rng=np.random.default_rng(seed))
        self._info[seed] = {"metric": plan.metric, "similarities": {t: round(float(v), 4) for t, v in plan.similar_tasks},
                            "transferred": sum(m.source == "transfer" for m in plan.members),
                            "model": sum(m.source == "model" for m in plan.members), "notes": list(plan.notes)}
        return plan.graphs

    def hooks(self, fold: Fold, seed: int) -> list[Callable]:
        if not self.refine:
            return []
        from metanas.models.refine import RefinementHook

        options = {"refine_after": fold.settings.population_size, **self.refine_options}
        return [RefinementHook(fold.embedder(self.train_config), fold.space, fold.task, fold.past_tasks, **options)]

    def run_info(self, fold: Fold, seed: int, strategy: SearchStrategy) -> dict:
        """The past tasks the warm start used with their similarities, and how many members it transferred."""
        return self._info.pop(seed, {})


@dataclass(frozen=True)
class MethodSpec:
    """A registry entry of `LOTO_METHODS`: a factory and the keyword options it is called with
    (a named variant of a method is a second spec of the same factory). Specs compare by value,
    so registering the same name with the same factory and options again is a no-op."""

    factory: Callable[..., LotoMethod]
    options: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, **overrides: Any) -> LotoMethod:
        return self.factory(**{**self.options, **overrides})

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MethodSpec) and self.factory is other.factory
                and json.dumps(self.options, sort_keys=True, default=repr)
                == json.dumps(other.options, sort_keys=True, default=repr))

    def __hash__(self) -> int:
        return hash((id(self.factory), json.dumps(self.options, sort_keys=True, default=repr)))


#: The LOTO methods by name (entry-point group ``metanas.loto_methods``).
LOTO_METHODS: Registry[LotoMethod] = Registry("LOTO method", base=LotoMethod, entry_point_group="metanas.loto_methods")


def register_method(name: str, factory: Callable[..., LotoMethod], /, **options: Any) -> MethodSpec:
    """Register a LOTO method: ``factory(**options)`` builds it (``options`` may be empty).

    Registering a name again with the same factory and options is a no-op (so importing a
    registering module twice is harmless); another factory or other options under a taken
    name is refused.

    Raises:
        ConfigError: ``options`` the factory does not accept, or the name taken by another entry.
    """
    check_kwargs(factory, options, f"LOTO method {name!r}")
    spec = MethodSpec(factory, dict(options))
    try:
        LOTO_METHODS.register(name, spec)
    except ConfigError:
        if name not in LOTO_METHODS or LOTO_METHODS.factory(name) != spec:  # the same spec again: a no-op
            raise
    return spec


def create_method(name: str, options: Mapping[str, Any] | None = None) -> LotoMethod:
    """Build the method registered as ``name``, with ``options`` over its registered ones.

    Raises:
        UnknownNameError: ``name`` is not registered.
        ConfigError: an option the method's factory does not accept, or a bad value.
    """
    factory = LOTO_METHODS.factory(name)
    base = factory.factory if isinstance(factory, MethodSpec) else factory
    check_kwargs(base, {**(factory.options if isinstance(factory, MethodSpec) else {}), **(options or {})},
                 f"LOTO method {name!r}")
    method = factory(**(options or {}))
    if not isinstance(method, LotoMethod):
        raise ConfigError(f"LOTO method {name!r}: the factory built a {type(method).__name__}, not a LotoMethod")
    method.name = name
    return method


def method_names() -> list[str]:
    """Registered LOTO methods."""
    return LOTO_METHODS.names()
