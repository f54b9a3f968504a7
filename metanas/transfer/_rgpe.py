"""`rgpe_weights`: Feurer et al. (2018), "Scalable Meta-Learning for Bayesian Optimization using
Ranking-Weighted Gaussian Process Ensembles": bootstrap the pairwise ranking loss of every model on
the target observations; a model's weight is the share of bootstrap samples in which its loss is
the lowest (ties split evenly)."""

from __future__ import annotations

import numpy as np

from metanas.exceptions import ConfigError
from metanas.validation import check_int

__all__ = ["rgpe_weights"]


def rgpe_weights(predictions: np.ndarray, values: np.ndarray, rng: np.random.Generator, *,
                 num_samples: int = 256, prevent_dilution: bool = True, top_focus: float = 0.0,
                 num_targets: int = 1) -> np.ndarray:
    """RGPE ensemble weights from bootstrapped pairwise ranking losses.

    Args:
        predictions: shape ``[M, n]``: each model's prediction at the ``n`` target
            observations; the *last* ``num_targets`` rows are the target models', which
            must be leave-one-out (or out-of-bag) predictions so that they do not rank their
            own training points.
        values: shape ``[n]``: the observed scores (higher is better).
        rng: draws the bootstrap samples.
        num_samples: bootstrap samples.
        prevent_dilution: drop a past model whose median loss exceeds the target model's
            95th-percentile loss (Feurer et al., section 4.2; with several target models, the
            95th percentile of the lowest target loss of each bootstrap sample).
        top_focus: weight of a misranked pair ``q ** top_focus``, ``q`` in (0, 1] the rank
            quantile of the pair's better observation (0: every pair counts 1, plain RGPE;
            larger: ranking the best observations right counts more than ranking the rest,
            for a search that needs the past task that knows the new task's top).
        num_targets: how many of the last rows are target models (>= 1, < M + 1); they are
            never dropped by ``prevent_dilution``.

    Returns:
        Shape ``[M]``, non-negative, summing to 1: the share of bootstrap samples in which
        each model has the lowest number of misranked pairs (a pair observed as
        ``y_i < y_j`` is misranked when the model predicts ``f_i > f_j``, half when it ties
        them; equal observations carry no order; equal losses split the share evenly).

    Raises:
        ConfigError: the shapes disagree or there are no models.
    """
    predictions = np.asarray(predictions, dtype=float)
    values = np.asarray(values, dtype=float)
    if isinstance(top_focus, bool) or not isinstance(top_focus, (int, float)) or not top_focus >= 0:
        raise ConfigError(f"rgpe_weights: 'top_focus' must be a float >= 0, got {top_focus!r}")
    if predictions.ndim != 2 or predictions.shape[0] < 1 or predictions.shape[1] != len(values):
        raise ConfigError(f"rgpe_weights: predictions must be [models, {len(values)}], got {predictions.shape}")
    m, n = predictions.shape
    num_targets = check_int(num_targets, "num_targets", low=1, high=m, owner="rgpe_weights")
    if n < 2:
        out = np.zeros(m)
        out[m - num_targets:] = 1.0 / num_targets
        return out
    # misranked[k, i, j] for each pair observed as y_i < y_j: 1 if model k ranks i above j,
    # 1/2 if it ties them; tied observations carry no order, so they count for no model.
    below = (values[:, None] < values[None, :])[None]
    pi, pj = predictions[:, :, None], predictions[:, None, :]
    misranked = below * ((pi > pj) + 0.5 * (pi == pj))
    if top_focus:
        quantile = (np.argsort(np.argsort(values, kind="stable"), kind="stable") + 1.0) / n
        misranked = misranked * (quantile ** top_focus)[None, None, :]  # column j: the better of the pair
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=num_samples).astype(np.float32)  # [S, n]
    loss = np.stack([((counts @ mk) * counts).sum(axis=1) for mk in misranked.astype(np.float32)], axis=1)  # [S, M]
    eligible = np.ones(m, dtype=bool)
    past = m - num_targets
    if prevent_dilution and past > 0:
        limit = np.percentile(loss[:, past:].min(axis=1), 95)
        eligible[:past] = np.median(loss[:, :past], axis=0) <= limit
    masked = np.where(eligible[None, :], loss, np.inf)
    best = masked == masked.min(axis=1, keepdims=True)
    weights = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)
    return weights / weights.sum()
