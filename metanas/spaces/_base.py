"""The `SearchSpace` base class and the registry of search spaces."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from metanas.exceptions import InvalidArchitectureError, UnknownOperationError
from metanas.graph import IDENTITY_OPS, INPUT, OUTPUT, ZERO_OPS, ModelGraph
from metanas.registry import Registry

__all__ = ["SPACES", "SearchSpace", "get_space", "register_space", "space_names"]

#: Mutation retries before a space gives up (only reachable for degenerate spaces).
_MAX_TRIES = 1000


class SearchSpace(ABC):
    """A set of architectures with sampling, mutation and validation.

    Subclasses set `id` and `ops` and implement `_sample` and `_check`; `mutate` has a
    default (resample a different one) that structured spaces override with a local move.
    """

    #: Stable identifier; architectures transfer without re-validation only between equal ids.
    id: str
    #: Operation vocabulary (input/output labels excluded).
    ops: tuple[str, ...]
    #: Labels the canonical form treats as identity / zero.
    identity_ops: frozenset[str] = IDENTITY_OPS
    zero_ops: frozenset[str] = ZERO_OPS

    @abstractmethod
    def _sample(self, rng: np.random.Generator) -> ModelGraph:
        """Draw one architecture (already tagged with this space's id)."""

    @abstractmethod
    def _check(self, graph: ModelGraph) -> None:
        """Raise `InvalidArchitectureError` if ``graph`` is not in this space (ops already checked)."""

    def sample(self, rng: np.random.Generator) -> ModelGraph:
        """Draw one architecture uniformly (or as the space documents)."""
        return self._sample(_as_rng(rng))

    def mutate(self, graph: ModelGraph, rng: np.random.Generator) -> ModelGraph:
        """Return a different valid architecture near ``graph`` (new object; input untouched)."""
        rng = _as_rng(rng)
        graph = self.validate(graph)
        parent_key = self.key(graph)
        for _ in range(_MAX_TRIES):
            child = self._mutate(graph, rng)
            if self.key(child) != parent_key:
                return child
        raise InvalidArchitectureError(
            f"space {self.id!r} found no mutation of {graph!r} after {_MAX_TRIES} tries"
        )

    def _mutate(self, graph: ModelGraph, rng: np.random.Generator) -> ModelGraph:
        return self._sample(rng)

    def key(self, graph: ModelGraph) -> str:
        """The identity a benchmark table of this space is keyed by (default: exact identity)."""
        return graph.identity

    def canonical_hash(self, graph: ModelGraph) -> str:
        """Canonical hash with this space's identity / zero operations."""
        if self.identity_ops == IDENTITY_OPS and self.zero_ops == ZERO_OPS:
            return graph.canonical_hash
        return graph.canonical_digest(self.identity_ops, self.zero_ops)

    def validate(self, graph: ModelGraph) -> ModelGraph:
        """Check that ``graph`` belongs to this space.

        Returns:
            The graph tagged with this space's id (a new object if the tag changed).

        Raises:
            UnknownOperationError: an operation outside `ops`.
            InvalidArchitectureError: any other structural reason; the message says which.
        """
        if not isinstance(graph, ModelGraph):
            raise InvalidArchitectureError(
                f"space {self.id!r} expects a ModelGraph, got {type(graph).__name__}"
            )
        allowed = set(self.ops)
        for i, op in enumerate(graph.ops):
            if op in (INPUT, OUTPUT):
                continue
            if op not in allowed:
                raise UnknownOperationError(
                    f"node {i} has operation {op!r}, which is not in space {self.id!r}; "
                    f"allowed operations: {list(self.ops)}"
                )
        self._check(graph)
        return graph if graph.space_id == self.id else graph.with_space(self.id)

    def contains(self, graph: ModelGraph) -> bool:
        """Whether `validate` accepts ``graph``."""
        try:
            self.validate(graph)
        except InvalidArchitectureError:
            return False
        return True

    def __contains__(self, graph: object) -> bool:
        return isinstance(graph, ModelGraph) and self.contains(graph)

    def features(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """Fixed-length feature vectors of architectures, for surrogate models.

        The default counts each operation and each labelled edge type ``(op_u, op_v)``
        (input and output included as labels), so it is invariant under node renumbering
        and works for any space; structured spaces override it with a position encoding.

        Args:
            graphs: architectures of this space.

        Returns:
            Shape ``[len(graphs), d]`` float32, ``d`` fixed by the space.
        """
        labels = {op: i for i, op in enumerate((INPUT, OUTPUT, *self.ops))}
        k = len(labels)
        out = np.zeros((len(graphs), k + k * k), dtype=np.float32)
        for row, graph in enumerate(graphs):
            idx = [labels.get(op, -1) for op in graph.ops]
            for i in idx:
                if i >= 0:
                    out[row, i] += 1.0
            for u, v in graph.edges:
                if idx[u] >= 0 and idx[v] >= 0:
                    out[row, k + idx[u] * k + idx[v]] += 1.0
        return out

    def enumerate(self) -> Iterator[ModelGraph]:
        """Every architecture of a finite space (raises `NotImplementedError` otherwise)."""
        raise NotImplementedError(f"space {self.id!r} cannot be enumerated")

    @property
    def size(self) -> int | None:
        """Number of architectures (distinct `key`s, e.g. benchmark table rows); ``None`` if unknown."""
        return None

    @property
    def distinct_size(self) -> int | None:
        """Number of distinct architectures by `canonical_hash`: the most a population of distinct
        members can hold (warm-started populations are de-duplicated by it); ``None`` if unknown."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, ops={list(self.ops)})"


def _as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise TypeError("pass a numpy.random.Generator or an int seed; metanas uses no global RNG")
    return np.random.default_rng(rng)


#: The search spaces by id (entry-point group ``metanas.spaces``): ``SPACES.register(id, factory)``
#: with a factory taking no arguments.
SPACES: Registry[SearchSpace] = Registry("search space", base=SearchSpace, entry_point_group="metanas.spaces")


def register_space(name: str, factory: Callable[[], SearchSpace]) -> None:
    """Register a factory (no arguments) for the space id ``name`` (`SPACES.register`)."""
    SPACES.register(name, factory)


def space_names() -> list[str]:
    """Registered space ids."""
    return SPACES.names()


def get_space(name: str | SearchSpace) -> SearchSpace:
    """Resolve a space id (or pass a `SearchSpace` through).

    Raises:
        UnknownNameError: the id is not registered; the message lists the valid ones.
        ConfigError: ``name`` is neither a string nor a `SearchSpace`.
    """
    return SPACES.resolve(name)
