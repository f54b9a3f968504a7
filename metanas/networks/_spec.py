"""`DataSpec` (what a network's input and output look like) and the builder registries.

Torch-free: the registries hold factories that import torch when they are called.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from metanas.exceptions import ConfigError, UnknownNameError
from metanas.graph import ModelGraph
from metanas.registry import Registry
from metanas.spaces import DAGSpace, SearchSpace, get_space
from metanas.tasks import TaskMetadata
from metanas.validation import check_choice, check_int

__all__ = ["DAG_OPS", "NETWORKS", "DataSpec", "build_network", "count_parameters"]

#: Network builders by search-space id: ``factory(graph, space, spec, **options) -> nn.Module``.
NETWORKS: Registry[Any] = Registry("network builder", entry_point_group="metanas.networks")
#: Operations of user DAG spaces: ``factory(channels) -> nn.Module`` mapping ``[B, C, H, W]``
#: to ``[B, C, H, W]`` (the same shape, so that any DAG wiring composes).
DAG_OPS: Registry[Any] = Registry("DAG operation", entry_point_group="metanas.dag_ops")

_KINDS = ("image", "graph", "tabular")


@dataclass(frozen=True)
class DataSpec:
    """The shapes a built network must accept and produce.

    Attributes:
        kind: ``"image"`` (input ``[B, C, H, W]``), ``"graph"`` (node features ``[N, F]`` and
            ``edge_index`` ``[2, E]``) or ``"tabular"`` (rows ``[B, F]``).
        num_classes: outputs per sample (logits), >= 2 for classification, 1 for regression.
        input_size: ``(C, H, W)`` of an image task; ``None`` for graphs and tables.
        num_features: node features or table columns ``F``; ``None`` for images.

    Raises:
        ConfigError: a field is missing, of the wrong type or out of range.
    """

    kind: str
    num_classes: int
    input_size: tuple[int, int, int] | None = None
    num_features: int | None = None

    def __post_init__(self) -> None:
        check_choice(self.kind, "kind", _KINDS, owner="DataSpec")
        _positive(self.num_classes, "num_classes")
        if self.kind == "image":
            size = self.input_size
            if size is None or len(tuple(size)) != 3:
                raise ConfigError(f"DataSpec.input_size of an image spec must be (C, H, W), got {size!r}")
            for x in size:
                _positive(x, "input_size")
            object.__setattr__(self, "input_size", tuple(int(x) for x in size))
        else:
            _positive(self.num_features, "num_features")

    @classmethod
    def from_task(cls, task: TaskMetadata) -> DataSpec:
        """The spec of a task: image tasks by ``input_size``, graph tasks by their meta-features."""
        if task.modality == "image":
            return cls("image", task.num_classes, input_size=task.input_size)
        if task.modality == "tabular":
            return cls("tabular", task.num_classes, num_features=int(task.meta_features["num_features"]))
        return cls("graph", task.num_classes, num_features=int(task.meta_features["num_node_features"]))


def _positive(value: Any, name: str) -> None:
    check_int(value, name, low=1, owner="DataSpec")


def lazy(module: str, attr: str) -> Callable[..., Any]:
    """A factory that imports ``module`` (torch) only when called and forwards to ``module.attr``."""

    def factory(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), attr)(*args, **kwargs)

    factory.__qualname__ = f"lazy({module}.{attr})"
    factory.__module__ = module
    return factory


def build_network(graph: ModelGraph, space: SearchSpace | str, spec: DataSpec, **options: Any) -> Any:
    """Build the `torch.nn.Module` of an architecture.

    The builder is the one registered in `NETWORKS` under the space's id; a `DAGSpace`
    without its own builder uses the generic ``dag`` builder (operations from `DAG_OPS`).

    Args:
        graph: the architecture (validated against ``space``).
        space: its search space (instance or registered id).
        spec: the data the network consumes and the classes it predicts.
        **options: the builder's settings (e.g. ``C`` and ``N`` for ``nb201``).

    Returns:
        An ``nn.Module``; image networks map ``[B, C, H, W]`` to logits ``[B, classes]``,
        graph networks ``(x [N, F], edge_index [2, E])`` to ``[N, classes]``, tabular networks
        ``[B, F]`` to ``[B, classes]`` (``[B, 1]`` for regression).

    Raises:
        UnknownNameError: no builder for the space.
        InvalidArchitectureError: the graph is not in the space, or an operation has no module.
        ConfigError: a bad option or a spec of the wrong kind.
    """
    space = get_space(space)
    if not isinstance(spec, DataSpec):
        raise ConfigError(f"build_network: 'spec' must be a DataSpec (DataSpec.from_task(task)), got {spec!r}")
    graph = space.validate(graph)
    if space.id in NETWORKS:
        factory = NETWORKS.factory(space.id)
    elif isinstance(space, DAGSpace):
        factory = NETWORKS.factory("dag")
    else:
        raise UnknownNameError(
            f"no network builder for space {space.id!r}; register one with "
            f"metanas.networks.NETWORKS.register({space.id!r}, factory) (builders: {NETWORKS.names()})"
        )
    return factory(graph, space, spec, **options)


def count_parameters(module: Any) -> int:
    """Number of scalar parameters of an ``nn.Module`` (trainable or not), as benchmarks count them."""
    return int(sum(p.numel() for p in module.parameters()))
