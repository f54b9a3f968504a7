"""Markdown tables of LOTO result folders (what the README's results section quotes).

Run: ``python -m metanas.benchmarks.report notebooks/results/nasbench-graph-top0.1 ...``. The
table is `metanas.benchmarks.loto.render_summary` of the folder's ``summary.json``, the same
text `metanas bench` prints. ``--info`` adds what each method used (`render_info`: warm-start
similarities, chosen configurations, final transfer weights).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from metanas.benchmarks.loto import render_info, render_summary

__all__ = ["markdown_table"]


def markdown_table(result_dir: str | Path) -> str:
    """The rendered table of ``result_dir/summary.json``."""
    return render_summary(json.loads((Path(result_dir) / "summary.json").read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metanas.benchmarks.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("result_dirs", nargs="+", metavar="RESULT_DIR",
                        help="a folder written by metanas bench (holding summary.json)")
    parser.add_argument("--info", action="store_true", help="also print what each method used")
    args = parser.parse_args(argv)
    missing = [d for d in args.result_dirs if not (Path(d) / "summary.json").is_file()]
    if missing:
        parser.error(f"no summary.json in {missing}; give folders written by metanas bench --out")
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
