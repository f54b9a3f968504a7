"""Random search: the initial population first, then uniform samples of the space."""

from __future__ import annotations

from metanas.graph import ModelGraph
from metanas.search._base import SearchStrategy

__all__ = ["RandomSearch"]


class RandomSearch(SearchStrategy):
    """Ask the initial population in order, then samples of the space (``space.sample``).

    A sample whose key was already asked in the run is redrawn; near exhaustion the search
    draws uniformly from the architectures not yet asked (spaces that can enumerate). Told
    values are not used.

    Args:
        space: the search space (a `SearchSpace` or a registered space id).
        seed: seed of the strategy's random generator.
        initial_population: architectures asked first, in order (duplicates dropped).

    Raises:
        ConfigError: ``seed`` is not an int >= 0.
        InvalidArchitectureError: a member of ``initial_population`` is not in ``space``.
    """

    name = "random"


    def _propose(self) -> ModelGraph:
        graph = self._next_initial()
        return graph if graph is not None else self._sample_unseen()
