"""Within-task losses and rank statistics.

Scores are compared only within a task (``groups``): the losses never relate the score of
an architecture on one task to a score on another. Targets are within-task (higher = better),
so tasks with different metrics, scales or directions mix freely:

* ``regression`` (the default of training): the mean squared error of the scores to the
  within-task standardised targets (`metanas.transfer.normal_scores`), so that each task's
  head ``w_t`` predicts standardised scores in their own units, as the Bayesian linear head
  of the learned surrogate (`metanas.transfer.BayesianHead`) assumes;
* ``pairwise`` (RankNet) and ``listnet``: ranking losses on within-task quantiles; they are
  scale-free, so the heads' scale is arbitrary (fine for cosine similarity, not for a
  Gaussian model of the scores).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from metanas.exceptions import ConfigError
from metanas.validation import Direction, check_choice

__all__ = [
    "LOSSES",
    "TARGETS",
    "kendall_tau",
    "listnet_loss",
    "pairwise_ranking_loss",
    "regression_loss",
    "resolve_loss",
    "within_task_quantiles",
]


def pairwise_ranking_loss(
    scores: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, weighting: str = "uniform"
) -> torch.Tensor:
    """Pairwise logistic (RankNet) loss over every within-group pair with distinct targets.

    For each pair ``(i, j)`` of one group with ``targets[i] > targets[j]`` the loss is
    ``log(1 + exp(scores[j] - scores[i]))``; the result is the (weighted) mean over pairs.

    Args:
        scores: model scores ``[n]``.
        targets: outcomes ``[n]`` (higher = better; quantiles or raw values).
        groups: task index of each entry ``[n]``.
        weighting: ``"uniform"`` (every pair counts 1) or ``"difference"`` (a pair counts
            ``targets[i] - targets[j]``, so clearly ordered pairs weigh more).

    Returns:
        A scalar; ``0`` when no pair is ordered.
    """
    check_choice(weighting, "pair_weighting", ("uniform", "difference"))
    losses, weights = [], []
    for g in torch.unique(groups):
        m = groups == g
        s, t = scores[m], targets[m]
        diff = t[:, None] - t[None, :]
        mask = diff > 0
        if not bool(mask.any()):
            continue
        losses.append(F.softplus(-(s[:, None] - s[None, :])[mask]))
        weights.append(diff[mask] if weighting == "difference" else torch.ones_like(diff[mask]))
    if not losses:
        return scores.sum() * 0.0
    loss, w = torch.cat(losses), torch.cat(weights)
    return (loss * w).sum() / w.sum()


def listnet_loss(
    scores: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor, temperature: float = 0.1
) -> torch.Tensor:
    """ListNet: cross-entropy between ``softmax(targets / temperature)`` and ``softmax(scores)``
    within each group, averaged over groups."""
    total = scores.new_zeros(())
    uniq = torch.unique(groups)
    for g in uniq:
        m = groups == g
        p = torch.softmax(targets[m] / temperature, dim=0)
        total = total - (p * torch.log_softmax(scores[m], dim=0)).sum()
    return total / len(uniq)


def regression_loss(scores: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """Mean squared error of ``scores`` to ``targets`` within each group, averaged over groups
    (every task weighs the same whatever its number of entries).

    Args:
        scores: model scores ``[n]``.
        targets: within-task standardised scores ``[n]`` (`metanas.transfer.normal_scores`).
        groups: task index of each entry ``[n]``.

    Returns:
        A scalar.
    """
    uniq, inverse = torch.unique(groups, return_inverse=True)
    sq = (scores - targets).pow(2)
    sums = torch.zeros(len(uniq), dtype=sq.dtype, device=sq.device).index_add_(0, inverse, sq)
    counts = torch.zeros(len(uniq), dtype=sq.dtype, device=sq.device).index_add_(0, inverse, torch.ones_like(sq))
    return (sums / counts).mean()


#: Loss name -> function ``(scores, targets, groups, **options) -> scalar``.
LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "regression": regression_loss, "pairwise": pairwise_ranking_loss, "listnet": listnet_loss,
}
#: Loss name -> the targets it is trained on: within-task standardised scores (``"normal"``,
#: `metanas.transfer.normal_scores`) or within-task quantiles (``"quantile"``).
TARGETS: dict[str, str] = {"regression": "normal", "pairwise": "quantile", "listnet": "quantile"}


def resolve_loss(name: str) -> Callable[..., torch.Tensor]:
    """The loss registered as ``name``; `ConfigError` lists the valid ones."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"'loss' must be one of {sorted(LOSSES)}, got {name!r}") from None


def within_task_quantiles(values: np.ndarray, direction: str = "maximize") -> np.ndarray:
    """Mid-rank quantiles in ``[0, 1]`` of one task's outcomes (1 = best).

    Args:
        values: raw outcomes ``[n]``.
        direction: ``"maximize"`` or ``"minimize"``.
    """
    from scipy.stats import rankdata

    v = Direction.parse(direction, "direction").sign * np.asarray(values, dtype=np.float64)
    if len(v) < 2:
        return np.full(len(v), 0.5)
    return (rankdata(v, method="average") - 1.0) / (len(v) - 1.0)


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b of two score vectors; ``0.0`` when undefined (fewer than 2 items or constant)."""
    from scipy.stats import kendalltau

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2:
        return 0.0
    tau = kendalltau(a, b).statistic
    return 0.0 if not np.isfinite(tau) else float(tau)
