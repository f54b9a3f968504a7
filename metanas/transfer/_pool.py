"""`CandidatePool`: every architecture of an enumerable space with its key and features."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import ClassVar

from metanas.graph import ModelGraph
from metanas.spaces import SearchSpace

__all__ = ["CandidatePool"]

logger = logging.getLogger(__name__)


class CandidatePool:
    """Every architecture of an enumerable space: graphs, keys, key index and features.

    Use `CandidatePool.for_space`, which caches one pool per space (type, id, operations)
    and returns ``None`` for spaces that cannot be enumerated or exceed ``MAX_SIZE``.

    Attributes:
        graphs: one graph per key, in the space's enumeration order.
        keys: `SearchSpace.key` of each graph.
        index: key -> position.
        features: shape ``[len(graphs), d]`` float32 (`SearchSpace.features`).
    """

    #: Largest pool built (beyond it the strategy samples and mutates candidates instead).
    MAX_SIZE: ClassVar[int] = 200_000
    _CACHE: ClassVar[dict[tuple, CandidatePool | None]] = {}

    def __init__(self, space: SearchSpace, graphs: Sequence[ModelGraph]) -> None:
        self.graphs = list(graphs)
        self.keys = [space.key(g) for g in self.graphs]
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.features = space.features(self.graphs)

    def __len__(self) -> int:
        return len(self.graphs)

    @classmethod
    def for_space(cls, space: SearchSpace) -> CandidatePool | None:
        """The cached pool of ``space``, or ``None`` when it cannot be enumerated (or is too big)."""
        ident = (type(space).__qualname__, space.id, tuple(space.ops))
        if ident not in cls._CACHE:
            pool: CandidatePool | None = None
            try:
                graphs = []
                for graph in space.enumerate():
                    graphs.append(graph)
                    if len(graphs) > cls.MAX_SIZE:
                        raise NotImplementedError
                pool = cls(space, graphs)
                logger.info("candidate pool of space %r: %d architectures", space.id, len(pool))
            except NotImplementedError:
                logger.info("space %r is not enumerable within %d architectures; candidates are sampled",
                            space.id, cls.MAX_SIZE)
            cls._CACHE[ident] = pool
        return cls._CACHE[ident]
