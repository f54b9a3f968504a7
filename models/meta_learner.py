"""`MetaLearner`: architecture and task encoders into one embedding space.

The score of architecture ``a`` on task ``t`` is ``<z_t, e_a>`` with ``e_a`` the
architecture encoder's output and ``z_t = prior(m_t) + offset_t``: the task encoder's MLP
prior from the normalised meta-features ``m_t`` plus, for a training task, a learned offset
regularised towards zero (so that with few tasks each keeps its own embedding while the
prior learns what meta-features can tell). An unseen task gets the prior alone.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch_geometric.data import Data

from .encoders import ArchitectureEncoder, TaskEncoder

__all__ = ["MetaLearner"]


class MetaLearner(nn.Module):
    """The joint model.

    Args:
        num_ops: node-label alphabet size (op vocabulary + 2).
        num_features: meta-feature vector length ``F``.
        num_tasks: number of training tasks (rows of the offset table).
        dim: embedding size ``d``.
        hidden: node-state width of the architecture encoder.
        num_layers: message-passing layers.
        conv: convolution name (``gin`` or ``gat``).
        task_hidden: hidden width of the task encoder.
        task_layers: hidden layers of the task encoder.
    """

    def __init__(
        self,
        num_ops: int,
        num_features: int,
        num_tasks: int,
        dim: int = 16,
        hidden: int = 64,
        num_layers: int = 3,
        conv: str = "gin",
        task_hidden: int = 32,
        task_layers: int = 1,
    ) -> None:
        super().__init__()
        self.hparams: dict[str, Any] = {
            "num_ops": num_ops, "num_features": num_features, "num_tasks": num_tasks, "dim": dim,
            "hidden": hidden, "num_layers": num_layers, "conv": conv, "task_hidden": task_hidden,
            "task_layers": task_layers,
        }
        self.arch_encoder = ArchitectureEncoder(num_ops, dim, hidden, num_layers, conv)
        self.task_encoder = TaskEncoder(num_features, dim, task_hidden, task_layers)
        self.task_offset = nn.Parameter(torch.zeros(num_tasks, dim))

    def embed_architectures(self, data: Data) -> torch.Tensor:
        """``[num_graphs, d]`` embeddings of a PyG batch."""
        return self.arch_encoder(data)

    def task_prior(self, features: torch.Tensor) -> torch.Tensor:
        """``[T, d]`` MLP prior of ``[T, F]`` normalised meta-features."""
        return self.task_encoder(features)

    def task_vectors(self, features: torch.Tensor, task_index: torch.Tensor | None = None) -> torch.Tensor:
        """Task embeddings: the prior, plus the learned offsets when ``task_index`` names training tasks."""
        z = self.task_prior(features)
        if task_index is not None:
            z = z + self.task_offset[task_index]
        return z

    @staticmethod
    def score(arch_emb: torch.Tensor, task_vec: torch.Tensor) -> torch.Tensor:
        """Inner products: ``[N, d] x [d] -> [N]`` or ``[N, d] x [T, d] -> [N, T]``."""
        return arch_emb @ task_vec.T
