"""The cosine similarity of the package, clipped to [0, 1] and never NaN.

`cosine` compares two vectors (task meta-features, task embeddings), `cosine_matrix` all rows
of two count matrices (operation distributions). Both give zero vectors the same meaning: no
direction, so two zero vectors are equal (1) and a zero vector against a non-zero one is 0.
"""

from __future__ import annotations

import numpy as np

from metanas.exceptions import ConfigError

__all__ = ["cosine", "cosine_matrix"]


def cosine(u: np.ndarray, v: np.ndarray) -> float:
    """Cosine similarity of two vectors, clipped to [0, 1]; never NaN.

    Zero vectors have no direction: two equal vectors (both zero included) give 1, a zero
    vector against a different one 0.

    Raises:
        ConfigError: the vectors differ in shape or hold non-finite values.
    """
    u = np.asarray(u, dtype=np.float64).reshape(-1)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if u.shape != v.shape:
        raise ConfigError(f"cosine needs vectors of equal length, got {u.shape[0]} and {v.shape[0]}")
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        raise ConfigError("cosine needs finite vectors, got NaN or inf")
    if np.array_equal(u, v):
        return 1.0
    if not (np.any(u) and np.any(v)):
        return 0.0
    u, v = _unit_max_rows(u[None])[0], _unit_max_rows(v[None])[0]  # scale-free: no overflow at 1e200
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    return float(min(max(float(u @ v) / (nu * nv), 0.0), 1.0))


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Clipped cosine of every row of ``a`` against every row of ``b``.

    Args:
        a: ``[na, d]`` finite rows.
        b: ``[nb, d]`` finite rows.

    Returns:
        float64 ``[na, nb]`` in [0, 1]; two zero rows give 1, a zero row against a non-zero one 0.
    """
    a, b = _unit_max_rows(np.asarray(a, dtype=np.float64)), _unit_max_rows(np.asarray(b, dtype=np.float64))
    dot = a @ b.T
    sa = (a * a).sum(axis=1)
    sb = (b * b).sum(axis=1)
    denom = np.sqrt(sa[:, None] * sb[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(denom > 0, dot / np.where(denom > 0, denom, 1.0), 0.0)
    sim[(sa[:, None] == 0) & (sb[None, :] == 0)] = 1.0
    return np.clip(sim, 0.0, 1.0)


def _unit_max_rows(m: np.ndarray) -> np.ndarray:
    """Each non-zero row divided by the power of two at or above its largest absolute entry: the
    cosine does not change, the squares neither overflow (1e200) nor underflow (1e-200), and
    the division is exact, so rows of counts give bit-for-bit the cosine they gave unscaled."""
    if not m.size:
        return m
    peak = np.abs(m).max(axis=1, keepdims=True)
    _, exponent = np.frexp(np.where(peak > 0, peak, 1.0))
    return np.ldexp(m, -exponent)
