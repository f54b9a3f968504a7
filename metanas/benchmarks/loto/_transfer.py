"""LOTO methods of the transfer search (issue 10): baselines and `TransferBO` side by side.

* ``naive_meanrank``: regularized evolution from the top-10 architectures by mean
  within-task quantile over the past tasks (an architecture a past task did not evaluate
  counts as that task's median, 0.5), filled up to the population with random samples.
* ``transfer-bo``: `TransferBO` with the fold's past tasks (rankers fitted once per fold
  and shared by its search seeds); it brings its own strategy, whatever ``--strategy``
  says (with ``--strategy transfer-bo`` the strategy options apply to it).
The named variants of these methods used by the committed experiments (``transfer-bo-cold``,
``transfer-bo-hedge``, ``transfer-init``, ...) live in the repository's ``benchmarks/methods.py``,
outside the library.

Only the fold's history is read (`Fold.db` holds the other tasks of the suite, never the
held-out one).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np

from metanas.benchmarks.loto._methods import LotoMethod, register_method
from metanas.graph import ModelGraph

logger = logging.getLogger(__name__)

#: `TransferBO` settings of every transfer method: one configuration for all suites (the
#: strategy's defaults; ``--strategy transfer-bo --strategy-option KEY=VALUE`` overrides).
TRANSFER_CONFIG: dict[str, Any] = {}


def _past_tasks(fold: Any) -> list:
    if "transfer_past" not in fold.state:
        from metanas.search import history_from_db

        fold.state["transfer_past"] = history_from_db(fold.db, fold.space, fold.past_tasks,
                                                      exclude=[fold.task.task_id])
    return fold.state["transfer_past"]


def _rankers(fold: Any):
    if "transfer_rankers" not in fold.state:
        from metanas.search import CandidatePool, TaskRankers

        fold.state["transfer_rankers"] = TaskRankers(fold.space, _past_tasks(fold), seed=fold.history_seed,
                                                     pool=CandidatePool.for_space(fold.space))
    return fold.state["transfer_rankers"]


def mean_rank_population(past: list, space: Any, size: int, top: int, rng: np.random.Generator) -> list[ModelGraph]:
    """``top`` architectures by mean within-task quantile over ``past`` (unevaluated: 0.5),
    then random samples (distinct keys) up to ``size``."""
    from metanas.transfer import quantiles

    sums: dict[str, float] = {}
    graphs: dict[str, ModelGraph] = {}
    for task in past:
        for graph, q in zip(task.graphs, quantiles(task.values)):
            key = space.key(graph)
            graphs.setdefault(key, graph)
            sums[key] = sums.get(key, 0.0) + float(q) - 0.5
    n = max(len(past), 1)
    order = sorted(sums, key=lambda k: (-(0.5 + sums[k] / n), k))[:top]
    chosen = [graphs[k] for k in order]
    seen = set(order)
    while len(chosen) < size:
        g = space.sample(rng)
        key = space.key(g)
        if key not in seen:
            seen.add(key)
            chosen.append(g)
    return chosen


class NaiveMeanRank(LotoMethod):
    """Top-10 by mean within-task quantile over the past tasks + random fill, then evolution."""

    name = "naive_meanrank"
    top: ClassVar[int] = 10

    def initial_population(self, fold, seed: int) -> list[ModelGraph]:
        return mean_rank_population(_past_tasks(fold), fold.space, fold.settings.population_size, self.top,
                                    np.random.default_rng(seed))


class TransferBOMethod(LotoMethod):
    """`TransferBO` with the fold's past tasks (``TRANSFER_CONFIG`` settings)."""

    name = "transfer-bo"
    cold: ClassVar[bool] = False
    #: `TransferBO` options of this method (over ``TRANSFER_CONFIG``).
    options: ClassVar[dict[str, Any]] = {}

    def options_for(self, fold) -> dict[str, Any]:
        """The `TransferBO` options of this method in ``fold`` (default: ``options``)."""
        return self.options

    def prepare(self, fold) -> None:
        if not self.cold:
            _rankers(fold)

    def initial_population(self, fold, seed: int) -> None:
        return None  # the strategy designs its own

    def build_strategy(self, fold, seed: int, initial_population):
        from metanas.search import TransferBO

        s = fold.settings
        history = None if self.cold else _rankers(fold)
        options = s.strategy_options if s.strategy == TransferBO.name else {}  # e.g. --strategy-option kappa=2
        return TransferBO(fold.space, seed, initial_population, history=history, population_size=s.population_size,
                          tournament_size=s.tournament_size, **{**TRANSFER_CONFIG, **self.options_for(fold), **options})

    def run_info(self, fold, seed: int, strategy) -> dict[str, Any]:
        """The RGPE weights of the last refit (which past tasks the search trusted at the end)."""
        history = getattr(strategy, "weight_history", None)
        return {"weights": history[-1]["weights"]} if history else {}


register_method("naive_meanrank", NaiveMeanRank)
register_method("transfer-bo", TransferBOMethod)
