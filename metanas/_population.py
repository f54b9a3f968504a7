"""Population helpers of the warm-starter: integer quotas and the random fill.

`allocate` splits a quota across tasks (largest remainder); `random_fill` draws distinct
architectures of a space, bounded: a space known to be too small fails at once (its
`SearchSpace.distinct_size`), one of unknown size after `MAX_FAILED_DRAWS` useless draws in a row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from metanas.exceptions import ConfigError, MetanasError
from metanas.graph import ModelGraph
from metanas.spaces import SearchSpace

__all__ = ["ENUMERATE_SHARE", "MAX_FAILED_DRAWS", "allocate", "random_fill"]

#: Consecutive random draws that only repeat taken architectures before the random fill gives up.
MAX_FAILED_DRAWS = 10_000
#: Above this share of a space's distinct architectures the random fill draws from its enumeration.
ENUMERATE_SHARE = 0.5


def allocate(total: int, weights: Sequence[float], capacity: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` into integer shares proportional to ``weights`` (largest remainder).

    With ``capacity``, no share exceeds its capacity; the excess goes to the others in
    proportion to their weights, and the sum is ``min(total, sum(capacity))``.

    Raises:
        ConfigError: negative total or weights, or mismatched lengths.
    """
    n = len(weights)
    if total < 0 or any(w < 0 or not math.isfinite(w) for w in weights):
        raise ConfigError(f"allocate needs total >= 0 and finite weights >= 0, got {total}, {list(weights)}")
    cap = list(capacity) if capacity is not None else [total] * n
    if len(cap) != n:
        raise ConfigError("allocate: weights and capacity must have the same length")
    shares = [0] * n
    remaining = min(total, sum(cap))
    open_ = [i for i in range(n) if cap[i] > 0]
    while remaining > 0 and open_:
        w = np.array([weights[i] for i in open_], dtype=float)
        if w.sum() <= 0:
            w = np.ones_like(w)
        exact = remaining * w / w.sum()
        base = np.floor(exact).astype(int)
        rest = remaining - int(base.sum())
        # Largest remainder; ties go to the larger weight, then the earlier index.
        order = sorted(range(len(open_)), key=lambda j: (-(exact[j] - base[j]), -w[j], j))
        for j in order[:rest]:
            base[j] += 1
        placed = 0
        for j, i in enumerate(open_):
            give = min(int(base[j]), cap[i] - shares[i])
            shares[i] += give
            placed += give
        remaining -= placed
        open_ = [i for i in open_ if shares[i] < cap[i]]
        if placed == 0:  # pragma: no cover - every round places at least one when capacity remains
            break
    return shares


def random_fill(space: SearchSpace, n: int, taken: set[str], rng: np.random.Generator) -> list[ModelGraph]:
    """``n`` random architectures whose canonical hashes are not in ``taken`` (which grows).

    Draws until ``n`` are found; a space known to hold too few distinct architectures fails at
    once, a request for most of a known space draws from its enumeration (rejection sampling
    would wait long for the last ones), and a space of unknown size fails after
    `MAX_FAILED_DRAWS` draws in a row that only repeat taken architectures.

    Raises:
        MetanasError: the space holds too few distinct architectures.
    """
    capacity = space.distinct_size
    if capacity is not None and len(taken) + n > capacity:
        raise MetanasError(
            f"space {space.id!r} has {capacity:,} distinct architectures; {len(taken):,} are taken, so "
            f"{n:,} more cannot be drawn; ask for a smaller population"
        )
    if capacity is not None and n > ENUMERATE_SHARE * capacity:
        try:
            return _draw_from_enumeration(space, n, taken, rng)
        except NotImplementedError:
            pass
    out: list[ModelGraph] = []
    failed = 0
    while len(out) < n:
        g = space.sample(rng)
        h = space.canonical_hash(g)
        if h in taken:
            failed += 1
            if failed >= MAX_FAILED_DRAWS:
                raise MetanasError(
                    f"space {space.id!r}: {MAX_FAILED_DRAWS:,} random draws in a row repeated architectures "
                    f"already in the population ({len(out)} of {n} random members found); the space has too "
                    "few distinct architectures for this population: ask for a smaller one"
                )
            continue
        failed = 0
        taken.add(h)
        out.append(g)
    return out


def _draw_from_enumeration(space: SearchSpace, n: int, taken: set[str], rng: np.random.Generator) -> list[ModelGraph]:
    """``n`` architectures drawn without replacement from the untaken canonical classes of ``space``."""
    pool: dict[str, ModelGraph] = {}
    for g in space.enumerate():
        h = space.canonical_hash(g)
        if h not in taken and h not in pool:
            pool[h] = g
    if len(pool) < n:
        raise MetanasError(
            f"space {space.id!r} has only {len(pool):,} distinct architectures left; {n:,} were asked for"
        )
    hashes = list(pool)
    chosen = [hashes[int(i)] for i in rng.choice(len(hashes), size=n, replace=False)]
    taken.update(chosen)
    return [pool[h] for h in chosen]
