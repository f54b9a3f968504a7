"""`MetanasSampler`: a metanas search strategy behind Optuna's `BaseSampler`."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.trial import FrozenTrial, TrialState

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.integrations._params import codec_for
from metanas.search import STRATEGIES, SearchError, SearchStrategy, get_strategy, strategy_for_task
from metanas.spaces import SearchSpace

__all__ = ["MetanasSampler"]

logger = logging.getLogger(__name__)

#: Samples drawn to find an unseen architecture when the strategy cannot propose yet.
_FALLBACK_TRIES = 1000


class MetanasSampler(BaseSampler):
    """Runs a metanas search strategy (by registry name) as an Optuna sampler.

    Swap one line: ``optuna.create_study(sampler=MetanasSampler("nbg", seed=0))`` with an
    objective that calls `suggest_architecture`. Before each new trial the sampler shows the
    strategy every trial of the study it has not seen (`SearchStrategy.observe`): completed
    trials with their value (negated for a minimised study), running, waiting, failed and
    pruned ones as taken, so that workers sharing a study never propose an architecture
    another one took. Then it asks the strategy for the trial's architecture and answers the
    trial's `suggest_architecture` parameters from it. Parameters outside the space (other
    hyperparameters of the objective) come from a seeded `RandomSampler`.

    While the strategy cannot propose yet (regularized evolution with every member still
    being evaluated elsewhere) the sampler draws an unseen random architecture (logged).

    Args:
        space: the search space (a `SearchSpace` or a registered id).
        strategy: a registered strategy name (`metanas.search.strategy_names`), or a built
            `SearchStrategy` of ``space`` (then give no strategy settings).
        seed: seed of the strategy and of the fallback sampler (give each worker its own).
        initial_population: architectures the strategy asks first (e.g. a warm start).
        db: the experiment database (given with ``task_id``): a strategy that learns from past
            tasks (``"transfer-bo"``) gets the database's other tasks as its history
            (`metanas.search.strategy_for_task`).
        task_id: the task searched now (given with ``db``); it is not part of that history.
        **strategy_config: the strategy's own settings (e.g. ``population_size``).

    Raises:
        ConfigError: the space cannot be expressed as parameters, or a strategy setting is invalid.
        UnknownNameError: ``strategy`` is not registered.
    """

    def __init__(self, space: SearchSpace | str, strategy: str | SearchStrategy = "regularized_evolution", *,
                 seed: int = 0,
                 initial_population: Sequence[ModelGraph] | None = None, db: Any = None, task_id: str | None = None,
                 **strategy_config: Any) -> None:
        self._codec = codec_for(space)
        self.space = self._codec.space
        if (db is None) != (task_id is None):
            raise ConfigError("MetanasSampler: give 'db' and 'task_id' together (the database and the task searched "
                              f"now), got db={db!r:.60} and task_id={task_id!r}")
        if isinstance(strategy, SearchStrategy):
            if initial_population is not None or db is not None or strategy_config:
                raise ConfigError("MetanasSampler: a built strategy takes no initial_population, db or strategy "
                                  "settings; give them to the strategy")
            if strategy.space.id != self.space.id:
                raise ConfigError(f"MetanasSampler: the strategy searches space {strategy.space.id!r}, the sampler "
                                  f"{self.space.id!r}")
            self.strategy = strategy
        elif db is not None:
            self.strategy = strategy_for_task(strategy, space=self.space, seed=seed, db=db, task_id=task_id,
                                              initial_population=initial_population, **strategy_config)
        else:
            self.strategy = get_strategy(strategy, space=self.space, seed=seed,
                                         initial_population=initial_population, **strategy_config)
        self.seed = seed
        self._rng = np.random.default_rng([seed, 1])
        self._fallback = RandomSampler(seed=seed)
        self._proposals: dict[int, dict[str, Any]] = {}
        self._told: set[int] = set()
        self._taken: set[int] = set()

    @classmethod
    def warm_started(cls, db: Any, task: Any, space: SearchSpace | str, *, population_size: int = 20,
                     config: Mapping[str, Any] | None = None, strategy: str = "regularized_evolution",
                     seed: int = 0, **strategy_config: Any) -> MetanasSampler:
        """A sampler whose strategy starts from what the past tasks of ``db`` say about ``task``
        (`metanas.search.start_search`, the one owner of a search's first population).

        A strategy without a history starts from the `WarmStarter` population of ``task``; one
        that learns from past tasks (`metanas.search.uses_history`, e.g. ``"transfer-bo"``, the
        project's transfer search) gets the database's other tasks as its history instead and
        designs its own first population of ``population_size`` from them, as in ``metanas bench``. With its Bayesian surrogate
        (``surrogate="learned"`` or ``"both"``; ``embedding=`` e.g. a meta-learner from
        `metanas.training.learned_embedding`, else a ridge embedding of the space's features) the
        task is passed for the prior mean.

        Args:
            db: the `ExperimentDatabase` with the history.
            task: the new task (`TaskMetadata` or the id of a task in ``db``).
            space: the search space.
            population_size: members of the warm-started population.
            config: `WarmStartConfig` keys.
            strategy: registered strategy name.
            seed: seed of the warm start and of the strategy.
            **strategy_config: the strategy's own settings.
        """
        from metanas.search import start_search
        from metanas.spaces import get_space
        from metanas.tasks import TaskMetadata

        space = get_space(space)
        meta = task if isinstance(task, TaskMetadata) else db.get_task(task)
        if "population_size" in inspect.signature(STRATEGIES.factory(strategy)).parameters:
            strategy_config.setdefault("population_size", population_size)
            strategy_config.setdefault("tournament_size", min(5, strategy_config["population_size"]))
        start = start_search(strategy, space=space, seed=seed, db=db, task=meta, initial_size=population_size,
                             warm_start_config=config, **strategy_config)
        return cls(space, start.strategy, seed=seed)

    # ------------------------------------------------------------------ BaseSampler
    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        params = self._proposal(study, trial)
        if param_name in params:
            value = params[param_name]
            choices = getattr(param_distribution, "choices", None)
            if choices is not None and value in choices:
                return value
            raise ConfigError(
                f"trial {trial.number} asks parameter {param_name!r} with {param_distribution!r}, but space "
                f"{self.space.id!r} gives it the value {value!r}; draw architectures with suggest_architecture"
            )
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: optuna.Study, trial: FrozenTrial, state: TrialState,
                    values: Sequence[float] | None) -> None:
        self._proposals.pop(trial.number, None)

    def reseed_rng(self) -> None:
        self._fallback.reseed_rng()

    # ------------------------------------------------------------------ internals
    def _proposal(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, Any]:
        params = self._proposals.get(trial.number)
        if params is not None:
            return params
        fixed = trial.system_attrs.get("fixed_params") or {}
        if any(name in self._codec.choices() for name in fixed):
            self._proposals[trial.number] = {}  # an enqueued architecture: the study fixes it
            return {}
        self._sync(study, trial.number)
        graph = self._ask()
        self._taken.add(trial.number)
        params = self._proposals[trial.number] = self._codec.to_params(graph)
        return params

    def _ask(self) -> ModelGraph:
        try:
            return self.strategy.ask()
        except SearchError as exc:
            for _ in range(_FALLBACK_TRIES):
                graph = self.space.sample(self._rng)
                if not self.strategy.is_seen(graph):
                    self.strategy.observe(graph)
                    logger.info("MetanasSampler: the strategy cannot propose yet (%s); a random architecture", exc)
                    return graph
            raise

    def _sync(self, study: optuna.Study, current: int) -> None:
        """Show the strategy every trial it has not seen (values of finished ones, others as taken)."""
        sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
        names = self._codec.choices()
        for t in study.get_trials(deepcopy=False):
            if t.number == current or t.number in self._told:
                continue
            if t.state == TrialState.COMPLETE or t.number not in self._taken:
                params = t.params if t.state != TrialState.WAITING else t.system_attrs.get("fixed_params") or {}
                try:
                    graph = self._codec.from_params({k: v for k, v in params.items() if k in names})
                except (ConfigError, InvalidArchitectureError):
                    continue  # still suggesting, or not an architecture of the space
                value = sign * t.value if t.state == TrialState.COMPLETE else None
                self.strategy.observe(graph, value)
                (self._told if value is not None or t.state in (TrialState.FAIL, TrialState.PRUNED)
                 else self._taken).add(t.number)
