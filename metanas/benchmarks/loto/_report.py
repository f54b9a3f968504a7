"""The one renderer of a LOTO summary: a Markdown table that `metanas bench` prints, the notebooks
show, ``python -m benchmarks.report`` writes and the README quotes."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["format_table", "history_label", "render_info", "render_summary", "round_half_away"]


def round_half_away(value: float, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals, halves rounded away from zero (38.5 -> ``39``, 1.125 ->
    ``1.13``), as a reader rounds the shortest decimal form of the number; Python's own
    formatting rounds halves to even (``f"{38.5:.0f}"`` is ``38``)."""
    quantum = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def history_label(settings: dict) -> str:
    """The history as its settings define it: ``random-N`` (N random rows per past task, the
    ``random-1000`` kind with its ``history_size``), ``trajectory-N`` or ``full``."""
    kind, size = settings["history"], settings.get("history_size", 1000)
    if kind == "random-1000":
        return f"random-{size}"
    return f"trajectory-{size}" if kind == "trajectory" else kind

def _legend(baseline: str) -> str:
    return (
        "Cells: median evaluations-to-target (`+`: censored at budget+1, i.e. the median run did not "
        f"reach the target) and speedup against `{baseline}` (`>=`: lower bound, {baseline}'s median censored; "
        "*both censored*: neither median reached the target, counted as 1.0 in the median over tasks). "
        "*At target*: architectures of the task that reach the target value (ties included)."
    )


def _legacy_strategy(st: dict) -> str:
    """How the searches of a summary written before methods named their strategies ran: the
    settings' one strategy (transfer methods brought their own, which such summaries do not say)."""
    name = st.get("strategy", "regularized_evolution")
    options = "".join(f", {k} {v}" for k, v in sorted(st.get("strategy_options", {}).items()))
    if name == "regularized_evolution":
        return f"regularized evolution (population {st['population_size']}, tournament {st['tournament_size']}{options})"
    return f"strategy {name}" + (f" ({options[2:]})" if options else "")


def _cell(entry: dict, budget: int) -> str:
    med = round_half_away(entry["median_evals"]) + ("+" if entry["median_evals"] > budget else "")
    if entry.get("speedup") is None:
        return med
    if entry["speedup_lower_bound"] and entry["median_censored"]:
        return f"{med} (both censored)"
    flag = ">=" if entry["speedup_lower_bound"] else ""
    return f"{med} ({flag}{round_half_away(entry['speedup'], 2)}x)"


def render_summary(summary: dict) -> str:
    """Per task: architectures at target, the baseline's median evaluations-to-target and each
    method's median with its speedup; then the median speedup (reduction) over tasks, the
    baseline and each column's strategy, and a legend.

    Args:
        summary: the content of a ``summary.json`` (`LotoResult.summary`).
    """
    st = summary["settings"]
    baseline = summary.get("baseline", "random")
    methods = [m for m in summary["methods"] if m != baseline]
    budget = st["budget"]
    strategies = summary.get("strategies")
    evaluator = st.get("evaluator", "benchmark")
    how = f"; baseline `{baseline}`: {strategies[baseline]}" if strategies else f", {_legacy_strategy(st)}"
    if evaluator != "benchmark":
        how += f", evaluator {evaluator}"
    if st.get("noise", "none") != "none":
        how += f", noisy evaluations ({st['noise']}; targets on the seed-mean)"
    lines = [
        (f"**{summary['suite']}, target {st['target']}** — {st['seeds']} search seeds x {st['history_seeds']} "
         f"history seeds, budget {budget}, history {history_label(st)}{how}; {_timing(summary)}"),
        "",
        f"| task | at target | {baseline} | " + " | ".join(methods) + " |",
        "| --- | ---: | ---: | " + " | ".join("---:" for _ in methods) + " |",
    ]
    for task, per in summary["tasks"].items():
        info = summary.get("task_info", {}).get(task, {})
        row = [task, str(info.get("num_at_target", "?")), _cell(per[baseline], budget)]
        row += [_cell(per[m], budget) if m in per else "-" for m in methods]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| **median speedup (reduction)** | | | " + " | ".join(
        f"**{round_half_away(summary['median_speedup'][m], 2)}x ({round_half_away(100 * summary['reduction'][m])}%)**"
        for m in methods) + " |")
    lines.append("")
    if strategies:
        lines += ["Columns: " + "; ".join(f"`{m}`: {strategies[m]}" for m in methods) + ".", ""]
    if summary.get("intervals"):
        lines += [_intervals(summary, methods), ""]
    times = _times(summary, baseline, methods)
    if times:
        lines += [times, ""]
    lines.append(_legend(baseline))
    return "\n".join(lines)


def _intervals(summary: dict, methods: list[str]) -> str:
    """The bootstrap intervals of the median speedups and of the per-task speedups (summaries that have them)."""
    iv = summary["intervals"]
    pct = round_half_away(100 * iv["level"])

    def fmt(span: list[float]) -> str:
        return f"[{round_half_away(span[0], 2)}, {round_half_away(span[1], 2)}]"

    parts = []
    for m in methods:
        if m not in iv["median_speedup"]:
            continue
        per_task = ", ".join(f"{t.split('/')[-1]} {fmt(iv['tasks'][t][m]['speedup'])}" for t in iv["tasks"]
                             if m in iv["tasks"][t] and "speedup" in iv["tasks"][t][m])
        parts.append(f"`{m}` {fmt(iv['median_speedup'][m])} (per task: {per_task})")
    return (f"{pct}% bootstrap intervals of the speedups ({iv['samples']} replicates; the unit is the "
            f"{iv['unit']}): " + "; ".join(parts) + ".")


def _times(summary: dict, baseline: str, methods: list[str]) -> str:
    """The median time-to-target per task and method (summaries of tables with costs; else empty):
    hours when the costs are seconds, with the ratio to the baseline's median."""
    parts = []
    for task, per in summary["tasks"].items():
        base = per.get(baseline, {}).get("median_time_to_target")
        if base is None:
            continue
        unit = summary.get("task_info", {}).get(task, {}).get("cost_unit", "seconds")
        scale, label = (3600.0, "h") if unit == "seconds" else (1.0, f" {unit}")
        cells = [f"{baseline} {round_half_away(base / scale, 1)}{label}"]
        for m in methods:
            t = per.get(m, {}).get("median_time_to_target")
            if t is not None:
                ratio = f" ({round_half_away(base / t, 2)}x)" if t > 0 else ""
                cells.append(f"{m} {round_half_away(t / scale, 1)}{label}{ratio}")
        parts.append(f"{task.split('/')[-1]}: " + ", ".join(cells))
    if not parts:
        return ""
    return ("Median time to target (summed evaluation cost up to the target, the whole budget's when censored; "
            "ratio to the baseline's): " + "; ".join(parts) + ".")


def _timing(summary: dict) -> str:
    """The run's wall time, with the workers and the machine's cores where the summary recorded them."""
    text = f"{summary.get('seconds', '?')} s"
    if summary.get("cpus"):
        workers = summary["workers"]
        text += f" with {workers} worker{'s' if workers != 1 else ''} on {summary['cpus']} cores"
    return text


def _top(mapping: dict, k: int = 3) -> str:
    items = sorted(mapping.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return ", ".join(f"{name.split('/')[-1]} {value:.2f}" for name, value in items) + (" ..." if len(mapping) > k else "")


def render_info(summary: dict) -> str:
    """What the methods used, per task (from the runs' ``info``, means over runs): the past tasks
    a warm start took with their similarities, the weights a transfer search ended with, the
    configuration a nested selection chose. Empty when no method reported any."""
    rows = []
    for task, per in summary["tasks"].items():
        for method, entry in per.items():
            info = entry.get("info") or {}
            parts = []
            if info.get("similarities"):
                parts.append(f"similarities: {_top(info['similarities'])}")
            if "transferred" in info:
                parts.append(f"transferred {info['transferred']:.0f}")
            if info.get("config"):
                parts.append("config: " + ", ".join(f"{k} x{v}" for k, v in info["config"].items()))
            if info.get("weights"):
                parts.append(f"final weights: {_top(info['weights'])}")
            if parts:
                rows.append(f"| {task} | {method} | {'; '.join(parts)} |")
    if not rows:
        return ""
    return "\n".join(["What the methods used (means over runs):", "", "| task | method | used |", "| --- | --- | --- |",
                      *rows])


#: The name `metanas bench` and the notebooks used before the renderers were one.
format_table = render_summary
