"""Cell networks for image data: the NAS-Bench-201 skeleton around a cell built from a `ModelGraph`.

`GraphCell` evaluates an op-as-node graph: every operation node applies its module to the sum
of its predecessors' outputs, and the output node sums its predecessors. On a NAS-Bench-201
cell (``NB201Space``: each edge ``i -> j`` is a node fed by the edges into ``i``) this is
exactly the benchmark's cell, node ``j`` = sum of its incoming edge operations.

`CellNetwork` is NAS-Bench-201's ``TinyNetwork`` (Dong & Yang, ICLR 2020): stem
``Conv3x3(C_in -> C) + BN``; three stages of ``N`` cells with ``C``, ``2C`` and ``4C`` channels,
separated by residual reduction blocks (stride 2: two ReLU-Conv3x3-BN and an
``AvgPool2x2 + Conv1x1`` shortcut); BN-ReLU; global average pooling; a linear head.
NAS-Bench-201's operations are ReLU-Conv-BN (``nor_conv_1x1``, ``nor_conv_3x3``), a 3x3
average pool (padding 1, padding not counted), identity (``skip_connect``) and zero (``none``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from metanas.exceptions import ConfigError, UnknownOperationError
from metanas.graph import ModelGraph
from metanas.validation import check_int

if TYPE_CHECKING:
    from metanas.networks._spec import DataSpec
    from metanas.spaces import SearchSpace

__all__ = ["NB201_MODULES", "CellNetwork", "GraphCell", "ReLUConvBN", "ResidualReduction", "Zero", "build_nb201"]


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv2d (no bias) -> BatchNorm2d, as NAS-Bench-201's ``nor_conv`` operations."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The ``none`` operation: zeros of the input's shape (no parameters)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction block: ``ReLUConvBN(3x3, stride 2) -> ReLUConvBN(3x3)`` plus an
    ``AvgPool2d(2) -> Conv1x1`` shortcut; halves the resolution, ``c_in -> c_out`` channels.

    The pool rounds up (``ceil_mode``) so that odd sizes match the strided convolution; on the
    benchmark's even sizes this is NAS-Bench-201's block exactly."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, stride=2, ceil_mode=True),
                                      nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


#: NAS-Bench-201's operations: ``name -> factory(channels)``.
NB201_MODULES: dict[str, Callable[[int], nn.Module]] = {
    "none": lambda c: Zero(),
    "skip_connect": lambda c: nn.Identity(),
    "nor_conv_1x1": lambda c: ReLUConvBN(c, c, 1),
    "nor_conv_3x3": lambda c: ReLUConvBN(c, c, 3),
    "avg_pool_3x3": lambda c: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
}


class GraphCell(nn.Module):
    """A cell computed by an op-as-node `ModelGraph` (see the module docstring).

    Args:
        graph: the architecture.
        channels: channels of every tensor in the cell (operations keep the shape).
        modules: ``op name -> factory(channels) -> nn.Module``.

    Raises:
        UnknownOperationError: an operation of the graph has no factory.
    """

    def __init__(self, graph: ModelGraph, channels: int, modules: Mapping[str, Callable[[int], nn.Module]]) -> None:
        super().__init__()
        missing = sorted({op for op in graph.operations if op not in modules})
        if missing:
            raise UnknownOperationError(
                f"no module for operation(s) {missing}; known operations: {sorted(modules)}"
            )
        self.order = [v for v in graph.topological_order if 0 < v < graph.num_nodes - 1]
        self.preds = [list(p) for p in graph.predecessors]
        self.ops = nn.ModuleDict({str(v): modules[graph.ops[v]](channels) for v in self.order})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values: dict[int, torch.Tensor] = {0: x}
        for v in self.order:
            values[v] = self.ops[str(v)](_sum(values[p] for p in self.preds[v]))
        return _sum(values[p] for p in self.preds[-1])


def _sum(tensors: Any) -> torch.Tensor:
    it = iter(tensors)
    total = next(it)
    for t in it:
        total = total + t
    return total


class CellNetwork(nn.Module):
    """NAS-Bench-201's skeleton around a `GraphCell` (see the module docstring).

    Args:
        graph: the cell.
        modules: operation factories of the cell.
        in_channels: input image channels.
        num_classes: logits produced.
        C: channels of the first stage (NAS-Bench-201: 16).
        N: cells per stage (NAS-Bench-201: 5).

    Raises:
        ConfigError: ``C`` or ``N`` is not a positive integer.
        UnknownOperationError: an operation without a module.
    """

    def __init__(self, graph: ModelGraph, modules: Mapping[str, Callable[[int], nn.Module]], in_channels: int,
                 num_classes: int, C: int = 16, N: int = 5) -> None:
        super().__init__()
        C = check_int(C, "C", low=1, owner="the cell network")
        N = check_int(N, "N", low=1, owner="the cell network")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        channels = C
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(channels, 2 * channels))
                channels *= 2
            layers.extend(GraphCell(graph, channels, modules) for _ in range(N))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten(), nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C_in, H, W]`` -> logits ``[B, num_classes]``."""
        return self.head(self.cells(self.stem(x)))


def build_nb201(graph: ModelGraph, space: SearchSpace, spec: DataSpec, *, C: int = 16, N: int = 5) -> CellNetwork:
    """The NAS-Bench-201 network of a cell for ``spec`` (an image `DataSpec`)."""
    if spec.kind != "image":
        raise ConfigError(f"space {space.id!r} builds image networks; the data is {spec.kind!r} (use an image data set)")
    return CellNetwork(graph, NB201_MODULES, spec.input_size[0], spec.num_classes, C=C, N=N)
