"""`LotoSettings`: every parameter of a LOTO benchmark, validated at construction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from metanas.benchmarks._suites import SUITES
from metanas.benchmarks._targets import parse_target
from metanas.benchmarks.loto._methods import LOTO_METHODS, method_names
from metanas.exceptions import ConfigError, UnknownNameError
from metanas.graph import ModelGraph
from metanas.registry import check_kwargs

__all__ = ["HISTORIES", "REGRET_AT", "LotoSettings"]

HISTORIES = ("random-1000", "full", "trajectory")
REGRET_AT = (20, 50, 100)


@dataclass(frozen=True)
class LotoSettings:
    """Every parameter of a LOTO benchmark (stored in ``summary.json``).

    Attributes:
        suite: a registered suite (`metanas.benchmarks.SUITES`: ``nasbench-graph``, ``nb201``, ...).
        tasks: held-out tasks (``None``: the suite's default tasks).
        methods: `LOTO_METHODS` names; ``random`` is always run as the baseline.
        seeds: number of search seeds (0..seeds-1).
        history_seeds: number of history draws per fold.
        budget: evaluations per search (the initial population included).
        history: ``random-1000``, ``full`` or ``trajectory``.
        history_size: rows per past task for ``random-1000`` and evaluations for ``trajectory``.
        target: ``topP`` (the task's top-P% quantile of the objective, P in (0, 100), e.g.
            ``top0.1``, ``top1``) or ``best`` (see `target_value`).
        strategy: the search strategy's registry name (``metanas.search.strategy_names()``);
            built by `LotoMethod.build_strategy` for each search.
        strategy_options: further keyword arguments of the strategy's factory (JSON values,
            stored in ``summary.json``). ``population_size`` / ``tournament_size`` given here
            set the fields of those names (a conflicting value is refused).
        evaluator: the evaluator's registry name (``metanas.search.evaluator_names()``), built
            as ``factory(table=held-out table)``; default the benchmark table lookup.
        population_size / tournament_size: the initial population's size (also the warm-start
            methods' population) and regularized evolution's tournament; passed to any strategy
            whose factory takes arguments of these names.
        shuffle_history: permute scores across architectures in the history (control).
        warm_start: `WarmStartConfig` keys applied to the warm-start methods.
        objective: the metric optimised (``None``: the suite's default).
        nb201_dir: folder of the NAS-Bench-201 tables (suites whose factory takes ``nb201_dir``).
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
        suite = SUITES.factory(self.suite)  # an unknown suite fails here, naming the registered ones
        if self.nb201_dir is not None:
            check_kwargs(suite, {"nb201_dir": self.nb201_dir}, f"'nb201_dir' given, but suite {self.suite!r}")
        if self.history not in HISTORIES:
            raise ConfigError(f"'history' must be one of {list(HISTORIES)}, got {self.history!r}")
        parse_target(self.target)
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
