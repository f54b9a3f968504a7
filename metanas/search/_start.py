"""`start_search`: the one owner of a search's first population.

Every way of running a search on a task of an experiment database (``metanas search`` and
`metanas.run_real_search`, the Optuna sampler's `MetanasSampler.warm_started`) builds its
strategy here, and this is the only place that decides where the first population comes from:

* a strategy that learns from past tasks (`SearchStrategy.uses_history`, e.g. ``transfer-bo``)
  gets the database's other tasks as its history and designs its first population itself,
  through its `metanas.transfer.InitialDesign` (none with ``warm_start=False``: a cold start);
* any other strategy starts from the `SimilarTaskDesign` of a `WarmStarter`: the best
  architectures of the similar past tasks, filled with random samples (all random with
  ``warm_start=False``).

The result names the members it designed and where each came from (`SearchStart`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from metanas.graph import ModelGraph
from metanas.search._base import SearchStrategy, strategy_for_task, uses_history
from metanas.spaces import SearchSpace, get_space
from metanas.tasks import TaskMetadata
from metanas.validation import check_int

if TYPE_CHECKING:
    from metanas.warm_start import WarmStartConfig

__all__ = ["SearchStart", "start_search"]


class SearchStart(NamedTuple):
    """A strategy ready to run, with the first population it was given or designed.

    Attributes:
        strategy: the strategy.
        population: the designed (or given) members it asks first, in order; a strategy that
            designs its own first population fills the rest with random samples while it runs.
        sources: where each member came from: ``transfer:<task>`` / ``random`` (a warm start),
            ``design:<label>`` (a strategy's own design, e.g. ``design:exploit``), ``given``.
        similar_tasks: the similar past tasks of a warm start with their similarities (empty for a
            strategy that designs its own population: its past tasks are in ``strategy.config``).
    """

    strategy: SearchStrategy
    population: tuple[ModelGraph, ...]
    sources: tuple[str, ...]
    similar_tasks: tuple[tuple[str, float], ...]


def start_search(name: str, *, space: SearchSpace | str, seed: int, db: Any, task: TaskMetadata,
                 initial_size: int = 10, warm_start: bool = True,
                 warm_start_config: Mapping[str, Any] | WarmStartConfig | None = None,
                 recorded_population: Sequence[ModelGraph] | None = None, **options: Any) -> SearchStart:
    """Build the strategy ``name`` for a search of ``task`` and its first population (module docstring).

    Args:
        name: a registered strategy name.
        space: the search space.
        seed: seed of the strategy and of the first population's random choices.
        db: the experiment database with the past tasks (``task`` itself is never its own history).
        task: the task searched now (a strategy with a Bayesian surrogate takes it for the prior mean).
        initial_size: members of the first population (a designing strategy's ``population_size``
            unless ``options`` sets it).
        warm_start: learn from the past tasks (``False``: a random first population, or a cold start).
        warm_start_config: the similar-task warm start's `WarmStartConfig` (or its keys; its
            ``seed`` is ``seed``).
        recorded_population: the first population a resumed run recorded: a strategy without a
            history starts from it again; a designing strategy designs it again (deterministic in its
            seed and history).
        **options: the strategy's own settings.

    Returns:
        The strategy with its first population (`SearchStart`).

    Raises:
        ConfigError / UnknownNameError: as `metanas.search.get_strategy`, or a warm-start setting is
            invalid.
    """
    from metanas.transfer import SimilarTaskDesign
    from metanas.warm_start import WarmStartConfig, WarmStarter

    space = get_space(space)
    initial_size = check_int(initial_size, "initial_size", low=1)
    if uses_history(name):
        options.setdefault("population_size", initial_size)
        if not warm_start:
            options.setdefault("history", [])
        if options.get("surrogate", "trees") != "trees":
            options.setdefault("task", task)  # the Bayesian surrogate's prior mean from its meta-features
        strategy = strategy_for_task(name, space=space, seed=seed, db=db, task_id=task.task_id, **options)
        return SearchStart(strategy, tuple(strategy.design), tuple(f"design:{s}" for s in strategy.design_sources), ())
    if recorded_population is not None:
        population = tuple(recorded_population)
        strategy = strategy_for_task(name, space=space, seed=seed, db=db, task_id=task.task_id,
                                     initial_population=population, **options)
        return SearchStart(strategy, population, ("given",) * len(population), ())
    if isinstance(warm_start_config, WarmStartConfig):
        warm_start_config = dataclasses.asdict(warm_start_config)
    config = WarmStartConfig.from_mapping({**dict(warm_start_config or {}), "seed": seed,
                                           **({} if warm_start else {"transfer_ratio": 0.0})})
    starter = WarmStarter(db, config)
    plan = SimilarTaskDesign(starter, task).plan(space, initial_size, np.random.default_rng(seed))
    strategy = strategy_for_task(name, space=space, seed=seed, db=db, task_id=task.task_id,
                                 initial_population=plan.graphs, **options)
    similar = tuple(plan.similar_tasks) if warm_start else ()
    return SearchStart(strategy, plan.graphs, plan.sources, similar)
