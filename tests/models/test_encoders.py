"""Encoders, graph batching and meta-features."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from metanas.models.encoders import ArchitectureEncoder, TaskEncoder, resolve_conv
from metanas.models.features import FeatureNormalizer, feature_names, task_features
from metanas.models.graphs import GraphTable
from torch_geometric.data import Batch

from metanas.exceptions import CheckpointError, ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.spaces import NBG_OPS, get_space
from metanas.tasks import TaskMetadata


def _renumber(g: ModelGraph, perm: list[int]) -> ModelGraph:
    """Relabel the inner nodes of ``g``: old inner node ``i`` becomes ``perm[i - 1] + 1``."""
    n = g.num_nodes
    mapping = {0: 0, n - 1: n - 1, **{i: perm[i - 1] + 1 for i in range(1, n - 1)}}
    ops = [None] * n
    for old, new in mapping.items():
        ops[new] = g.ops[old]
    return ModelGraph(tuple(ops), tuple((mapping[u], mapping[v]) for u, v in g.edges), g.space_id)


def test_graph_table_batch_matches_pyg_reference(nbg_graphs):
    table = GraphTable(nbg_graphs, NBG_OPS)
    index = [5, 0, 17, 5]
    got = table.batch(index)
    ref = Batch.from_data_list([nbg_graphs[i].to_pyg(NBG_OPS) for i in index])
    assert torch.equal(got.op, ref.op)
    assert torch.equal(got.edge_index, ref.edge_index)
    assert torch.equal(got.batch, ref.batch)
    assert got.num_graphs == 4


def test_graph_table_refuses_unknown_op():
    g = ModelGraph(("input", "conv_9x9", "output"), ((0, 1), (1, 2)))
    with pytest.raises(InvalidArchitectureError, match="conv_9x9"):
        GraphTable([g], NBG_OPS)


@pytest.mark.parametrize("conv", ["gin", "gat"])
def test_architecture_encoder_shape_and_renumbering_invariance(nbg_graphs, conv):
    torch.manual_seed(0)
    enc = ArchitectureEncoder(len(NBG_OPS) + 2, dim=8, hidden=16, num_layers=2, conv=conv).eval()
    rng = np.random.default_rng(1)
    renumbered = [_renumber(g, list(rng.permutation(g.num_nodes - 2))) for g in nbg_graphs]
    assert any(r.ops != g.ops for r, g in zip(renumbered, nbg_graphs))
    with torch.no_grad():
        a = enc(GraphTable(nbg_graphs, NBG_OPS).batch())
        b = enc(GraphTable(renumbered, NBG_OPS).batch())
    assert a.shape == (len(nbg_graphs), 8)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(a[0], a[1])  # different architectures, different embeddings


def test_architecture_encoder_is_direction_aware():
    # a chain gcn -> gat and gat -> gcn: same nodes and undirected structure, other computation
    enc = ArchitectureEncoder(len(NBG_OPS) + 2, dim=8, hidden=16, num_layers=2).eval()
    g1 = ModelGraph(("input", "gcn", "gat", "output"), ((0, 1), (1, 2), (2, 3)))
    g2 = ModelGraph(("input", "gat", "gcn", "output"), ((0, 1), (1, 2), (2, 3)))
    with torch.no_grad():
        e = enc(GraphTable([g1, g2], NBG_OPS).batch())
    assert not torch.allclose(e[0], e[1], atol=1e-4)


def test_resolve_conv_lists_choices():
    with pytest.raises(ConfigError, match="gat.*gin"):
        resolve_conv("gcn2")


def test_task_encoder_shape():
    assert TaskEncoder(6, 8, 16, 2)(torch.zeros(3, 6)).shape == (3, 8)


def test_graph_and_image_features(nbg_suite):
    cora = nbg_suite.task("nbg/cora")
    x = task_features(cora)
    assert x.shape == (len(feature_names("graph")),)
    assert x[0] == pytest.approx(math.log(2708))
    assert x[4] == pytest.approx(math.log(10556 / 2708))
    img = TaskMetadata("img/a", "A", 50000, 10, (3, 32, 32), "classification")
    assert task_features(img).tolist() == pytest.approx([math.log(50000), math.log(10), math.log(1024), 3.0])


def test_normalizer_roundtrip_and_refusals(nbg_suite):
    tasks = [nbg_suite.task(t) for t in ("nbg/cora", "nbg/photo", "nbg/arxiv")]
    norm = FeatureNormalizer.fit(tasks)
    z = np.stack([norm.transform(t) for t in tasks])
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    again = FeatureNormalizer.from_dict(norm.to_dict())
    np.testing.assert_allclose(again.transform(tasks[0]), z[0])
    img = TaskMetadata("img/a", "A", 50000, 10, (3, 32, 32), "classification")
    with pytest.raises(CheckpointError, match="graph tasks.*image task"):
        norm.transform(img)
    other = FeatureNormalizer("graph", ("log_num_nodes",) * 6, norm.mean, norm.std)
    with pytest.raises(CheckpointError, match="meta-feature set"):
        other.transform(tasks[0])
    with pytest.raises(CheckpointError, match="equal length"):
        FeatureNormalizer.from_dict({"modality": "graph", "names": ["a"], "mean": [0.0, 1.0], "std": [1.0]})


def test_normalizer_refuses_mixed_modalities(nbg_suite):
    from metanas.exceptions import InvalidTaskError

    img = TaskMetadata("img/a", "A", 50000, 10, (3, 32, 32), "classification")
    with pytest.raises(InvalidTaskError, match="share a modality"):
        FeatureNormalizer.fit([nbg_suite.task("nbg/cora"), img])


def test_space_graphs_encode(nbg_space):
    g = next(iter(get_space("nb201").enumerate()))
    with pytest.raises(InvalidArchitectureError):
        GraphTable([g], NBG_OPS)
