"""Tree rankers: one extremely randomised tree ensemble per past task (`TaskRankers`, fitted on
within-task quantiles) and a random forest on the new task's observations (`TargetSurrogate`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from metanas.spaces import SearchSpace
from metanas.transfer._history import PastTask, as_past_tasks, quantiles
from metanas.transfer._pool import CandidatePool

__all__ = ["TargetSurrogate", "TaskRankers"]

logger = logging.getLogger(__name__)


def _extra_trees(n_estimators: int, seed: int) -> Any:
    from sklearn.ensemble import ExtraTreesRegressor

    return ExtraTreesRegressor(n_estimators=n_estimators, min_samples_leaf=2, max_features=0.5, n_jobs=1,
                               random_state=seed)


class TaskRankers:
    """One tree-ensemble ranker per past task, fitted on the task's within-task quantiles.

    Args:
        space: the search space (its `SearchSpace.features` encode architectures).
        history: the past tasks (or a mapping ``task_id -> [(graph, value), ...]``).
        seed: seed of the tree ensembles.
        n_estimators: trees per past task.
        pool: candidates to score once (``None``: none; `score` then scores on demand).

    Attributes:
        task_ids: past task ids, in order.
        pool_scores: shape ``[len(task_ids), len(pool)]``: each ranker's prediction on the
            pool, standardised over the pool (``None`` without a pool).
    """

    def __init__(self, space: SearchSpace, history: Sequence[PastTask] | Mapping[str, Sequence],
                 *, seed: int = 0, n_estimators: int = 64, pool: CandidatePool | None = None) -> None:
        tasks = as_past_tasks(history)
        self.tasks = tasks
        self.task_ids = [t.task_id for t in tasks]
        self.space = space
        self.pool = pool
        self._models = []
        self._moments: list[tuple[float, float]] = []
        for i, task in enumerate(tasks):
            model = _extra_trees(n_estimators, (seed * 7919 + i) % (2**31))
            model.fit(space.features(task.graphs), quantiles(task.values))
            self._models.append(model)
        self.pool_scores: np.ndarray | None = None
        if pool is not None and tasks:
            raw = np.stack([m.predict(pool.features) for m in self._models])
            self._moments = [(float(r.mean()), float(r.std()) or 1.0) for r in raw]
            self.pool_scores = self._standardise(raw)

    def __len__(self) -> int:
        return len(self.task_ids)

    def _standardise(self, raw: np.ndarray) -> np.ndarray:
        mu = np.array([m for m, _ in self._moments])[:, None]
        sd = np.array([s for _, s in self._moments])[:, None]
        return (raw - mu) / sd

    def score(self, features: np.ndarray) -> np.ndarray:
        """Shape ``[len(task_ids), len(features)]``: standardised predictions (by the pool's
        moments when there is a pool, else by those of ``features`` themselves)."""
        if not self._models:
            return np.zeros((0, len(features)))
        raw = np.stack([m.predict(features) for m in self._models])
        if self._moments:
            return self._standardise(raw)
        sd = raw.std(axis=1, keepdims=True)
        return (raw - raw.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)


class TargetSurrogate:
    """Bagged regression trees on the new task's observations (targets: quantiles among them).

    A random forest written out (bootstrap samples, ``max_features=0.5``,
    ``min_samples_leaf=2``) so that fitting and predicting skip scikit-learn's per-call input
    checks (inputs are validated here once): the strategy refits it after every batch.

    Args:
        n_estimators: trees.
        seed: seed of the bootstrap samples and the trees.
    """

    def __init__(self, n_estimators: int = 32, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.seed = seed
        self._trees: list[Any] = []

    def fit(self, features: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Fit on observations; returns the out-of-bag prediction of each (its leave-one-out
        estimate; a point that is in every bootstrap sample gets the mean of all trees)."""
        from sklearn.tree import DecisionTreeRegressor

        x = np.ascontiguousarray(features, dtype=np.float32)
        y = np.ascontiguousarray(quantiles(values), dtype=np.float64)
        n = len(y)
        rng = np.random.default_rng(self.seed)
        self._trees = []
        sums = np.zeros(n)
        counts = np.zeros(n)
        for _ in range(self.n_estimators):
            idx = rng.integers(0, n, size=n)
            tree = DecisionTreeRegressor(min_samples_leaf=2, max_features=0.5,
                                         random_state=int(rng.integers(0, 2**31)))
            tree.fit(x[idx], y[idx], check_input=False)
            self._trees.append(tree)
            out = np.ones(n, dtype=bool)
            out[idx] = False
            if out.any():
                sums[out] += tree.predict(x[out], check_input=False)
                counts[out] += 1
        oob = np.divide(sums, counts, out=np.zeros(n), where=counts > 0)
        if (counts == 0).any():
            oob[counts == 0] = self.predict(x[counts == 0])[0]
        return oob

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation over the trees, each shape ``[len(features)]``."""
        x = np.ascontiguousarray(features, dtype=np.float32)
        per_tree = np.stack([t.predict(x, check_input=False) for t in self._trees])
        return per_tree.mean(axis=0), per_tree.std(axis=0)
