"""Ground truth of how tasks of a suite relate: what a warm start could exploit.

For two tasks of one space, over the architectures both tables hold:

* ``spearman``: rank correlation of their objectives (how alike the whole landscapes are);
* ``top_overlap``: share of task A's top-1% architectures that are also in task B's top 1%
  (how much a transfer of top architectures can help).

* `oracle_transfer_positions`: with *complete* tables of the other tasks, where a transfer
  would put the held-out task's top-P% architectures (an upper bound for any warm start).
* `ranker_transfer_positions`: the same with what a LOTO fold's *history* knows instead
  (the past-task rankers `TransferBO` fits on it): where the held-out task's first top-P%
  architecture comes in the order of the past tasks' mean ranker score and of each past
  task's ranker alone. The best single ranker is an oracle choice (it needs the held-out
  table): the most any transfer that follows one past task could gain from that history.
  With a ``random-1000`` history it also fits the same ranker on the *held-out task's own*
  random sample of that size (``self``, drawn as a past task's history is), a reference for
  how well such a sample can locate a task's top at all.

Used by the task-similarity notebook and to read the benchmark results.

Run: ``python -m benchmarks.task_relations [--suite nasbench-graph] [--target top0.1]``
"""

from __future__ import annotations

import numpy as np

from metanas.benchmarks._suites import BenchmarkSuite
from metanas.similarity import dataset_meta

__all__ = ["ground_truth_matrices", "meta_similarity_matrix", "oracle_transfer_positions", "ranker_transfer_positions"]


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


def ranker_transfer_positions(settings, history_seeds: int = 3) -> dict[str, dict]:
    """Per held-out task of ``settings`` (a `LotoSettings`; its suite, tasks, history and
    target): for each history seed, the position (1-based) of the first architecture reaching
    the held-out task's target when the space's candidate pool is ordered by the fold's
    past-task rankers (`TaskRankers`, fitted exactly as the ``transfer-bo`` methods fit them).

    Returns:
        ``task -> {"num_at_target", "num_candidates", "mean_rank": [position per history
        seed], "per_task": {past task: [position per history seed]}, "self": [position per
        history seed]}``; a position of ``num_candidates + 1`` means no candidate of the
        pool reaches the target. ``self`` (``random-1000`` histories only; else empty)
        counts among the candidates outside the task's own sample.

    Raises:
        ConfigError: the space of a task cannot be enumerated (no candidate pool).
    """
    import tempfile
    from pathlib import Path

    from metanas.benchmarks._targets import target_value
    from metanas.benchmarks.loto._history import build_history, fold_tasks, random_rows
    from metanas.benchmarks.loto._methods import Fold
    from metanas.benchmarks.loto._runner import _suite, history_key
    from metanas.exceptions import ConfigError
    from metanas.search import CandidatePool, PastTask, TaskRankers

    suite = _suite(settings)
    out: dict[str, dict] = {}
    for task in fold_tasks(settings, suite):
        table = suite.table(task, settings.objective)
        pool = CandidatePool.for_space(table.space)
        if pool is None:
            raise ConfigError(f"ranker_transfer_positions: the space of {task!r} cannot be enumerated; "
                              "use a suite with an enumerable space (nasbench-graph, nb201)")
        signed = np.array([table.sign() * table.values[table._index[k]] if k in table._index else -np.inf
                           for k in pool.keys])
        hit = signed >= table.sign() * target_value(table, settings.target)

        def first(score: np.ndarray, hit: np.ndarray = hit) -> int:
            idx = np.flatnonzero(hit[np.argsort(-score, kind="stable")])
            return int(idx[0]) + 1 if idx.size else len(score) + 1

        entry: dict = {"num_at_target": int(hit.sum()), "num_candidates": len(hit), "mean_rank": [],
                       "per_task": {}, "self": []}
        for h in range(history_seeds):
            with tempfile.TemporaryDirectory(prefix="metanas-relations-") as tmp:
                db, past = build_history(settings, suite, task, h, str(Path(tmp) / "history.db"))
                try:
                    fold = Fold(settings, suite, table, past, h, db, history_key(settings, task, h), Path(tmp))
                    rankers = fold.rankers()
                finally:
                    db.close()
            if not len(rankers):
                continue
            entry["mean_rank"].append(first(rankers.pool_scores.mean(axis=0)))
            for i, past_task in enumerate(rankers.task_ids):
                entry["per_task"].setdefault(past_task, []).append(first(rankers.pool_scores[i]))
            if settings.history == "random-1000":  # the held-out task's own sample, drawn as a past task's is
                rows = random_rows(settings, table, h)
                own = PastTask(task, tuple(table.graphs[int(r)] for r in rows), table.sign() * table.values[rows])
                score = TaskRankers(table.space, [own], seed=h, pool=pool).pool_scores[0]
                sampled = np.array([pool.index[table.keys[int(r)]] for r in rows if table.keys[int(r)] in pool.index])
                keep = np.ones(len(score), dtype=bool)
                keep[sampled] = False
                entry["self"].append(first(score[keep], hit[keep]))
        if entry["mean_rank"]:
            out[task] = entry
    return out


def _print_ranker_table(settings, history_seeds: int, results: str | None) -> None:
    randoms: dict[str, float] = {}
    if results:
        import json
        from pathlib import Path

        summary = json.loads((Path(results) / "summary.json").read_text())
        randoms = {t: float(v["random"]["median_evals"]) for t, v in summary["tasks"].items() if "random" in v}
    rows = ranker_transfer_positions(settings, history_seeds)
    print(f"\nWhat the fold's history knows ({settings.history}, {history_seeds} history seeds; past-task rankers "
          f"of transfer-bo): position of the first {settings.target} architecture of the held-out task, median "
          "over history seeds")
    extra = " | random's median evaluations | oracle-order speedup |" if randoms else " |"
    print("| held-out | at target | by mean ranker score | best single past ranker | own sample (self)" + extra)
    print("| --- | ---: | ---: | --- | ---:" + (" | ---: | ---: |" if randoms else " |"))
    speedups = []
    for t, r in rows.items():
        per = {p: float(np.median(v)) for p, v in r["per_task"].items()}
        best = min(per, key=per.get)
        line = (f"| {t} | {r['num_at_target']} | {np.median(r['mean_rank']):,.0f} | "
                f"{best.split('/')[-1]} ({per[best]:,.0f}) | "
                + (f"{np.median(r['self']):,.0f}" if r["self"] else "-"))
        if t in randoms:
            bound = randoms[t] / min(per[best], float(np.median(r["mean_rank"])), randoms[t])
            speedups.append(bound)
            line += f" | {randoms[t]:.1f} | {bound:.2f}x"
        print(line + " |")
    if speedups:
        print(f"\nMedian over tasks of the oracle-order speedup: {np.median(speedups):.2f}x (random's median "
              "evaluations over the position of the first target architecture in the better of the two orders, "
              "or 1.0 when random is faster: a search that knew from its first evaluation which order to follow)")


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    from metanas.benchmarks._suites import get_suite

    parser = argparse.ArgumentParser(description="Ground truth of how a suite's tasks relate (full tables).")
    parser.add_argument("--suite", default="nasbench-graph")
    parser.add_argument("--target", default="top0.1")
    parser.add_argument("--nb201-dir", default=None)
    parser.add_argument("--rankers", action="store_true",
                        help="also print what a LOTO fold's history knows (ranker_transfer_positions)")
    parser.add_argument("--history", default="random-1000", help="history of the folds (with --rankers)")
    parser.add_argument("--history-size", type=int, default=1000)
    parser.add_argument("--history-seeds", type=int, default=3)
    parser.add_argument("--results", default=None,
                        help="a metanas bench output folder: its random medians give the oracle bound (with --rankers)")
    args = parser.parse_args(argv)
    if args.results and not (Path(args.results) / "summary.json").is_file():
        parser.error(f"--results: no summary.json in {args.results!r}; give a folder written by metanas bench --out")
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
    if args.rankers:
        from metanas.benchmarks.loto import LotoSettings

        settings = LotoSettings(suite=args.suite, tasks=tuple(tasks), pool=tuple(tasks), history=args.history,
                                history_size=args.history_size, target=args.target, nb201_dir=args.nb201_dir)
        _print_ranker_table(settings, args.history_seeds, args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
