"""`MetaLearnerEmbedder` as an `ArchitectureEmbedding`: protocol, past heads, the MLP prior
decision honoured, the model digest, spaces accepted by operation label, the pool cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from metanas.models.checkpoint import load_embedder, read_card, save_checkpoint
from metanas.models.embedder import MetaLearnerEmbedder
from metanas.models.features import FeatureNormalizer
from metanas.models.meta_learner import MetaLearner

from metanas.exceptions import CheckpointError
from metanas.spaces import NB201_OPS, DAGSpace, get_space
from metanas.tasks import TaskMetadata
from metanas.transfer import ArchitectureEmbedding

IMAGE_TASKS = [
    TaskMetadata("img/a", "A", 50_000, 10, (3, 32, 32), "classification"),
    TaskMetadata("img/b", "B", 20_000, 100, (3, 32, 32), "classification"),
    TaskMetadata("img/c", "C", 100_000, 120, (3, 16, 16), "classification"),
]


def _nb201_embedder(card=None) -> MetaLearnerEmbedder:
    torch.manual_seed(0)
    norm = FeatureNormalizer.fit(IMAGE_TASKS)
    model = MetaLearner(num_ops=len(NB201_OPS) + 2, num_features=len(norm.names), num_tasks=len(IMAGE_TASKS), dim=8,
                        hidden=16, num_layers=2, task_hidden=8)
    with torch.no_grad():
        model.task_offset.normal_()
    return MetaLearnerEmbedder(model, norm, "nb201", NB201_OPS, IMAGE_TASKS, card)


def _save(emb: MetaLearnerEmbedder, path, prior=None):
    tasks = [{"task_id": t.task_id, "task": t.to_dict(), "metric": "val_acc", "direction": "maximize",
              "num_train": 10, "num_val": 2} for t in emb.tasks]
    return save_checkpoint(path, emb.model, emb.normalizer, space_id=emb.space_id, vocabulary=emb.vocabulary,
                           tasks=tasks, training={"seed": 0}, validation={}, command="pytest", prior=prior)


def test_is_an_architecture_embedding(tiny_embedder, nbg_graphs):
    assert isinstance(tiny_embedder, ArchitectureEmbedding)
    assert tiny_embedder.dim == 8
    assert tiny_embedder.past_task_ids == ("nbg/cora", "nbg/photo")
    heads = tiny_embedder.past_heads
    assert heads.shape == (2, 8) and heads.dtype == np.float64
    for t, tid in enumerate(tiny_embedder.past_task_ids):
        np.testing.assert_allclose(heads[t], tiny_embedder.learned_vector(tid))
    emb = tiny_embedder.embed(nbg_graphs)
    assert emb.shape == (len(nbg_graphs), 8) and emb.dtype == np.float64
    np.testing.assert_allclose(emb @ heads[0], tiny_embedder.score_architectures(heads[0], nbg_graphs))
    assert tiny_embedder.embed([]).shape == (0, 8)


def test_prior_mean_honours_the_card_decision():
    new = TaskMetadata("img/new", "N", 30_000, 50, (3, 32, 32), "classification")
    no_record = _nb201_embedder()
    assert not no_record.use_mlp_prior and no_record.prior_mean(new) is None
    refused = _nb201_embedder({"prior": {"use_mlp_prior": False}})
    assert refused.prior_mean(new) is None
    used = _nb201_embedder({"prior": {"use_mlp_prior": True}})
    np.testing.assert_allclose(used.prior_mean(new), used.prior(new))
    assert used.prior_mean(None) is None
    graph_task = TaskMetadata("g/x", "X", 1000, 3, None, "node_classification",
                              {"num_nodes": 1000.0, "num_edges": 5000.0, "num_node_features": 10.0,
                               "num_classes": 3.0})
    assert used.prior_mean(graph_task) is None  # other modality: no meta-features the MLP knows


def test_prior_decision_round_trips_and_is_digested(tmp_path):
    emb = _nb201_embedder()
    record = {"use_mlp_prior": True, "mse_mlp": 0.5, "mse_mean": 0.7, "per_task": {}}
    path = _save(emb, tmp_path / "ck", prior=record)
    assert read_card(path)["prior"] == record
    loaded = load_embedder(path)
    assert loaded.use_mlp_prior
    np.testing.assert_allclose(loaded.past_heads, emb.past_heads, rtol=1e-6)
    assert loaded.digest == load_embedder(path).digest
    # a flipped decision is an edited card: refused
    text = (path / "model_card.json").read_text()
    (path / "model_card.json").write_text(text.replace('"use_mlp_prior": true', '"use_mlp_prior": false'))
    with pytest.raises(CheckpointError, match="does not match its weights"):
        load_embedder(path)
    assert not load_embedder(_save(emb, tmp_path / "none")).use_mlp_prior


def test_digest_changes_with_weights_and_card():
    a, b = _nb201_embedder(), _nb201_embedder()
    assert a.digest == b.digest
    with torch.no_grad():
        b.model.task_offset[0, 0] += 1e-3
    assert MetaLearnerEmbedder(b.model, b.normalizer, "nb201", NB201_OPS, IMAGE_TASKS).digest != a.digest
    assert _nb201_embedder({"command": "x"}).digest != a.digest


def test_space_with_a_subset_of_the_operations_is_embedded_by_label():
    emb = _nb201_embedder()
    four = DAGSpace(["skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"], 4, space_id="cells-4op")
    emb.check_space(four)
    emb.check(IMAGE_TASKS[0], four)
    graphs = [four.sample(np.random.default_rng(i)) for i in range(30)]
    e = emb.embed(graphs)
    assert e.shape == (30, emb.dim) and np.all(np.isfinite(e))
    assert len({tuple(np.round(r, 6)) for r in e}) > 20  # distinct cells, distinct embeddings
    # embedding is by label: the NB201 cell with the same labelled structure embeds identically
    nb201 = get_space("nb201")
    cell = nb201.from_ops(["nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "skip_connect",
                           "nor_conv_3x3"])
    np.testing.assert_allclose(emb.embed([cell]), _nb201_embedder().embed([cell]))


def test_space_with_unknown_operations_is_refused_by_name(tiny_embedder, nbg_suite):
    emb = _nb201_embedder()
    other = DAGSpace(["nor_conv_3x3", "sep_conv_5x5", "dil_conv_3x3"], 3, space_id="darts-like")
    with pytest.raises(CheckpointError, match=r"'darts-like' uses operation\(s\) \['sep_conv_5x5', 'dil_conv_3x3'\]"):
        emb.check_space(other)
    with pytest.raises(CheckpointError, match="sep_conv_5x5"):
        emb.check(IMAGE_TASKS[0], other)
    graphs = [g for g in (other.sample(np.random.default_rng(i)) for i in range(20))
              if "sep_conv_5x5" in g.ops]
    with pytest.raises(CheckpointError, match=r"cannot encode operation\(s\) \[.*'sep_conv_5x5'"):
        emb.embed(graphs)
    with pytest.raises(CheckpointError, match=r"'nbg' uses operation\(s\)"):
        emb.check(IMAGE_TASKS[0], "nbg")


def test_pool_embeddings_are_cached_per_digest_and_space(tmp_path, monkeypatch):
    emb = _nb201_embedder()
    space = DAGSpace(["skip_connect", "nor_conv_3x3"], 3, space_id="tiny-cells")
    graphs = list({g.identity: g for g in (space.sample(np.random.default_rng(i)) for i in range(60))}.values())
    first = emb.pool_embeddings(space, graphs, tmp_path)
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1 and files[0].name.startswith(emb.digest[:16]) and "tiny-cells" in files[0].name
    fresh = _nb201_embedder()

    def boom(*args, **kwargs):
        raise AssertionError("the encoder ran although the pool's embeddings were cached")

    monkeypatch.setattr(fresh.model, "embed_architectures", boom)
    np.testing.assert_allclose(fresh.pool_embeddings(space, graphs, tmp_path), first)
    np.testing.assert_allclose(fresh.embed(graphs[::-1]), first[::-1])  # lookups, no encoder
    # another pool of the same space id is recomputed, not misread
    monkeypatch.undo()
    assert fresh.pool_embeddings(space, graphs[:10], tmp_path).shape == (10, emb.dim)
