"""What ``metanas demo`` measures: one leave-one-task-out fold, warm-started search against cold.

The demo is one fold of the LOTO benchmark (`metanas.benchmarks.loto`), built with the same
public pieces the benchmark uses, so it measures what ``metanas bench`` measures:

1. The history: `build_history` of the held-out task's fold (1,000 random table rows of each
   other task of its search space, one history seed) in a fresh SQLite database.
2. The method (a registered LOTO method; by default the project's best library method, see
   `choose`) prepares on the fold: for ``transfer-bo`` the past-task rankers fitted on the
   fold's history; for ``task_embedding*`` a meta-learner trained on the fold's history only,
   never on the held-out task (`metanas.training.folds`, cached), never the shipped checkpoint.
3. For each search seed: regularized evolution from a random population (``random``, the
   cold baseline) and the method's search, each run to the budget on the held-out task's
   table; evaluations-to-target (the top-0.1% validation quantile) and best-so-far curves,
   exactly as the benchmark records them.

The default task and method are chosen from the committed results (`RESULTS_DIR`, the
repository's ``benchmarks/results/``) by `choose`, and every figure the demo quotes about
them is read from the summary it names (`CommittedResult`); none is written in the code.

One difference from the benchmark, on purpose: a warm start's population is drawn with a seed
of its own (`fill_seed`), so its random fill is not the cold baseline's population (in the
benchmark both start from ``default_rng(seed)``, so the two populations share their random
members).
"""

from __future__ import annotations

import inspect
import json
import logging
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metanas.benchmarks._suites import get_suite
from metanas.benchmarks.loto import (
    LOTO_METHODS,
    Fold,
    LotoMethod,
    LotoSettings,
    MethodSpec,
    build_history,
    history_key,
    method_names,
    past_tasks,
    pool_tasks,
    run_one,
)
from metanas.exceptions import ConfigError, UnknownNameError
from metanas.graph import ModelGraph

__all__ = [
    "LIBRARY_METHODS",
    "QUICKSTART",
    "RESULTS_DIR",
    "SAME_SEARCHES",
    "SUITE",
    "TARGET",
    "CommittedResult",
    "Comparison",
    "OwnFillStream",
    "choose",
    "compare",
    "demo_settings",
    "fill_seed",
    "open_fold",
    "plot_comparison",
    "text_curve",
    "warm_methods",
]

logger = logging.getLogger(__name__)

#: The demo runs on NAS-Bench-Graph: it ships inside its package, so a fresh machine has it.
SUITE = "nasbench-graph"
#: The target the demo measures (and the committed results it chooses from): the top 0.1%.
TARGET = "top0.1"
#: Where the committed benchmark results live: the repository's ``benchmarks/results/`` (not
#: installed with the package; the demo reads it from a clone, as the README sets one up).
RESULTS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
#: Where a user goes next (the docs site's quickstart page).
QUICKSTART = "docs/quickstart.md"

#: The methods the library registers itself (`metanas.benchmarks.loto`; not the experiment
#: variants of the repository's ``benchmarks/methods.py``). A test checks this against the
#: registry of a fresh interpreter. ``random`` is the baseline, not a candidate.
LIBRARY_METHODS = ("dataset_meta", "task_embedding", "task_embedding+refine", "naive_meanrank", "transfer-bo",
                   "transfer-bo-learned")

#: Committed columns named after a variant that runs the same searches as a library method
#: (``transfer-bo-hedge`` names ``stack_past="both"``, TransferBO's default since it was
#: measured; ``transfer-bo-trees`` names its default surrogate); a test checks that both build
#: the same strategy options.
SAME_SEARCHES = {"transfer-bo-hedge": "transfer-bo", "transfer-bo-trees": "transfer-bo"}


@dataclass(frozen=True)
class CommittedResult:
    """The committed benchmark result the demo's default task and method come from (`choose`);
    every field is read from ``summary.json`` in `folder`.

    Attributes:
        folder: the results folder (relative to the repository root).
        column: the method's column in that summary (the method's name or a `SAME_SEARCHES` alias).
        method / task: the library method and the held-out task the demo runs.
        speedup / runs / random_median / method_median: that task's figures.
        median_speedup_over_tasks / num_tasks / worst_task / worst_speedup: the method over all
            the summary's tasks.
        date: when the summary was written.
    """

    folder: str
    column: str
    method: str
    task: str
    speedup: float
    runs: int
    random_median: float
    method_median: float
    median_speedup_over_tasks: float
    num_tasks: int
    worst_task: str
    worst_speedup: float
    date: str


def _summaries(results_dir: Path) -> list[tuple[Path, dict]]:
    """The LOTO summaries of `SUITE` at `TARGET` in ``results_dir``, oldest first (by their date)."""
    out = []
    for path in sorted(results_dir.glob("*/summary.json")):
        summary = json.loads(path.read_text())
        st = summary.get("settings", {})
        if summary.get("suite") == SUITE and st.get("target") == TARGET and "median_speedup" in summary:
            out.append((path.parent, summary))
    return sorted(out, key=lambda item: (item[1].get("date", ""), item[0].name))


def choose(results_dir: Path | str | None = None) -> CommittedResult:
    """The project's best library method on NAS-Bench-Graph top-0.1% and a fold where it helps,
    from the committed results.

    The rule:

    1. Each library method (`LIBRARY_METHODS`, or a column `SAME_SEARCHES` maps to one) counts
       with its latest measurement: the most recent summary (by its ``date``) of `SUITE` at
       `TARGET` that holds it. Older summaries measured older defaults.
    2. The method: the highest median speedup over the tasks among those.
    3. The task: among the tasks where the method helps (speedup > 1, not a lower bound), the
       one whose speedup is nearest the method's median over tasks (a typical fold, not the best
       one); ties go to the summary's task order.

    Args:
        results_dir: the folder of committed results (default `RESULTS_DIR`).

    Returns:
        The chosen result, every figure read from its summary.

    Raises:
        ConfigError: the folder is missing or holds no such result.
    """
    root = Path(results_dir) if results_dir is not None else RESULTS_DIR
    if not root.is_dir():
        raise ConfigError(f"the committed results folder {root} is not there (the demo chooses its task and method "
                          "from it); run the demo from a clone of the repository, or give --held-out and --method")
    latest: dict[str, tuple[Path, dict, str]] = {}
    for folder, summary in _summaries(root):
        for column in summary["median_speedup"]:
            method = SAME_SEARCHES.get(column, column)
            if method in LIBRARY_METHODS:
                latest[method] = (folder, summary, column)  # oldest first: the last one wins
    if not latest:
        raise ConfigError(f"{root} holds no {SUITE} {TARGET} summary of a library method {list(LIBRARY_METHODS)}; "
                          "give --held-out and --method")
    method = max(latest, key=lambda m: (latest[m][1]["median_speedup"][latest[m][2]], m))
    folder, summary, column = latest[method]
    median = float(summary["median_speedup"][column])
    per_task = {t: per[column] for t, per in summary["tasks"].items() if column in per}
    helps = [t for t, e in per_task.items() if e["speedup"] > 1 and not e.get("speedup_lower_bound")]
    if not helps:
        raise ConfigError(f"{folder}: {column} helps on no task; nothing to demonstrate")
    task = min(helps, key=lambda t: abs(per_task[t]["speedup"] - median))  # min keeps the first of ties
    worst = min(per_task, key=lambda t: per_task[t]["speedup"])
    entry = per_task[task]
    return CommittedResult(
        folder=f"benchmarks/results/{folder.name}" if root == RESULTS_DIR else str(folder), column=column,
        method=method, task=task, speedup=float(entry["speedup"]), runs=int(entry["runs"]),
        random_median=float(summary["tasks"][task]["random"]["median_evals"]),
        method_median=float(entry["median_evals"]), median_speedup_over_tasks=median, num_tasks=len(per_task),
        worst_task=worst, worst_speedup=float(per_task[worst]["speedup"]), date=str(summary.get("date", "")),
    )


def warm_methods() -> list[str]:
    """The registered LOTO methods the demo can compare with the cold baseline (all but ``random``)."""
    return [m for m in method_names() if m != "random"]


def demo_settings(method: str, *, seeds: int = 10, budget: int = 300,
                  cache_dir: str | None = None, train_config: Mapping[str, Any] | None = None) -> LotoSettings:
    """The benchmark's settings for the demo: the NAS-Bench-Graph suite's default tasks (so the
    history is every other task of the space), target ``top0.1``, history ``random-1000``,
    population 20 and tournament 5, ``method`` with its registered options.

    Raises:
        UnknownNameError: ``method`` is not a registered warm-start method.
        ConfigError: ``seeds`` or ``budget`` out of range.
    """
    if method not in warm_methods():
        raise UnknownNameError(f"--method {method!r} is not a warm-start method; choose one of {warm_methods()}")
    options = {}
    if train_config is not None and "train_config" in inspect.signature(_base_factory(method)).parameters:
        options[method] = {"train_config": dict(train_config)}  # the fold meta-learner's, where the method has one
    return LotoSettings(suite=SUITE, methods=(method,), seeds=seeds, history_seeds=1, budget=budget, target=TARGET,
                        cache_dir=cache_dir, workers=1, method_options=options)


def _base_factory(name: str) -> Any:
    factory = LOTO_METHODS.factory(name)
    return factory.factory if isinstance(factory, MethodSpec) else factory


def open_fold(settings: LotoSettings, held_out: str, history_seed: int, db_url: str) -> Fold:
    """The fold of ``held_out``: its table and a fresh history database at ``db_url`` without it.

    Raises:
        UnknownTaskError: ``held_out`` is not a NAS-Bench-Graph task.
        ConfigError: the task has no other task in its search space (no history), or
            ``history_seed`` is negative.
    """
    if isinstance(history_seed, bool) or not isinstance(history_seed, int) or history_seed < 0:
        raise ConfigError(f"--history-seed must be an integer >= 0, got {history_seed!r}")
    suite = get_suite(settings.suite)
    task = suite.resolve(held_out)
    if not past_tasks(settings, suite, task):
        folds = [t for t in pool_tasks(settings, suite) if past_tasks(settings, suite, t)]
        raise ConfigError(f"--held-out {task!r} shares its search space with no other task, so there is no history "
                          f"to warm-start from; choose one of {folds}")
    table = suite.table(task, settings.objective)
    db, past = build_history(settings, suite, task, history_seed, db_url)
    cache = Path(settings.cache_dir or Path(tempfile.gettempdir()) / "metanas-fold-cache")
    return Fold(settings, suite, table, past, history_seed, db, history_key(settings, task, history_seed), cache)


def fill_seed(seed: int) -> int:
    """The seed of the warm-started population for search seed ``seed``: a stream of its own
    (``SeedSequence([seed, 1])``), never ``default_rng(seed)``, which draws the cold population."""
    return int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])


class OwnFillStream:
    """A LOTO method whose initial population is drawn with `fill_seed` instead of the search seed.

    Everything else (``name``, ``prepare``, ``hooks`` and any later hook of `LotoMethod`) is
    the wrapped method's own, looked up on it.

    Args:
        method: the wrapped method.
    """

    def __init__(self, method: LotoMethod) -> None:
        self.method = method

    def __getattr__(self, name: str) -> Any:
        return getattr(self.method, name)

    def initial_population(self, fold: Fold, seed: int) -> list[ModelGraph] | None:
        return self.method.initial_population(fold, fill_seed(seed))


@dataclass
class Comparison:
    """Cold (``random``) against warm-started runs of one fold, seed by seed.

    Attributes:
        task / method: the held-out task and the warm-start method.
        seeds: the search seeds.
        evals: ``{"cold": [...], "warm": [...]}`` evaluations-to-target per seed (budget + 1:
            censored, the run did not reach the target).
        curves: best-so-far after every evaluation, same keys, one row per seed.
        budget / target / best / objective: the run budget, the target value, the task's best
            value and the metric.
        prepare_seconds / seconds: time of the method's preparation and of the whole comparison.
        searches: how each side's searches ran (`LotoMethod.describe`), same keys as ``evals``.
    """

    task: str
    method: str
    seeds: list[int]
    evals: dict[str, list[int]]
    curves: dict[str, np.ndarray]
    budget: int
    target: float
    best: float
    objective: str
    num_at_target: int
    past_tasks: tuple[str, ...]
    prepare_seconds: float
    seconds: float = 0.0
    searches: dict[str, str] = field(default_factory=dict)

    def median(self, which: str) -> float:
        """Median evaluations-to-target of ``"cold"`` or ``"warm"`` (censored runs count as budget + 1)."""
        return float(np.median(self.evals[which]))

    @property
    def speedup(self) -> float:
        """Median cold / median warm evaluations-to-target (the benchmark's speedup)."""
        return self.median("cold") / self.median("warm")

    @property
    def reduction(self) -> float:
        """Share of the cold search's evaluations the warm start saves: ``1 - 1/speedup``."""
        return 1.0 - 1.0 / self.speedup

    def censored(self, which: str) -> bool:
        """Whether the median run of ``which`` did not reach the target within the budget."""
        return self.median(which) > self.budget


def compare(fold: Fold, method: str, seeds: Sequence[int]) -> Comparison:
    """Run the cold baseline and ``method`` (its population from `fill_seed`) for every seed.

    The method is prepared first (``transfer-bo``: the fold's past-task rankers are fitted;
    ``task_embedding*``: the fold meta-learner is trained on the fold's history, or loaded from
    the fold cache).
    """
    from metanas.benchmarks.loto import task_info

    start = time.perf_counter()
    warm = fold.settings.method(method)
    warm.prepare(fold)
    prepared = time.perf_counter() - start
    cold = fold.settings.method("random")
    evals: dict[str, list[int]] = {"cold": [], "warm": []}
    curves: dict[str, list[np.ndarray]] = {"cold": [], "warm": []}
    for seed in seeds:
        for which, m in (("cold", cold), ("warm", OwnFillStream(warm))):
            row, curve = run_one(fold, m, seed)
            evals[which].append(int(row["evals_to_target"]))
            curves[which].append(curve)
        logger.info("seed %d: cold %d, warm %d evaluations to target", seed, evals["cold"][-1], evals["warm"][-1])
    info = task_info(fold.table, fold.settings.target)
    return Comparison(
        task=fold.task.task_id, method=method, seeds=list(seeds), evals=evals,
        curves={k: np.vstack(v) for k, v in curves.items()}, budget=fold.settings.budget,
        target=float(info["target_value"]), best=float(info["best"]), objective=str(info["objective"]),
        num_at_target=int(info["num_at_target"]), past_tasks=tuple(fold.past_tasks), prepare_seconds=prepared,
        seconds=time.perf_counter() - start,
        searches={"cold": cold.describe(fold.settings), "warm": warm.describe(fold.settings)},
    )


def text_curve(curves: Mapping[str, np.ndarray], target: float, *, width: int = 60, height: int = 12,
               marks: Mapping[str, str] | None = None) -> str:
    """A terminal plot of median best-so-far curves against evaluations, with the target as a line.

    Args:
        curves: label -> array (seeds x evaluations) of best-so-far values (higher is better).
        target: drawn as a row of ``-`` where no curve is.
        width: plot width in characters (at least 10).
        height: plot height in characters (at least 3).
        marks: label -> one character (default: the label's first letter); ``*`` where curves meet.

    Returns:
        The plot, its y axis labelled with values and its x axis with evaluations.
    """
    if width < 10 or height < 3:
        raise ConfigError(f"text_curve: width must be >= 10 and height >= 3, got {width} x {height}")
    medians = {k: np.median(np.atleast_2d(v), axis=0) for k, v in curves.items()}
    n = max(len(m) for m in medians.values())
    marks = dict(marks or {k: k[0] for k in medians})
    skip = min(n - 1, max(1, n // 20))  # the first evaluations sit far below: start the axis at ~5%
    low = min(float(m[min(skip, len(m) - 1)]) for m in medians.values())
    high = max(max(float(m.max()) for m in medians.values()), target)
    span = high - low or 1.0
    grid = [[" "] * width for _ in range(height)]

    def row_of(value: float) -> int:
        return height - 1 - round((min(max(value, low), high) - low) / span * (height - 1))

    target_row = row_of(target)
    grid[target_row] = ["-"] * width
    for label, med in medians.items():
        for col in range(width):
            i = min(len(med) - 1, round(col / (width - 1) * (n - 1)))
            r = row_of(float(med[i]))
            grid[r][col] = marks[label] if grid[r][col] in (" ", "-", marks[label]) else "*"
    lines = []
    for r, cells in enumerate(grid):
        value = target if r == target_row else high - r / (height - 1) * span
        label = f"{value:.4f}" if r in (0, height - 1, target_row) else ""
        tail = "  target" if r == target_row else ""
        lines.append(f"{label:>9} |{''.join(cells)}{tail}")
    lines.append(f"{'':>9} +{'-' * width}")
    lines.append(f"{'':>10}{1:<{width // 2}}{n:>{width - width // 2}}  evaluations")
    return "\n".join(lines)


def plot_comparison(comparison: Comparison, path: str | Path) -> Path:
    """A PNG of the median best-so-far curves (and their interquartile range) with the target."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    colors = {"cold": "#7f7f7f", "warm": "#d62728"}
    labels = {"cold": "cold: random initial population",
              "warm": f"warm-started: {comparison.method}"}
    for which, arr in comparison.curves.items():
        x = np.arange(1, arr.shape[1] + 1)
        ax.plot(x, np.median(arr, axis=0), color=colors[which],
                label=f"{labels[which]} (median {comparison.median(which):.0f} evals to target)")
        lo, hi = np.percentile(arr, [25, 75], axis=0)
        ax.fill_between(x, lo, hi, color=colors[which], alpha=0.15, linewidth=0)
    ax.axhline(comparison.target, color="black", linestyle="--", linewidth=0.8, label="target (top 0.1%)")
    ax.set_xlabel("evaluations")
    ax.set_ylabel(f"best-so-far {comparison.objective}")
    ax.set_title(f"{comparison.task}: {len(comparison.seeds)} seeds, {comparison.speedup:.2f}x fewer evaluations")
    first = comparison.curves["cold"][:, min(comparison.budget - 1, comparison.budget // 20)]
    ax.set_ylim(float(np.median(first)) - 0.01, comparison.best + 0.003)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
