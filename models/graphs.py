"""`GraphTable`: many architectures as one set of flat tensors, from which PyG mini-batches
of any subset are gathered without Python loops (the CPU-friendly path for training and for
scoring a whole enumerable space)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch_geometric.data import Data

from metanas.graph import ModelGraph

__all__ = ["GraphTable"]


class GraphTable:
    """Op indices and edges of ``N`` graphs, concatenated.

    Node labels are indices into ``[input, output, *vocabulary]`` as in `ModelGraph.to_pyg`.

    Args:
        graphs: the architectures.
        vocabulary: the op vocabulary (input/output excluded).

    Raises:
        InvalidArchitectureError: a graph uses an op outside the vocabulary.
    """

    def __init__(self, graphs: Sequence[ModelGraph], vocabulary: Sequence[str]) -> None:
        self.vocabulary = tuple(vocabulary)
        ops = [g.op_indices(self.vocabulary) for g in graphs]
        node_counts = np.array([len(o) for o in ops], dtype=np.int64)
        edge_counts = np.array([len(g.edges) for g in graphs], dtype=np.int64)
        self.num_graphs = len(graphs)
        self.node_ptr = torch.from_numpy(np.concatenate([[0], np.cumsum(node_counts)]))
        self.edge_ptr = torch.from_numpy(np.concatenate([[0], np.cumsum(edge_counts)]))
        self.op = torch.from_numpy(np.concatenate(ops) if ops else np.zeros(0, dtype=np.int64))
        edges = [np.asarray(g.edges, dtype=np.int64).reshape(-1, 2) for g in graphs]
        # local node ids of each edge (relative to its graph)
        self.edges = torch.from_numpy(np.concatenate(edges) if edges else np.zeros((0, 2), dtype=np.int64))

    def __len__(self) -> int:
        return self.num_graphs

    def batch(self, index: torch.Tensor | Sequence[int] | None = None) -> Data:
        """A PyG mini-batch of the graphs ``index`` (all graphs when ``None``), in that order.

        Returns:
            `Data` with ``op`` ``[n]``, ``edge_index`` ``[2, e]``, ``batch`` ``[n]`` (graph of each
            node, ``0..len(index)-1``) and ``num_graphs``.
        """
        if index is None:
            index = torch.arange(self.num_graphs)
        index = torch.as_tensor(index, dtype=torch.long)
        n_nodes = self.node_ptr[index + 1] - self.node_ptr[index]
        n_edges = self.edge_ptr[index + 1] - self.edge_ptr[index]
        node_idx = _ranges(self.node_ptr[index], n_nodes)
        edge_idx = _ranges(self.edge_ptr[index], n_edges)
        new_offset = torch.cumsum(n_nodes, 0) - n_nodes
        edge_graph = torch.repeat_interleave(torch.arange(len(index)), n_edges)
        edge_index = (self.edges[edge_idx] + new_offset[edge_graph, None]).t().contiguous()
        batch = torch.repeat_interleave(torch.arange(len(index)), n_nodes)
        return Data(op=self.op[node_idx], edge_index=edge_index, batch=batch, num_graphs=len(index),
                    num_nodes=int(n_nodes.sum()))


def _ranges(starts: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Concatenation of ``arange(s, s + l)`` for each start ``s`` and length ``l``."""
    total = int(lengths.sum())
    if total == 0:
        return torch.zeros(0, dtype=torch.long)
    offsets = torch.cumsum(lengths, 0) - lengths
    rep_start = torch.repeat_interleave(starts - offsets, lengths)
    return rep_start + torch.arange(total)
