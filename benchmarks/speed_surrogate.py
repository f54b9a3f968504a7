"""Time one proposal step of `TransferBO` (a refit: surrogate fit, RGPE weights, acquisition over
every candidate not yet asked) on NAS-Bench-Graph's 26,206 candidates, per surrogate.

History: the other eight NAS-Bench-Graph tasks, 1,000 random rows each (seed 0); held-out task
``nbg/cora``. The search runs on the table; after ``--warmup`` evaluations every refit is timed
(``batch_size`` 10), and the median and maximum are printed per surrogate.

    OMP_NUM_THREADS=1 python benchmarks/speed_surrogate.py --budget 300
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from metanas.benchmarks import NasBenchGraphSuite
from metanas.search import PastTask, TransferBO
from metanas.transfer import CandidatePool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--surrogates", default="trees,learned,both")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    suite = NasBenchGraphSuite()
    held_out = suite.table("nbg/cora")
    history = []
    rng = np.random.default_rng(0)
    for task in suite.task_ids():
        if task == held_out.task.task_id:
            continue
        table = suite.table(task)
        rows = rng.choice(len(table), 1000, replace=False)
        history.append(PastTask(task, tuple(table.graphs[i] for i in rows), table.sign() * table.values[rows]))
    pool = CandidatePool.for_space(held_out.space)
    print(f"candidates: {len(pool)}; past tasks: {len(history)}")
    for surrogate in args.surrogates.split(","):
        start = time.perf_counter()
        strategy = TransferBO(held_out.space, seed=args.seed, history=history, surrogate=surrogate)
        built = time.perf_counter() - start
        steps = []
        for _ in range(args.budget):
            n = len(strategy._obs_values)
            fitted = strategy._fitted_at
            t0 = time.perf_counter()
            graph = strategy.ask()
            if strategy._fitted_at != fitted:  # this ask refitted the model: a proposal step
                steps.append((n, time.perf_counter() - t0))
            strategy.tell(graph, held_out.sign() * float(held_out.lookup(graph)[held_out.objective]))
        secs = np.array([s for _, s in steps])
        late = [s for n, s in steps if n >= args.budget - 50]
        print(f"{surrogate:8s} construction {built:.2f} s; {len(steps)} proposal steps (refits): median "
              f"{np.median(secs):.3f} s, max {secs.max():.3f} s, median over the last 50 evaluations "
              f"{np.median(late):.3f} s; info {strategy.info.get('fallback', 'no fallback')}")


if __name__ == "__main__":
    main()
