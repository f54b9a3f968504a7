"""The model side of the transfer strategy: candidate pools, past-task rankers, the target
surrogate and the RGPE ranking weights.

* `CandidatePool`: every architecture of an enumerable space with its key and features
  (`SearchSpace.features`), built once per space id and process.
* `PastTask`: one past task's observations (architectures and scores, higher is better),
  checked at construction; `history_from_db` reads them from an `ExperimentDatabase`.
* `TaskRankers`: one extremely randomised tree ensemble per past task, fitted on that
  task's *within-task quantiles* (scores are never compared across tasks), whose scores
  are standardised over the pool (or over the candidates scored).
* `TargetSurrogate`: a random forest on the new task's observations (quantiles among
  them), with the spread of its trees as uncertainty and out-of-bag predictions as its
  leave-one-out estimate.
* `rgpe_weights`: Feurer et al. (2018), "Scalable Meta-Learning for Bayesian
  Optimization using Ranking-Weighted Gaussian Process Ensembles": bootstrap the pairwise
  ranking loss of every model on the target observations; a model's weight is the share of
  bootstrap samples in which its loss is the lowest (ties split evenly).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.stats import rankdata

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.spaces import SearchSpace

__all__ = [
    "CandidatePool",
    "PastTask",
    "TargetSurrogate",
    "TaskRankers",
    "history_from_db",
    "quantiles",
    "rgpe_weights",
]

logger = logging.getLogger(__name__)


def quantiles(values: np.ndarray) -> np.ndarray:
    """Within-set quantiles in ``[0, 1]`` (average rank of ties; one value gives 0.5)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return np.full(len(values), 0.5)
    return (rankdata(values, method="average") - 1.0) / (len(values) - 1.0)


class CandidatePool:
    """Every architecture of an enumerable space: graphs, keys, key index and features.

    Use `CandidatePool.for_space`, which caches one pool per space (type, id, operations)
    and returns ``None`` for spaces that cannot be enumerated or exceed ``MAX_SIZE``.

    Attributes:
        graphs: one graph per key, in the space's enumeration order.
        keys: `SearchSpace.key` of each graph.
        index: key -> position.
        features: shape ``[len(graphs), d]`` float32 (`SearchSpace.features`).
    """

    #: Largest pool built (beyond it the strategy samples and mutates candidates instead).
    MAX_SIZE: ClassVar[int] = 200_000
    _CACHE: ClassVar[dict[tuple, CandidatePool | None]] = {}

    def __init__(self, space: SearchSpace, graphs: Sequence[ModelGraph]) -> None:
        self.graphs = list(graphs)
        self.keys = [space.key(g) for g in self.graphs]
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.features = space.features(self.graphs)

    def __len__(self) -> int:
        return len(self.graphs)

    @classmethod
    def for_space(cls, space: SearchSpace) -> CandidatePool | None:
        """The cached pool of ``space``, or ``None`` when it cannot be enumerated (or is too big)."""
        ident = (type(space).__qualname__, space.id, tuple(space.ops))
        if ident not in cls._CACHE:
            pool: CandidatePool | None = None
            try:
                graphs = []
                for graph in space.enumerate():
                    graphs.append(graph)
                    if len(graphs) > cls.MAX_SIZE:
                        raise NotImplementedError
                pool = cls(space, graphs)
                logger.info("candidate pool of space %r: %d architectures", space.id, len(pool))
            except NotImplementedError:
                logger.info("space %r is not enumerable within %d architectures; candidates are sampled",
                            space.id, cls.MAX_SIZE)
            cls._CACHE[ident] = pool
        return cls._CACHE[ident]


@dataclass(frozen=True)
class PastTask:
    """The observations of one past task.

    Attributes:
        task_id: the task's id.
        graphs: evaluated architectures (valid in the search space searched now).
        values: their scores, shape ``[len(graphs)]``, higher is better (negate minimised
            objectives); only their order within the task is used.

    Raises:
        ConfigError: lengths differ, fewer than 2 observations, or a value is not finite.
    """

    task_id: str
    graphs: tuple[ModelGraph, ...]
    values: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "graphs", tuple(self.graphs))
        values = np.asarray(self.values, dtype=float).reshape(-1)
        if len(values) != len(self.graphs):
            raise ConfigError(f"PastTask {self.task_id!r}: {len(self.graphs)} graphs but {len(values)} values; "
                              "give one value per graph")
        if len(values) < 2:
            raise ConfigError(f"PastTask {self.task_id!r} needs >= 2 observations to rank, got {len(values)}")
        if not np.all(np.isfinite(values)):
            raise ConfigError(f"PastTask {self.task_id!r}: every value must be finite (NaN/inf found)")
        object.__setattr__(self, "values", values)


def history_from_db(db: Any, space: SearchSpace, task_ids: Iterable[str] | None = None,
                    exclude: Iterable[str] = ()) -> list[PastTask]:
    """Past tasks of an `ExperimentDatabase` as `PastTask` records (higher is better).

    Args:
        db: the experiment database.
        space: the space searched now; architectures not valid in it are dropped.
        task_ids: tasks to read (``None``: every task of the database).
        exclude: task ids never read (the task searched now).

    Returns:
        One `PastTask` per task with >= 2 architectures valid in ``space``, in the given order.
    """
    skip = set(exclude)
    ids = [t.task_id for t in db.get_all_tasks()] if task_ids is None else list(task_ids)
    out = []
    for task_id in ids:
        if task_id in skip:
            continue
        sign = 1.0 if db.task_objective(task_id)[1] == "maximize" else -1.0
        graphs, values = [], []
        for graph, value in db.task_evaluations(task_id):
            try:
                graphs.append(graph if graph.space_id == space.id else space.validate(graph))
            except InvalidArchitectureError:
                continue
            values.append(sign * value)
        if len(graphs) >= 2:
            out.append(PastTask(task_id, tuple(graphs), np.array(values)))
        else:
            logger.info("past task %s has %d architecture(s) valid in space %r; not used", task_id, len(graphs),
                        space.id)
    return out


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
        tasks = _as_past_tasks(history)
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


def _as_past_tasks(history: Sequence[PastTask] | Mapping[str, Sequence] | None) -> list[PastTask]:
    if history is None:
        return []
    if isinstance(history, Mapping):
        out = []
        for task_id, pairs in history.items():
            pairs = list(pairs)
            out.append(PastTask(str(task_id), tuple(g for g, _ in pairs), np.array([v for _, v in pairs], float)))
        return out
    tasks = list(history)
    bad = [type(t).__name__ for t in tasks if not isinstance(t, PastTask)]
    if bad:
        raise ConfigError(f"'history' must hold PastTask records or map task ids to [(graph, value)], got {bad[0]}")
    return tasks


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
    if isinstance(num_targets, bool) or not isinstance(num_targets, int) or not 1 <= num_targets <= m:
        raise ConfigError(f"rgpe_weights: 'num_targets' must be an int in [1, {m}] (the models given), "
                          f"got {num_targets!r}")
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
