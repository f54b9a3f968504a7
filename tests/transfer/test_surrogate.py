"""`BayesianSurrogate` against `BayesianHead` computed directly, and `RidgeEmbedding` against
scikit-learn; the prior predictive of a new task equal to a past task reproduces its ranking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.linear_model import Ridge

from metanas.exceptions import ConfigError
from metanas.transfer import (
    ArchitectureEmbedding,
    BayesianHead,
    BayesianSurrogate,
    PastTask,
    RidgeEmbedding,
    head_prior,
    normal_scores,
)
from metanas.transfer._surrogate import FLAT_SCALES, NOISE_GRID, OFFSET_VARIANCE, PRIOR_SCALES


def _linear_task(space, pool, weights, task_id, n, seed):
    """A task whose score is linear in the space's features (``weights``), on ``n`` random rows."""
    rows = np.random.default_rng(seed).choice(len(pool), n, replace=False)
    graphs = tuple(pool.graphs[i] for i in rows)
    return PastTask(task_id, graphs, pool.features[rows] @ weights), rows


@pytest.fixture(scope="module")
def truth(pool):
    """Two opposite linear scores of the NB201 features (and a third, unrelated one)."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=pool.features.shape[1])
    return {"a": w, "b": -w, "c": rng.normal(size=pool.features.shape[1])}


def _augment(phi):
    return np.hstack([phi, np.ones((len(phi), 1))])


def test_ridge_embedding_heads_are_sklearn_ridge_on_the_standardised_features(space, pool, truth):
    tasks = [_linear_task(space, pool, truth[k], k, 300, i)[0] for i, k in enumerate("abc")]
    emb = RidgeEmbedding(space, tasks, alpha=2.0, pool=pool)
    assert isinstance(emb, ArchitectureEmbedding)
    feats = pool.features.astype(float)
    keep = feats.std(axis=0) > 1e-8
    z_pool = (feats[:, keep] - feats[:, keep].mean(axis=0)) / feats[:, keep].std(axis=0)
    assert emb.dim == keep.sum() and emb.past_heads.shape == (3, emb.dim)
    np.testing.assert_allclose(emb.embed(pool.graphs), z_pool, atol=1e-9)
    np.testing.assert_allclose(emb.embed(list(pool.graphs[:50])), z_pool[:50], atol=1e-9)
    for task, head in zip(tasks, emb.past_heads):
        z = emb.embed(task.graphs)
        ref = Ridge(alpha=2.0).fit(z, normal_scores(task.values))
        np.testing.assert_allclose(head, ref.coef_, atol=1e-9)
    assert emb.prior_mean(None) is None
    assert emb.past_task_ids == ("a", "b", "c")
    with pytest.raises(ConfigError, match="'alpha' parameter of RidgeEmbedding must be a float > 0"):
        RidgeEmbedding(space, tasks, alpha=0.0)


def test_posterior_equals_bayesian_head_condition_on_the_embedded_observations(space, pool, truth):
    tasks = [_linear_task(space, pool, truth[k], k, 300, i)[0] for i, k in enumerate("ac")]
    emb = RidgeEmbedding(space, tasks, pool=pool)
    surrogate = BayesianSurrogate(emb, pool=pool)
    new, _ = _linear_task(space, pool, truth["a"] + 0.5 * truth["c"], "new", 25, 7)
    values = new.values + np.random.default_rng(1).normal(scale=0.5, size=25)
    surrogate.fit(list(new.graphs), values)

    # the prior: head_prior of the past heads with the offset appended; the chosen factor and
    # noise maximise the log evidence over the grid
    prior = head_prior(emb.past_heads, noise=NOISE_GRID[2])
    np.testing.assert_allclose(surrogate.prior.mean, prior.mean)
    phi = _augment(emb.embed(new.graphs))
    y = normal_scores(values)

    def augmented(head, scale, noise):
        cov = np.zeros((emb.dim + 1, emb.dim + 1))
        cov[:-1, :-1] = scale * head.cov
        cov[-1, -1] = OFFSET_VARIANCE
        return BayesianHead(np.append(head.mean, 0.0), cov, noise)

    grid = [augmented(prior, c, s) for c in PRIOR_SCALES for s in NOISE_GRID]
    evidences = [h.log_evidence(phi, y) for h in grid]
    best = grid[int(np.argmax(evidences))]
    assert surrogate.log_evidence == pytest.approx(max(evidences))
    assert surrogate.noise == best.noise
    np.testing.assert_allclose(surrogate.chosen_prior.cov, best.cov)
    expected = best.condition(phi, y)
    np.testing.assert_allclose(surrogate.posterior.mean, expected.mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(surrogate.posterior.cov, expected.cov, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(surrogate.head, expected.mean[:-1])

    # predictions by graphs and by pool rows agree with the head's own predictive
    cand = np.arange(0, len(pool), 97)
    by_rows = surrogate.predict(cand)
    by_graphs = surrogate.predict([pool.graphs[i] for i in cand])
    mean, sd = expected.predict(_augment(emb.embed([pool.graphs[i] for i in cand])))
    np.testing.assert_allclose(by_rows.mean, mean, atol=1e-9)
    np.testing.assert_allclose(by_graphs.sd, sd, atol=1e-9)
    np.testing.assert_allclose(by_rows.sd, by_graphs.sd, atol=1e-9)

    # the flat prior's evidence: zero mean, isotropic, scale and noise by evidence
    base = 1.0 / np.mean(np.sum(emb.embed(pool.graphs) ** 2, axis=1))
    flat = [augmented(BayesianHead(np.zeros(emb.dim), s * base * np.eye(emb.dim), 1.0), 1.0, e)
            for s in FLAT_SCALES for e in NOISE_GRID]
    flat_best = max(h.log_evidence(phi, y) for h in flat)
    assert surrogate.flat_log_evidence == pytest.approx(flat_best)
    assert surrogate.evidence_vs_flat() == pytest.approx(max(evidences) - flat_best)

    # leave-one-out means: condition on the others (same prior and noise), predict the one left out
    loo = surrogate.loo_mean()
    for i in (0, 7, 24):
        keep = np.arange(25) != i
        direct = best.condition(phi[keep], y[keep]).predict(phi[i:i + 1])[0][0]
        assert loo[i] == pytest.approx(direct, rel=1e-6, abs=1e-8)


def test_prior_predictive_of_a_task_equal_to_a_past_task_reproduces_its_ranking(space, pool, truth):
    past_a, _ = _linear_task(space, pool, truth["a"], "a", 400, 0)
    past_b, _ = _linear_task(space, pool, truth["b"], "b", 400, 0)  # the same rows, the reverse order
    # one past task: the new task equal to it is ranked as it ranks the space, before any observation
    single = BayesianSurrogate(RidgeEmbedding(space, [past_a], pool=pool), pool=pool)
    prior = single.predict(np.arange(len(pool))).mean
    assert spearmanr(prior, pool.features @ truth["a"])[0] > 0.99

    # two opposite past tasks: the prior mean (their mean, zero) knows neither ...
    emb = RidgeEmbedding(space, [past_a, past_b], pool=pool)
    both = BayesianSurrogate(emb, pool=pool)
    assert np.abs(both.predict(np.arange(len(pool))).mean).max() < 1e-8
    # ... a few observations of a new task equal to b make the posterior rank as b does
    new, rows = _linear_task(space, pool, truth["b"], "new", 10, 5)
    both.fit(rows, new.values)
    assert spearmanr(both.predict(np.arange(len(pool))).mean, pool.features @ truth["b"])[0] > 0.95
    assert both.evidence_vs_flat() > 0  # the history explains them better than no history

    # and a prior mean from the task (the meta-learner's task encoder) is used as given
    class TaskPrior:
        dim, past_task_ids, past_heads = emb.dim, emb.past_task_ids, emb.past_heads

        def embed(self, graphs):
            return emb.embed(graphs)

        def prior_mean(self, task):
            return emb.past_heads[1]

    guided = BayesianSurrogate(TaskPrior(), pool=pool)
    assert spearmanr(guided.predict(np.arange(len(pool))).mean, pool.features @ truth["b"])[0] > 0.99


def test_a_misleading_history_loses_the_evidence_against_flat(space, pool, truth):
    # one past task ranks the space in reverse, the other at random: their mean misleads and
    # their spread says nothing about the new task
    past = [_linear_task(space, pool, truth["b"], "rev", 400, 0)[0], _linear_task(space, pool, truth["c"], "c", 400, 1)[0]]
    surrogate = BayesianSurrogate(RidgeEmbedding(space, past, pool=pool), pool=pool)
    new, rows = _linear_task(space, pool, truth["a"], "new", 20, 9)
    surrogate.fit(rows, new.values)
    assert surrogate.evidence_vs_flat() < -np.log(100.0)
    flat = surrogate.twin("flat").fit(rows, new.values)
    assert flat.prior_name == "flat" and flat.evidence_vs_flat() == 0.0
    assert flat.log_evidence == pytest.approx(surrogate.flat_log_evidence)
    np.testing.assert_array_equal(flat.prior.mean, np.zeros(flat.dim))


def test_the_evidence_weakens_a_confidently_wrong_prior(space, pool, truth):
    # two past tasks that both rank the space in reverse: a confident prior with the wrong sign;
    # the evidence widens it (PRIOR_SCALES) so that 20 observations turn the posterior around
    past = [_linear_task(space, pool, truth["b"], f"rev{i}", 400, i)[0] for i in range(2)]
    surrogate = BayesianSurrogate(RidgeEmbedding(space, past, pool=pool), pool=pool)
    everything = np.arange(len(pool))
    assert spearmanr(surrogate.predict(everything).mean, pool.features @ truth["a"])[0] < -0.95
    new, rows = _linear_task(space, pool, truth["a"], "new", 20, 9)
    surrogate.fit(rows, new.values)
    assert surrogate.chosen_prior.cov[0, 0] > 10 * surrogate.prior.cov[0, 0]
    assert spearmanr(surrogate.predict(everything).mean, pool.features @ truth["a"])[0] > 0.8


def test_no_observation_keeps_the_prior(space, pool, truth):
    past, _ = _linear_task(space, pool, truth["a"], "a", 100, 0)
    surrogate = BayesianSurrogate(RidgeEmbedding(space, [past], pool=pool), pool=pool)
    before = surrogate.predict(np.arange(20))
    surrogate.fit([], [])
    after = surrogate.predict(np.arange(20))
    np.testing.assert_array_equal(before.mean, after.mean)
    assert surrogate.evidence_vs_flat() == 0.0 and len(surrogate.loo_mean()) == 0


def test_errors_name_the_argument(space, pool, truth):
    past, _ = _linear_task(space, pool, truth["a"], "a", 50, 0)
    emb = RidgeEmbedding(space, [past])
    with pytest.raises(ConfigError, match="'embedding' must implement ArchitectureEmbedding"):
        BayesianSurrogate(object())
    with pytest.raises(ConfigError, match="'prior' parameter of BayesianSurrogate must be one of"):
        BayesianSurrogate(emb, prior="strong")
    with pytest.raises(ConfigError, match="needs an embedding with >= 1 past head"):
        BayesianSurrogate(RidgeEmbedding(space, [], pool=pool))
    with pytest.raises(ConfigError, match="'noise_grid'"):
        BayesianSurrogate(emb, noise_grid=(0.1, -1.0))
    surrogate = BayesianSurrogate(emb)
    with pytest.raises(ConfigError, match="has no pool"):
        surrogate.predict(np.arange(3))
    with pytest.raises(ConfigError, match="3 architectures but 2 values"):
        surrogate.fit(list(past.graphs[:3]), [1.0, 2.0])
    # a cold start: no history, the flat prior alone
    cold = BayesianSurrogate(RidgeEmbedding(space, [], pool=pool), pool=pool, prior="flat")
    assert cold.fit(np.arange(5), np.arange(5.0)).num_observations == 5
