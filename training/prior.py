"""Does the MLP prior from meta-features help? A nested leave-one-task-out on the training tasks.

The learned surrogate puts a Gaussian prior on a new task's head (`metanas.transfer.head_prior`):
centred on the past heads' mean, or on the meta-learner's MLP prior from the task's
meta-features (`MetaLearnerEmbedder.prior_mean`). Which centre is better is decided here, on
the TRAINING tasks only (never on a held-out task): each training task ``i`` is left out in
turn; an MLP of the task encoder's shape (scikit-learn's `MLPRegressor`) is fitted from the
other tasks' meta-features (standardised with their statistics alone) to their learned heads
and predicts head ``i``; the alternative is the other heads' mean. Each predicted head is
scored by the mean squared error of its scores ``E_i w`` to task ``i``'s standardised scores
(`metanas.transfer.normal_scores`) on its recorded architectures: the error a prior mean
makes on that task's observations. The MLP prior is used only if its mean error over the
left-out tasks is lower. The decision and its figures go into the model card (``"prior"``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from metanas.tasks import TaskMetadata

__all__ = ["MIN_TASKS", "nested_prior_decision"]

logger = logging.getLogger(__name__)

#: Fewest training tasks for the nested leave-one-out (each fit needs >= 2 other tasks).
MIN_TASKS = 3


def nested_prior_decision(
    tasks: Sequence[TaskMetadata],
    heads: np.ndarray,
    embeddings: Sequence[np.ndarray],
    scores: Sequence[np.ndarray],
    *,
    hidden: int,
    layers: int,
    seed: int = 0,
    landmarks: bool = False,
) -> dict[str, Any]:
    """Decide whether the MLP prior mean predicts a left-out training task's head better than
    the other heads' mean.

    Args:
        tasks: the training tasks (their meta-features), in the order of ``heads``.
        heads: ``[T, d]`` the learned heads of the training tasks.
        embeddings: per task, ``[n_t, d]`` embeddings of its recorded architectures.
        scores: per task, ``[n_t]`` their within-task standardised scores.
        hidden: hidden width of the MLP (the task encoder's).
        layers: hidden layers of the MLP (the task encoder's).
        seed: seed of the MLP's initialisation.
        landmarks: the meta-features include the landmark block (the normaliser's ``landmarks``);
            a landmark a task lacks is the mean of the other tasks that carry it.

    Returns:
        A JSON-safe dict: ``use_mlp_prior`` (bool), ``method``, ``reason``, ``mse_mlp`` and
        ``mse_mean`` (mean over left-out tasks; ``None`` when not computed) and ``per_task``
        (task id -> ``{"mlp": ..., "mean": ...}``).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    from ..models.features import known_mean_std, std_floor, task_features

    heads = np.asarray(heads, dtype=np.float64)
    method = ("nested leave-one-task-out on the training tasks: MLPRegressor(meta-features -> head) on the "
              "others vs the others' mean head; MSE of the predicted scores to the left-out task's "
              "standardised scores")
    record: dict[str, Any] = {"use_mlp_prior": False, "method": method, "mse_mlp": None, "mse_mean": None,
                              "per_task": {}}
    if len(tasks) < MIN_TASKS:
        record["reason"] = f"{len(tasks)} training task(s): the nested leave-one-out needs >= {MIN_TASKS}"
        logger.info("MLP prior not used: %s", record["reason"])
        return record
    x = np.stack([task_features(t, landmarks) for t in tasks])
    floor = std_floor(tasks[0].modality, landmarks)
    per_task: dict[str, dict[str, float]] = {}
    for i, task in enumerate(tasks):
        others = np.arange(len(tasks)) != i
        mu, sd = known_mean_std(x[others], floor)
        mlp = MLPRegressor(hidden_layer_sizes=(hidden,) * layers, activation="tanh", solver="lbfgs", alpha=1e-2,
                           max_iter=2000, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(np.nan_to_num((x[others] - mu) / sd), heads[others])
        w_mlp = np.asarray(mlp.predict(np.nan_to_num((x[i] - mu) / sd)[None]), dtype=np.float64).reshape(-1)
        w_mean = heads[others].mean(axis=0)
        e, y = np.asarray(embeddings[i], dtype=np.float64), np.asarray(scores[i], dtype=np.float64)
        per_task[task.task_id] = {"mlp": float(np.mean((e @ w_mlp - y) ** 2)),
                                  "mean": float(np.mean((e @ w_mean - y) ** 2))}
    mse_mlp = float(np.mean([v["mlp"] for v in per_task.values()]))
    mse_mean = float(np.mean([v["mean"] for v in per_task.values()]))
    use = mse_mlp < mse_mean
    record.update(use_mlp_prior=bool(use), mse_mlp=mse_mlp, mse_mean=mse_mean, per_task=per_task,
                  reason=("the MLP prior predicted left-out training tasks better" if use else
                          "the past heads' mean predicted left-out training tasks at least as well"))
    logger.info("nested LOO on %d training tasks: MSE MLP prior %.3f vs mean head %.3f -> MLP prior %s",
                len(tasks), mse_mlp, mse_mean, "used" if use else "not used")
    return record

