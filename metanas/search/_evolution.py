"""Regularized (aging) evolution, Real et al. 2019, "Regularized Evolution for Image
Classifier Architecture Search" (Algorithm 1), in its sequential form."""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar

from metanas.graph import ModelGraph
from metanas.search._base import SearchError, SearchStrategy
from metanas.spaces import SearchSpace
from metanas.validation import check_int

__all__ = ["RegularizedEvolution"]

logger = logging.getLogger(__name__)


class RegularizedEvolution(SearchStrategy):
    """Aging evolution with tournament selection.

    1. The initial population is asked first: the given members in order, then random
       samples until ``population_size`` have been asked (given members beyond
       ``population_size`` are all asked too; aging then keeps the newest).
    2. Each later ask draws ``tournament_size`` members of the current population uniformly
       without replacement, takes the best (ties: the oldest of them) and mutates it
       (``space.mutate``). A child already asked in the run is re-mutated from the same parent
       up to ``_MUTATION_RETRIES`` times, then replaced by a random sample not yet asked
       (logged).
    3. Each `tell` appends the architecture to the population (injected candidates too) and
       removes the oldest member once the population exceeds ``population_size``.

    The loop is meant to be sequential (ask, tell, ask, tell): a tournament uses the members
    told so far. When fewer than ``tournament_size`` are there it uses them all; with none
    `ask` raises `SearchError`.

    Args:
        space: the search space (a `SearchSpace` or a registered space id).
        seed: seed of the strategy's random generator.
        initial_population: architectures asked first, in order (duplicates dropped).
        population_size: members kept in the population (>= 1).
        tournament_size: members drawn per tournament, in ``[1, population_size]``.

    Raises:
        ConfigError: a setting is out of range (the message names it), or ``seed`` is invalid.
        InvalidArchitectureError: a member of ``initial_population`` is not in ``space``.
    """

    name = "regularized_evolution"
    #: Mutations of one parent tried before falling back to a random unseen sample.
    _MUTATION_RETRIES: ClassVar[int] = 100

    def __init__(
        self,
        space: SearchSpace | str,
        seed: int,
        initial_population: Sequence[ModelGraph] | None = None,
        *,
        population_size: int = 20,
        tournament_size: int = 5,
    ) -> None:
        owner = type(self).__name__
        self.population_size = check_int(population_size, "population_size", low=1, owner=owner)
        self.tournament_size = check_int(tournament_size, "tournament_size", low=1, high=self.population_size,
                                         owner=owner)
        super().__init__(space, seed, initial_population)
        self._fill = max(0, self.population_size - len(self.initial_population))
        self._population: deque[tuple[ModelGraph, float]] = deque(maxlen=self.population_size)

    @property
    def config(self) -> dict[str, Any]:
        return {"population_size": self.population_size, "tournament_size": self.tournament_size}

    @property
    def population(self) -> tuple[tuple[ModelGraph, float], ...]:
        """The current population as ``(graph, value)`` pairs, oldest first."""
        return tuple(self._population)

    def _propose(self) -> ModelGraph:
        graph = self._next_initial()
        if graph is not None:
            return graph
        if self._fill > 0:
            self._fill -= 1
            return self._sample_unseen()
        return self._evolve()

    def _extend_initial(self, graphs: Sequence[ModelGraph]) -> None:
        """Append designed members to the first population: they are asked after the given
        ones and take the place of as many random samples."""
        self._initial.extend(graphs)
        self._fill = max(0, self._fill - len(graphs))

    def _evolve(self) -> ModelGraph:
        """An ask once the first population is out: a mutation of a tournament winner
        (subclasses that mix in other proposals override this, not `_propose`)."""
        return self._mutate_winner()

    def _mutate_winner(self) -> ModelGraph:
        pop = self._population
        if not pop:
            raise SearchError(
                "RegularizedEvolution has no evaluated member to select a parent from: tell the results of the "
                "initial population before asking for mutations (the loop is sequential: ask, tell, ask, tell)"
            )
        k = min(self.tournament_size, len(pop))
        drawn = self._rng.permutation(len(pop))[:k]  # k members uniformly without replacement (3x rng.choice)
        best = -1
        best_value = -math.inf
        for i in sorted(drawn.tolist()):  # oldest first, so a tie keeps the oldest
            if best < 0 or pop[i][1] > best_value:
                best, best_value = i, pop[i][1]
        parent = pop[best][0]
        for _ in range(self._MUTATION_RETRIES):
            child = self.space.mutate(parent, self._rng)
            key = self._keys[child]
            if key not in self._evaluated and key not in self._pending:
                return child
        logger.info(
            "RegularizedEvolution: %d mutations of a parent were all asked already; using a random sample instead",
            self._MUTATION_RETRIES,
        )
        return self._sample_unseen()

    def _on_tell(self, graph: ModelGraph, value: float) -> None:
        self._population.append((graph, value))  # deque(maxlen): the oldest member leaves
