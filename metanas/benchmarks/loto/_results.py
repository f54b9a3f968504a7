"""Per-run metrics, the summary (speedups) and the result files of a LOTO benchmark."""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metanas.benchmarks._suites import BenchmarkTable
from metanas.benchmarks._targets import target_value
from metanas.benchmarks.loto._intervals import bootstrap_intervals
from metanas.benchmarks.loto._settings import REGRET_AT, LotoSettings
from metanas.validation import Direction

__all__ = ["CURVE_COLUMNS", "RUN_COLUMNS", "LotoResult", "evals_to_target", "summarise", "task_info", "time_to_target"]

#: The columns of ``runs.csv`` and of ``curves.csv.gz``.
RUN_COLUMNS = ["task", "method", "history_seed", "seed", "evals_to_target", "censored", "regret_20", "regret_50",
               "regret_100", "regret_B", "test_metric", "time_to_target", "info"]
CURVE_COLUMNS = ["task", "method", "history_seed", "seed", "evaluation", "best_so_far"]


def evals_to_target(best_so_far: np.ndarray, target: float, direction: str = "maximize") -> int:
    """1-based index of the first evaluation reaching ``target``; ``len + 1`` if none (censored)."""
    maximize = Direction.parse(direction, "evals_to_target: 'direction'") is Direction.MAXIMIZE
    hit = best_so_far >= target if maximize else best_so_far <= target
    idx = np.flatnonzero(hit)
    return int(idx[0]) + 1 if idx.size else len(best_so_far) + 1


def time_to_target(costs: Sequence[float | None], evals: int) -> float | None:
    """Summed cost of the first ``evals`` evaluations (all of them when ``evals`` is past the end,
    i.e. censored); ``None`` when one of them has no cost."""
    spent = costs[:evals]
    if not spent or any(c is None for c in spent):
        return None
    return float(sum(spent))


@dataclass
class LotoResult:
    """Rows, curves and summary of a LOTO benchmark."""

    settings: LotoSettings
    runs: list[dict]
    curves: list[tuple[dict, np.ndarray]]
    summary: dict
    seconds: float

    def write(self, out_dir: str | Path) -> Path:
        """Write ``runs.csv``, ``curves.csv.gz`` and ``summary.json`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "runs.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=RUN_COLUMNS, extrasaction="ignore")
            w.writeheader()
            w.writerows(self.runs)
        with gzip.open(out / "curves.csv.gz", "wt", newline="") as f:
            w = csv.writer(f)
            w.writerow(CURVE_COLUMNS)
            for key, curve in self.curves:
                prefix = [key["task"], key["method"], key["history_seed"], key["seed"]]
                w.writerows([*prefix, i + 1, f"{v:.6g}"] for i, v in enumerate(curve))
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2, sort_keys=False))
        return out



def task_info(table: BenchmarkTable, target: str) -> dict:
    """Facts of a held-out task's table: best value, target value and how many reach it; the unit
    of its evaluation costs (``cost_unit``) when it has costs."""
    t = target_value(table, target)
    hit = table.values >= t if table.direction == Direction.MAXIMIZE else table.values <= t
    info = {"objective": table.objective, "test_metric": table.test_metric, "direction": table.direction,
            "best": table.best_value(), "target": target, "target_value": t,
            "num_at_target": int(hit.sum()), "num_architectures": len(table)}
    if len(table) and table.cost(0) is not None:
        info["cost_unit"] = table.cost_unit
    return info



def aggregate_info(infos: Sequence[str | dict]) -> dict:
    """The runs' ``info`` (JSON objects) summarised per key over the runs that have it.

    Numbers: median; strings: counts per value; mappings of numbers (e.g. a warm start's
    task similarities, a transfer search's weights): the mean per entry (an entry missing
    from a run counts 0 there); anything else is left out."""
    parsed = [json.loads(i) if isinstance(i, str) else i for i in infos if i]
    out: dict = {}
    for key in dict.fromkeys(k for p in parsed for k in p):
        values = [p[key] for p in parsed if key in p and p[key] is not None]
        if not values:
            continue
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[key] = float(np.median(values))
        elif all(isinstance(v, str) for v in values):
            out[key] = {v: values.count(v) for v in dict.fromkeys(values)}
        elif all(isinstance(v, dict) and all(isinstance(x, (int, float)) for x in v.values()) for v in values):
            names = list(dict.fromkeys(n for v in values for n in v))
            out[key] = {n: round(float(np.mean([v.get(n, 0.0) for v in values])), 4) for n in names}
    return out


def summarise(runs: Sequence[dict], settings: LotoSettings) -> dict:
    """``summary.json``: per task and method medians, speedups against the baseline, and the median
    over tasks; the baseline's name and each method's strategy (``strategies``); 90% bootstrap
    intervals of every median and speedup with the history seed as the unit (``intervals``,
    `bootstrap_intervals`)."""
    B = settings.budget
    tasks: dict[str, dict] = {}
    for task in dict.fromkeys(r["task"] for r in runs):
        per: dict[str, dict] = {}
        rows_t = [r for r in runs if r["task"] == task]
        base = [r["evals_to_target"] for r in rows_t if r["method"] == settings.baseline]
        base_med = float(np.median(base)) if base else math.nan
        for method in settings.methods:
            rows = [r for r in rows_t if r["method"] == method]
            if not rows:
                continue
            evals = np.array([r["evals_to_target"] for r in rows], dtype=float)
            med = float(np.median(evals))
            entry = {
                "runs": len(rows),
                "median_evals": med,
                "frac_reached": float(np.mean(evals <= B)),
                "median_censored": bool(med > B),
                "regret_at": {str(k): float(np.median([r[f"regret_{k}"] for r in rows])) for k in REGRET_AT}
                | {"B": float(np.median([r["regret_B"] for r in rows]))},
                "median_test_metric": float(np.median([r["test_metric"] for r in rows])),
            }
            times = [r.get("time_to_target") for r in rows]
            if all(t is not None and t != "" for t in times):  # only runs of tables with costs
                entry["median_time_to_target"] = float(np.median(np.asarray(times, dtype=float)))
            info = aggregate_info([r.get("info", "") for r in rows])
            if info:
                entry["info"] = info
            if method != settings.baseline:
                entry["speedup"] = base_med / med
                entry["speedup_lower_bound"] = bool(base_med > B)
                entry["meets_target"] = bool(med <= B)
            per[method] = entry
        tasks[task] = per
    median_speedup, reduction, lower = {}, {}, {}
    for method in settings.methods:
        if method == settings.baseline:
            continue
        sp = [tasks[t][method]["speedup"] for t in tasks if method in tasks[t]]
        if not sp:
            continue
        m = float(np.median(sp))
        median_speedup[method] = m
        reduction[method] = 1.0 - 1.0 / m if m > 0 else -math.inf
        lower[method] = sum(tasks[t][method]["speedup_lower_bound"] for t in tasks if method in tasks[t])
    intervals = bootstrap_intervals(runs, [m for m in settings.methods if any(r["method"] == m for r in runs)],
                                    settings.baseline) if runs else None
    return {
        "suite": settings.suite,
        "settings": settings.to_dict(),
        "methods": list(settings.methods),
        "baseline": settings.baseline,
        "strategies": {m: settings.method(m).describe(settings) for m in settings.methods},
        "tasks": tasks,
        "median_speedup": median_speedup,
        "reduction": reduction,
        "tasks_with_lower_bound_speedup": lower,
        "intervals": intervals,
    }

