"""The two encoders of the meta-learner, plain `torch.nn.Module`s.

* `ArchitectureEncoder`: message passing over the op-labelled DAG in both edge directions
  (one PyG convolution per direction and layer, GIN or GAT), op embeddings as input node
  features, mean pooling of every layer's node states (jumping knowledge), an MLP to ``d``.
  Mean pooling over nodes makes the embedding invariant to node renumbering.
* `TaskEncoder`: an MLP from normalised meta-features to ``d``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.nn import GATConv, GINConv, global_mean_pool

from metanas.exceptions import ConfigError

__all__ = ["CONVOLUTIONS", "ArchitectureEncoder", "TaskEncoder", "resolve_conv"]


def _gin(hidden: int) -> nn.Module:
    return GINConv(nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)), train_eps=True)


def _gat(hidden: int) -> nn.Module:
    return GATConv(hidden, hidden, heads=1, add_self_loops=True)


#: Convolution name -> factory ``hidden -> module(x, edge_index)``.
CONVOLUTIONS: dict[str, Callable[[int], nn.Module]] = {"gin": _gin, "gat": _gat}


def resolve_conv(name: str) -> Callable[[int], nn.Module]:
    """The convolution factory registered as ``name``.

    Raises:
        ConfigError: unknown name; the message lists the valid ones.
    """
    try:
        return CONVOLUTIONS[name]
    except KeyError:
        raise ConfigError(f"'conv' must be one of {sorted(CONVOLUTIONS)}, got {name!r}") from None


class ArchitectureEncoder(nn.Module):
    """GNN over op-labelled DAGs -> ``[num_graphs, dim]``.

    Args:
        num_ops: size of the node-label alphabet (vocabulary + input + output).
        dim: embedding size ``d``.
        hidden: width of node states.
        num_layers: message-passing layers (each: one convolution along the edges, one against).
        conv: convolution name (`CONVOLUTIONS`).
    """

    def __init__(self, num_ops: int, dim: int, hidden: int = 64, num_layers: int = 3, conv: str = "gin") -> None:
        super().__init__()
        factory = resolve_conv(conv)
        self.op_embedding = nn.Embedding(num_ops, hidden)
        self.forward_convs = nn.ModuleList(factory(hidden) for _ in range(num_layers))
        self.backward_convs = nn.ModuleList(factory(hidden) for _ in range(num_layers))
        self.mix = nn.ModuleList(nn.Linear(2 * hidden, hidden) for _ in range(num_layers))
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(num_layers))
        self.readout = nn.Sequential(
            nn.Linear(hidden * (num_layers + 1), hidden), nn.ReLU(), nn.Linear(hidden, dim)
        )

    def forward(self, data: Data) -> torch.Tensor:
        """Embeddings of the graphs of a batch (``op``, ``edge_index``, ``batch``, ``num_graphs``)."""
        h = self.op_embedding(data.op)
        reverse = data.edge_index.flip(0)
        pooled = [global_mean_pool(h, data.batch, data.num_graphs)]
        for fwd, bwd, mix, norm in zip(self.forward_convs, self.backward_convs, self.mix, self.norms):
            msg = torch.cat([fwd(h, data.edge_index), bwd(h, reverse)], dim=-1)
            h = h + torch.relu(norm(mix(msg)))
            pooled.append(global_mean_pool(h, data.batch, data.num_graphs))
        return self.readout(torch.cat(pooled, dim=-1))


class TaskEncoder(nn.Module):
    """MLP from normalised meta-features ``[T, F]`` to task embeddings ``[T, dim]``.

    Args:
        num_features: ``F``.
        dim: embedding size ``d``.
        hidden: hidden width.
        num_layers: hidden layers (>= 1).
    """

    def __init__(self, num_features: int, dim: int, hidden: int = 32, num_layers: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = num_features
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden), nn.Tanh()]
            width = hidden
        layers.append(nn.Linear(width, dim))
        self.net = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Task embeddings of a ``[T, F]`` feature matrix."""
        return self.net(features)
