"""Markdown tables of LOTO result folders (what the README's results section quotes).

Run: ``python -m benchmarks.report benchmarks/results/nasbench-graph-top0.1 ...``. The
table is `metanas.benchmarks.loto.render_summary` of the folder's ``summary.json``, the same
text `metanas bench` prints. ``--info`` adds what each method used (`render_info`: warm-start
similarities, chosen configurations, final transfer weights). ``--ratio METHOD:BASELINE`` prints,
instead of the table, the per-task ratio of medians (evaluations-to-target of BASELINE / of
METHOD) and its median over tasks, e.g. the transfer search against the same search cold
(``--ratio transfer-bo-nested:transfer-bo-cold``); it reads any ``summary.json`` whose ``tasks``
hold per-method ``median_evals`` (also `benchmarks.optuna_speedup`'s).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from metanas.benchmarks.loto import render_info, render_summary

__all__ = ["markdown_table", "median_ratios"]


def markdown_table(result_dir: str | Path) -> str:
    """The rendered table of ``result_dir/summary.json``."""
    return render_summary(json.loads((Path(result_dir) / "summary.json").read_text()))


def median_ratios(summary: dict, method: str, baseline: str) -> tuple[dict[str, float], float]:
    """Per task, ``baseline``'s median evaluations-to-target over ``method``'s (censored medians
    count as budget + 1, as stored), and the median of those ratios over tasks.

    Raises:
        ValueError: a task of the summary lacks one of the two methods (the message names it).
    """
    ratios = {}
    for task, per in summary["tasks"].items():
        missing = [m for m in (method, baseline) if m not in per]
        if missing:
            raise ValueError(f"task {task} has no results of {missing}; methods there: {sorted(per)}")
        ratios[task] = per[baseline]["median_evals"] / per[method]["median_evals"]
    return ratios, statistics.median(ratios.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("result_dirs", nargs="+", metavar="RESULT_DIR",
                        help="a folder written by metanas bench (holding summary.json)")
    parser.add_argument("--info", action="store_true", help="also print what each method used")
    parser.add_argument("--ratio", metavar="METHOD:BASELINE",
                        help="print the per-task ratio of median evaluations-to-target (BASELINE / METHOD) instead")
    args = parser.parse_args(argv)
    missing = [d for d in args.result_dirs if not (Path(d) / "summary.json").is_file()]
    if missing:
        parser.error(f"no summary.json in {missing}; give folders written by metanas bench --out")
    if args.ratio is not None:
        method, sep, baseline = args.ratio.partition(":")
        if not (sep and method and baseline):
            parser.error(f"--ratio: expected METHOD:BASELINE, e.g. transfer-bo-nested:transfer-bo-cold; "
                         f"got {args.ratio!r}")
        for d in args.result_dirs:
            try:
                ratios, median = median_ratios(json.loads((Path(d) / "summary.json").read_text()), method, baseline)
            except ValueError as exc:
                parser.error(f"--ratio in {d}: {exc}")
            print(f"{d}: {method} against {baseline} (ratio of median evaluations-to-target)")
            for task, value in ratios.items():
                print(f"  {task}: {value:.2f}x")
            print(f"  median over tasks: {median:.2f}x")
        return 0
    for d in args.result_dirs:
        print(markdown_table(d))
        print()
        if args.info:
            text = render_info(json.loads((Path(d) / "summary.json").read_text()))
            if text:
                print(text)
                print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
