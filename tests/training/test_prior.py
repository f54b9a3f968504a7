"""The nested leave-one-task-out decision on the MLP prior, on constructed heads, and its
record in the model card of a trained checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
from metanas.models.checkpoint import load_embedder, read_card
from metanas.training import fit
from metanas.training.prior import MIN_TASKS, nested_prior_decision

from metanas.tasks import TaskMetadata


def _tasks(n: int) -> list[TaskMetadata]:
    # image tasks whose log sample count spreads evenly (the other features fixed)
    return [TaskMetadata(f"img/t{i}", f"T{i}", int(1000 * 2.0**i), 10, (3, 32, 32), "classification")
            for i in range(n)]


def _data(heads: np.ndarray, seed: int = 0):
    rng = np.random.default_rng(seed)
    embeddings = [rng.normal(size=(200, heads.shape[1])) for _ in heads]
    scores = [e @ h + 0.1 * rng.normal(size=len(e)) for e, h in zip(embeddings, heads)]
    return embeddings, scores


def test_meta_features_that_determine_the_head_make_the_mlp_prior_used():
    tasks = _tasks(7)
    x = np.log2([t.num_samples for t in tasks])
    heads = np.stack([np.array([1.0, -1.0, 0.5, 0.0]) * (xi - x.mean()) for xi in x])  # a line in meta-features
    emb, sc = _data(heads)
    record = nested_prior_decision(tasks, heads, emb, sc, hidden=8, layers=1, seed=0)
    assert record["use_mlp_prior"] is True
    assert record["mse_mlp"] < 0.5 * record["mse_mean"]
    assert set(record["per_task"]) == {t.task_id for t in tasks}


def test_heads_unrelated_to_meta_features_keep_the_mean():
    tasks = _tasks(7)
    rng = np.random.default_rng(3)
    heads = rng.normal(size=(7, 4)) * 0.3 + np.array([1.0, 0.0, 0.0, 0.0])  # a shared head plus noise
    emb, sc = _data(heads)
    record = nested_prior_decision(tasks, heads, emb, sc, hidden=8, layers=1, seed=0)
    assert record["use_mlp_prior"] is False
    assert record["mse_mean"] <= record["mse_mlp"]


def test_too_few_tasks_never_use_the_mlp_prior():
    tasks = _tasks(MIN_TASKS - 1)
    heads = np.ones((len(tasks), 3))
    emb, sc = _data(heads)
    record = nested_prior_decision(tasks, heads, emb, sc, hidden=8, layers=1)
    assert record["use_mlp_prior"] is False and record["mse_mlp"] is None
    assert "needs >= 3" in record["reason"]


@pytest.mark.slow
def test_fit_stores_the_decision_and_the_embedder_honours_it(history_db, tiny_config, tmp_path, nbg_suite):
    out = fit(history_db, space_id="nbg", config=tiny_config, out_dir=tmp_path / "ck", seed=0, command="pytest")
    prior = read_card(out)["prior"]
    assert set(prior["per_task"]) == {"nbg/cora", "nbg/photo", "nbg/pubmed"}  # training tasks only
    assert prior["use_mlp_prior"] == (prior["mse_mlp"] < prior["mse_mean"])
    emb = load_embedder(out)
    assert emb.use_mlp_prior is prior["use_mlp_prior"]
    new = nbg_suite.task("nbg/computers")
    assert (emb.prior_mean(new) is None) is (not prior["use_mlp_prior"])
    two = fit(history_db, space_id="nbg", exclude_tasks=["nbg/pubmed"], config=tiny_config, out_dir=tmp_path / "two",
              seed=0, command="pytest")
    assert read_card(two)["prior"]["use_mlp_prior"] is False  # 2 training tasks: no nested leave-one-out
    assert load_embedder(two).prior_mean(new) is None
