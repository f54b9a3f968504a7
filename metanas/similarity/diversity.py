"""Diversity-aware selection of architectures: maximal marginal relevance or greedy max-min.

`select_diverse` picks ``k`` of the candidates, starting from the best score:

* ``mmr`` — next the candidate maximising ``lambda_ * relevance - (1 - lambda_) * max
  similarity to the chosen ones``, where relevance is the score's rank within the candidates
  normalised to [0, 1] (best 1, worst 0, ties share their mean rank), so that raw scores of
  any scale or metric mix with similarities in [0, 1].
* ``maxmin`` — next the candidate least similar to its most similar chosen one (greedy
  max-min distance); ties go to the better score.

Candidates more similar than ``max_similarity`` to a chosen one are skipped while others
remain; when none remain the filter is relaxed (logged) so that exactly ``min(k,
len(candidates))`` indices return. Remaining ties go to the lower index, so the result is
deterministic.

Cost: one similarity row per chosen candidate (``metric.pairwise([chosen], candidates)``),
i.e. ``k x N`` similarities, never the full ``N x N`` matrix. With the ``ged`` metric this
uses the vectorised permutation path: exact for candidates sharing a topology (NAS-Bench-201
cells) or small enough (NAS-Bench-Graph), the alignment upper bound of the edit distance
otherwise (see `metanas.similarity._ged`), which can only make a candidate look less
similar than it is. 25 of 500 NAS-Bench-201 or NAS-Bench-Graph candidates take well under a
second (``python -m benchmarks.speed_similarity``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from metanas.exceptions import ConfigError, UnknownNameError
from metanas.graph import ModelGraph
from metanas.similarity._base import ArchitectureMetric, arch_metric_names, get_arch_metric
from metanas.validation import check_choice, check_int, check_unit

__all__ = ["DIVERSITY_METHODS", "rank_normalise", "select_diverse"]

logger = logging.getLogger(__name__)

#: Selection methods of `select_diverse`.
DIVERSITY_METHODS: tuple[str, ...] = ("mmr", "maxmin")

PairMetric = Callable[[ModelGraph, ModelGraph], float]


def rank_normalise(scores: Sequence[float]) -> np.ndarray:
    """Ranks of ``scores`` scaled to [0, 1]: best 1, worst 0, ties share their mean rank.

    A single score (or all equal) maps to 1.
    """
    s = np.asarray(scores, dtype=np.float64)
    n = s.size
    if n == 0:
        return s
    values, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    mean_rank = start + (counts - 1) / 2.0  # 0-based, ascending
    if len(values) == 1:
        return np.ones(n)
    return mean_rank[inverse] / (n - 1)


def _resolve_metric(metric: str | ArchitectureMetric | PairMetric) -> Callable[[int, list], np.ndarray]:
    """A function ``row(j, candidates) -> similarities of candidate j to all``."""
    if isinstance(metric, (str, ArchitectureMetric)):
        try:
            m = get_arch_metric(metric)
        except UnknownNameError:
            raise ConfigError(
                f"'metric' must be one of {arch_metric_names()}, an ArchitectureMetric or a callable "
                f"(graph_a, graph_b) -> float in [0, 1], got {metric!r}"
            ) from None

        def row(j: int, cands: list) -> np.ndarray:
            return np.asarray(m.pairwise([cands[j]], cands)[0], dtype=np.float64)

        return row
    if callable(metric):
        def row_callable(j: int, cands: list) -> np.ndarray:
            return np.array([1.0 if i == j else float(metric(cands[j], c)) for i, c in enumerate(cands)])

        return row_callable
    raise ConfigError(
        f"'metric' must be one of {arch_metric_names()}, an ArchitectureMetric or a callable "
        f"(graph_a, graph_b) -> float in [0, 1], got {type(metric).__name__}"
    )


def select_diverse(
    candidates: Sequence[ModelGraph],
    scores: Sequence[float],
    k: int,
    *,
    metric: str | ArchitectureMetric | PairMetric = "ged",
    method: str = "mmr",
    lambda_: float | None = None,
    max_similarity: float | None = 0.9,
) -> list[int]:
    """Pick ``min(k, len(candidates))`` good and mutually dissimilar candidates.

    Args:
        candidates: architectures to choose from.
        scores: one finite score per candidate, higher is better.
        k: how many to pick (>= 0).
        metric: architecture similarity: a registry name (``ged``, ``path``, ``opdist``), an
            `ArchitectureMetric`, or a callable ``(graph_a, graph_b) -> float`` in [0, 1].
        method: ``mmr`` (maximal marginal relevance) or ``maxmin`` (greedy max-min).
        lambda_: MMR weight of relevance against novelty, in [0, 1] (1: scores only, apart
            from the ``max_similarity`` filter; 0: novelty only); ``None`` means 0.5 for
            ``mmr``. ``maxmin`` is MMR's ``lambda_ = 0`` criterion with ties going to the
            better score, so it takes no ``lambda_`` (giving one raises).
        max_similarity: candidates more similar than this to a chosen one are skipped while
            others remain, in [0, 1]; ``None`` disables the filter.

    Returns:
        Indices into ``candidates`` in selection order; the first is the best score (lowest
        index among equal scores).

    Raises:
        ConfigError: an argument is out of range or of the wrong type (the message names it),
            or a callable metric returns a value outside [0, 1].
    """
    if isinstance(candidates, (str, bytes)) or not isinstance(candidates, Sequence):
        raise ConfigError(f"'candidates' must be a sequence of ModelGraph, got {type(candidates).__name__}")
    cands = list(candidates)
    try:
        s = np.asarray(list(scores), dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"'scores' must be a sequence of numbers, got {scores!r}") from None
    if s.ndim != 1 or s.size != len(cands):
        raise ConfigError(f"'scores' must hold one number per candidate: got {s.size} scores for {len(cands)} candidates")
    if not np.all(np.isfinite(s)):
        raise ConfigError("'scores' must be finite numbers, got NaN or inf")
    check_int(k, "k", low=0)
    check_choice(method, "method", DIVERSITY_METHODS)
    if method == "maxmin" and lambda_ is not None:
        raise ConfigError("'lambda_' applies to method='mmr' only; 'maxmin' has no relevance weight")
    lam = check_unit(0.5 if lambda_ is None else lambda_, "lambda_")
    cap = check_unit(max_similarity, "max_similarity", allow_none=True)
    row_of = _resolve_metric(metric)

    n = len(cands)
    k = min(int(k), n)
    if k == 0:
        return []
    relevance = rank_normalise(s)
    first = int(np.argmax(s))
    chosen = [first]
    remaining = np.ones(n, dtype=bool)
    remaining[first] = False
    max_sim = np.zeros(n)
    relaxed = False
    while len(chosen) < k:
        row = row_of(chosen[-1], cands)
        if row.shape != (n,) or not np.all(np.isfinite(row)) or row.min() < -1e-9 or row.max() > 1 + 1e-9:
            bad = row[~np.isfinite(row) | (row < 0) | (row > 1)] if row.shape == (n,) else row
            raise ConfigError(
                f"'metric' must return similarities in [0, 1]; got {bad[:3].tolist()} for candidate {chosen[-1]}"
            )
        np.maximum(max_sim, row, out=max_sim)
        eligible = remaining & (max_sim <= cap) if cap is not None else remaining
        if not eligible.any():
            eligible = remaining
            if not relaxed:
                logger.info("select_diverse: every remaining candidate exceeds max_similarity=%s; relaxing it "
                            "to return %d of %d", cap, k, n)
                relaxed = True
        idx = np.flatnonzero(eligible)
        if method == "mmr":
            value = lam * relevance[idx] - (1.0 - lam) * max_sim[idx]
            pick = int(idx[int(np.argmax(value))])  # first maximum: lowest index
        else:
            order = np.lexsort((idx, -s[idx], max_sim[idx]))  # least similar, then best, then index
            pick = int(idx[order[0]])
        chosen.append(pick)
        remaining[pick] = False
    return chosen

