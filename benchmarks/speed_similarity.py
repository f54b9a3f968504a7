"""Speed of the architecture similarities: pairwise matrices and diversity selection.

Run ``python -m benchmarks.speed_similarity [--n 500] [--k 25] [--repeats 5]``.
For NAS-Bench-201 cells and NAS-Bench-Graph architectures (sampled with a fixed seed) and
each metric (``ged``, ``path``, ``opdist``) it times

* ``pairwise(graphs)``: the full ``n x n`` similarity matrix;
* ``select_diverse``: ``k`` of ``n`` candidates (MMR, ``lambda_`` 0.5, ``max_similarity`` 0.9);

and prints the median of ``repeats`` runs (after one warm-up run, so one-off per-topology
caches are excluded; the cold first run is printed too). A benchmark script, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from metanas.similarity import arch_metric_names, get_arch_metric, select_diverse
from metanas.spaces import get_space

__all__ = ["main", "run"]


def _time(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(cold first run, median of ``repeats`` warm runs) in seconds."""
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return cold, statistics.median(runs)


def run(n: int = 500, k: int = 25, repeats: int = 5, seed: int = 0,
        spaces: tuple[str, ...] = ("nb201", "nbg")) -> list[dict[str, object]]:
    """Time every (space, metric, task) combination.

    Returns:
        Rows ``{"space", "metric", "task", "cold_s", "median_s"}``.
    """
    rows: list[dict[str, object]] = []
    for space_id in spaces:
        space = get_space(space_id)
        rng = np.random.default_rng(seed)
        graphs = [space.sample(rng) for _ in range(n)]
        scores = rng.random(n).tolist()
        for name in arch_metric_names():
            metric = get_arch_metric(name)
            cold, med = _time(lambda m=metric, g=graphs: m.pairwise(g), repeats)
            rows.append({"space": space_id, "metric": name, "task": f"pairwise {n}x{n}", "cold_s": cold,
                         "median_s": med})
            cold, med = _time(lambda m=metric, g=graphs, s=scores: select_diverse(g, s, k, metric=m),
                              repeats)
            rows.append({"space": space_id, "metric": name, "task": f"select_diverse {k} of {n}", "cold_s": cold,
                         "median_s": med})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: print the timing table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="architectures per space (default 500)")
    parser.add_argument("--k", type=int, default=25, help="how many select_diverse picks (default 25)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats; the median is reported (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    args = parser.parse_args(argv)
    rows = run(args.n, args.k, args.repeats, args.seed)
    print(f"{'space':6s} {'metric':7s} {'task':26s} {'cold (s)':>9s} {'median (s)':>11s}")
    for r in rows:
        print(f"{r['space']:6s} {r['metric']:7s} {r['task']:26s} {r['cold_s']:9.3f} {r['median_s']:11.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
