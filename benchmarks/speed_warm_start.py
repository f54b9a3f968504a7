"""Speed of a warm start against a large experiment database (a benchmark, not a test).

Builds (once, cached at ``--db``) a database of 100 synthetic tasks x 10,000 evaluations
(1,000,000 evaluation rows; architectures from the real suites, see
`metanas.benchmarks._synthetic.build_synthetic_db`), then times in-process warm starts for image and
graph tasks (after imports; median of ``--repeats``), and the CLI's wall time
(``metanas warm-start``, a fresh process: imports included).

Run: ``python -m benchmarks.speed_warm_start --db /tmp/metanas-1m.db``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="/tmp/metanas-speed-1m.db", help="database file (built if missing)")
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--evals", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--population", type=int, default=20)
    args = parser.parse_args(argv)

    import numpy as np

    from metanas.benchmarks import get_suite
    from metanas.benchmarks._synthetic import build_synthetic_db
    from metanas.db import ExperimentDatabase
    from metanas.warm_start import WarmStarter

    path = Path(args.db)
    if not path.exists():
        t0 = time.perf_counter()
        build_synthetic_db(path, num_tasks=args.tasks, evals_per_task=args.evals, seed=0).close()
        print(f"built {path} ({args.tasks} tasks x {args.evals} evaluations) in {time.perf_counter() - t0:.1f} s")
    db = ExperimentDatabase(path)
    summary = db.summary()
    print(f"database: {summary.get('tasks')} tasks, {summary.get('evaluations')} evaluations, "
          f"{summary.get('architectures')} architectures")

    cases = []
    for suite_name, task_id in (("nb201", "nb201/cifar100"), ("nasbench-graph", "nbg/photo")):
        try:
            suite = get_suite(suite_name)
            cases.append((suite, suite.task(task_id)))
        except Exception as exc:  # noqa: BLE001 - report and continue with the other suite
            print(f"skipping {task_id}: {exc}")
    print(f"{'task':<18}{'metric':<14}{'diversity':<10}{'median s':>10}{'max s':>9}  transferred/random")
    for suite, task in cases:
        space = suite.space(task.task_id)
        for config in ({"min_similarity": 0.3}, {"min_similarity": 0.3, "diversity": "none"}):
            times = []
            plan = None
            for r in range(args.repeats):
                t0 = time.perf_counter()
                plan = WarmStarter(db, config).plan(task, args.population, space, rng=np.random.default_rng(r))
                times.append(time.perf_counter() - t0)
            counts = plan.counts()
            print(f"{task.task_id:<18}{'dataset_meta':<14}{config.get('diversity', 'mmr'):<10}"
                  f"{statistics.median(times):>10.4f}{max(times):>9.4f}  "
                  f"{counts.get('transfer', 0)}/{counts.get('random', 0)}")
    db.close()

    for suite, task in cases:
        cmd = [sys.executable, "-m", "metanas", "warm-start", "--db", str(path), "--suite", suite.name,
               "--task", task.task_id, "--population", str(args.population)]
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
        print(f"CLI wall time ({task.task_id}, imports included): median {statistics.median(walls):.2f} s of 3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
