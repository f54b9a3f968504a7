"""Bayesian linear regression with a Gaussian prior on the weights: the conjugate head of the
learned surrogate (adaptive Bayesian linear regression, Perrone et al., NeurIPS 2018).

A task's scores are modelled as ``y = Phi w + eps`` with ``Phi`` the ``[n, d]`` architecture
embeddings, ``w ~ N(m0, S0)`` the task's head and ``eps ~ N(0, noise * I)``. Given observations
the posterior of ``w`` is Gaussian with

    S_n = (S0^-1 + Phi^T Phi / noise)^-1,    m_n = S_n (S0^-1 m0 + Phi^T y / noise),

and the predictive distribution of a candidate with embedding ``phi`` is
``N(phi^T m_n, phi^T S_n phi + noise)``. `BayesianHead.log_evidence` is the log marginal
likelihood ``log N(y; Phi m0, Phi S0 Phi^T + noise I)``, which compares priors (a prior from the
past tasks against a flat one) on the new task's own observations.

Everything is computed with Cholesky factors (SciPy), in float64, with no matrix inverse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular

from metanas.exceptions import ConfigError

__all__ = ["BayesianHead", "head_prior"]


def _check_2d(name: str, phi: np.ndarray, dim: int) -> np.ndarray:
    phi = np.asarray(phi, dtype=float)
    if phi.ndim != 2 or phi.shape[1] != dim:
        raise ConfigError(f"{name} must have shape [n, {dim}], got {phi.shape}")
    if not np.all(np.isfinite(phi)):
        raise ConfigError(f"{name} must be finite (NaN/inf found)")
    return phi


@dataclass(frozen=True)
class BayesianHead:
    """A Gaussian belief over a task's linear head.

    Attributes:
        mean: ``[d]`` mean of the head.
        cov: ``[d, d]`` symmetric positive definite covariance of the head.
        noise: observation noise variance (> 0), in the units of the standardised scores.

    Raises:
        ConfigError: shapes disagree, ``cov`` is not positive definite, or ``noise <= 0``.
    """

    mean: np.ndarray
    cov: np.ndarray
    noise: float = 0.1

    def __post_init__(self) -> None:
        mean = np.asarray(self.mean, dtype=float).reshape(-1)
        cov = np.asarray(self.cov, dtype=float)
        if cov.shape != (len(mean), len(mean)):
            raise ConfigError(f"BayesianHead: 'cov' must be [{len(mean)}, {len(mean)}], got {cov.shape}")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
            raise ConfigError("BayesianHead: 'mean' and 'cov' must be finite")
        if not (isinstance(self.noise, (int, float)) and self.noise > 0 and np.isfinite(self.noise)):
            raise ConfigError(f"BayesianHead: 'noise' must be a finite float > 0, got {self.noise!r}")
        cov = 0.5 * (cov + cov.T)
        try:
            np.linalg.cholesky(cov)
        except np.linalg.LinAlgError as e:
            raise ConfigError("BayesianHead: 'cov' must be positive definite") from e
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "noise", float(self.noise))

    @property
    def dim(self) -> int:
        """Embedding size ``d``."""
        return len(self.mean)

    def condition(self, phi: np.ndarray, y: np.ndarray) -> BayesianHead:
        """The exact posterior head given observations.

        Args:
            phi: ``[n, d]`` embeddings of the observed architectures.
            y: ``[n]`` their standardised scores (higher is better).

        Returns:
            A new `BayesianHead` (this one is unchanged); with ``n = 0`` an equal copy.
        """
        phi = _check_2d("phi", phi, self.dim)
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(y) != len(phi):
            raise ConfigError(f"condition: {len(phi)} embeddings but {len(y)} scores")
        if len(y) == 0:
            return self
        prior_factor = cho_factor(self.cov, lower=True)
        precision = cho_solve(prior_factor, np.eye(self.dim)) + phi.T @ phi / self.noise
        precision = 0.5 * (precision + precision.T)
        post_factor = cho_factor(precision, lower=True)
        cov = cho_solve(post_factor, np.eye(self.dim))
        rhs = cho_solve(prior_factor, self.mean) + phi.T @ y / self.noise
        return BayesianHead(cho_solve(post_factor, rhs), cov, self.noise)

    def predict(self, phi: np.ndarray, *, include_noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation of candidates' scores.

        Args:
            phi: ``[m, d]`` candidate embeddings.
            include_noise: add the observation noise to the variance (the distribution of a new
                observation) instead of the latent score's alone.

        Returns:
            ``(mean [m], sd [m])``.
        """
        phi = _check_2d("phi", phi, self.dim)
        chol = np.linalg.cholesky(self.cov)
        spread = phi @ chol
        var = np.einsum("ij,ij->i", spread, spread)
        if include_noise:
            var = var + self.noise
        return phi @ self.mean, np.sqrt(np.maximum(var, 0.0))

    def log_evidence(self, phi: np.ndarray, y: np.ndarray) -> float:
        """Log marginal likelihood of ``y`` under this head as the prior: ``log N(y; phi m, phi S phi^T + noise I)``."""
        phi = _check_2d("phi", phi, self.dim)
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(y) != len(phi):
            raise ConfigError(f"log_evidence: {len(phi)} embeddings but {len(y)} scores")
        if len(y) == 0:
            return 0.0
        k = phi @ self.cov @ phi.T + self.noise * np.eye(len(y))
        chol = np.linalg.cholesky(0.5 * (k + k.T))
        r = solve_triangular(chol, y - phi @ self.mean, lower=True)
        return float(-0.5 * r @ r - np.log(np.diag(chol)).sum() - 0.5 * len(y) * np.log(2 * np.pi))


def head_prior(past_heads: np.ndarray, *, shrinkage: float = 0.1, noise: float = 0.1,
               mean: np.ndarray | None = None) -> BayesianHead:
    """The prior over a new task's head from the past tasks' heads.

    Mean: the past heads' mean (or ``mean``, e.g. the MLP prior from meta-features); covariance:
    their sample covariance shrunk towards its scaled identity (Ledoit-Wolf style convex
    combination with weight ``shrinkage``), so that it stays positive definite with few tasks.

    Args:
        past_heads: ``[T, d]`` heads of the past tasks (``T >= 1``).
        shrinkage: weight of the scaled identity in ``[0, 1]`` (1 with a single past task).
        noise: observation noise variance of the returned head.
        mean: optional ``[d]`` prior mean replacing the past heads' mean.

    Returns:
        A `BayesianHead`.
    """
    heads = np.asarray(past_heads, dtype=float)
    if heads.ndim != 2 or len(heads) < 1:
        raise ConfigError(f"head_prior: 'past_heads' must be [T >= 1, d], got {heads.shape}")
    if not 0.0 <= shrinkage <= 1.0:
        raise ConfigError(f"head_prior: 'shrinkage' must be in [0, 1], got {shrinkage!r}")
    d = heads.shape[1]
    centre = heads.mean(axis=0) if mean is None else np.asarray(mean, dtype=float).reshape(d)
    dev = heads - centre
    # second moment around the prior mean: a mean far from the past heads widens the prior
    sample = dev.T @ dev / len(heads)
    scale = max(float(np.trace(sample)) / d, 1e-6)
    weight = 1.0 if len(heads) < 2 else shrinkage
    cov = (1.0 - weight) * sample + weight * scale * np.eye(d)
    return BayesianHead(centre, cov + 1e-9 * np.eye(d), noise)
