"""Write the speedup notebooks' sources (no outputs) and optionally execute them.

    python notebooks/build_notebooks.py            # write the .ipynb sources
    python notebooks/build_notebooks.py --execute  # ... and run them top to bottom (full mode)

Each notebook states its parameters in its first cell (tagged ``parameters``). ``QUICK = True``
shrinks seeds and budget and uses a tiny training configuration, so that CI executes every
notebook in a few minutes (``tests/test_notebooks.py``). In full mode a notebook loads the
committed benchmark result under ``benchmarks/results/`` (written by the ``metanas bench``
command it prints) or, if that folder is missing, runs the benchmark itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SPEEDUP_INTRO = """# Speedup of warm-started search: {title}

Leave-one-task-out (LOTO) protocol of `metanas.benchmarks.loto`: each task of the suite is
held out in turn; the history is 1,000 random table rows of every other task (per history
seed); regularized evolution (population 20, tournament 5) starts from a random population
(`random`) or from a warm-started one (`dataset_meta`: meta-feature similarity;
`task_embedding`: the learned meta-learner trained on the fold's history only;
`task_embedding+refine`: the same, re-estimating the new task's embedding from its first
evaluations and injecting the model's best-ranked candidates). Every evaluation counts.
Speedup = median evaluations-to-target of `random` / that of the method; the search-time
reduction the user asked for is 1 - 1/speedup (target: 30%)."""

SPEEDUP_LOAD = '''%matplotlib inline
import json
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from metanas.benchmarks.loto import LotoSettings, format_table, run_loto
from metanas.benchmarks.plots import plot_curves, plot_evals, plot_reduction

NOTEBOOK_DIR = Path(os.environ.get("METANAS_NOTEBOOK_DIR", Path.cwd()))


def result_dir(target):
    """The committed full-run result, or a fresh run (quick mode: always fresh, small)."""
    committed = NOTEBOOK_DIR.parent / "benchmarks" / "results" / f"{SUITE}-{target}"
    if not QUICK and (committed / "summary.json").is_file():
        return committed
    settings = LotoSettings(
        suite=SUITE, tasks=tuple(TASKS) if TASKS else None, methods=tuple(METHODS), seeds=SEEDS, history_seeds=HISTORY_SEEDS,
        budget=BUDGETS[target], history=HISTORY, target=target, workers=WORKERS,
        method_options={m: {"train_config": TRAIN_CONFIG} for m in METHODS if m.startswith("task_embedding")}
        if TRAIN_CONFIG else {},
    )
    out = Path(tempfile.mkdtemp(prefix="metanas-nb-")) if QUICK else committed
    run_loto(settings).write(out)
    return out


results = {target: result_dir(target) for target in TARGETS}
for target, path in results.items():
    summary = json.loads((path / "summary.json").read_text())
    s = summary["settings"]
    print(f"target {target}: {path.name}  (seeds {s['seeds']}, history seeds {s['history_seeds']}, "
          f"budget {s['budget']}, history {s['history']}, {summary.get('seconds', '?')} s, run {summary.get('date', '?')})")
    print(f"command: metanas bench --suite {s['suite']} --methods {','.join(s['methods'])} --seeds {s['seeds']} "
          f"--history-seeds {s['history_seeds']} --budget {s['budget']} --history {s['history']} "
          f"--target {s['target']} --out benchmarks/results/{path.name}")'''

SPEEDUP_TABLE = '''for target, path in results.items():
    summary = json.loads((path / "summary.json").read_text())
    print(f"== target {target} ==")
    print(format_table(summary))
    print()'''


TRANSFER_INTRO = (
    "## Transfer search (issue 10)\n"
    "`transfer-bo-nested` (`benchmarks/nested.py`): `TransferBO` whose configuration each fold "
    "chooses by nested leave-one-out on its own past tasks, beside the cold model-based search "
    "(`transfer-bo-cold`), the naive mean-rank transfer and the warm starts, same seeds; then the fixed "
    "configurations measured beside it (`hedge-*`: both target forests in the ensemble, the strategy's default "
    "since it was measured). The committed full runs are shown (quick mode: skipped, the methods' own tests "
    "cover them); below each table, what each method used: warm-start similarities, the chosen configuration "
    "and the final ensemble weights.")

TRANSFER_CODE = '''from metanas.benchmarks.loto import render_info, render_summary

shown = 0
for prefix in ("nested", "hedge"):
    transfer = NOTEBOOK_DIR.parent / "benchmarks" / "results" / f"{prefix}-{SUITE}-top0.1"
    if QUICK or not (transfer / "summary.json").is_file():
        continue
    shown += 1
    summary = json.loads((transfer / "summary.json").read_text())
    s = summary["settings"]
    print(f"command: metanas bench --plugin benchmarks.methods --suite {s['suite']} --methods {','.join(s['methods'])} "
          f"--seeds {s['seeds']} --history-seeds {s['history_seeds']} --budget {s['budget']} --history {s['history']} "
          f"--target {s['target']} --out benchmarks/results/{transfer.name}")
    print(render_summary(summary))
    print()
    print(render_info(summary))
    print()
    fig = plot_curves(transfer)
    fig.suptitle(f"{SUITE}, {transfer.name}: regret, median and IQR")
    plt.show()
if not shown:
    print("quick mode or no committed transfer result: skipped")'''


def speedup_notebook(suite: str, title: str, budgets: dict[str, int]) -> nbformat.NotebookNode:
    params = f'''# Parameters (papermill-style: this cell is tagged "parameters")
SUITE = "{suite}"
METHODS = ["random", "dataset_meta", "task_embedding", "task_embedding+refine"]
TARGETS = ["top0.1", "best"]
BUDGETS = {budgets!r}
SEEDS = 30
HISTORY_SEEDS = 3
HISTORY = "random-1000"
TASKS = None  # None: the suite's default tasks
WORKERS = None
TRAIN_CONFIG = None
QUICK = False'''
    quick = '''if QUICK:  # CI: a few minutes on 2 cores (fresh small runs, tiny fold models)
    from metanas.benchmarks import get_suite
    SEEDS, HISTORY_SEEDS, WORKERS, TARGETS = 3, 1, 2, ["top0.1"]
    TASKS = list(get_suite(SUITE).default_tasks)[:3]
    BUDGETS = {t: min(b, 100) for t, b in BUDGETS.items()}
    TRAIN_CONFIG = {"max_epochs": 2, "steps_per_epoch": 5, "patience": 1}'''
    cells = [
        new_markdown_cell(SPEEDUP_INTRO.format(title=title)),
        new_code_cell(params, metadata={"tags": ["parameters"]}),
        new_code_cell(quick),
        new_code_cell(SPEEDUP_LOAD),
        new_markdown_cell("## Speedup table\nMedian evaluations-to-target per task and method (`+`: the median is "
                          "censored at budget+1), speedup against `random` (`>=`: lower bound because the random "
                          "median is censored), and the median over tasks with the reduction 1 - 1/speedup."),
        new_code_cell(SPEEDUP_TABLE),
        new_markdown_cell("## Anytime curves\nRegret (the task's best objective minus the best found so far) "
                          "against evaluations, median over all runs with the interquartile band."),
        new_code_cell('for target, path in results.items():\n    fig = plot_curves(path)\n'
                      '    fig.suptitle(f"{SUITE}, target {target}: regret, median and IQR")\n    plt.show()'),
        new_markdown_cell("## Evaluations to target\nEach dot is one search; `x` marks a censored run "
                          "(target not reached within the budget); the black bar is the median."),
        new_code_cell('for target, path in results.items():\n    fig = plot_evals(path)\n    plt.show()'),
        new_markdown_cell("## Search-time reduction against the 30% line"),
        new_code_cell('for target, path in results.items():\n    fig = plot_reduction(path)\n    plt.show()'),
        new_markdown_cell(TRANSFER_INTRO),
        new_code_cell(TRANSFER_CODE),
        new_markdown_cell("## Reading\nSee the README's results section for the figures of the committed run and what "
                          "they mean; the numbers above are recomputed from the result folders."),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


SIMILARITY_CODE = '''%matplotlib inline
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from metanas.benchmarks import get_suite

NOTEBOOK_DIR = Path(os.environ.get("METANAS_NOTEBOOK_DIR", Path.cwd()))
REPO = NOTEBOOK_DIR.parent
sys.path.insert(0, str(REPO))  # the repository's benchmarks/ folder (not installed)
from benchmarks.task_relations import ground_truth_matrices, meta_similarity_matrix


def heatmap(ax, mat, labels, title):
    im = ax.imshow(mat, vmin=np.nanmin([0, np.nanmin(mat)]), vmax=1, cmap="viridis")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_title(title, fontsize=9)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if np.isfinite(mat[i, j]):
                ax.text(j, i, f"{mat[i, j]:.2f}", ha="center", va="center", fontsize=6, color="w")
    return im


def embedding_similarity(suite, tasks):
    """Cosine similarity of the learned task embeddings (shipped checkpoint), or None."""
    from metanas.exceptions import CheckpointError
    from metanas.similarity import cosine, load_task_embedder

    path = REPO / "checkpoints" / CHECKPOINTS[suite.name]
    try:
        emb = load_task_embedder(path)
    except CheckpointError as exc:
        print(f"no learned embeddings for {suite.name}: {exc}")
        return None, None
    vecs = [np.asarray(emb.embed_task(suite.task(t))) for t in tasks]
    return emb, np.array([[cosine(a, b) for b in vecs] for a in vecs])'''

SIMILARITY_HEATMAPS = '''for name in SUITES:
    suite = get_suite(name)
    tasks = [t for t in suite.default_tasks]
    labels = [t.split("/", 1)[1] for t in tasks]
    truth = ground_truth_matrices(suite, tasks, top_fraction=TOP_FRACTION)
    meta = meta_similarity_matrix(suite, tasks)
    _, learned = embedding_similarity(suite, tasks)
    panels = [(meta, "dataset_meta (meta-feature cosine)")]
    if learned is not None:
        panels.append((learned, "learned task embeddings (cosine)"))
    panels += [(truth["spearman"], "ground truth: Spearman rank correlation"),
               (truth["top_overlap"], f"ground truth: top-{100 * TOP_FRACTION:g}% overlap (row task's top)")]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4))
    for ax, (mat, title) in zip(axes, panels):
        im = heatmap(ax, mat, labels, title)
    fig.colorbar(im, ax=axes, shrink=0.7, label="similarity")
    fig.suptitle(f"{name}: task-to-task similarity")
    plt.show()
    off = ~np.eye(len(tasks), dtype=bool)
    from scipy.stats import spearmanr
    print(f"{name}: agreement with the ground-truth Spearman matrix over task pairs: "
          f"dataset_meta rho={spearmanr(meta[off], truth['spearman'][off]).statistic:.2f}"
          + ("" if learned is None else f", learned rho={spearmanr(learned[off], truth['spearman'][off]).statistic:.2f}"))'''

SIMILARITY_PROJECTION = '''from sklearn.decomposition import PCA

for name in SUITES:
    suite = get_suite(name)
    emb, _ = embedding_similarity(suite, list(suite.default_tasks))
    if emb is None:
        continue
    task = PROJECTION_TASK[name]
    table = suite.table(task)
    rng = np.random.default_rng(0)
    idx = rng.choice(len(table), size=min(N_ARCHS, len(table)), replace=False)
    graphs = [table.graphs[i] for i in idx]
    z = emb.embed_architectures(graphs)
    xy = PCA(n_components=2, random_state=0).fit_transform(z)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    sc = ax.scatter(xy[:, 0], xy[:, 1], c=table.values[idx], s=6, cmap="plasma")
    fig.colorbar(sc, label=f"{task} {table.objective}")
    ax.set_xlabel("PC 1 of architecture embedding")
    ax.set_ylabel("PC 2")
    ax.set_title(f"{name}: {len(idx)} architectures, coloured by their score on {task}")
    plt.show()'''


def similarity_notebook() -> nbformat.NotebookNode:
    params = '''# Parameters (this cell is tagged "parameters")
SUITES = ["nasbench-graph", "nb201"]
CHECKPOINTS = {"nasbench-graph": "nbg", "nb201": "nb201"}
PROJECTION_TASK = {"nasbench-graph": "nbg/photo", "nb201": "nb201/cifar100"}
TOP_FRACTION = 0.01
N_ARCHS = 3000
QUICK = False'''
    quick = 'if QUICK:\n    N_ARCHS = 500'
    cells = [
        new_markdown_cell("# How tasks relate, and what a warm start can see of it\n\n"
                          "For each suite: task-to-task similarity by dataset meta-features, by the learned task "
                          "embeddings of the shipped meta-learner checkpoints, and the ground truth from the full "
                          "benchmark tables (rank correlation of all architectures' scores, and overlap of the "
                          "top-1%). Then a 2-D projection of the learned architecture embeddings, coloured by a "
                          "task's score."),
        new_code_cell(params, metadata={"tags": ["parameters"]}),
        new_code_cell(quick),
        new_code_cell(SIMILARITY_CODE),
        new_markdown_cell("## Similarity heatmaps"),
        new_code_cell(SIMILARITY_HEATMAPS),
        new_markdown_cell("## Architecture embeddings"),
        new_code_cell(SIMILARITY_PROJECTION),
        new_markdown_cell("## Reading\n"
                          "* NAS-Bench-201's three tasks rank architectures almost alike (Spearman > 0.9) and share "
                          "most of their top-1%: any warm start transfers well there.\n"
                          "* NAS-Bench-Graph's tasks agree much less (Spearman mostly 0.0-0.6) and their top-1% sets "
                          "barely overlap, so which past task one transfers from decides the outcome; meta-feature "
                          "similarity only partly tracks the ground truth, which is the gap the learned embedding "
                          "and the refinement from the first evaluations aim at."),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


NOTEBOOKS = {
    "speedup_nasbench201.ipynb": lambda: speedup_notebook("nb201", "NAS-Bench-201", {"top0.1": 300, "best": 1000}),
    "speedup_nasbench_graph.ipynb": lambda: speedup_notebook("nasbench-graph", "NAS-Bench-Graph",
                                                             {"top0.1": 300, "best": 1000}),
    "task_similarity.ipynb": similarity_notebook,
}


def execute(path: Path, quick: bool = False, timeout: int = 3600) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel (``quick`` appends ``QUICK = True`` to its parameters)."""
    import os

    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if quick:
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source += "\nQUICK = True"
                break
    path = path.resolve()
    os.environ["METANAS_NOTEBOOK_DIR"] = str(path.parent)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--execute", action="store_true", help="run the notebooks (full mode) and save outputs")
    parser.add_argument("--only", nargs="*", help="notebook file names")
    args = parser.parse_args(argv)
    for name, make in NOTEBOOKS.items():
        if args.only and name not in args.only:
            continue
        path = HERE / name
        nbformat.write(make(), path)
        print(f"wrote {path}")
        if args.execute:
            nb = execute(path)
            nbformat.write(nb, path)
            print(f"executed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
