"""Bootstrap intervals of a LOTO benchmark with the history draw as the statistical unit.

A designed first population depends on the history, not on the search seed: the runs of one
history seed are not independent draws. `bootstrap_intervals` therefore resamples the history
seeds first (with replacement, the same draw for every task and method of a replicate, so that
comparisons stay paired by history), then the runs within each drawn history seed; the
baseline, which reads no history, resamples its runs alone. Each replicate recomputes every
median evaluations-to-target, each per-task speedup against the baseline, and each median
speedup over tasks; the interval is the replicates' central ``level`` quantile range.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metanas.exceptions import ConfigError

__all__ = ["bootstrap_intervals"]


def _by_history(rows: Sequence[dict]) -> dict:
    groups: dict = {}
    for r in rows:
        groups.setdefault(r["history_seed"], []).append(float(r["evals_to_target"]))
    return {h: np.asarray(v) for h, v in groups.items()}


def bootstrap_intervals(runs: Sequence[dict], methods: Sequence[str], baseline: str, *, samples: int = 1000,
                        level: float = 0.9, seed: int = 0) -> dict:
    """Hierarchical bootstrap intervals of the medians and speedups of ``runs`` (``runs.csv`` rows).

    Args:
        runs: rows with ``task``, ``method``, ``history_seed`` (``""`` for the baseline) and
            ``evals_to_target``.
        methods: the methods, the baseline among them.
        baseline: the method the speedups divide.
        samples: bootstrap replicates (>= 100).
        level: central coverage in (0, 1).
        seed: seed of the resampling.

    Returns:
        ``{"level", "samples", "unit", "tasks": {task: {method: {"median_evals": [lo, hi],
        "speedup": [lo, hi]}}}, "median_speedup": {method: [lo, hi]}}`` (no ``speedup`` for the
        baseline).
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 100:
        raise ConfigError(f"'samples' must be an int >= 100, got {samples!r}")
    if not 0.0 < level < 1.0:
        raise ConfigError(f"'level' must be in (0, 1), got {level!r}")
    rng = np.random.default_rng(seed)
    tasks = list(dict.fromkeys(r["task"] for r in runs))
    seeds = sorted({r["history_seed"] for r in runs if r["method"] != baseline and r["history_seed"] != ""}, key=str)
    groups = {(t, m): _by_history([r for r in runs if r["task"] == t and r["method"] == m]) for t in tasks
              for m in methods}
    medians = {key: np.full(samples, np.nan) for key in groups}
    for b in range(samples):
        drawn = [seeds[i] for i in rng.integers(0, len(seeds), len(seeds))] if seeds else []
        for key, by_h in groups.items():
            if not by_h:
                continue
            if key[1] == baseline or not seeds or set(by_h) == {""}:  # reads no history: its runs alone
                pooled = np.concatenate(list(by_h.values()))
                sample = pooled[rng.integers(0, len(pooled), len(pooled))]
            else:
                parts = [by_h[h][rng.integers(0, len(by_h[h]), len(by_h[h]))] for h in drawn if h in by_h]
                if not parts:
                    continue
                sample = np.concatenate(parts)
            medians[key][b] = np.median(sample)
    lo_q, hi_q = (1.0 - level) / 2.0, 1.0 - (1.0 - level) / 2.0

    def span(values: np.ndarray) -> list[float]:
        values = values[np.isfinite(values)]
        if not len(values):
            return [float("nan"), float("nan")]
        return [float(np.quantile(values, lo_q)), float(np.quantile(values, hi_q))]

    out_tasks: dict = {}
    speedups: dict = {m: [] for m in methods if m != baseline}
    for t in tasks:
        per: dict = {}
        base = medians[(t, baseline)]
        for m in methods:
            if not groups[(t, m)]:
                continue
            entry = {"median_evals": span(medians[(t, m)])}
            if m != baseline:
                ratio = base / medians[(t, m)]
                entry["speedup"] = span(ratio)
                speedups[m].append(ratio)
            per[m] = entry
        out_tasks[t] = per
    median_speedup = {m: span(np.median(np.vstack(v), axis=0)) for m, v in speedups.items() if v}
    return {"level": level, "samples": samples, "unit": "history seed, then runs within it",
            "tasks": out_tasks, "median_speedup": median_speedup}
