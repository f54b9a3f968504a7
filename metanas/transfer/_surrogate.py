"""The Bayesian surrogate of the transfer search, and the cheap embedding it runs on without a
trained meta-learner.

* `BayesianSurrogate`: adaptive Bayesian linear regression (Perrone et al., NeurIPS 2018) over
  any `ArchitectureEmbedding`: a Gaussian prior on the new task's head from the past tasks'
  heads (`head_prior`, its mean optionally the meta-learner's prior from meta-features), the
  exact conjugate posterior given the new task's observations (`BayesianHead.condition`;
  targets: their `normal_scores`), the observation noise chosen by the log evidence over a
  small fixed grid, and the predictive mean and standard deviation of any candidate.
  ``prior="flat"`` is the cold twin: zero mean, isotropic covariance whose scale the evidence
  chooses too. `BayesianSurrogate.evidence_vs_flat` compares the two priors on the new task's
  observations: negative when the history explains them worse than no history does.
* `RidgeEmbedding`: a torch-free `ArchitectureEmbedding` on the space's own encoding
  (`SearchSpace.features`, standardised, with a constant column), each past head the ridge
  regression (scikit-learn `Ridge`) of the task's `normal_scores` on it.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.spaces import SearchSpace
from metanas.tasks import TaskMetadata
from metanas.transfer._base import ArchitectureEmbedding
from metanas.transfer._bayes import BayesianHead, head_prior
from metanas.transfer._history import PastTask, as_past_tasks, normal_scores
from metanas.transfer._pool import CandidatePool
from metanas.validation import check_choice

__all__ = ["FLAT_SCALES", "NOISE_GRID", "OFFSET_VARIANCE", "PRIORS", "PRIOR_SCALES", "BayesianSurrogate", "Prediction", "RidgeEmbedding"]

logger = logging.getLogger(__name__)

#: Observation noise variances (standardised-score units) among which the log evidence chooses.
NOISE_GRID: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0)
#: Factors of the history prior's covariance among which the log evidence chooses (with the
#: noise): the observations may weaken the history's prior, never sharpen it. Past tasks that
#: agree give a narrow prior; up to 3000 times wider it becomes a weak prior around the
#: history's mean, so that the comparison with the flat prior (`evidence_vs_flat`) asks whether
#: that mean (and the shape of the past heads' spread) helps, not whether the history's
#: confidence was right (with factors up to 100 only, a faithful NAS-Bench-201 history lost
#: the comparison after 150-260 evaluations, once the search concentrated on the top).
PRIOR_SCALES: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)
#: Prior variance of the free offset of a new task's scores (standardised-score units; see
#: `BayesianSurrogate`).
OFFSET_VARIANCE = 4.0
#: Scales of the flat prior's isotropic covariance, in units of ``1 / mean squared embedding
#: norm`` (1: a prior predictive variance of about 1, the variance of standardised scores).
FLAT_SCALES: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0, 3.0)
#: The priors of `BayesianSurrogate`.
PRIORS: tuple[str, ...] = ("history", "flat")

#: Embeddings of candidate pools, per embedding (deterministic by the protocol) and pool.
_POOL_EMBEDDINGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Prediction(NamedTuple):
    """Predictive distribution of candidates' standardised scores (higher is better).

    Attributes:
        mean: ``[m]`` predictive means.
        sd: ``[m]`` standard deviations of the latent score (observation noise excluded).
    """

    mean: np.ndarray
    sd: np.ndarray


def pool_embedding(embedding: ArchitectureEmbedding, pool: CandidatePool) -> np.ndarray:
    """``embedding.embed(pool.graphs)``, computed once per embedding object and pool."""
    try:
        per_pool = _POOL_EMBEDDINGS.setdefault(embedding, {})
    except TypeError:  # not weakly referenceable or not hashable: no cache
        per_pool = {}
    if id(pool) not in per_pool:
        per_pool[id(pool)] = (pool, np.asarray(embedding.embed(pool.graphs), dtype=float))
    return per_pool[id(pool)][1]


def _best_on_grid(head: BayesianHead, scales: Sequence[float], noises: Sequence[float], phi: np.ndarray,
                  y: np.ndarray) -> tuple[tuple[float, float], float]:
    """The (covariance factor, noise) of the grid with the largest log evidence of ``y`` (and that
    evidence) for the augmented ``head`` whose head block (all but the last, offset, entry) is
    scaled by the factor: ``BayesianHead.log_evidence`` of each, computed in ``d + 1`` dimensions
    by the matrix determinant lemma and Woodbury's identity (``n`` observations cost
    ``O(n d^2)`` once, each grid point ``O(d^3)``). The first maximum wins ties."""
    n, d = phi.shape
    chol = np.linalg.cholesky(head.cov)  # L0 with L0 L0^T the unscaled covariance
    p = phi @ chol  # [n, d]
    gram = p.T @ p
    r = y - phi @ head.mean
    h = p.T @ r
    rr = float(r @ r)
    best: tuple[tuple[float, float], float] | None = None
    for scale in scales:
        # the head block's rows of L0 scale by sqrt(factor); the offset's (last) row does not
        root = np.full(d, np.sqrt(scale))
        root[-1] = 1.0
        g = gram * np.outer(root, root)
        hd = root * h
        for noise in noises:
            factor = cho_factor(noise * np.eye(d) + g, lower=True)
            quad = (rr - hd @ cho_solve(factor, hd)) / noise
            logdet = (n - d) * np.log(noise) + 2.0 * np.log(np.diag(factor[0])).sum()
            ev = float(-0.5 * quad - 0.5 * logdet - 0.5 * n * np.log(2 * np.pi))
            if best is None or ev > best[1]:
                best = ((float(scale), float(noise)), ev)
    return best  # type: ignore[return-value]  # the grids are not empty (checked at construction)


class BayesianSurrogate:
    """A Bayesian linear head over an architecture embedding: prior from the history, exact posterior.

    The new task's scores are modelled as ``y = phi^T w + b + eps``: ``w`` its head (prior
    `prior`), ``b`` a free offset with prior ``N(0, OFFSET_VARIANCE)``, ``eps`` the observation
    noise. The offset is there because the targets are standardised within the new task's own
    observations, which a search does not draw at random (a designed first population sits in
    the top of the space), so their level says nothing the past heads could predict; it shifts
    every candidate alike and never changes their order. Internally the embedding is augmented
    with a constant column (`embed`), so ``chosen_prior``, ``posterior`` and `predict` are
    `BayesianHead` computations in ``d + 1`` dimensions; `head` is the ``d`` of the head.

    Args:
        embedding: the architecture embedding with the past tasks' heads (`RidgeEmbedding`, or
            the meta-learner's `metanas.transfer.learned_embedding`).
        pool: candidates embedded once (their indices can then be given to `fit` and `predict`).
        prior: ``"history"`` (default): `head_prior` of the embedding's past heads, its mean
            ``embedding.prior_mean(task)`` when the embedding gives one; ``"flat"``: zero mean
            and isotropic covariance, its scale chosen by the log evidence (`FLAT_SCALES`).
        task: the new task (its meta-features may give the prior mean; ``None``: the past
            heads' mean).
        shrinkage: `head_prior`'s shrinkage of the past heads' covariance, in [0, 1].
        noise_grid: observation noise variances the log evidence chooses among (each > 0);
            with the history prior it also chooses a factor of its covariance
            (`PRIOR_SCALES`, >= 1: the observations can weaken the history's prior), with the
            flat prior its scale (`FLAT_SCALES`).

    Attributes:
        prior: the ``[d]`` prior `BayesianHead` of the head before any observation (its noise
            ``noise_grid``'s middle value until `fit` chooses one).
        chosen_prior: the ``[d + 1]`` prior (head and offset) with the covariance factor and
            noise the evidence chose at the last `fit`; ``posterior`` is its
            `BayesianHead.condition` on the observations (`embed` of them, `normal_scores` of
            their values).
        posterior: the current ``[d + 1]`` `BayesianHead` (the augmented prior before `fit`).
        log_evidence / flat_log_evidence: the log marginal likelihood of the last observations
            under this prior (noise chosen) and under the flat prior (scale and noise chosen);
            0 before `fit`.

    Raises:
        ConfigError: ``embedding`` does not implement `ArchitectureEmbedding`, ``prior`` is
            unknown, ``prior="history"`` with no past head, or a setting is out of range.
    """

    def __init__(self, embedding: ArchitectureEmbedding, *, pool: CandidatePool | None = None,
                 prior: str = "history", task: TaskMetadata | None = None, shrinkage: float = 0.1,
                 noise_grid: Sequence[float] = NOISE_GRID) -> None:
        if not isinstance(embedding, ArchitectureEmbedding):
            raise ConfigError(f"BayesianSurrogate: 'embedding' must implement ArchitectureEmbedding (dim, "
                              f"past_task_ids, past_heads, embed, prior_mean), got {type(embedding).__name__}")
        check_choice(prior, "prior", PRIORS, owner="BayesianSurrogate")
        grid = tuple(float(v) for v in noise_grid)
        if not grid or not all(np.isfinite(v) and v > 0 for v in grid):
            raise ConfigError(f"The 'noise_grid' parameter of BayesianSurrogate must hold finite floats > 0. "
                              f"Got {tuple(noise_grid)!r} instead.")
        if isinstance(shrinkage, bool) or not isinstance(shrinkage, (int, float)) or not 0.0 <= shrinkage <= 1.0:
            raise ConfigError(f"The 'shrinkage' parameter of BayesianSurrogate must be a float in [0, 1]. "
                              f"Got {shrinkage!r} instead.")
        self.embedding = embedding
        self.pool = pool
        self.prior_name = prior
        self.noise_grid = grid
        self.dim = int(embedding.dim)
        self.pool_phi = self._augment(pool_embedding(embedding, pool)) if pool is not None else None
        default_noise = grid[len(grid) // 2]
        heads = np.asarray(embedding.past_heads, dtype=float).reshape(-1, self.dim)
        if prior == "history":
            if not len(heads):
                raise ConfigError("BayesianSurrogate: prior='history' needs an embedding with >= 1 past head "
                                  "(the history is empty); use prior='flat' for a cold start")
            self.prior = head_prior(heads, shrinkage=float(shrinkage), noise=default_noise,
                                    mean=embedding.prior_mean(task))
        else:
            self.prior = self._flat_head(1.0, default_noise, self._base_scale(None))
        self.posterior = self.chosen_prior = self._with_offset(self.prior)
        self.noise = default_noise
        self.log_evidence = 0.0
        self.flat_log_evidence = 0.0
        self.num_observations = 0
        self._phi_obs = np.zeros((0, self.dim + 1))
        self._y = np.zeros(0)

    # ------------------------------------------------------------------ inputs
    @staticmethod
    def _augment(phi: np.ndarray) -> np.ndarray:
        phi = np.asarray(phi, dtype=float)
        return np.hstack([phi, np.ones((len(phi), 1))])

    @staticmethod
    def _with_offset(head: BayesianHead, scale: float = 1.0, noise: float | None = None) -> BayesianHead:
        """``head`` (its covariance times ``scale``) with the free offset appended."""
        d = head.dim
        cov = np.zeros((d + 1, d + 1))
        cov[:d, :d] = scale * head.cov
        cov[d, d] = OFFSET_VARIANCE
        return BayesianHead(np.append(head.mean, 0.0), cov, head.noise if noise is None else noise)

    def embed(self, x: Sequence[ModelGraph] | np.ndarray) -> np.ndarray:
        """``[n, d + 1]``: the embeddings of graphs (or of pool rows given as an integer array)
        with the offset's constant column appended."""
        if isinstance(x, np.ndarray) and x.dtype.kind in "iu":
            if self.pool_phi is None:
                raise ConfigError("BayesianSurrogate: pool indices were given but the surrogate has no pool; "
                                  "pass graphs, or build it with pool=CandidatePool.for_space(space)")
            return self.pool_phi[x]
        graphs = list(x)
        if not graphs:
            return np.zeros((0, self.dim + 1))
        return self._augment(self.embedding.embed(graphs))

    def _base_scale(self, phi: np.ndarray | None) -> float:
        ref = self.pool_phi if self.pool_phi is not None else phi
        if ref is None or not len(ref):
            return 1.0 / self.dim
        ref = ref[:, :self.dim]
        return 1.0 / max(float(np.mean(np.einsum("ij,ij->i", ref, ref))), 1e-12)

    def _flat_head(self, scale: float, noise: float, base: float) -> BayesianHead:
        return BayesianHead(np.zeros(self.dim), scale * base * np.eye(self.dim), noise)

    # ------------------------------------------------------------------ fitting
    def fit(self, x: Sequence[ModelGraph] | np.ndarray, values: np.ndarray) -> BayesianSurrogate:
        """Condition on the new task's observations (all of them; replaces an earlier fit).

        Args:
            x: the observed architectures (graphs, or pool row indices as an integer array).
            values: their scores, higher is better (only their order counts: the targets are
                their `normal_scores`).

        Returns:
            ``self``.
        """
        phi = self.embed(x)
        values = np.asarray(values, dtype=float).reshape(-1)
        if len(values) != len(phi):
            raise ConfigError(f"BayesianSurrogate.fit: {len(phi)} architectures but {len(values)} values; "
                              "give one value per architecture")
        if not np.all(np.isfinite(values)):
            raise ConfigError("BayesianSurrogate.fit: 'values' must be finite (NaN/inf found)")
        y = normal_scores(values)
        self._phi_obs, self._y, self.num_observations = phi, y, len(y)
        if not len(y):
            self.posterior = self.chosen_prior = self._with_offset(self.prior)
            self.log_evidence = self.flat_log_evidence = 0.0
            return self
        base = self._base_scale(phi)
        flat = BayesianHead(np.zeros(self.dim), base * np.eye(self.dim), self.noise_grid[0])
        (scale, noise), self.flat_log_evidence = _best_on_grid(self._with_offset(flat), FLAT_SCALES,
                                                               self.noise_grid, phi, y)
        head = self._with_offset(flat, scale, noise)
        if self.prior_name == "flat":
            self.log_evidence = self.flat_log_evidence
        else:
            (scale, noise), self.log_evidence = _best_on_grid(self._with_offset(self.prior), PRIOR_SCALES,
                                                              self.noise_grid, phi, y)
            head = self._with_offset(self.prior, scale, noise)
        self.noise = head.noise
        self.chosen_prior = head
        self.posterior = head.condition(phi, y)
        return self

    # ------------------------------------------------------------------ predictions
    def predict(self, x: Sequence[ModelGraph] | np.ndarray) -> Prediction:
        """Posterior predictive of candidates' standardised scores (the prior's before `fit`).

        Args:
            x: graphs, or pool row indices as an integer array.

        Returns:
            A `Prediction` (mean and standard deviation of the latent score).
        """
        phi = self.embed(x)
        if not len(phi):
            return Prediction(np.zeros(0), np.zeros(0))
        return Prediction(*self.posterior.predict(phi))

    def loo_mean(self) -> np.ndarray:
        """Exact leave-one-out predictive means of the observations fitted (prior and noise as
        chosen on all of them): ``y_i - [K^-1 r]_i / [K^-1]_ii`` with ``K = Phi S0 Phi^T +
        noise I`` and ``r = y - Phi m0`` (Rasmussen & Williams, eq. 5.12); the RGPE weights
        rank them so that the model is not judged on the points it was fitted to."""
        if not self.num_observations:
            return np.zeros(0)
        head, phi, y = self.chosen_prior, self._phi_obs, self._y
        # K^-1 = (I - P A^-1 P^T) / s with P = Phi L (L L^T = S0) and A = s I + P^T P (Woodbury):
        # O(n d^2), not O(n^3)
        p = phi @ np.linalg.cholesky(head.cov)
        factor = cho_factor(head.noise * np.eye(head.dim) + p.T @ p, lower=True)
        q = solve_triangular(factor[0], p.T, lower=True)  # [d, n]: A^-1/2 P^T
        r = y - phi @ head.mean
        alpha = (r - p @ cho_solve(factor, p.T @ r)) / head.noise
        diag = (1.0 - np.einsum("ij,ij->j", q, q)) / head.noise
        return y - alpha / diag

    def evidence_vs_flat(self) -> float:
        """Log evidence of this prior minus that of the flat prior on the observations fitted
        (natural log units; 0 before any observation and for ``prior="flat"``). Negative: the
        history explains the new task's observations worse than no history does."""
        return float(self.log_evidence - self.flat_log_evidence)

    @property
    def head(self) -> np.ndarray:
        """``[d]`` the current posterior mean of the new task's head (its embedding, comparable with
        the embedding's ``past_heads`` for task similarity)."""
        return self.posterior.mean[:self.dim]

    def twin(self, prior: str = "flat") -> BayesianSurrogate:
        """A surrogate on the same embedding and pool (sharing its embedded pool) with another prior."""
        out = BayesianSurrogate.__new__(BayesianSurrogate)
        out.__dict__.update(self.__dict__)
        out.prior_name = prior
        if prior == "flat":
            out.prior = out._flat_head(1.0, out.noise_grid[len(out.noise_grid) // 2], out._base_scale(None))
        else:
            check_choice(prior, "prior", PRIORS, owner="BayesianSurrogate.twin")
        out.posterior = out.chosen_prior = out._with_offset(out.prior)
        out.log_evidence, out.flat_log_evidence, out.num_observations = 0.0, 0.0, 0
        return out

    def __repr__(self) -> str:
        return (f"BayesianSurrogate(prior={self.prior_name!r}, dim={self.dim}, observations={self.num_observations}, "
                f"noise={self.noise})")


class RidgeEmbedding:
    """A torch-free `ArchitectureEmbedding` on the space's own encoding.

    The embedding of an architecture is its `SearchSpace.features` standardised (by the pool's
    mean and standard deviation when a pool is given, else by those of the history's
    architectures; constant columns dropped). Each past task's head is the ridge regression
    (`sklearn.linear_model.Ridge`, with an unpenalised intercept, which is dropped: only the
    order of a task's scores is used) of its `normal_scores` on the embedding. The cheap
    surrogate when no meta-learner is trained.

    Args:
        space: the search space (its `SearchSpace.features` encode architectures).
        history: the past tasks (`PastTask` records or ``task_id -> [(graph, value)]``; may be
            empty: no past head, for the flat surrogate alone).
        alpha: ridge penalty (> 0).
        pool: the candidate pool (standardisation reference; its embedding is computed from
            its features once).

    Attributes:
        dim / past_task_ids / past_heads: as `ArchitectureEmbedding`.

    Raises:
        ConfigError: ``alpha`` is not > 0, or the history is malformed.
    """

    def __init__(self, space: SearchSpace, history: Sequence[PastTask] | Mapping[str, Sequence] | None, *,
                 alpha: float = 1.0, pool: CandidatePool | None = None) -> None:
        from sklearn.linear_model import Ridge

        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (np.isfinite(alpha) and alpha > 0):
            raise ConfigError(f"The 'alpha' parameter of RidgeEmbedding must be a float > 0. Got {alpha!r} instead.")
        tasks = as_past_tasks(history)
        self.space = space
        self.alpha = float(alpha)
        self.pool = pool
        task_features = [space.features(t.graphs).astype(float) for t in tasks]
        if pool is not None:
            ref = np.asarray(pool.features, dtype=float)
        elif task_features:
            ref = np.vstack(task_features)
        else:
            ref = None
        if ref is None:
            width = space.features([space.sample(np.random.default_rng(0))]).shape[1]
            self._keep = np.ones(width, dtype=bool)
            self._mu, self._sd = np.zeros(width), np.ones(width)
        else:
            sd = ref.std(axis=0)
            self._keep = sd > 1e-8
            self._mu, self._sd = ref.mean(axis=0)[self._keep], sd[self._keep]
        self.dim = int(self._keep.sum())
        self.past_task_ids = tuple(t.task_id for t in tasks)
        heads = []
        for task, feats in zip(tasks, task_features):
            model = Ridge(alpha=self.alpha, fit_intercept=True).fit(self._standardise(feats),
                                                                     normal_scores(task.values))
            heads.append(model.coef_)
        self.past_heads = np.array(heads, dtype=float).reshape(len(heads), self.dim)
        self._pool_phi = self._standardise(pool.features) if pool is not None else None

    def _standardise(self, features: np.ndarray) -> np.ndarray:
        return (np.asarray(features, dtype=float)[:, self._keep] - self._mu) / self._sd

    def embed(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """``[len(graphs), dim]``: the standardised features of each architecture."""
        if self._pool_phi is not None and graphs is self.pool.graphs:
            return self._pool_phi
        graphs = list(graphs)
        if not graphs:
            return np.zeros((0, self.dim))
        return self._standardise(self.space.features(graphs))

    def prior_mean(self, task: TaskMetadata | None) -> np.ndarray | None:
        """``None``: the ridge embedding has no task encoder (the prior mean is the past heads' mean)."""
        return None

    def __repr__(self) -> str:
        return f"RidgeEmbedding(space={self.space.id!r}, dim={self.dim}, past_tasks={len(self.past_task_ids)})"
