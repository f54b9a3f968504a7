"""Ground truth of how tasks of a suite relate: what a warm start could exploit.

For two tasks of one space, over the architectures both tables hold:

* ``spearman``: rank correlation of their objectives (how alike the whole landscapes are);
* ``top_overlap``: share of task A's top-1% architectures that are also in task B's top 1%
  (how much a transfer of top architectures can help).

* `oracle_transfer_positions`: with *complete* tables of the other tasks, where a transfer
  would put the held-out task's top-P% architectures (an upper bound for any warm start).

Used by the task-similarity notebook and to read the benchmark results.

Run: ``python -m metanas.benchmarks.task_relations [--suite nasbench-graph] [--target top0.1]``
"""

from __future__ import annotations

import numpy as np

from metanas.benchmarks._suites import BenchmarkSuite
from metanas.similarity import dataset_meta

__all__ = ["ground_truth_matrices", "meta_similarity_matrix", "oracle_transfer_positions"]


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


def oracle_transfer_positions(suite: BenchmarkSuite, tasks: list[str], target: str = "top0.1") -> dict[str, dict]:
    """For each task T (of one shared space): if every architecture were ordered by the other
    tasks' *complete* tables, at which position (1-based) would the first architecture reaching
    T's ``target`` come? ``mean_rank``: ordered by the mean within-task rank quantile over the
    other tasks; ``per_task``: ordered by each other task alone. Over the architectures all
    tasks hold; ``num_at_target`` counts T's architectures at the target (ties included)."""
    from scipy.stats import rankdata

    from metanas.benchmarks._targets import target_value

    tables = {t: suite.table(t) for t in tasks}
    keys = sorted(set.intersection(*(set(tables[t].keys) for t in tasks)))
    signed = np.array([[tables[t].sign() * tables[t].values[tables[t]._index[k]] for k in keys] for t in tasks])
    quant = np.array([rankdata(v) / len(v) for v in signed])
    out: dict[str, dict] = {}
    for i, t in enumerate(tasks):
        table = tables[t]
        hit = signed[i] >= table.sign() * target_value(table, target)
        others = [j for j in range(len(tasks)) if j != i]

        def first(order: np.ndarray, hit: np.ndarray = hit) -> int:
            idx = np.flatnonzero(hit[order])
            return int(idx[0]) + 1 if idx.size else len(order) + 1

        out[t] = {"num_at_target": int(hit.sum()), "num_architectures": len(keys),
                  "mean_rank": first(np.argsort(-quant[others].mean(axis=0), kind="stable")),
                  "per_task": {tasks[j]: first(np.argsort(-quant[j], kind="stable")) for j in others}}
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    from metanas.benchmarks._suites import get_suite

    parser = argparse.ArgumentParser(description="Ground truth of how a suite's tasks relate (full tables).")
    parser.add_argument("--suite", default="nasbench-graph")
    parser.add_argument("--target", default="top0.1")
    parser.add_argument("--nb201-dir", default=None)
    args = parser.parse_args(argv)
    suite = get_suite(args.suite, **({"nb201_dir": args.nb201_dir} if args.nb201_dir else {}))
    tasks = list(suite.default_tasks)
    space = suite.space(tasks[0]).id
    tasks = [t for t in tasks if suite.space(t).id == space]
    rho = ground_truth_matrices(suite, tasks)["spearman"]
    names = [t.split("/")[-1] for t in tasks]
    print(f"Spearman rank correlation over shared architectures ({args.suite}, space {space}):")
    print("| | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for name, row in zip(names, rho):
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    print(f"\nOracle transfer (complete tables of the other tasks): position of the first {args.target} "
          "architecture of the held-out task")
    print("| held-out | at target | by mean rank of the others | best single other task |")
    print("| --- | ---: | ---: | --- |")
    for t, r in oracle_transfer_positions(suite, tasks, args.target).items():
        best = min(r["per_task"], key=r["per_task"].get)
        print(f"| {t} | {r['num_at_target']} | {r['mean_rank']:,} | {best.split('/')[-1]} ({r['per_task'][best]:,}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
