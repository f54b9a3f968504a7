"""Seconds per training evaluation on this machine (a benchmark, not a test).

Times the training evaluators on a few random architectures each:

* the NAS-Bench-201 cell network (``C=8, N=1``) trained 5 epochs on scikit-learn's digits
  (1,797 8x8 images; 60% train, 20% validation, 20% test);
* a NAS-Bench-Graph GNN (``dim=64``, Cora's pre/post-processing) trained 100 full-batch
  epochs (Adam) on a 2,000-node stochastic block model graph (``pyg:sbm``).

Prints the median and range of seconds per evaluation and the validation accuracies.

Run: ``python -m benchmarks.speed_training [--archs 5] [--threads N]``
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", type=int, default=5, help="random architectures per case (default 5)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from metanas.search import get_evaluator
    from metanas.spaces import get_space

    if args.threads:
        torch.set_num_threads(args.threads)
    cases = [
        ("nb201 C=8 N=1, digits, 5 epochs", "image_classification", "sklearn:digits", "nb201",
         {"epochs": 5, "network": {"C": 8, "N": 1}, "device": args.device}),
        ("nbg dim=64, 2,000-node SBM, 100 epochs", "node_classification", "pyg:sbm?nodes=2000", "nbg",
         {"epochs": 100, "optimizer": "adam", "lr": 0.01, "momentum": 0.0, "network": {"dim": 64},
          "device": args.device}),
    ]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    for label, name, data, space_id, cfg in cases:
        space = get_space(space_id)
        ev = get_evaluator(name, data=data, space=space, config=cfg)
        secs, accs = [], []
        for seed in range(args.archs):
            graph = space.sample(np.random.default_rng(seed))
            t0 = time.perf_counter()
            res = ev.evaluate(graph)
            secs.append(time.perf_counter() - t0)
            accs.append(res.objective)
        print(f"{label} on {ev.device}: median {statistics.median(secs):.2f} s/evaluation "
              f"(min {min(secs):.2f}, max {max(secs):.2f}; {args.archs} archs); "
              f"val_acc {min(accs):.3f}..{max(accs):.3f}", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
