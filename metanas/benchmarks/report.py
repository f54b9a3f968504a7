"""Markdown tables of LOTO result folders (what the README's results section quotes).

Run: ``python -m metanas.benchmarks.report notebooks/results/nasbench-graph-top0.1 ...``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["markdown_table"]


def markdown_table(result_dir: str | Path) -> str:
    """Per task: random's median evaluations-to-target and each method's median and speedup."""
    s = json.loads((Path(result_dir) / "summary.json").read_text())
    st = s["settings"]
    methods = [m for m in s["methods"] if m != "random"]
    budget = st["budget"]
    lines = [
        f"**{s['suite']}, target {st['target']}** — {st['seeds']} search seeds x {st['history_seeds']} history "
        f"seeds, budget {budget}, history {st['history']}, regularized evolution "
        f"(population {st['population_size']}, tournament {st['tournament_size']}); "
        f"{s.get('seconds', '?')} s on 2 cores",
        "",
        "| task | at target | random | " + " | ".join(methods) + " |",
        "| --- | ---: | ---: | " + " | ".join("---:" for _ in methods) + " |",
    ]

    def cell(e: dict) -> str:
        med = f"{e['median_evals']:.0f}" + ("+" if e["median_evals"] > budget else "")
        return med

    for task, per in s["tasks"].items():
        info = s.get("task_info", {}).get(task, {})
        row = [task, str(info.get("num_at_target", "?")), cell(per["random"])]
        for m in methods:
            e = per.get(m)
            if e is None:
                row.append("-")
                continue
            if e["speedup_lower_bound"] and e["median_censored"]:
                row.append(f"{cell(e)} (both censored)")
                continue
            flag = ">=" if e["speedup_lower_bound"] else ""
            row.append(f"{cell(e)} ({flag}{e['speedup']:.2f}x)")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| **median speedup (reduction)** | | | " + " | ".join(
        f"**{s['median_speedup'][m]:.2f}x ({100 * s['reduction'][m]:.0f}%)**" for m in methods) + " |")
    lines.append("")
    lines.append("Cells: median evaluations-to-target (`+`: censored at budget+1, i.e. the median run did not "
                 "reach the target) and speedup against `random` (`>=`: lower bound, random's median censored; *both "
                 "censored*: neither median reached the target, counted as 1.0 in the median over tasks). "
                 "*At target*: architectures of the task that reach the target value (ties included).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    for d in argv if argv is not None else sys.argv[1:]:
        print(markdown_table(d))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
