"""The one renderer of a LOTO summary: a Markdown table that `metanas bench` prints, the notebooks
show, ``python -m metanas.benchmarks.report`` writes and the README quotes."""

from __future__ import annotations

__all__ = ["format_table", "render_summary"]

_LEGEND = (
    "Cells: median evaluations-to-target (`+`: censored at budget+1, i.e. the median run did not "
    "reach the target) and speedup against `random` (`>=`: lower bound, random's median censored; *both "
    "censored*: neither median reached the target, counted as 1.0 in the median over tasks). "
    "*At target*: architectures of the task that reach the target value (ties included)."
)


def _strategy(st: dict) -> str:
    """How the search ran, e.g. ``regularized evolution (population 20, tournament 5)``."""
    name = st.get("strategy", "regularized_evolution")
    options = "".join(f", {k} {v}" for k, v in sorted(st.get("strategy_options", {}).items()))
    if name == "regularized_evolution":
        return f"regularized evolution (population {st['population_size']}, tournament {st['tournament_size']}{options})"
    text = f"strategy {name}" + (f" ({options[2:]})" if options else "")
    evaluator = st.get("evaluator", "benchmark")
    return text if evaluator == "benchmark" else f"{text}, evaluator {evaluator}"


def _cell(entry: dict, budget: int) -> str:
    med = f"{entry['median_evals']:.0f}" + ("+" if entry["median_evals"] > budget else "")
    if entry.get("speedup") is None:
        return med
    if entry["speedup_lower_bound"] and entry["median_censored"]:
        return f"{med} (both censored)"
    flag = ">=" if entry["speedup_lower_bound"] else ""
    return f"{med} ({flag}{entry['speedup']:.2f}x)"


def render_summary(summary: dict) -> str:
    """Per task: architectures at target, random's median evaluations-to-target and each method's
    median with its speedup; then the median speedup (reduction) over tasks and a legend.

    Args:
        summary: the content of a ``summary.json`` (`LotoResult.summary`).
    """
    st = summary["settings"]
    methods = [m for m in summary["methods"] if m != "random"]
    budget = st["budget"]
    lines = [
        (f"**{summary['suite']}, target {st['target']}** — {st['seeds']} search seeds x {st['history_seeds']} "
         f"history seeds, budget {budget}, history {st['history']}, {_strategy(st)}; "
         f"{summary.get('seconds', '?')} s on 2 cores"),
        "",
        "| task | at target | random | " + " | ".join(methods) + " |",
        "| --- | ---: | ---: | " + " | ".join("---:" for _ in methods) + " |",
    ]
    for task, per in summary["tasks"].items():
        info = summary.get("task_info", {}).get(task, {})
        row = [task, str(info.get("num_at_target", "?")), _cell(per["random"], budget)]
        row += [_cell(per[m], budget) if m in per else "-" for m in methods]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| **median speedup (reduction)** | | | " + " | ".join(
        f"**{summary['median_speedup'][m]:.2f}x ({100 * summary['reduction'][m]:.0f}%)**" for m in methods) + " |")
    lines += ["", _LEGEND]
    return "\n".join(lines)


#: The name `metanas bench` and the notebooks used before the renderers were one.
format_table = render_summary
