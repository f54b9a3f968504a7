"""Networks of user `DAGSpace` architectures: the cell skeleton with operations from `DAG_OPS`.

A `DAGSpace` cell runs in NAS-Bench-201's skeleton (`CellNetwork`): every operation node
applies the module registered under its label in `metanas.networks.DAG_OPS` (a factory
``factory(channels) -> nn.Module`` that keeps the ``[B, C, H, W]`` shape). Register an operation
before building::

    from metanas.networks import DAG_OPS
    DAG_OPS.register("dil_conv_3x3", lambda c: MyDilatedConv(c))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch import nn

from metanas.exceptions import ConfigError, UnknownOperationError
from metanas.networks._cells import NB201_MODULES, CellNetwork, ReLUConvBN, Zero
from metanas.networks._spec import DAG_OPS

if TYPE_CHECKING:
    from metanas.graph import ModelGraph
    from metanas.networks._spec import DataSpec
    from metanas.spaces import SearchSpace

__all__ = ["BUILTIN_OPS", "build_dag"]


def _max_pool(c: int) -> nn.Module:
    return nn.MaxPool2d(3, stride=1, padding=1)


#: Operations registered in `DAG_OPS` from the start (NAS-Bench-201's and common aliases).
BUILTIN_OPS: dict[str, Any] = {
    **NB201_MODULES,
    "identity": lambda c: nn.Identity(),
    "skip": lambda c: nn.Identity(),
    "zero": lambda c: Zero(),
    "conv_1x1": lambda c: ReLUConvBN(c, c, 1),
    "conv_3x3": lambda c: ReLUConvBN(c, c, 3),
    "conv_5x5": lambda c: ReLUConvBN(c, c, 5),
    "max_pool_3x3": _max_pool,
}


def builtin_op(name: str, channels: int) -> nn.Module:
    """The module of a built-in DAG operation (what the lazy `DAG_OPS` entries call)."""
    return BUILTIN_OPS[name](channels)


def build_dag(graph: ModelGraph, space: SearchSpace, spec: DataSpec, *, C: int = 16, N: int = 1) -> CellNetwork:
    """The cell network of a `DAGSpace` architecture for an image `DataSpec`.

    Raises:
        ConfigError: the data is not images.
        UnknownOperationError: an operation of the graph is not registered in `DAG_OPS`.
    """
    if spec.kind != "image":
        raise ConfigError(f"DAG space {space.id!r} builds image cell networks; the data is {spec.kind!r}")
    missing = sorted({op for op in graph.operations if op not in DAG_OPS})
    if missing:
        raise UnknownOperationError(
            f"operation(s) {missing} of space {space.id!r} have no module; register them with "
            f"metanas.networks.DAG_OPS.register(name, factory) (registered: {DAG_OPS.names()})"
        )
    modules = {op: DAG_OPS.factory(op) for op in set(graph.operations)}
    return CellNetwork(graph, modules, spec.input_size[0], spec.num_classes, C=C, N=N)
