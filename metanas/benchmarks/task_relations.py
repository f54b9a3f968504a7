"""Ground truth of how tasks of a suite relate: what a warm start could exploit.

For two tasks of one space, over the architectures both tables hold:

* ``spearman``: rank correlation of their objectives (how alike the whole landscapes are);
* ``top_overlap``: share of task A's top-1% architectures that are also in task B's top 1%
  (how much a transfer of top architectures can help).

Used by the task-similarity notebook and to read the benchmark results.
"""

from __future__ import annotations

import numpy as np

from metanas.benchmarks._suites import BenchmarkSuite
from metanas.similarity import dataset_meta

__all__ = ["ground_truth_matrices", "meta_similarity_matrix"]


def _aligned(suite: BenchmarkSuite, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    ta, tb = suite.table(a), suite.table(b)
    common = sorted(set(ta.keys) & set(tb.keys))
    ia = np.array([ta._index[k] for k in common])
    ib = np.array([tb._index[k] for k in common])
    return ta.sign() * ta.values[ia], tb.sign() * tb.values[ib]


def ground_truth_matrices(suite: BenchmarkSuite, tasks: list[str], top_fraction: float = 0.01) -> dict[str, np.ndarray]:
    """``spearman`` and ``top_overlap`` matrices (``[len(tasks), len(tasks)]``; overlap is A-rows to B-columns)."""
    from scipy.stats import spearmanr

    n = len(tasks)
    rho = np.eye(n)
    overlap = np.eye(n)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if suite.space(tasks[i]).id != suite.space(tasks[j]).id:
                rho[i, j] = overlap[i, j] = np.nan
                continue
            va, vb = _aligned(suite, tasks[i], tasks[j])
            rho[i, j] = spearmanr(va, vb).statistic
            k = max(1, round(top_fraction * len(va)))
            top_a = set(np.argsort(-va, kind="stable")[:k])
            top_b = set(np.argsort(-vb, kind="stable")[:k])
            overlap[i, j] = len(top_a & top_b) / k
    return {"spearman": rho, "top_overlap": overlap}


def meta_similarity_matrix(suite: BenchmarkSuite, tasks: list[str]) -> np.ndarray:
    """``dataset_meta`` similarity of every pair of tasks."""
    metas = [suite.task(t) for t in tasks]
    return np.array([[dataset_meta(a, b) for b in metas] for a in metas])
