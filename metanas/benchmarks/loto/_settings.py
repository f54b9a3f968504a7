"""`LotoSettings`: every parameter of a LOTO benchmark, validated at construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from metanas.benchmarks._suites import SUITES
from metanas.benchmarks._targets import parse_target
from metanas.benchmarks.loto._methods import LOTO_METHODS, LotoMethod, create_method, method_names
from metanas.exceptions import ConfigError, UnknownNameError
from metanas.registry import check_kwargs

__all__ = ["HISTORIES", "NOISES", "REGRET_AT", "LotoSettings"]

HISTORIES = ("random-1000", "full", "trajectory")
REGRET_AT = (20, 50, 100)
#: Evaluation noise modes: ``none`` (the table value) or ``seed`` (one training seed per evaluation).
NOISES = ("none", "seed")


@dataclass(frozen=True)
class LotoSettings:
    """Every parameter of a LOTO benchmark (stored in ``summary.json``).

    Attributes:
        suite: a registered suite (`metanas.benchmarks.SUITES`: ``nasbench-graph``, ``nb201``, ...).
        tasks: held-out tasks, one fold each (``None``: the suite's default tasks).
        pool: the tasks histories are drawn from (``None``: the suite's default tasks); a fold's
            history is the pool's tasks of its held-out task's space, the held-out task excepted,
            so holding out one task keeps a history of the others.
        methods: `LOTO_METHODS` names; the baseline is always run (added first when absent).
        baseline: the method every speedup is measured against (default ``random``: regularized
            evolution from a random population); named in ``summary.json`` and the table caption.
        seeds: number of search seeds (0..seeds-1).
        history_seeds: number of history draws per fold.
        budget: evaluations per search (the initial population included).
        history: ``random-1000``, ``full`` or ``trajectory``.
        history_size: rows per past task for ``random-1000`` and evaluations for ``trajectory``.
        target: ``topP`` (the task's top-P% quantile of the objective, P in (0, 100), e.g.
            ``top0.1``, ``top1``) or ``best`` (see `target_value`).
        method_options: per method name, keyword options over the method's registered ones
            (`create_method`; e.g. ``{"transfer-bo": {"kappa": 2.0}}``, ``{"dataset_meta":
            {"strategy": "random"}}``); JSON values, stored in ``summary.json``. A method's
            strategy and its options are such options (``strategy``, ``strategy_options``).
        evaluator: the evaluator's registry name (``metanas.search.evaluator_names()``), built
            as ``factory(table=held-out table)``; default the benchmark table lookup.
        noise: ``none`` (each evaluation sees the table value) or ``seed`` (each evaluation sees
            what the held-out table's `BenchmarkTable.observe` draws: for ``nb201-pypi`` one
            training seed's accuracy, the way a real search sees noise; needs a table with
            per-seed values). The evaluator gets a seed per run derived from the held-out task
            and the search seed (the same for every method). Evaluations-to-target, regrets and
            the curves are then measured on the *true* (seed-mean) value of the evaluated
            architectures: a search is credited when it has evaluated an architecture whose
            mean reaches the target (see `metanas.benchmarks.loto.run_one`).
        population_size / tournament_size: the initial population's size (also the warm-start
            methods' population) and regularized evolution's tournament; passed to any strategy
            whose factory takes arguments of these names.
        shuffle_history: permute scores across architectures in the history (control).
        objective: the metric optimised (``None``: the suite's default).
        nb201_dir: folder of the NAS-Bench-201 tables (suites whose factory takes ``nb201_dir``).
        workers: worker processes (``None``: the CPU count).
        cache_dir: where fold models are cached (``None``: a temp folder).
    """

    suite: str = "nasbench-graph"
    tasks: tuple[str, ...] | None = None
    pool: tuple[str, ...] | None = None
    methods: tuple[str, ...] = ("random", "dataset_meta")
    baseline: str = "random"
    seeds: int = 30
    history_seeds: int = 3
    budget: int = 300
    history: str = "random-1000"
    history_size: int = 1000
    target: str = "top0.1"
    method_options: dict = field(default_factory=dict)
    evaluator: str = "benchmark"
    noise: str = "none"
    population_size: int = 20
    tournament_size: int = 5
    shuffle_history: bool = False
    objective: str | None = None
    nb201_dir: str | None = None
    workers: int | None = None
    cache_dir: str | None = None

    def __post_init__(self) -> None:
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
        if self.baseline not in LOTO_METHODS:
            raise UnknownNameError(f"unknown baseline {self.baseline!r}; choose a method from {method_names()}")
        if self.baseline not in self.methods:
            object.__setattr__(self, "methods", (self.baseline, *self.methods))
        self._check_methods()
        from metanas.search import EVALUATORS

        if self.noise not in NOISES:
            raise ConfigError(f"'noise' must be one of {list(NOISES)}, got {self.noise!r}")
        kwargs = {"table": None} | ({"seed": None} if self.noise != "none" else {})
        check_kwargs(EVALUATORS.factory(self.evaluator), kwargs,
                     f"'evaluator' {self.evaluator!r}" + (f" with noise {self.noise!r}" if self.noise != "none" else ""))

    def _check_methods(self) -> None:
        """``method_options``: a mapping of the run's method names to keyword options that each
        method's factory accepts (every method is built once here, so bad options fail now)."""
        opts = self.method_options
        if not isinstance(opts, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in opts.items()):
            raise ConfigError(f"'method_options' must map method names to dicts of options, got {opts!r}")
        stray = sorted(set(opts) - set(self.methods))
        if stray:
            raise ConfigError(f"'method_options' names method(s) {stray} that the run does not hold; "
                              f"its methods are {list(self.methods)}")
        for name in self.methods:
            self.method(name).check(self)

    def method(self, name: str) -> LotoMethod:
        """A new instance of the run's method ``name`` (its registered options, then ``method_options``)."""
        return create_method(name, self.method_options.get(name))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tasks"] = list(self.tasks) if self.tasks else None
        d["pool"] = list(self.pool) if self.pool else None
        d["methods"] = list(self.methods)
        return d
