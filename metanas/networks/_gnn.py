"""NAS-Bench-Graph's GNN (Qin et al., NeurIPS 2022) of a `NasBenchGraphSpace` architecture.

The network, as the benchmark trained it:

* input dropout on the node features; ``num_pre`` linear pre-processing layers (``F -> dim``);
* one cell over 4 computing nodes: node ``i`` reads node ``link[i]`` (0: the cell input) and
  applies its operation (``dim`` outputs); before an operation its input goes through
  BatchNorm1d-ReLU-dropout, except while it is still the raw input (no pre-processing layer,
  reached through ``skip`` only), which is fed as it is. Every node without successors is an
  output: their concatenation goes through ReLU and a linear layer (to ``dim`` when
  post-processing follows, else to the classes);
* ``num_pro`` linear post-processing layers (the last to the classes).

Operations (PyTorch Geometric): ``gat`` GATConv with 4 heads of ``dim // 4`` channels
(concatenated), ``gcn`` GCNConv, ``gin`` GINConv over one linear layer, ``cheb`` ChebConv with
``K=2``, ``sage`` SAGEConv, ``arma`` ARMAConv (1 stack, 1 layer), ``graph`` GraphConv
(k-GNN), ``fc`` a linear layer, ``skip`` the identity. On ogbn-proteins the benchmark disables
GCN normalisation and self-loops (``normalize=False``).

The architecture is built in the benchmark's canonical form (``Arch.regularize``,
``move_skip_op``, ``equalpart_sort``: what its table is keyed by, and what it trained), so
that every member of an isomorphism class gets the same network.

`NBG_PRESETS` holds each dataset's hidden size and numbers of pre-/post-processing layers.
They were identified from the benchmark's own parameter counts (``para``): for every
dataset, the one setting of ``dim`` in {64, 128, 256}, ``num_pre`` and ``num_pro`` in {0, 1}
(the benchmark's ranges) under which the built networks reproduce the recorded counts
(``python -m benchmarks.build_params`` prints the agreement). Dropout is the
benchmark's range midpoint unless given; it has no parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from metanas.exceptions import ConfigError, UnknownNameError
from metanas.validation import check_int

if TYPE_CHECKING:
    from metanas.graph import ModelGraph
    from metanas.networks._spec import DataSpec
    from metanas.spaces import SearchSpace

__all__ = ["NBG_PRESETS", "NasBenchGraphNetwork", "build_nbg", "canonical_arch", "gnn_op", "layout"]

#: Per-dataset settings ``(dim, num_pre, num_pro)`` of NAS-Bench-Graph (see the module docs).
NBG_PRESETS: dict[str, tuple[int, int, int]] = {
    "cora": (256, 0, 1),
    "citeseer": (256, 0, 1),
    "pubmed": (128, 0, 0),
    "cs": (128, 1, 0),
    "physics": (256, 1, 0),
    "photo": (128, 0, 0),
    "computers": (64, 1, 1),
    "arxiv": (128, 0, 1),
    "proteins": (256, 1, 1),
}


class _Linear(nn.Module):
    """``fc``: a linear layer that ignores the graph."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.linear = nn.Linear(c_in, c_out)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class _Skip(nn.Module):
    """``skip``: the identity."""

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return x


def gnn_op(name: str, c_in: int, c_out: int, normalize: bool = True) -> nn.Module:
    """The module of a NAS-Bench-Graph operation (``forward(x, edge_index)``).

    Raises:
        UnknownNameError: not one of the benchmark's 9 operations.
    """
    from torch_geometric import nn as gnn

    factories = {
        "gat": lambda: gnn.GATConv(c_in, c_out // 4, heads=4, concat=True, add_self_loops=normalize),
        "gcn": lambda: gnn.GCNConv(c_in, c_out, add_self_loops=normalize, normalize=normalize),
        "gin": lambda: gnn.GINConv(nn.Linear(c_in, c_out)),
        "cheb": lambda: gnn.ChebConv(c_in, c_out, K=2),
        "sage": lambda: gnn.SAGEConv(c_in, c_out),
        "arma": lambda: gnn.ARMAConv(c_in, c_out),
        "graph": lambda: gnn.GraphConv(c_in, c_out),
        "fc": lambda: _Linear(c_in, c_out),
        "skip": _Skip,
    }
    try:
        return factories[name]()
    except KeyError:
        raise UnknownNameError(f"unknown NAS-Bench-Graph operation {name!r}; choose one of {sorted(factories)}") from None


def canonical_arch(link: Sequence[int], ops: Sequence[str]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The benchmark's canonical ``(link, ops)`` of an architecture (what ``valid_hash`` hashes)."""
    from nas_bench_graph.architecture import Arch

    arch = Arch(list(link), list(ops)).regularize()
    arch.move_skip_op()
    arch.equalpart_sort()
    return tuple(int(x) for x in arch.link), tuple(arch.ops)


class NasBenchGraphNetwork(nn.Module):
    """The NAS-Bench-Graph GNN of ``(link, ops)`` (see the module docstring).

    Args:
        link: ``link[i]`` is the node computing node ``i + 1`` reads (0: the cell input).
        ops: operation of each computing node.
        num_features: input node features.
        num_classes: outputs per node.
        dim: hidden size.
        num_pre: linear pre-processing layers.
        num_pro: linear post-processing layers.
        dropout: dropout probability.
        normalize: GCN normalisation and GAT self-loops (off on ogbn-proteins).

    Raises:
        ConfigError: a setting out of range or a link that reads a later node.
    """

    def __init__(self, link: Sequence[int], ops: Sequence[str], num_features: int, num_classes: int, *,
                 dim: int = 256, num_pre: int = 0, num_pro: int = 1, dropout: float = 0.5,
                 normalize: bool = True) -> None:
        super().__init__()
        _check(link, ops, dim, num_pre, num_pro, dropout)
        self.link = [int(x) for x in link]
        self.dropout = float(dropout)
        self.pre = nn.ModuleList(nn.Linear(num_features if i == 0 else dim, dim) for i in range(num_pre))
        self.raw, width, self.outputs = layout(self.link, ops, num_features, dim, num_pre)
        self.ops = nn.ModuleList(gnn_op(op, width[src], dim, normalize) for op, src in zip(ops, self.link))
        self.norms = nn.ModuleList(nn.BatchNorm1d(dim) for _ in ops)
        cat = sum(width[i] for i in self.outputs)
        self.fc = nn.Linear(cat, dim if num_pro else num_classes)
        self.post = nn.ModuleList(
            nn.Linear(dim, num_classes if i == num_pro - 1 else dim) for i in range(num_pro)
        )

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """``x [N, F]``, ``edge_index [2, E]`` -> logits ``[N, num_classes]``."""
        x = F.dropout(x, self.dropout, self.training)
        for i, layer in enumerate(self.pre):
            x = layer(x)
            if i == len(self.pre) - 2:
                x = F.elu(x)
        values = [x]
        for op, src, norm in zip(self.ops, self.link, self.norms):
            h = values[src]
            if not self.raw[src]:
                h = F.dropout(F.relu(norm(h)), self.dropout, self.training)
            values.append(op(h, edge_index))
        x = self.fc(F.relu(torch.cat([values[i] for i in self.outputs], dim=1)))
        for i, layer in enumerate(self.post):
            x = layer(x)
            if i == len(self.post) - 2:
                x = F.elu(x)
        return x


def layout(link: Sequence[int], ops: Sequence[str], num_features: int, dim: int,
           num_pre: int) -> tuple[list[bool], list[int], list[int]]:
    """``(raw, width, outputs)`` of a cell: whether each node (0: the cell input) still holds the
    untransformed input, its feature width, and the output nodes (those no node reads)."""
    raw = [num_pre == 0]
    width = [num_features if num_pre == 0 else dim]
    for op, src in zip(ops, link):
        raw.append(raw[src] and op == "skip")
        width.append(width[src] if op == "skip" else dim)
    readers = set(link)
    return raw, width, [i for i in range(len(ops) + 1) if i not in readers]


def _check(link: Sequence[int], ops: Sequence[str], dim: int, num_pre: int, num_pro: int, dropout: float) -> None:
    if len(link) != len(ops) or not link:
        raise ConfigError(f"NAS-Bench-Graph network: link and ops must have the same positive length, got {link}, {ops}")
    for i, src in enumerate(link):
        if not 0 <= int(src) <= i:
            raise ConfigError(f"NAS-Bench-Graph network: node {i + 1} reads node {src}; it may read nodes 0..{i}")
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 4 or dim % 4:
        raise ConfigError(f"NAS-Bench-Graph network: 'dim' must be a positive multiple of 4 (GAT's 4 heads), got {dim!r}")
    num_pre = check_int(num_pre, "num_pre", low=0, owner="the NAS-Bench-Graph network")
    num_pro = check_int(num_pro, "num_pro", low=0, owner="the NAS-Bench-Graph network")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ConfigError(f"NAS-Bench-Graph network: 'dropout' must be in [0, 1), got {dropout!r}")


def build_nbg(graph: ModelGraph, space: SearchSpace, spec: DataSpec, *, preset: str | None = None, dim: int | None = None,
              num_pre: int | None = None, num_pro: int | None = None, dropout: float = 0.5) -> NasBenchGraphNetwork:
    """The NAS-Bench-Graph network of ``graph`` for a graph `DataSpec`.

    Args:
        preset: a NAS-Bench-Graph dataset (`NBG_PRESETS`) whose ``dim``/``num_pre``/``num_pro``
            to use; ``None``: Cora's. Explicit ``dim``, ``num_pre``, ``num_pro`` override it.
        dropout: dropout probability.

    Raises:
        ConfigError: the data is not a graph, or an unknown preset.
    """
    if spec.kind != "graph":
        raise ConfigError(f"space {space.id!r} builds graph networks; the data is {spec.kind!r} (use a graph data set)")
    name = preset or "cora"
    if name not in NBG_PRESETS:
        raise ConfigError(f"unknown NAS-Bench-Graph preset {name!r}; choose one of {sorted(NBG_PRESETS)}")
    p_dim, p_pre, p_pro = NBG_PRESETS[name]
    link, ops = canonical_arch(*space.to_arch(graph))
    return NasBenchGraphNetwork(
        link, ops, spec.num_features, spec.num_classes,
        dim=p_dim if dim is None else dim, num_pre=p_pre if num_pre is None else num_pre,
        num_pro=p_pro if num_pro is None else num_pro, dropout=dropout, normalize=name != "proteins",
    )
