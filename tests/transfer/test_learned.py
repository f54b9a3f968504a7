"""`learned_embedding` on a constructed history: only the past tasks reach training, the fold
model and the candidate pool's embeddings are cached, the prior predictive reproduces a past
task's ranking, and the representation carries over to a space that uses four of NAS-Bench-201's
five operations (a space with an unknown operation is refused by name)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import spearmanr

from metanas.exceptions import CheckpointError, ConfigError
from metanas.spaces import DAGSpace, get_space
from metanas.tasks import TaskMetadata
from metanas.transfer import ArchitectureEmbedding, BayesianHead, CandidatePool, head_prior, normal_scores

pytestmark = pytest.mark.slow

#: Constructed tasks: a cell's score is the sum of its operations' weights (plus a little noise).
WEIGHTS = {
    "syn/conv": {"none": 0.0, "skip_connect": 0.3, "nor_conv_1x1": 1.0, "nor_conv_3x3": 2.0, "avg_pool_3x3": 0.1},
    "syn/pool": {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 0.2, "nor_conv_3x3": -1.0, "avg_pool_3x3": 2.0},
    "syn/skip": {"none": -1.0, "skip_connect": 2.0, "nor_conv_1x1": 0.5, "nor_conv_3x3": 0.5, "avg_pool_3x3": 0.0},
    "syn/held": {"none": 0.0, "skip_connect": 0.5, "nor_conv_1x1": 1.5, "nor_conv_3x3": 1.0, "avg_pool_3x3": 0.5},
}
PAST = ("syn/conv", "syn/pool", "syn/skip")
CONFIG = {"embedding_dim": 8, "hidden_dim": 32, "num_layers": 2, "task_hidden_dim": 8, "max_epochs": 12,
          "steps_per_epoch": 10, "archs_per_task": 64, "patience": 12}


def _score(task_id: str, graph) -> float:
    return float(sum(WEIGHTS[task_id].get(op, 0.0) for op in graph.ops))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    from metanas.db import ExperimentDatabase

    space = get_space("nb201")
    db = ExperimentDatabase(tmp_path_factory.mktemp("learned") / "history.db")
    for i, task_id in enumerate(WEIGHTS):
        rng = np.random.default_rng([1, i])
        graphs = list({g.identity: g for g in (space.sample(rng) for _ in range(400))}.values())
        task = TaskMetadata(task_id, task_id.split("/")[1], 10_000 * (i + 1), 10 * (i + 1), (3, 32, 32),
                            "classification")
        items = [(g, {"val_acc": _score(task_id, g) + 0.05 * rng.normal()}) for g in graphs]
        db.import_evaluations(task, items, space=space, strategy="constructed", seed=0)
    yield db
    db.close()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("learned-cache")


@pytest.fixture(scope="module")
def learned(history, cache):
    from metanas.training import learned_embedding

    return learned_embedding(history, get_space("nb201"), PAST, history_key="constructed", config=CONFIG,
                             cache_dir=cache, seed=0)


def _unseen(space, n: int, seed: int):
    rng = np.random.default_rng(seed)
    return list({g.identity: g for g in (space.sample(rng) for _ in range(n))}.values())


def test_only_the_past_tasks_reach_training(learned):
    assert isinstance(learned, ArchitectureEmbedding)
    assert set(learned.past_task_ids) == set(PAST)
    assert learned.card["training"]["excluded_tasks"] == ["syn/held"]
    assert learned.card["training"]["config"]["loss"] == "regression" and learned.standardised_heads
    assert learned.past_heads.shape == (3, 8)


def test_prior_predictive_reproduces_a_past_tasks_ranking(learned):
    graphs = _unseen(get_space("nb201"), 600, seed=99)
    phi = learned.embed(graphs)
    heads = learned.past_heads
    for t, task_id in enumerate(learned.past_task_ids):
        truth = [_score(task_id, g) for g in graphs]
        own = spearmanr(phi @ heads[t], truth).statistic
        others = [spearmanr(phi @ heads[u], truth).statistic for u in range(len(heads)) if u != t]
        assert own > 0.95, (task_id, own)
        assert own > max(others) + 0.5, (task_id, own, others)
        # the Bayesian head centred on past head t: its prior predictive is that head's ranking ...
        prior = head_prior(heads, mean=heads[t])
        mean, sd = prior.predict(phi)
        np.testing.assert_allclose(mean, phi @ heads[t])
        assert np.all(sd > 0)
        # ... and observations of the same task keep it there
        obs = np.arange(20)
        post = prior.condition(phi[obs], normal_scores(np.array(truth)[obs]))
        assert spearmanr(post.predict(phi)[0], truth).statistic > 0.95


def test_the_heads_are_in_standardised_units(learned, history):
    # regression on normal scores: a past head predicts its task's standardised scores in their units
    space = get_space("nb201")
    for t, task_id in enumerate(learned.past_task_ids):
        graphs, values = zip(*history.task_evaluations(task_id))
        pred = learned.embed([space.validate(g) for g in graphs]) @ learned.past_heads[t]
        z = normal_scores(np.array(values))
        assert 0.8 < np.std(pred) / np.std(z) < 1.2
        assert np.mean((pred - z) ** 2) < 0.1


def test_model_and_pool_embeddings_are_cached(learned, history, cache, monkeypatch):
    from metanas.models.meta_learner import MetaLearner
    from metanas.training import learned_embedding

    space = get_space("nb201")
    pool = CandidatePool.for_space(space)
    files = list((cache / "embeddings").glob("*.npz"))
    assert len(files) == 1 and files[0].name.startswith(learned.digest[:16])
    folders = [p for p in cache.iterdir() if p.name.startswith("tasks-")]
    assert len(folders) == 1

    def boom(*args, **kwargs):
        raise AssertionError("encoder ran: the fold model or the pool embeddings were not cached")

    monkeypatch.setattr(MetaLearner, "embed_architectures", boom)
    again = learned_embedding(history, space, tuple(reversed(PAST)), history_key="constructed", config=CONFIG,
                              cache_dir=cache, seed=0)
    assert again.digest == learned.digest
    scores = again.embed(pool.graphs) @ again.past_heads.T  # a lookup and a matrix product
    assert scores.shape == (len(pool), 3)
    monkeypatch.undo()
    np.testing.assert_allclose(scores[:50], learned.embed(pool.graphs[:50]) @ learned.past_heads.T)


def test_representation_transfers_to_a_space_of_four_of_the_operations(learned):
    four = DAGSpace(["skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"], 5, space_id="cells-4op")
    learned.check_space(four)
    graphs = _unseen(four, 500, seed=5)
    truth = np.array([_score("syn/conv", g) / (len(g.ops) - 2) for g in graphs])  # mean op weight per cell
    phi = learned.embed(graphs)
    obs, rest = np.arange(40), np.arange(40, len(graphs))
    post = head_prior(learned.past_heads).condition(phi[obs], normal_scores(truth[obs]))
    assert spearmanr(post.predict(phi[rest])[0], truth[rest]).statistic > 0.9
    flat = BayesianHead(np.zeros(learned.dim), np.eye(learned.dim)).condition(phi[obs], normal_scores(truth[obs]))
    assert spearmanr(flat.predict(phi[rest])[0], truth[rest]).statistic > 0.9


def test_a_space_with_unknown_operations_is_refused(learned, history, cache):
    from metanas.training import learned_embedding

    darts = DAGSpace(["nor_conv_3x3", "sep_conv_3x3"], 3, space_id="darts-like")
    with pytest.raises(CheckpointError, match=r"'darts-like' uses operation\(s\) \['sep_conv_3x3'\]"):
        learned.check_space(darts)
    with pytest.raises(CheckpointError, match=r"'darts-like' uses operation\(s\) \['sep_conv_3x3'\]"):
        learned.check(TaskMetadata("img/x", "X", 1000, 10, (3, 32, 32), "classification"), darts)
    # a history with nothing recorded in the space searched: nothing to train on
    with pytest.raises(ConfigError, match="no task with at least 10 evaluations in space 'nbg'"):
        learned_embedding(history, get_space("nbg"), PAST, history_key="constructed", config=CONFIG,
                          cache_dir=cache)


def test_bad_arguments_are_refused(history, cache):
    from metanas.training import learned_embedding

    space = get_space("nb201")
    with pytest.raises(ConfigError, match=r"'past_task_ids' names task\(s\) \['syn/missing'\]"):
        learned_embedding(history, space, ["syn/conv", "syn/missing"], history_key="k", cache_dir=cache)
    with pytest.raises(ConfigError, match="'past_task_ids' must be a sequence"):
        learned_embedding(history, space, "syn/conv", history_key="k", cache_dir=cache)
    with pytest.raises(ConfigError, match="at least one past task"):
        learned_embedding(history, space, [], history_key="k", cache_dir=cache)
    with pytest.raises(ConfigError, match="'space' must be a SearchSpace"):
        learned_embedding(history, "nb201", PAST, history_key="k", cache_dir=cache)
    with pytest.raises(ConfigError, match="history_key"):
        learned_embedding(history, space, PAST, history_key="", cache_dir=cache)


def test_importing_the_transfer_package_does_not_import_torch():
    # the factory lives with the training (layer 7); the transfer package only takes its embedding
    code = ("import sys, metanas.transfer as t; assert not hasattr(t, 'learned_embedding'); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
