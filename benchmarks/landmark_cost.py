"""Cost of the landmark meta-features (`metanas.landmarks`) on one core.

Run ``python -m benchmarks.landmark_cost [--repeats 5] [--out benchmarks/results/landmark-cost]``.
For each data set it times ``data.task(task_id, train_index=train)`` (the counts and the
landmarks, what `metanas.pipeline.record_search_task` computes at search start; ``train`` the
training part of the default split: ``val_fraction`` 0.2, ``test_fraction`` 0.2, ``split_seed``
0) and ``data.task(task_id)`` (the counts alone), with BLAS and OpenMP held to one thread
(threadpoolctl), and reports the median, minimum and maximum wall and CPU seconds of ``repeats`` runs after one
warm-up run (which pays the one-off imports of scikit-learn and SciPy; its time is reported as
``cold_s``). The data sets:

* ``pyg:sbm`` graphs of 10,000 nodes in 4 blocks (average degree about 14), with 16 features
  (the default) and with 500 and 1,433 features (Cora's width; projected to ``MAX_DIM`` 256);
* ``sklearn:digits`` (1,797 images of 8 x 8), ``sklearn:breast_cancer`` and ``sklearn:diabetes``.

The graphs are generated with fixed seeds; loading them is not timed (PyG's generator builds a
dense ``N x N`` probability matrix, so a 50,000-node graph, tried first, ran out of memory
before anything was timed). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from metanas.networks._data import load_data

__all__ = ["DATASETS", "main", "run"]

#: What is timed: (label, ``--data`` string).
DATASETS: tuple[tuple[str, str], ...] = (
    ("sbm 10k nodes, 16 features", "pyg:sbm?nodes=10000&blocks=4&p_in=0.004&p_out=0.0006&features=16&seed=0"),
    ("sbm 10k nodes, 500 features", "pyg:sbm?nodes=10000&blocks=4&p_in=0.004&p_out=0.0006&features=500&seed=0"),
    ("sbm 10k nodes, 1433 features", "pyg:sbm?nodes=10000&blocks=4&p_in=0.004&p_out=0.0006&features=1433&seed=0"),
    ("digits (1797 images 8x8)", "sklearn:digits"),
    ("breast_cancer (569 x 30)", "sklearn:breast_cancer"),
    ("diabetes (442 x 10, regression)", "sklearn:diabetes"),
)


def _time(fn: Any, repeats: int) -> tuple[float, list[float], list[float]]:
    """(cold wall seconds, wall seconds of each repeat, CPU seconds of each repeat)."""
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return cold, wall, cpu


def run(repeats: int = 5, datasets: tuple[tuple[str, str], ...] = DATASETS) -> list[dict[str, Any]]:
    """Time every data set (module docstring).

    Returns:
        Rows ``{"data", "source", "nodes_or_rows", "cold_s", "median_s", "min_s", "max_s",
        "cpu_median_s", "cpu_min_s", "cpu_max_s", "counts_median_s", "landmarks"}`` (wall
        seconds, and the process's CPU seconds: on a machine shared with other jobs the wall
        time includes waiting for a core, the CPU time does not).
    """
    rows = []
    with threadpool_limits(limits=1):
        for label, source in datasets:
            data = load_data(source)
            train = data.split(0.2, 0.2, 0)[0]
            cold, runs, cpu = _time(lambda d=data, t=train: d.task("bench/t", train_index=t), repeats)
            _, counts, _ = _time(lambda d=data: d.task("bench/t"), repeats)
            task = data.task("bench/t", train_index=train)
            base = set(data.task("bench/t").meta_features)
            rows.append({
                "data": label, "source": source, "nodes_or_rows": task.num_samples, "cold_s": cold,
                "median_s": statistics.median(runs), "min_s": min(runs), "max_s": max(runs),
                "cpu_median_s": statistics.median(cpu), "cpu_min_s": min(cpu), "cpu_max_s": max(cpu),
                "counts_median_s": statistics.median(counts),
                "landmarks": {k: round(v, 4) for k, v in task.meta_features.items() if k not in base},
            })
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: print the table; with ``--out`` also write ``results.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats after one warm-up (default 5)")
    parser.add_argument("--out", default=None, help="folder for results.json")
    args = parser.parse_args(argv)
    rows = run(args.repeats)
    print(f"{'data':32s} {'n':>6s} {'cold':>6s} {'wall median':>12s} {'min-max':>12s} {'CPU median':>11s} "
          f"{'min-max':>12s} {'counts':>7s}  (seconds)")
    for r in rows:
        print(f"{r['data']:32s} {r['nodes_or_rows']:6d} {r['cold_s']:6.2f} {r['median_s']:12.2f} "
              f"{r['min_s']:6.2f}-{r['max_s']:<5.2f} {r['cpu_median_s']:11.2f} {r['cpu_min_s']:6.2f}-{r['cpu_max_s']:<5.2f} "
              f"{r['counts_median_s']:7.3f}")
        print("    " + ", ".join(f"{k} {v:.3f}" for k, v in r["landmarks"].items()))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        summary = {"command": f"python -m benchmarks.landmark_cost --repeats {args.repeats} --out {args.out}",
                   "threads": 1, "repeats": args.repeats, "machine": platform.processor() or platform.machine(),
                   "cpu_count": os.cpu_count(), "load_average_1min_at_end": load, "rows": rows}
        (out / "results.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
