"""The conjugate Bayesian head against a direct computation, and its error paths."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from metanas.exceptions import ConfigError
from metanas.transfer import BayesianHead, head_prior, normal_scores


def _direct_posterior(m0, s0, noise, phi, y):
    s0_inv = np.linalg.inv(s0)
    cov = np.linalg.inv(s0_inv + phi.T @ phi / noise)
    return cov @ (s0_inv @ m0 + phi.T @ y / noise), cov


def test_condition_equals_the_direct_formula():
    rng = np.random.default_rng(0)
    d, n = 5, 12
    a = rng.normal(size=(d, d))
    m0, s0 = rng.normal(size=d), a @ a.T + 0.5 * np.eye(d)
    phi, y = rng.normal(size=(n, d)), rng.normal(size=n)
    post = BayesianHead(m0, s0, 0.3).condition(phi, y)
    mean, cov = _direct_posterior(m0, s0, 0.3, phi, y)
    np.testing.assert_allclose(post.mean, mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(post.cov, cov, rtol=1e-8, atol=1e-10)
    # predictive: phi^T m and sqrt(phi^T S phi (+ noise))
    cand = rng.normal(size=(7, d))
    mu, sd = post.predict(cand)
    np.testing.assert_allclose(mu, cand @ mean, rtol=1e-8)
    np.testing.assert_allclose(sd, np.sqrt(np.einsum("ij,jk,ik->i", cand, cov, cand)), rtol=1e-8)
    _, sd_noisy = post.predict(cand, include_noise=True)
    np.testing.assert_allclose(sd_noisy ** 2, sd ** 2 + 0.3, rtol=1e-8)


def test_sequential_conditioning_equals_batch():
    rng = np.random.default_rng(1)
    head = BayesianHead(np.zeros(3), np.eye(3), 0.2)
    phi, y = rng.normal(size=(10, 3)), rng.normal(size=10)
    batch = head.condition(phi, y)
    seq = head.condition(phi[:4], y[:4]).condition(phi[4:], y[4:])
    np.testing.assert_allclose(seq.mean, batch.mean, rtol=1e-8)
    np.testing.assert_allclose(seq.cov, batch.cov, rtol=1e-8, atol=1e-12)


def test_log_evidence_equals_the_gaussian_density():
    rng = np.random.default_rng(2)
    m0, s0 = rng.normal(size=4), np.diag(rng.uniform(0.5, 2.0, 4))
    phi, y = rng.normal(size=(6, 4)), rng.normal(size=6)
    head = BayesianHead(m0, s0, 0.1)
    expected = multivariate_normal(phi @ m0, phi @ s0 @ phi.T + 0.1 * np.eye(6)).logpdf(y)
    assert head.log_evidence(phi, y) == pytest.approx(expected, rel=1e-9)


def test_a_prior_that_predicts_the_data_has_more_evidence_than_a_wrong_one():
    rng = np.random.default_rng(3)
    w = rng.normal(size=4)
    phi = rng.normal(size=(15, 4))
    y = phi @ w + 0.1 * rng.normal(size=15)
    right = BayesianHead(w, 0.05 * np.eye(4), 0.05)
    wrong = BayesianHead(-w, 0.05 * np.eye(4), 0.05)
    assert right.log_evidence(phi, y) > wrong.log_evidence(phi, y)


def test_head_prior_centres_on_the_past_heads_and_stays_positive_definite():
    heads = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])  # rank-deficient sample covariance
    prior = head_prior(heads, shrinkage=0.1)
    np.testing.assert_allclose(prior.mean, [1.0, 0.0, 0.0])
    assert np.all(np.linalg.eigvalsh(prior.cov) > 0)
    shifted = head_prior(heads, mean=np.array([0.0, 1.0, 0.0]))
    np.testing.assert_allclose(shifted.mean, [0.0, 1.0, 0.0])
    assert np.trace(shifted.cov) > np.trace(prior.cov)  # a mean far from the heads widens the prior


def test_normal_scores_are_rank_based_and_centred():
    z = normal_scores(np.array([10.0, 30.0, 20.0, 20.0]))
    assert z[1] > z[2] == z[3] > z[0]
    assert abs(z.sum()) < 1e-12
    np.testing.assert_allclose(normal_scores(np.array([5.0])), [0.0])


@pytest.mark.parametrize("kwargs, match", [
    ({"mean": np.zeros(2), "cov": np.eye(3)}, "'cov' must be"),
    ({"mean": np.zeros(2), "cov": -np.eye(2)}, "positive definite"),
    ({"mean": np.zeros(2), "cov": np.eye(2), "noise": 0.0}, "'noise' must be"),
])
def test_bad_heads_are_refused(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        BayesianHead(**kwargs)


def test_bad_shapes_are_refused():
    head = BayesianHead(np.zeros(2), np.eye(2))
    with pytest.raises(ConfigError, match=r"phi must have shape \[n, 2\]"):
        head.condition(np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ConfigError, match="3 embeddings but 2 scores"):
        head.condition(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ConfigError, match="'shrinkage' must be in"):
        head_prior(np.zeros((2, 2)), shrinkage=2.0)
