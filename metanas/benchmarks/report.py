"""Markdown tables of LOTO result folders (what the README's results section quotes).

Run: ``python -m metanas.benchmarks.report notebooks/results/nasbench-graph-top0.1 ...``. The
table is `metanas.benchmarks.loto.render_summary` of the folder's ``summary.json``, the same
text `metanas bench` prints. ``--info`` adds what each method used (`render_info`: warm-start
similarities, chosen configurations, final transfer weights).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from metanas.benchmarks.loto import render_info, render_summary

__all__ = ["markdown_table"]


def markdown_table(result_dir: str | Path) -> str:
    """The rendered table of ``result_dir/summary.json``."""
    return render_summary(json.loads((Path(result_dir) / "summary.json").read_text()))


def main(argv: list[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])
    info = "--info" in args
    for d in (a for a in args if a != "--info"):
        print(markdown_table(d))
        print()
        if info:
            text = render_info(json.loads((Path(d) / "summary.json").read_text()))
            if text:
                print(text)
                print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
