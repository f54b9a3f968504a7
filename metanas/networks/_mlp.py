"""Networks of the ``mlp`` space: an MLP cell (`GraphCell`) between a dense stem and a linear head.

`MLPCellNetwork`: ``Linear(F -> width) -> ReLU``; ``N`` cells of the architecture at ``width``
(operations of `metanas.spaces.MLP_OPS`, see `metanas.spaces._mlp`); ``Linear(width -> outputs)``
(class logits, or one value for regression).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import nn

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.networks._cells import GraphCell
from metanas.validation import check_int

if TYPE_CHECKING:
    from metanas.networks._spec import DataSpec
    from metanas.spaces import SearchSpace

__all__ = ["MLPCellNetwork", "build_mlp", "mlp_modules"]


def _dense(units: int) -> Callable[[int], nn.Module]:
    def factory(width: int) -> nn.Module:
        return nn.Sequential(nn.Linear(width, units), nn.ReLU(), nn.Linear(units, width))

    return factory


def mlp_modules(dropout: float) -> dict[str, Callable[[int], nn.Module]]:
    """The modules of the ``mlp`` operations: ``name -> factory(width)``, shape ``[B, width]`` kept."""
    return {
        "dense_16": _dense(16),
        "dense_64": _dense(64),
        "dense_256": _dense(256),
        "relu": lambda w: nn.ReLU(),
        "tanh": lambda w: nn.Tanh(),
        "skip": lambda w: nn.Identity(),
        "dropout": lambda w: nn.Dropout(dropout),
    }


class MLPCellNetwork(nn.Module):
    """A dense stem, ``N`` MLP cells and a linear head (see the module docstring).

    Args:
        graph: the cell.
        num_features: input columns ``F``.
        outputs: logits (classes) or 1 (regression).
        width: the cell's width.
        N: cells in sequence.
        dropout: rate of the ``dropout`` operation, in [0, 1).

    Raises:
        ConfigError: ``width`` or ``N`` not a positive integer, ``dropout`` outside [0, 1).
    """

    def __init__(self, graph: ModelGraph, num_features: int, outputs: int, *, width: int = 64, N: int = 1,
                 dropout: float = 0.2) -> None:
        super().__init__()
        width = check_int(width, "width", low=1, owner="the mlp network")
        N = check_int(N, "N", low=1, owner="the mlp network")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ConfigError(f"the mlp network's 'dropout' must be a number in [0, 1), got {dropout!r}")
        modules = mlp_modules(float(dropout))
        self.stem = nn.Sequential(nn.Linear(num_features, width), nn.ReLU())
        self.cells = nn.Sequential(*(GraphCell(graph, width, modules) for _ in range(N)))
        self.head = nn.Linear(width, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, F]`` -> ``[B, outputs]``."""
        return self.head(self.cells(self.stem(x)))


def build_mlp(graph: ModelGraph, space: SearchSpace, spec: DataSpec, *, width: int = 64, N: int = 1,
              dropout: float = 0.2) -> MLPCellNetwork:
    """The network of an ``mlp`` cell for a tabular `DataSpec`.

    Raises:
        ConfigError: the data is not tabular, or a bad option.
    """
    if spec.kind != "tabular":
        raise ConfigError(f"space {space.id!r} builds MLPs for tables; the data is {spec.kind!r} (use tabular data: "
                          "sklearn:breast_cancer, a .csv or a .npz with 2-D x)")
    return MLPCellNetwork(graph, spec.num_features, spec.num_classes, width=width, N=N, dropout=dropout)
