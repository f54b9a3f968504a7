"""LOTO methods: how a fold's search starts (and is steered); the registry `LOTO_METHODS`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from metanas.benchmarks._suites import BenchmarkSuite, BenchmarkTable
from metanas.graph import ModelGraph
from metanas.registry import Registry

if TYPE_CHECKING:
    from metanas.benchmarks.loto._settings import LotoSettings
    from metanas.search import SearchStrategy

__all__ = [
    "LOTO_METHODS",
    "DatasetMetaWarmStart",
    "Fold",
    "LotoMethod",
    "RandomInit",
    "TaskEmbeddingRefine",
    "TaskEmbeddingWarmStart",
    "method_names",
    "register_method",
]


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

    def run_info(self, fold: Fold, seed: int, strategy: SearchStrategy) -> dict:
        """What the run used, for the ``info`` column of ``runs.csv`` (JSON-serialisable; e.g.
        the task similarities of a warm start, the weights of a transfer search). Called after
        the search. Default: nothing."""
        return {}

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

    def __init__(self) -> None:
        self._info: dict[int, dict] = {}  # per search seed, until `run_info` reports it

    def _config(self, fold: Fold) -> dict:
        cfg = {"similarity_metric": self.metric, **fold.settings.warm_start}
        cfg["similarity_metric"] = self.metric
        return cfg

    def initial_population(self, fold: Fold, seed: int) -> list[ModelGraph]:
        from metanas.warm_start import WarmStarter

        starter = WarmStarter(fold.db, self._config(fold), task_embedder=fold.state.get("embedder"))
        plan = starter.plan(fold.task, fold.settings.population_size, fold.space, rng=np.random.default_rng(seed))
        self._info[seed] = {"metric": plan.metric, "similarities": {t: round(float(v), 4) for t, v in plan.similar_tasks},
                            "transferred": sum(m.source == "transfer" for m in plan.members),
                            "model": sum(m.source == "model" for m in plan.members), "notes": list(plan.notes)}
        return plan.graphs

    def run_info(self, fold: Fold, seed: int, strategy: SearchStrategy) -> dict:
        """The past tasks the warm start used with their similarities, and how many members it transferred."""
        return self._info.pop(seed, {})


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
