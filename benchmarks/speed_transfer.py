"""Speed of `TransferBO`'s proposal step on NAS-Bench-Graph (a benchmark, not a test).

Fits the past-task rankers of 7 NAS-Bench-Graph tasks (1,000 random rows each, as the LOTO
``random-1000`` history) for the held-out ``nbg/photo``, then runs the strategy on the
photo table and times every ``ask``. An ask that refits (target forest, RGPE weights, UCB
over all 26,206 candidates) is the expensive proposal step; the others pop a queue or
mutate. Reports the one-off costs (candidate pool, rankers) and, per number of
observations, the median and maximum wall time of a refitting ask and its median CPU time
(the process's own time: what the step costs when the machine is shared).

Run: ``python -m benchmarks.speed_transfer`` (the strategy's default, both target
forests, ``stack_past="both"``; ``--stack-past false``: the plain target forest alone;
``--stack-past`` or ``--stack-past true``: the stacked one alone, ``transfer-bo-stack``)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="nbg/photo")
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--stack-past", nargs="?", const="true", default="both", choices=["false", "true", "both"],
                        help="TransferBO(stack_past=...): 'both' (default): the two target forests; bare or 'true': "
                             "the stacked forest alone; 'false': the plain forest alone")
    args = parser.parse_args(argv)

    import numpy as np

    from metanas.benchmarks import get_suite
    from metanas.search import CandidatePool, PastTask, TaskRankers, TransferBO

    suite = get_suite("nasbench-graph")
    table = suite.table(args.task)
    t0 = time.perf_counter()
    pool = CandidatePool.for_space(table.space)
    t_pool = time.perf_counter() - t0
    past = []
    for i, task_id in enumerate(t for t in suite.default_tasks if t != args.task):
        other = suite.table(task_id)
        rows = np.random.default_rng(i).choice(len(other), 1000, replace=False)
        past.append(PastTask(task_id, tuple(other.graphs[r] for r in rows), other.values[rows]))
    t0 = time.perf_counter()
    rankers = TaskRankers(table.space, past, pool=pool)
    t_rankers = time.perf_counter() - t0
    print(f"candidate pool: {len(pool)} architectures in {t_pool:.2f} s (once per process)")
    print(f"rankers: {len(past)} past tasks x 1,000 rows fitted and scored on the pool in {t_rankers:.2f} s "
          "(once per fold)")
    refits: dict[int, list[float]] = {}
    others: list[float] = []
    stack = {"false": False, "true": True, "both": "both"}[args.stack_past]
    for seed in range(args.seeds):
        strategy = type("TransferBOVariant", (TransferBO,), {"STACK_PAST": stack})(table.space, seed, history=rankers)
        for _ in range(args.budget):
            fits = len(strategy.weight_history)
            t0, c0 = time.perf_counter(), time.process_time()
            graph = strategy.ask()
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            if len(strategy.weight_history) > fits:
                n = strategy.weight_history[-1]["observations"]
                refits.setdefault(100 * (n // 100), []).append((dt, dc))
            else:
                others.append(dt)
            strategy.tell(graph, float(table.values[table.row(graph)]))
    print(f"{'observations':<14}{'refits':>8}{'median s':>10}{'max s':>9}{'median CPU s':>14}")
    for n in sorted(refits):
        ts = [t for t, _ in refits[n]]
        cs = [c for _, c in refits[n]]
        print(f"{f'{n}-{n + 99}':<14}{len(ts):>8}{statistics.median(ts):>10.3f}{max(ts):>9.3f}"
              f"{statistics.median(cs):>14.3f}")
    print(f"other asks: {len(others)}, median {statistics.median(others) * 1e3:.2f} ms, "
          f"max {max(others) * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
