"""The architecture-metric base class, its registry, and the helpers the metrics share.

A metric maps a pair of `ModelGraph`s to a float in ``[0, 1]``: symmetric, ``1`` for identical
or isomorphic graphs. It subclasses `ArchitectureMetric` (``metric(a, b)`` and
``metric.pairwise(graphs_a, graphs_b)``) and registers in `ARCH_METRICS`, one line::

    ARCH_METRICS.register("mine", MySimilarity)

Other distributions register through the entry-point group ``metanas.arch_metrics``.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from metanas.graph import ModelGraph
from metanas.registry import Registry

__all__ = ["ARCH_METRICS", "ArchitectureMetric", "arch_metric_names", "arch_similarity", "get_arch_metric",
           "pairwise", "register_arch_metric"]


class ArchitectureMetric(ABC):
    """A similarity of architectures in ``[0, 1]``: symmetric, 1 for isomorphic graphs.

    Subclasses set `name` and implement `pairwise`; the scalar call is the 1 x 1 matrix unless
    a subclass overrides it.
    """

    #: Registry name of the metric.
    name: ClassVar[str]

    def __call__(self, graph_a: ModelGraph, graph_b: ModelGraph) -> float:
        """Similarity of two architectures, in [0, 1]."""
        return float(self.pairwise([graph_a], [graph_b])[0, 0])

    @abstractmethod
    def pairwise(
        self, graphs_a: Sequence[ModelGraph], graphs_b: Sequence[ModelGraph] | None = None
    ) -> np.ndarray:
        """Similarity matrix.

        Args:
            graphs_a: ``na`` architectures.
            graphs_b: ``nb`` architectures; ``None`` means ``graphs_a`` (a symmetric matrix).

        Returns:
            float64 array of shape ``[na, nb]`` with entries in [0, 1].
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


#: Architecture similarities by name (entry-point group ``metanas.arch_metrics``).
ARCH_METRICS: Registry[ArchitectureMetric] = Registry(
    "architecture similarity", base=ArchitectureMetric, entry_point_group="metanas.arch_metrics"
)


def register_arch_metric(name: str, factory: Callable[..., ArchitectureMetric], *, replace: bool = False) -> None:
    """Register an architecture-similarity factory under ``name`` (``ARCH_METRICS.register``)."""
    ARCH_METRICS.register(name, factory, replace=replace)


def arch_metric_names() -> list[str]:
    """Registered architecture-similarity names."""
    return ARCH_METRICS.names()


def get_arch_metric(name: str | ArchitectureMetric, **kwargs: Any) -> ArchitectureMetric:
    """Resolve a metric name (``ged``, ``path``, ``opdist``, or a registered one) or pass an instance through.

    Args:
        name: registry name or an `ArchitectureMetric`.
        **kwargs: constructor arguments of the metric (only with a name).

    Raises:
        UnknownNameError: the name is not registered; the message lists the valid ones.
        ConfigError: keyword arguments given with an instance, or ones the metric does not take.
    """
    return ARCH_METRICS.resolve(name, **kwargs)


def arch_similarity(graph_a: ModelGraph, graph_b: ModelGraph, metric: str | ArchitectureMetric = "ged") -> float:
    """Similarity of two architectures with a registered metric, in [0, 1]."""
    return get_arch_metric(metric)(graph_a, graph_b)


def pairwise(
    graphs_a: Sequence[ModelGraph],
    graphs_b: Sequence[ModelGraph] | None = None,
    metric: str | ArchitectureMetric = "ged",
) -> np.ndarray:
    """Similarity matrix ``[len(graphs_a), len(graphs_b)]`` (``graphs_b=None``: square, symmetric)."""
    return get_arch_metric(metric).pairwise(graphs_a, graphs_b)


def count_matrices(
    a: list[ModelGraph], b: list[ModelGraph], counter: Callable[[ModelGraph], Counter]
) -> tuple[np.ndarray, np.ndarray]:
    """Dense count matrices ``[len(a), K]`` and ``[len(b), K]`` over the keys either side counts."""
    ca = [counter(g) for g in a]
    cb = [counter(g) for g in b]
    keys: dict = {}
    for c in itertools.chain(ca, cb):
        for key in c:
            keys.setdefault(key, len(keys))

    def dense(cs: list[Counter]) -> np.ndarray:
        m = np.zeros((len(cs), len(keys)))
        for r, c in enumerate(cs):
            for key, v in c.items():
                m[r, keys[key]] = v
        return m

    return dense(ca), dense(cb)
