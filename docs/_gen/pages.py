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
import functools
import importlib
import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
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
    "protocol-nasbench-graph-top0.1": "current: the protocol with history draws as the unit (ten of each): the learned "
                                      "Bayesian surrogate against the tree rankers, the same search cold and the "
                                      "warm starts",
    "nested-nasbench-graph-top0.1": "current: the transfer search with its configuration chosen by nested "
                                    "leave-one-out, against the warm starts and the same search cold",
    "nested-nb201-top0.1": "current: the same protocol on NAS-Bench-201",
    "nested-nb201-best": "current: NAS-Bench-201, the single best architecture as target",
    "surrogate-nasbench-graph-top0.1": "current: the learned Bayesian surrogate against the tree rankers, same "
                                       "seeds (first measurement: 4 search x 3 history seeds, with intervals)",
    "surrogate-nb201-top0.1": "current: the learned Bayesian surrogate against the tree rankers on NAS-Bench-201",
    "surrogate-nb201-best": "current: the same on NAS-Bench-201 with the single best architecture as target",
    "ridge-nasbench-graph-top0.1": "current: controls of the Bayesian surrogate, same seeds: over a ridge embedding of "
                                   "the space's own features (no meta-learner), and with a flat prior and no history",
    "lowdata-nb201-cifar10-from-cifar100-top0.1": "current: low data, 200 random rows of one other task "
                                                  "(cifar100) as the whole history",
    "lowdata-nb201-cifar100-from-imagenet16-120-top0.1": "current: low data, 200 random rows of imagenet16-120",
    "lowdata-nb201-imagenet16-120-from-cifar10-top0.1": "current: low data, 200 random rows of cifar10",
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


#: The commit that wrote each committed ``summary.json`` (the file is unchanged since; the test
#: checks it against git). The results page names it.
MEASURED_AT = {
    "nasbench-graph-top0.1": "5207588", "nasbench-graph-best": "5207588", "nb201-best": "5207588",
    "nb201-top0.1": "5b0aa60",
    "transfer-nasbench-graph-top0.1": "a1cef08", "transfer-nb201-top0.1": "a1cef08", "transfer-nb201-best": "a1cef08",
    "calibrated-nb201-top0.1": "3129f8c", "calibrated-nasbench-graph-top0.1": "2004f81",
    "stack-nasbench-graph-top0.1": "38738be",
    "hedge-nasbench-graph-top0.1": "b67f60f", "hedge-nb201-top0.1": "33d894c", "hedge-nb201-best": "33d894c",
    "nested-nb201-top0.1": "85cacbd", "nested-nasbench-graph-top0.1": "c231b85", "nested-nb201-best": "94e969b",
    "optuna-nasbench-graph-top0.1": "30b9683",
    "protocol-nasbench-graph-top0.1": "11006df",
    "surrogate-nasbench-graph-top0.1": "850ebea", "surrogate-nb201-top0.1": "850ebea",
    "lowdata-nb201-cifar10-from-cifar100-top0.1": "850ebea",
    "lowdata-nb201-cifar100-from-imagenet16-120-top0.1": "850ebea",
    "lowdata-nb201-imagenet16-120-from-cifar10-top0.1": "850ebea",
    "surrogate-nb201-best": "5130fef",
    "ridge-nasbench-graph-top0.1": "429b40c",
}

#: The commits above and the method changes below, oldest first (the test checks the order with git).
CHRONOLOGY = ("5207588", "5b0aa60", "f91c565", "a1cef08", "3129f8c", "2004f81", "38738be", "b67f60f", "33d894c",
              "85cacbd", "c231b85", "94e969b", "30b9683", "66cc949", "850ebea", "5130fef", "429b40c",
              "978e0f9", "11006df")


@dataclass(frozen=True)
class MethodChange:
    """A change of what a library method runs by default, after which older summaries need an option
    (``restore``, ``--method-option`` keys) to ask for what they measured, or cannot (``restore`` None)."""

    commit: str
    methods: tuple[str, ...]
    what: str
    restore: dict | None
    #: a method that runs under another name today (e.g. a library method's old default, now a variant)
    rename: dict | None = None


METHOD_CHANGES = (
    MethodChange("f91c565", ("task_embedding", "task_embedding+refine"),
                 "task_embedding has been calibrated to dataset_meta since", None),
    MethodChange("b67f60f", ("transfer-bo",),
                 "TransferBO's default stack_past has been 'both' (both target forests) since; it ran the plain "
                 "target forest alone, which the variant transfer-bo-plain of benchmarks/methods.py runs today "
                 "(stack_past stopped being a TransferBO option when its options were pruned; a cold run has no "
                 "stacked forest)",
                 None, {"transfer-bo": "transfer-bo-plain"}),
    MethodChange("66cc949", ("task_embedding", "task_embedding+refine"),
                 "the fold meta-learner has trained with the regression objective since; it trained with the "
                 "pairwise ranking loss", {"train_config": {"loss": "pairwise"}}),
    MethodChange("978e0f9", ("task_embedding",),
                 "task_embedding has compared the new task's prior head with the past tasks' learned heads since "
                 "(no calibration to dataset_meta)", None),
)


def changes_since(folder_name: str, methods: list[str]) -> list[MethodChange]:
    """The `METHOD_CHANGES` made after the folder was measured that touch one of its methods."""
    commit = MEASURED_AT.get(folder_name)
    if commit is None:
        return []
    order = CHRONOLOGY.index
    return [c for c in METHOD_CHANGES if order(c.commit) > order(commit) and set(c.methods) & set(methods)]


@functools.lru_cache(maxsize=1)
def library_methods() -> frozenset[str]:
    """The LOTO methods the library registers by itself (asked in a fresh interpreter, so that a
    plugin imported here does not count)."""
    code = "from metanas.benchmarks.loto import method_names; print('\\n'.join(method_names()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return frozenset(out.stdout.split())


def _all_methods():
    """The LOTO method classes, with the repository's variants (``benchmarks.methods``) registered."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    importlib.import_module("benchmarks.methods")
    from metanas.benchmarks import loto

    return loto


def _option(method: str, key: str, value: object) -> str:
    raw = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return f"--method-option {shlex.quote(f'{method}:{key}={raw}')}"


def legacy_method_options(summary: dict) -> tuple[dict[str, dict], list[str]]:
    """The settings of a summary written before methods held their own options (a global
    ``strategy``/``strategy_options``, ``warm_start``, ``train_config``, ``refine``) as today's
    per-method options (``--method-option METHOD:KEY=VALUE``), and notes on what no current
    option reproduces.

    Returns:
        (method -> {key: value}, notes).
    """
    st = summary["settings"]
    loto = _all_methods()
    strategy = st.get("strategy", "regularized_evolution")
    options = st.get("strategy_options") or {}
    out: dict[str, dict] = {}
    notes: list[str] = []
    if strategy != "regularized_evolution" or options:
        notes.append(f"it ran every method's search, the random baseline's too, with the strategy {strategy} "
                     f"{json.dumps(options)}; today the baseline is always regularized evolution from a random "
                     "population, so no current command reproduces its random column")
    for name in st["methods"]:
        if name == st.get("baseline", "random"):
            continue
        method = loto.create_method(name)
        mine: dict = {}
        if isinstance(method, loto.TransferBOMethod):
            if strategy == "transfer-bo":  # the old CLI passed a transfer-bo strategy's options to it
                mine.update(options)
        elif strategy != "regularized_evolution" or options:
            if strategy != method.strategy:
                mine["strategy"] = strategy
            if options:
                mine["strategy_options"] = dict(options)
        if isinstance(method, loto.WarmStartMethod):
            if st.get("warm_start"):
                mine["config"] = dict(st["warm_start"])
            if st.get("train_config") is not None and method.learned:
                mine["train_config"] = dict(st["train_config"])
            if st.get("refine") and method.refine:
                mine["refine_options"] = dict(st["refine"])
        if mine:
            out[name] = mine
    return out, notes


def method_options(folder_name: str, summary: dict) -> dict[str, dict]:
    """Today's ``--method-option`` values that ask for what a folder's methods ran: its own
    ``method_options``, its legacy global settings (`legacy_method_options`) and, for each
    `METHOD_CHANGES` entry made after it was measured, the option that restores the old default
    (where the summary does not set that key already)."""
    st = summary["settings"]
    out, _ = legacy_method_options(summary)
    for name, opts in (st.get("method_options") or {}).items():
        out.setdefault(name, {}).update(opts)
    for change in changes_since(folder_name, list(st["methods"])):
        for name in (m for m in change.methods if m in st["methods"]):
            for key, value in (change.restore or {}).items():
                out.setdefault(name, {}).setdefault(key, value)
    return out


def today_methods(folder_name: str, summary: dict) -> list[str]:
    """The folder's methods under the names that run them today (`MethodChange.rename`)."""
    names: dict[str, str] = {}
    for change in changes_since(folder_name, list(summary["settings"]["methods"])):
        names.update(change.rename or {})
    return [names.get(m, m) for m in summary["settings"]["methods"]]


def bench_command(folder_name: str, summary: dict) -> str:
    """The ``metanas bench`` command (today's CLI) that asks for a LOTO folder's settings, rebuilt
    from its ``summary.json`` (`method_options`); with ``--plugin benchmarks.methods`` where a
    method is a variant registered there."""
    st = summary["settings"]
    methods = today_methods(folder_name, summary)
    parts = ["metanas bench"]
    if set(methods) - library_methods():
        parts.append("--plugin benchmarks.methods")
    parts += [f"--suite {summary['suite']}", f"--methods {','.join(methods)}",
              f"--seeds {st['seeds']}", f"--history-seeds {st['history_seeds']}", f"--budget {st['budget']}",
              f"--history {st['history']}", f"--target {st['target']}"]
    if st.get("baseline", "random") != "random":
        parts.append(f"--baseline {st['baseline']}")
    if st.get("tasks"):
        parts.append(f"--tasks {','.join(st['tasks'])}")
    if st.get("pool"):
        parts.append(f"--pool {','.join(st['pool'])}")
    for name, opts in method_options(folder_name, summary).items():
        parts += [_option(name, k, v) for k, v in sorted(opts.items())]
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


def provenance(folder_name: str, summary: dict) -> str:
    """Which commit measured the folder and what today's command can and cannot ask for."""
    commit = MEASURED_AT.get(folder_name)
    lines = []
    if commit:
        lines.append(f"Measured with the CLI of commit `{commit}` (the `summary.json` is unchanged since).")
    if not is_loto_summary(summary):
        return " ".join(lines)
    _, notes = legacy_method_options(summary)
    changes = changes_since(folder_name, list(summary["settings"]["methods"]))
    methods = summary["settings"]["methods"]

    def names(c: MethodChange) -> str:
        return ", ".join(m for m in c.methods if m in methods)

    restored = [c for c in changes if c.restore is not None]
    lost = [c for c in changes if c.restore is None]
    if restored:
        lines.append("The command asks today's code for what it ran: " + "; ".join(
            f"{names(c)}: {c.what} (`{c.commit}`), hence "
            + ", ".join(f"`{k}={json.dumps(v)}`" for k, v in c.restore.items()) for c in restored) + ".")
    for c in lost:
        lines.append(f"No current command reproduces its {names(c)} columns: {c.what} (`{c.commit}`); "
                     "the equivalent today is the command above, which runs the current form.")
    lines += [f"No current command reproduces it exactly: {n}." for n in notes]
    return " ".join(lines)


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
    origin = provenance(folder.name, summary)
    return "\n".join([
        f"# {folder.name}", "",
        f"*{caption}.*", "",
        (f"The command that asks today's CLI for its settings, rebuilt from its `summary.json` (run from the "
         f"repository root; the raw rows are in `benchmarks/results/{folder.name}/`):"), "",
        "```bash", command, "```", "",
        *([origin, ""] if origin else []),
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
