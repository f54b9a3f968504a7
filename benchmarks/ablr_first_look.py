"""First look at TransferBO's surrogates on the LOTO protocol (issue 23, search side).

Registers two LOTO methods for this process only (the lead wires them into
`metanas.benchmarks` at merge): ``transfer-bo-learned`` (``surrogate="learned"``: the Bayesian
surrogate over a `RidgeEmbedding` of the fold's history) and ``transfer-bo-both``
(``surrogate="both"``); ``transfer-bo`` is the trees (the default). Each method's run info is
the strategy's `TransferBO.info` (weights, evidence, fallback).

    OMP_NUM_THREADS=1 METANAS_NB201_DIR=/work/shared/data/nasbench201 \
        python benchmarks/ablr_first_look.py --out results/ablr-first-look --seeds 10 --history-seeds 2
"""

from __future__ import annotations

import argparse
import json
from typing import Any, ClassVar

from metanas.benchmarks._loto_transfer import TransferBOMethod
from metanas.benchmarks.loto import LotoSettings, register_method, run_loto


class _InfoMethod(TransferBOMethod):
    def run_info(self, fold, seed: int, strategy) -> dict[str, Any]:
        return strategy.info


class LearnedTransferBO(_InfoMethod):
    name = "transfer-bo-learned"
    options: ClassVar[dict[str, Any]] = {"surrogate": "learned"}


class BothTransferBO(_InfoMethod):
    name = "transfer-bo-both"
    options: ClassVar[dict[str, Any]] = {"surrogate": "both"}


class TreesTransferBO(_InfoMethod):
    name = "transfer-bo-trees"
    options: ClassVar[dict[str, Any]] = {"surrogate": "trees"}


for _m in (LearnedTransferBO, BothTransferBO, TreesTransferBO):
    register_method(_m.name, _m)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="nb201")
    parser.add_argument("--target", default="top0.1")
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--history-seeds", type=int, default=2)
    parser.add_argument("--methods", default="transfer-bo-trees,transfer-bo-learned,transfer-bo-both,transfer-bo-cold")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    settings = LotoSettings(suite=args.suite, methods=("random", *args.methods.split(",")), seeds=args.seeds,
                            history_seeds=args.history_seeds, budget=args.budget, target=args.target, workers=1)
    result = run_loto(settings)
    result.write(args.out)
    summary = result.summary
    print(json.dumps({k: summary[k] for k in summary if k not in ("task_info",)}, indent=1, default=str))


if __name__ == "__main__":
    main()
