"""Ranking losses and rank statistics against hand-computed references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from metanas.models.losses import (
    LOSSES,
    TARGETS,
    kendall_tau,
    listnet_loss,
    pairwise_ranking_loss,
    regression_loss,
    resolve_loss,
    within_task_quantiles,
)
from scipy.stats import kendalltau

from metanas.exceptions import ConfigError


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_pairwise_loss_hand_case():
    scores = torch.tensor([2.0, 1.0, 0.0])
    targets = torch.tensor([1.0, 0.5, 0.0])
    groups = torch.zeros(3, dtype=torch.long)
    expected = (_softplus(-1) + _softplus(-2) + _softplus(-1)) / 3
    assert pairwise_ranking_loss(scores, targets, groups).item() == pytest.approx(expected, rel=1e-6)
    # reversed scores are penalised more
    assert pairwise_ranking_loss(-scores, targets, groups).item() > expected
    # difference weighting: pair weights 0.5, 1.0, 0.5
    w_expected = (0.5 * _softplus(-1) + 1.0 * _softplus(-2) + 0.5 * _softplus(-1)) / 2.0
    assert pairwise_ranking_loss(scores, targets, groups, "difference").item() == pytest.approx(w_expected, rel=1e-6)


def test_pairwise_loss_compares_only_within_tasks():
    scores = torch.tensor([0.0, 5.0, 1.0, 3.0])
    targets = torch.tensor([1.0, 0.0, 1.0, 0.0])
    groups = torch.tensor([0, 1, 0, 1])  # each task has one "good" (low) and one high-scored entry
    # task 0: (entry 0 t=1, entry 2 t=1) tie -> no pair; task 1: (1, 3) tie -> no pair
    assert pairwise_ranking_loss(scores, targets, groups).item() == 0.0
    groups = torch.tensor([0, 0, 1, 1])
    expected = (_softplus(5.0) + _softplus(2.0)) / 2
    assert pairwise_ranking_loss(scores, targets, groups).item() == pytest.approx(expected, rel=1e-6)


def test_pairwise_loss_bad_weighting():
    with pytest.raises(ConfigError, match="pair_weighting"):
        pairwise_ranking_loss(torch.zeros(2), torch.zeros(2), torch.zeros(2, dtype=torch.long), "top")


def test_listnet_prefers_correct_order():
    targets = torch.tensor([1.0, 0.5, 0.0])
    groups = torch.zeros(3, dtype=torch.long)
    good = listnet_loss(torch.tensor([3.0, 1.0, 0.0]), targets, groups)
    bad = listnet_loss(torch.tensor([0.0, 1.0, 3.0]), targets, groups)
    assert good < bad


def test_quantiles_and_direction():
    np.testing.assert_allclose(within_task_quantiles(np.array([0.1, 0.9, 0.5])), [0.0, 1.0, 0.5])
    np.testing.assert_allclose(within_task_quantiles(np.array([0.1, 0.9, 0.5]), "minimize"), [1.0, 0.0, 0.5])
    np.testing.assert_allclose(within_task_quantiles(np.array([1.0, 1.0])), [0.5, 0.5])
    with pytest.raises(ConfigError):
        within_task_quantiles(np.array([1.0]), "up")


def test_kendall_tau_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=30), rng.normal(size=30)
    assert kendall_tau(a, b) == pytest.approx(kendalltau(a, b).statistic)
    assert kendall_tau(a, a) == pytest.approx(1.0)
    assert kendall_tau(np.ones(5), a[:5]) == 0.0
    assert kendall_tau(a[:1], b[:1]) == 0.0


def test_regression_loss_weighs_every_task_the_same():
    scores = torch.tensor([1.0, 0.0, 2.0, 0.0, 0.0, 0.0])
    targets = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    groups = torch.tensor([0, 0, 0, 1, 1, 1])
    # task 0: (1 + 0 + 4) / 3; task 1: (1 + 1 + 1) / 3; mean over the two tasks
    assert regression_loss(scores, targets, groups).item() == pytest.approx((5 / 3 + 1.0) / 2, rel=1e-6)
    # a task with fewer entries counts as much as a large one
    uneven = regression_loss(torch.tensor([2.0, 0.0, 0.0, 0.0]), torch.zeros(4), torch.tensor([0, 1, 1, 1]))
    assert uneven.item() == pytest.approx((4.0 + 0.0) / 2, rel=1e-6)
    # scale matters (unlike the ranking losses): the heads learn the targets' units
    assert regression_loss(2 * targets, targets, groups).item() > 0.0
    assert regression_loss(targets, targets, groups).item() == 0.0


def test_every_loss_has_targets():
    assert set(TARGETS) == set(LOSSES)
    assert TARGETS["regression"] == "normal" and TARGETS["pairwise"] == "quantile"
    assert resolve_loss("regression") is regression_loss
    with pytest.raises(ConfigError, match="'loss' must be one of .*'regression'"):
        resolve_loss("mse")
