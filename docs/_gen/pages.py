"""The generated pages of the docs site: the CLI reference, the results pages and the API reference.

Pure functions from the repository's own sources to Markdown text, so that the tests can compare
what the site shows with what the code and the committed results say
(``tests/test_docs_pages.py``); ``gen_pages.py`` writes them through ``mkdocs-gen-files`` at build
time. Nothing here imports MkDocs.

- CLI reference: the ``--help`` of every (sub-)command of `metanas.cli.build_parser`, walked
  recursively, never hand-written.
- Results: one page per folder of `RESULTS_DIR` that holds a ``summary.json``. A folder written
  by ``metanas bench`` is rendered by `metanas.benchmarks.loto.render_summary` (plus
  `render_info`), the one LOTO renderer; the Optuna benchmark's folder by that benchmark's own
  ``markdown_table``. The page adds only the command that wrote the folder, rebuilt from the
  summary's settings, and a caption without figures.
- API reference: one ``::: module`` page per public module of ``metanas`` (mkdocstrings).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Where the committed benchmark results live (one folder per run, each with its summary.json).
RESULTS_DIR = REPO / "benchmarks" / "results"

#: The Optuna benchmark's renderer; the first of these modules that imports is used (the script
#: moves from the installed package to the top-level `benchmarks/`, issue 21).
OPTUNA_RENDERER_MODULES = ("benchmarks.optuna_speedup", "metanas.benchmarks.optuna_speedup")

#: What each committed run is for, in words (no figures: those come from the summaries). The
#: current ones first; the rest are history, explained on the lab-notes page.
CAPTIONS = {
    "nested-nasbench-graph-top0.1": "current: the transfer search with its configuration chosen by nested "
                                    "leave-one-out, against the warm starts and the same search cold",
    "nested-nb201-top0.1": "current: the same protocol on NAS-Bench-201",
    "nested-nb201-best": "current: NAS-Bench-201, the single best architecture as target",
    "optuna-nasbench-graph-top0.1": "current: Optuna samplers on the same protocol, each search an Optuna study",
    "hedge-nasbench-graph-top0.1": "current: the transfer search's default (both target forests) as a fixed "
                                   "configuration, without the nested choice",
    "hedge-nb201-top0.1": "current: the target forests compared on NAS-Bench-201",
    "hedge-nb201-best": "current: the target forests compared on NAS-Bench-201, best architecture as target",
    "calibrated-nasbench-graph-top0.1": "current for the warm starts: task_embedding calibrated to dataset_meta",
    "calibrated-nb201-top0.1": "current for the warm starts: task_embedding calibrated to dataset_meta",
    "nasbench-graph-top0.1": "the first full run of the warm starts (task_embedding before its calibration)",
    "nasbench-graph-best": "the warm start on the best architecture as target",
    "nb201-top0.1": "the first full run of the warm starts (task_embedding before its calibration)",
    "nb201-best": "the warm starts on the best architecture as target (task_embedding before its calibration)",
    "stack-nasbench-graph-top0.1": "history: the plain and the stacked target forest side by side",
    "transfer-nasbench-graph-top0.1": "history: the first look at the transfer search (fewer seeds)",
    "transfer-nb201-top0.1": "history: the first look at the transfer search and its first-population halves",
    "transfer-nb201-best": "history: the first look at the transfer search on the best target (few seeds)",
}


def is_loto_summary(summary: dict) -> bool:
    """A summary written by ``metanas bench`` (the Optuna benchmark writes another format)."""
    return {"settings", "task_info", "median_speedup"} <= set(summary)


def result_folders(results_dir: Path = RESULTS_DIR) -> list[Path]:
    """The folders of ``results_dir`` that hold a ``summary.json``, sorted by name."""
    return sorted(p for p in results_dir.iterdir() if (p / "summary.json").is_file())


def read_summary(folder: Path) -> dict:
    """The parsed ``summary.json`` of a result folder."""
    return json.loads((folder / "summary.json").read_text())


def _optuna_renderer():
    for name in OPTUNA_RENDERER_MODULES:
        if name.startswith("benchmarks.") and str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))
        try:
            return importlib.import_module(name).markdown_table
        except ModuleNotFoundError as exc:
            if exc.name not in {name, name.rsplit(".", 1)[0]}:
                raise
    raise ModuleNotFoundError(f"none of {OPTUNA_RENDERER_MODULES} can be imported")


def bench_command(folder_name: str, summary: dict) -> str:
    """The ``metanas bench`` command that wrote a LOTO folder, rebuilt from its settings."""
    st = summary["settings"]
    parts = ["metanas bench", f"--suite {summary['suite']}", f"--methods {','.join(st['methods'])}",
             f"--seeds {st['seeds']}", f"--history-seeds {st['history_seeds']}", f"--budget {st['budget']}",
             f"--history {st['history']}", f"--target {st['target']}"]
    if st.get("tasks"):
        parts.append(f"--tasks {','.join(st['tasks'])}")
    if st.get("strategy", "regularized_evolution") != "regularized_evolution":
        parts.append(f"--strategy {st['strategy']}")
    parts += [f"--strategy-option {k}={v}" for k, v in sorted(st.get("strategy_options", {}).items())]
    if st.get("evaluator", "benchmark") != "benchmark":
        parts.append(f"--evaluator {st['evaluator']}")
    if st.get("objective"):
        parts.append(f"--objective {st['objective']}")
    if st.get("shuffle_history"):
        parts.append("--shuffle-history")
    if st.get("workers") not in (None, 1):
        parts.append(f"--workers {st['workers']}")
    parts.append(f"--out benchmarks/results/{folder_name}")
    return " ".join(parts)


def optuna_command(folder_name: str, summary: dict) -> str:
    """The command that wrote the Optuna benchmark's folder, rebuilt from its summary."""
    return (f"python -m benchmarks.optuna_speedup --seeds {summary['seeds']} --history-seeds "
            f"{summary['history_seeds']} --out benchmarks/results/{folder_name}")


def rendered_table(summary: dict) -> str:
    """The table of a summary, by the renderer of its kind (see the module docstring)."""
    if is_loto_summary(summary):
        from metanas.benchmarks.loto import render_info, render_summary

        info = render_info(summary)
        return render_summary(summary) + ("\n\n" + info if info else "")
    return _optuna_renderer()(summary)


def results_page(folder: Path) -> str:
    """The Markdown page of one result folder."""
    summary = read_summary(folder)
    command = bench_command(folder.name, summary) if is_loto_summary(summary) else optuna_command(folder.name, summary)
    caption = CAPTIONS.get(folder.name, "a committed run")
    return "\n".join([
        f"# {folder.name}", "",
        f"*{caption}.*", "",
        (f"The command that wrote it, rebuilt from the settings in its `summary.json` (run from the repository "
         f"root; the raw rows are in `benchmarks/results/{folder.name}/`):"), "",
        "```bash", command, "```", "",
        rendered_table(summary), "",
    ])


def results_index(folders: list[Path]) -> str:
    """The results landing page: what each committed run is for, linked."""
    current = [f for f in folders if CAPTIONS.get(f.name, "").startswith("current")]
    rest = [f for f in folders if f not in current]
    lines = ["# Results", "",
             ("Every page below is generated at build time from the run's committed `summary.json` "
             "(`benchmarks/results/<run>/`) by the renderer that `metanas bench` prints with; nothing on them is "
             "typed by hand. How the figures are measured: [the LOTO protocol](../protocol.md). What each older run "
             "taught: [lab notes](../lab-notes.md)."), "", "## Current", ""]
    lines += [f"- [{f.name}]({f.name}.md): {CAPTIONS[f.name].removeprefix('current: ')}" for f in current]
    lines += ["", "## Earlier runs", ""]
    lines += [f"- [{f.name}]({f.name}.md): {CAPTIONS.get(f.name, 'a committed run')}" for f in rest]
    return "\n".join(lines) + "\n"


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    out = []
    for action in parser._actions:  # argparse keeps sub-parsers only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append((name, sub))
    return out


def cli_page(width: int = 100) -> str:
    """The CLI reference: ``metanas --help`` and the help of every sub-command, recursively."""
    from metanas.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)  # argparse wraps to the terminal width; fix it for the page
    try:
        parser = build_parser()
        lines = ["# CLI reference", "",
                 ("Generated from the argument parser of `metanas.cli` (`metanas COMMAND --help` prints the same). "
                 "Bad input prints one line naming the field and the fix and exits with status 2."), ""]

        def walk(prog: str, p: argparse.ArgumentParser, level: int) -> None:
            lines.extend([f"{'#' * level} `{prog}`", "", "```text", p.format_help().rstrip(), "```", ""])
            for name, sub in _subcommands(p):
                walk(f"{prog} {name}", sub, min(level + 1, 4))

        walk("metanas", parser, 2)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(lines)


def public_modules(package_dir: Path = REPO / "metanas") -> list[str]:
    """Dotted names of the public modules and packages under ``package_dir`` (no ``_private`` part;
    for ``metanas``, neither the CLI nor the benchmark scripts)."""
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts) or parts[-1] == "__main__":
            continue
        if parts[0] == "metanas" and len(parts) > 1 and parts[1] in {"cli", "benchmarks"} and parts[1:] != ["benchmarks"] \
                and parts[1:] != ["benchmarks", "loto"]:
            continue  # the CLI has its own page; benchmark scripts are not API
        if "migrations" in parts:
            continue
        names.append(".".join(parts))
    return names


def api_modules() -> list[str]:
    """The modules of the API reference: ``metanas`` and the meta-learner's packages (the folders
    ``models/`` and ``training/``, installed as ``metanas.models`` and ``metanas.training``)."""
    return [*public_modules(REPO / "metanas"), *public_modules(REPO / "models"), *public_modules(REPO / "training")]


def api_pages(modules: list[str]) -> dict[str, str]:
    """Path under ``reference/`` -> page text: an index and one mkdocstrings page per module."""
    pages = {"index.md": "# API reference\n\nGenerated from the docstrings (mkdocstrings). Public modules "
                         "(`models.*` and `training.*` are installed as `metanas.models.*` and "
                         "`metanas.training.*`):\n\n"
                         + "".join(f"- [`{m}`]({m}.md)\n" for m in modules)}
    for m in modules:
        pages[f"{m}.md"] = f"# `{m}`\n\n::: {m}\n"
    return pages
