"""LOTO methods of the transfer search (issue 10): baselines and `TransferBO` side by side.

* ``naive_meanrank`` (`MeanRankInit`): regularized evolution from the top-10 architectures by mean
  within-task quantile over the past tasks (an architecture a past task did not evaluate
  counts as that task's median, 0.5), filled up to the population with random samples.
* ``transfer-bo`` (`TransferBOMethod`): `TransferBO` with the fold's past tasks (rankers fitted
  once per fold and shared by its search seeds); its options are `TransferBO`'s
  (``metanas bench --method-option transfer-bo:kappa=2``), plus ``embedding="learned"``: the
  Bayesian surrogate (``surrogate="learned"`` or ``"both"``) over the fold's meta-learner.

The named variants of these methods used by the committed experiments (``transfer-bo-cold``,
``transfer-bo-hedge``, ``transfer-init``, ...) live in the repository's ``benchmarks/methods.py``,
outside the library.

Only the fold's history is read (`Fold.db` holds the other tasks of the suite, never the
held-out one).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from metanas.benchmarks.loto._methods import Fold, LotoMethod
from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.registry import check_kwargs

logger = logging.getLogger(__name__)

#: The embeddings of `TransferBOMethod`'s Bayesian surrogate: ``None`` (the strategy's default, a
#: `RidgeEmbedding` of the space's features fitted on the fold's history) or ``"learned"`` (the
#: fold's meta-learner, `Fold.learned_embedding`, trained on the fold's history only).
EMBEDDINGS: tuple[str | None, ...] = (None, "learned")


class MeanRankInit(LotoMethod):
    """The strategy from the ``top`` architectures by mean within-task quantile over the past tasks
    (random fill up to the population).

    Args:
        top: how many architectures come from the past tasks' mean quantile (default 10).
        strategy: as `LotoMethod`.
        strategy_options: as `LotoMethod`.
    """

    def __init__(self, top: int = 10, *, strategy: str = "regularized_evolution",
                 strategy_options: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy=strategy, strategy_options=strategy_options)
        if isinstance(top, bool) or not isinstance(top, int) or top < 0:
            raise ConfigError(f"'top' must be an integer >= 0, got {top!r}")
        self.top = top

    def start_label(self) -> str:
        return f"from the top-{self.top} by mean past-task quantile"

    def initial_population(self, fold: Fold, seed: int) -> list[ModelGraph]:
        from metanas.transfer import MeanRankDesign

        return MeanRankDesign(fold.past_history(), top=self.top).propose(
            fold.space, fold.settings.population_size, np.random.default_rng(seed))


class TransferBOMethod(LotoMethod):
    """`TransferBO` with the fold's past tasks (rankers fitted once per fold and shared by its
    search seeds), or without any history (``cold``).

    Args:
        cold: run without the history (what the model-based search alone gives; the transfer's
            own contribution is the ratio to it). Such a method runs once per search seed.
        **options: `TransferBO` keyword arguments (its defaults where not given; the protocol
            sets ``space``, ``seed``, ``history``, ``population_size`` and ``tournament_size``).

    Raises:
        ConfigError: an option `TransferBO` does not take, or one the protocol sets.
    """

    def __init__(self, cold: bool = False, embedding: str | None = None, **options: Any) -> None:
        from metanas.search import TransferBO

        super().__init__(strategy=TransferBO.name)
        shadowed = sorted({"space", "seed", "initial_population", "history", "population_size",
                           "tournament_size", "task"} & set(options))
        if shadowed:
            raise ConfigError(f"TransferBO options must not set {shadowed}: the protocol sets them")
        check_kwargs(TransferBO, {"space": None, "seed": 0, **options}, "TransferBO")
        if embedding not in EMBEDDINGS:
            raise ConfigError(f"'embedding' must be one of {list(EMBEDDINGS)}, got {embedding!r}")
        surrogate = options.get("surrogate", "trees")
        if embedding is not None and surrogate == "trees":
            raise ConfigError("'embedding' needs surrogate='learned' or 'both' (the trees read no embedding)")
        self.cold = bool(cold)
        self.embedding = embedding
        self.options = dict(options)

    @property
    def uses_history(self) -> bool:
        return not self.cold

    def describe(self, settings) -> str:
        extra = {"embedding": self.embedding} if self.embedding else {}
        options = "".join(f", {k} {v}" for k, v in sorted((self.options | extra).items()))
        if self.cold:
            source = "cold (no history)"
        elif self.options.get("surrogate", "trees") == "trees":
            source = "from the fold's past-task rankers"
        else:
            source = ("from the fold's history through the Bayesian surrogate over "
                      + ("the fold's meta-learner" if self.embedding == "learned" else "a ridge embedding"))
        return (f"TransferBO (population {settings.population_size}, tournament {settings.tournament_size}{options}), "
                + source)

    def check(self, settings) -> None:
        """Nothing beyond the constructor's checks (the strategy is `TransferBO`)."""

    def options_for(self, fold: Fold) -> dict[str, Any]:
        """The `TransferBO` options of this method in ``fold`` (default: the method's options)."""
        return self.options

    def prepare(self, fold: Fold) -> None:
        if not self.cold:
            fold.rankers()
            if self.embedding == "learned":
                fold.learned_embedding()

    def initial_population(self, fold: Fold, seed: int) -> None:
        return None  # the strategy designs its own

    def transfer_class(self) -> type:
        """The strategy class the method runs (`TransferBO`; a benchmark variant may return a subclass
        with other fixed parts)."""
        from metanas.search import TransferBO

        return TransferBO

    def build_strategy(self, fold: Fold, seed: int, initial_population):
        s = fold.settings
        history = None if self.cold else fold.rankers()
        options = dict(self.options_for(fold))  # before transfer_class(): a variant settles its class here
        if options.get("surrogate", "trees") != "trees":
            options["task"] = fold.task  # the prior mean from its meta-features, where the embedding has one
            if self.embedding == "learned" and not self.cold:
                options["embedding"] = fold.learned_embedding()
        return self.transfer_class()(fold.space, seed, initial_population, history=history,
                                     population_size=s.population_size, tournament_size=s.tournament_size, **options)

    def run_info(self, fold: Fold, seed: int, strategy) -> dict[str, Any]:
        """The RGPE weights of the last refit (which past tasks the search trusted at the end); with a
        Bayesian surrogate the strategy's whole `TransferBO.info` (evidence against a flat prior, a
        fallback to cold and when)."""
        if getattr(strategy, "surrogate", "trees") != "trees":
            return strategy.info
        history = getattr(strategy, "weight_history", None)
        return {"weights": history[-1]["weights"]} if history else {}
