"""Figures of a LOTO result folder (``runs.csv``, ``curves.csv.gz``, ``summary.json``).

Used by ``metanas bench --plot`` and by the speedup notebooks, so both show the same pictures.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from metanas.validation import Direction

__all__ = ["load_result", "plot_all", "plot_curves", "plot_evals", "plot_reduction"]

_COLORS = {"random": "#7f7f7f", "dataset_meta": "#1f77b4", "task_embedding": "#2ca02c",
           "task_embedding+refine": "#d62728"}


def load_result(out_dir: str | Path) -> tuple[list[dict], dict[tuple, np.ndarray], dict]:
    """Read a result folder: run rows, curves keyed by (task, method, history_seed, seed), summary."""
    out = Path(out_dir)
    with open(out / "runs.csv", newline="") as f:
        runs = list(csv.DictReader(f))
    for r in runs:
        r["evals_to_target"] = int(r["evals_to_target"])
        r["censored"] = int(r["censored"])
    curves: dict[tuple, list[float]] = defaultdict(list)
    with gzip.open(out / "curves.csv.gz", "rt", newline="") as f:
        for row in csv.DictReader(f):
            curves[(row["task"], row["method"], row["history_seed"], row["seed"])].append(float(row["best_so_far"]))
    summary = json.loads((out / "summary.json").read_text())
    return runs, {k: np.asarray(v) for k, v in curves.items()}, summary


def plot_curves(out_dir: str | Path, ax_grid=None):
    """Anytime regret (task best - best-so-far) against evaluations: median and IQR per method."""
    import matplotlib.pyplot as plt

    _, curves, summary = load_result(out_dir)
    tasks = list(summary["tasks"])
    info = summary.get("task_info", {})
    n = len(tasks)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        best = info.get(task, {}).get("best")
        sign = Direction.parse(info.get(task, {}).get("direction", "maximize"),
                               f"summary.json: task_info[{task!r}]['direction']").sign
        for method in summary["methods"]:
            cs = [c for (t, m, _, _), c in curves.items() if t == task and m == method]
            if not cs:
                continue
            arr = np.vstack(cs)
            regret = sign * (best - arr) if best is not None else -arr
            x = np.arange(1, arr.shape[1] + 1)
            med = np.median(regret, axis=0)
            lo, hi = np.percentile(regret, [25, 75], axis=0)
            color = _COLORS.get(method)
            ax.plot(x, med, label=method, color=color)
            ax.fill_between(x, lo, hi, alpha=0.2, color=color)
        ax.set_title(task)
        ax.set_xscale("log")
        ax.set_xlabel("evaluations")
        ax.set_ylabel("regret (objective units)")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{summary['suite']}: best-so-far regret, median and IQR over seeds")
    fig.tight_layout()
    return fig


def plot_evals(out_dir: str | Path):
    """Evaluations-to-target per task and method (strip plot; censored runs marked x)."""
    import matplotlib.pyplot as plt

    runs, _, summary = load_result(out_dir)
    tasks = list(summary["tasks"])
    methods = summary["methods"]
    budget = summary["settings"]["budget"]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(tasks)), 4))
    width = 0.8 / len(methods)
    rng = np.random.default_rng(0)
    for j, method in enumerate(methods):
        for i, task in enumerate(tasks):
            vals = np.array([r["evals_to_target"] for r in runs if r["task"] == task and r["method"] == method])
            if vals.size == 0:
                continue
            x = i + (j - (len(methods) - 1) / 2) * width + rng.uniform(-width / 3, width / 3, vals.size)
            cens = vals > budget
            color = _COLORS.get(method, f"C{j}")
            ax.scatter(x[~cens], vals[~cens], s=8, alpha=0.5, color=color, label=method if i == 0 else None)
            ax.scatter(x[cens], vals[cens], s=14, marker="x", alpha=0.7, color=color)
            ax.hlines(np.median(vals), i + (j - (len(methods) - 1) / 2) * width - width / 2,
                      i + (j - (len(methods) - 1) / 2) * width + width / 2, color="black", lw=2)
    ax.axhline(budget + 1, ls=":", color="black", lw=1)
    ax.set_yscale("log")
    ax.set_xticks(range(len(tasks)))
    ax.set_xticklabels(tasks, rotation=30, ha="right")
    ax.set_ylabel("evaluations to target")
    ax.set_title(f"{summary['suite']}: evaluations to {summary['settings']['target']} (bar: median; x: censored at budget+1)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_reduction(out_dir: str | Path):
    """Search-time reduction (1 - 1/speedup) per task and method against the 30% line."""
    import matplotlib.pyplot as plt

    _, _, summary = load_result(out_dir)
    tasks = list(summary["tasks"])
    methods = [m for m in summary["methods"] if m != summary.get("baseline", "random")]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(tasks)), 4))
    width = 0.8 / max(len(methods), 1)
    for j, method in enumerate(methods):
        red = []
        for task in tasks:
            e = summary["tasks"][task].get(method)
            red.append(100 * (1 - 1 / e["speedup"]) if e and e["speedup"] > 0 else np.nan)
        x = np.arange(len(tasks)) + (j - (len(methods) - 1) / 2) * width
        ax.bar(x, red, width, label=f"{method} (median over tasks "
               f"{100 * summary['reduction'].get(method, np.nan):.0f}%)", color=_COLORS.get(method, f"C{j}"))
    ax.axhline(30, ls="--", color="red", lw=1, label="30% target")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(tasks)))
    ax.set_xticklabels(tasks, rotation=30, ha="right")
    ax.set_ylabel("search-time reduction (%)")
    ax.set_title(f"{summary['suite']}: 1 - 1/speedup in evaluations to target")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_all(out_dir: str | Path) -> list[Path]:
    """Write ``curves.png``, ``evals_to_target.png`` and ``reduction.png`` into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    paths = []
    for name, fn in (("curves.png", plot_curves), ("evals_to_target.png", plot_evals),
                     ("reduction.png", plot_reduction)):
        fig = fn(out)
        fig.savefig(out / name, dpi=120)
        plt.close(fig)
        paths.append(out / name)
    return paths
