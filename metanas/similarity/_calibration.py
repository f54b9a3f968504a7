"""Calibrating a learned task similarity to the meta-feature prior (`dataset_meta`).

A meta-learner's task embedding of a *new* task comes from its meta-features alone (the MLP
prior), and its cosines to the past tasks' learned vectors are often all low: with the seed's
``min_similarity`` threshold the warm start then transfers nothing, and loses what the
meta-feature cosine had found (NAS-Bench-201: 12.5x with ``dataset_meta``, 1.07x with the raw
embedding). The calibration keeps what is reliable in each:

* **the values and quota come from** ``dataset_meta``: the past tasks are re-ordered, and the
  i-th of the new order receives the i-th largest ``dataset_meta`` similarity. So the number
  of past tasks that pass ``min_similarity`` and the similarity-weighted split of the transfer
  quota are exactly those of ``dataset_meta``: the learned model can change *which* tasks are
  transferred from, never whether the warm start transfers (`calibrate_to_prior`).
* **the order** blends the two rankings: ``w * rank(learned) + (1 - w) * rank(dataset_meta)``
  (ranks scaled to [0, 1]). ``w = 0`` is exactly ``dataset_meta``.
* ``w`` **is chosen by leave-one-task-out over the training tasks only** (`choose_weight`):
  each training task p in turn plays the new task; its start-of-search similarities (its prior
  against the others' learned vectors, and ``dataset_meta``) are blended with each ``w`` of a
  grid and compared, by Spearman correlation, with how the trained model relates p to the
  others once it has seen p's evaluations (the cosine of the learned vectors, which the
  within-task ranking loss places close when the tasks rank architectures alike). The held-out
  task never enters; ties and fewer than three training tasks give ``w = 0`` (the prior). The
  model is not refitted without p, so the check is in-sample for the prior: optimistic for the
  embedding, which the benchmark (a held-out task) then measures honestly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import rankdata, spearmanr

__all__ = ["WEIGHT_GRID", "calibrate_to_prior", "choose_weight"]

logger = logging.getLogger(__name__)

#: The blend weights `choose_weight` tries (0: the meta-feature order, 1: the learned order).
WEIGHT_GRID: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)


def _rank01(x: np.ndarray) -> np.ndarray:
    """Ranks scaled to [0, 1] (ties share their mean rank); a single value gets 1."""
    if x.size <= 1:
        return np.ones_like(x, dtype=np.float64)
    return (rankdata(x) - 1.0) / (x.size - 1.0)


def calibrate_to_prior(learned: np.ndarray, prior: np.ndarray, weight: float) -> np.ndarray:
    """Re-order the past tasks by a blend of both rankings and give them the prior's values.

    Args:
        learned: ``[n]`` learned similarities of the new task to n past tasks.
        prior: ``[n]`` ``dataset_meta`` similarities, in [0, 1]; entries <= 0 (other modality or
            problem type) stay 0 and take no part.
        weight: share of the learned ranking in the blend, in [0, 1].

    Returns:
        ``[n]`` similarities whose multiset of values equals ``prior``'s.
    """
    learned = np.asarray(learned, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    out = np.zeros_like(prior)
    idx = np.flatnonzero(prior > 0.0)
    if idx.size == 0:
        return out
    blend = weight * _rank01(learned[idx]) + (1.0 - weight) * _rank01(prior[idx])
    # best first; ties broken by the prior, then by position (deterministic)
    order = np.lexsort((np.arange(idx.size), -prior[idx], -blend))
    out[idx[order]] = np.sort(prior[idx])[::-1]
    return out


def choose_weight(
    task_ids: Sequence[str],
    start_similarity: Callable[[str, str], float],
    learned_similarity: Callable[[str, str], float],
    prior_similarity: Callable[[str, str], float],
    grid: Sequence[float] = WEIGHT_GRID,
) -> tuple[float, dict[float, float]]:
    """The blend weight by leave-one-task-out over the training tasks (module docstring).

    Args:
        task_ids: the training tasks (never the held-out one).
        start_similarity: ``(p, q)`` -> what the model says of p at search start (p's prior
            against q's learned vector).
        learned_similarity: ``(p, q)`` -> how the trained model relates p and q (learned
            vectors of both): the reference.
        prior_similarity: ``(p, q)`` -> ``dataset_meta``.
        grid: the weights to try.

    Returns:
        The chosen weight and the mean Spearman correlation of each weight (empty when
        fewer than three tasks: then 0.0, the prior's order).
    """
    ids = list(task_ids)
    if len(ids) < 3:
        return 0.0, {}
    scores: dict[float, list[float]] = {float(w): [] for w in grid}
    for p in ids:
        others = [q for q in ids if q != p]
        truth = np.array([learned_similarity(p, q) for q in others])
        start = np.array([start_similarity(p, q) for q in others])
        prior = np.array([prior_similarity(p, q) for q in others])
        if np.ptp(truth) == 0.0:
            continue
        for w, rhos in scores.items():
            blend = w * _rank01(start) + (1.0 - w) * _rank01(prior)
            rho = 0.0 if np.ptp(blend) == 0.0 else float(spearmanr(blend, truth).statistic)
            rhos.append(rho if np.isfinite(rho) else 0.0)
    means = {w: float(np.mean(v)) for w, v in scores.items() if v}
    if not means:
        return 0.0, {}
    best = max(means.values())
    weight = min(w for w, m in means.items() if m >= best - 1e-12)  # ties: the smaller weight (the prior)
    logger.info("task_embedding calibration: weight %.2f chosen by leave-one-task-out over %d training tasks (%s)",
                weight, len(ids), ", ".join(f"{w:.2f}: {m:.3f}" for w, m in sorted(means.items())))
    return weight, means

