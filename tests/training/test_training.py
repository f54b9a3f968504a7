"""Training on real history: data module, loss decrease, checkpoints, LOTO exclusion, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from metanas.models.checkpoint import load_embedder, read_card
from metanas.training import HistoryDataModule, fit, resolve_config, train_module
from metanas.training.config import config_hash, load_config
from metanas.training.folds import fold_embedder

from metanas.exceptions import ConfigError


def test_config_validation(tmp_path):
    assert resolve_config(None)["loss"] == "regression"
    with pytest.raises(ConfigError, match="unknown training setting.*'lr_max'"):
        resolve_config({"lr_max": 1.0})
    with pytest.raises(ConfigError, match="'embedding_dim' must be an int"):
        resolve_config({"embedding_dim": 0})
    with pytest.raises(ConfigError, match="'conv' must be one of"):
        resolve_config({"conv": "mlp"})
    assert config_hash({"lr": 0.003}) == config_hash({})
    assert config_hash({"lr": 0.01}) != config_hash({})
    (tmp_path / "c.yaml").write_text("embedding_dim: 4\n")
    assert load_config(tmp_path / "c.yaml")["embedding_dim"] == 4
    (tmp_path / "bad.yaml").write_text("- 1\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(tmp_path / "bad.yaml")


def test_shipped_configs_are_valid():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "configs"
    files = sorted(root.glob("train*.yaml"))
    assert files
    for f in files:
        load_config(f)


def test_datamodule_reads_history_and_excludes(history_db):
    dm = HistoryDataModule(history_db, "nbg", exclude_tasks=["nbg/pubmed"], seed=0)
    dm.setup()
    assert dm.task_ids == ["nbg/cora", "nbg/photo"]
    assert dm.features.shape == (2, 6)
    for td in dm.tasks:
        assert len(td.train_arch) + len(td.val_arch) == 300
        assert 0.0 <= td.train_target.min() and td.train_target.max() <= 1.0
        assert not set(td.train_arch) & set(td.val_arch)
    val = set(np.concatenate([td.val_arch for td in dm.tasks]))
    train = set(np.concatenate([td.train_arch for td in dm.tasks]))
    assert not val & train  # held-out architectures are unseen on every task
    batch = next(iter(dm.train_dataloader()))
    assert set(batch["group"].tolist()) == {0, 1}
    assert torch.equal(batch["arch"][batch["pos"]].unique(), batch["arch"])


def test_datamodule_standardised_targets(history_db):
    from scipy.stats import spearmanr

    from metanas.transfer import normal_scores

    dm = HistoryDataModule(history_db, "nbg", seed=0)
    dm.setup()
    for td in dm.tasks:
        values = np.array([v for _, v in history_db.task_evaluations(td.task.task_id)])
        sign = 1.0 if td.direction == "maximize" else -1.0
        # the normal scores of all the task's rows, split like the quantiles
        np.testing.assert_allclose(np.sort(np.concatenate([td.train_score, td.val_score])),
                                   np.sort(normal_scores(sign * values)), rtol=1e-5, atol=1e-6)
        assert spearmanr(td.train_score, td.train_target).statistic == pytest.approx(1.0)
    batch = next(iter(dm.train_dataloader()))
    assert batch["score"].shape == batch["target"].shape


def test_loss_option_picks_its_targets(history_db, tiny_config):
    from metanas.models.losses import regression_loss

    cfg = {**tiny_config, "max_epochs": 1}
    module, dm, _ = train_module(history_db, space_id="nbg", exclude_tasks=["nbg/pubmed"], config=cfg, seed=0)
    batch = next(iter(dm.train_dataloader()))
    with torch.no_grad():
        emb = module.model.embed_architectures(module.table.batch(batch["arch"]))
        scores = (emb[batch["pos"]] * module._task_vectors()[batch["group"]]).sum(-1)
        # regression (the default) is the MSE to the standardised scores, not to the quantiles
        assert module.loss_on(batch)[1].item() == pytest.approx(
            regression_loss(scores, batch["score"], batch["group"]).item(), rel=1e-5)
    pairwise, _, _ = train_module(history_db, space_id="nbg", exclude_tasks=["nbg/pubmed"],
                                  config={**cfg, "loss": "pairwise"}, seed=0)
    assert pairwise._target_key == "target" and module._target_key == "score"


def test_datamodule_errors(history_db):
    with pytest.raises(ConfigError, match="no task with at least"):
        HistoryDataModule(history_db, "nb201").setup()
    with pytest.raises(ConfigError, match="no task"):
        HistoryDataModule(history_db, "nbg", exclude_tasks=["nbg/cora", "nbg/photo", "nbg/pubmed"]).setup()


def test_tiny_training_lowers_the_loss(history_db, tiny_config):
    cfg = {**tiny_config, "max_epochs": 8, "patience": 8, "archs_per_task": 64}
    torch.manual_seed(0)
    dm = HistoryDataModule(history_db, "nbg", exclude_tasks=["nbg/pubmed"], archs_per_task=200, seed=1)
    dm.setup()
    fixed = next(iter(dm.train_dataloader()))
    from metanas.models.meta_learner import MetaLearner
    from metanas.training.module import MetaLearnerModule

    module, _, _ = train_module(history_db, space_id="nbg", exclude_tasks=["nbg/pubmed"], config=cfg, seed=0)
    fresh = MetaLearnerModule(MetaLearner(**module.model.hparams), module.table, module.features, module.tasks)
    # the same architectures and tasks (both modules index the same history)
    with torch.no_grad():
        before = fresh.loss_on(fixed)[1].item()
        after = module.loss_on(fixed)[1].item()
    assert after < before - 0.02
    assert module.best_tau > 0.1


def test_fit_writes_checkpoint_that_round_trips(history_db, tiny_config, tmp_path):
    out = fit(history_db, space_id="nbg", exclude_tasks=["nbg/pubmed"], config=tiny_config, out_dir=tmp_path / "ck",
              seed=0, command="pytest")
    card = read_card(out)
    assert [t["task_id"] for t in card["tasks"]] == ["nbg/cora", "nbg/photo"]
    assert card["training"]["excluded_tasks"] == ["nbg/pubmed"]
    assert card["training"]["config"]["embedding_dim"] == 8
    assert set(card["validation"]["kendall_tau"]) == {"nbg/cora", "nbg/photo"}
    assert card["command"] == "pytest"
    assert sum(t["num_train"] + t["num_val"] for t in card["tasks"]) == 600
    emb = load_embedder(out)
    graphs = [g for g, _ in history_db.task_evaluations("nbg/pubmed")[:20]]
    a = emb.score_architectures(emb.tasks[0], graphs)
    b = load_embedder(out).score_architectures(emb.tasks[0], graphs)
    np.testing.assert_allclose(a, b)


def test_training_is_seeded(history_db, tiny_config):
    cfg = {**tiny_config, "max_epochs": 1}
    sa = train_module(history_db, space_id="nbg", config=cfg, seed=3).module.model.state_dict()
    sb = train_module(history_db, space_id="nbg", config=cfg, seed=3).module.model.state_dict()
    sc = train_module(history_db, space_id="nbg", config=cfg, seed=4).module.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_fold_embedder_excludes_and_caches(history_db, tiny_config, tmp_path):
    kw = {"space_id": "nbg", "exclude_task": "nbg/cora", "history_key": "test/300", "config": tiny_config,
          "cache_dir": tmp_path}
    emb = fold_embedder(history_db, **kw)
    assert "nbg/cora" not in emb.task_ids and emb.task_ids == ["nbg/photo", "nbg/pubmed"]
    assert emb.card["training"]["excluded_tasks"] == ["nbg/cora"]
    folders = list(tmp_path.iterdir())
    assert len(folders) == 1
    stamp = (folders[0] / "weights.pt").stat().st_mtime_ns
    again = fold_embedder(history_db, **kw)  # cached: not retrained
    assert (folders[0] / "weights.pt").stat().st_mtime_ns == stamp
    assert again.task_ids == emb.task_ids
    other = fold_embedder(history_db, **{**kw, "exclude_task": "nbg/photo"})
    assert "nbg/photo" not in other.task_ids
    assert len(list(tmp_path.iterdir())) == 2
    with pytest.raises(ConfigError, match="history_key"):
        fold_embedder(history_db, **{**kw, "history_key": ""})


def test_cli_train(history_db, tmp_path, capsys):
    from pathlib import Path

    from metanas.cli import main

    cfg = Path(__file__).resolve().parents[2] / "configs" / "train_tiny.yaml"
    path = history_db.url.split("sqlite:///", 1)[1]
    rc = main(["train", "--db", path, "--out", str(tmp_path / "ck"), "--config", str(cfg),
               "--exclude-task", "nbg/pubmed", "--no-progress"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "checkpoint written" in out and "nbg/cora" in out and "nbg/pubmed" not in out.split("tasks:")[1]
    card = json.loads((tmp_path / "ck" / "model_card.json").read_text())
    assert "--exclude-task nbg/pubmed" in card["command"]
    assert main(["train", "--db", str(tmp_path / "missing.db"), "--out", str(tmp_path / "x")]) == 2
