"""The docs site: its generated pages show what the code and the committed results say, and its links resolve.

The results pages, the CLI reference and the API reference are generated at build time by
``docs/_gen/pages.py``; these tests call the same functions (without MkDocs, which the `test`
extra does not install; CI's docs step builds the site with ``mkdocs build --strict``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from metanas.benchmarks.loto import render_info, render_summary

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def _load_pages():
    spec = importlib.util.spec_from_file_location("metanas_docs_pages", DOCS / "_gen" / "pages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


pages = _load_pages()
FOLDERS = pages.result_folders()
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def test_results_are_read_from_the_top_level_benchmarks_folder():
    assert pages.RESULTS_DIR == REPO / "benchmarks" / "results"
    assert {f.name for f in FOLDERS} >= {"nasbench-graph-top0.1", "nasbench-graph-best", "nb201-top0.1", "nb201-best",
                                         "nested-nasbench-graph-top0.1", "nested-nb201-top0.1", "nested-nb201-best",
                                         "optuna-nasbench-graph-top0.1"}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_each_results_page_holds_the_renderers_table_of_its_summary(folder):
    summary = json.loads((folder / "summary.json").read_text())
    page = pages.results_page(folder)
    if pages.is_loto_summary(summary):
        table = render_summary(summary)
        info = render_info(summary)
        assert table in page and (not info or info in page)
        assert pages.rendered_table(summary) == table + ("\n\n" + info if info else "")
    else:
        renderer = pages._optuna_renderer()  # the Optuna benchmark's own markdown_table, wherever the script lives
        assert renderer.__name__ == "markdown_table" and renderer.__module__.endswith("optuna_speedup")
        assert renderer(summary) in page


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_figure_outside_the_rendered_table_comes_from_the_summary(folder):
    summary = json.loads((folder / "summary.json").read_text())
    rest = pages.results_page(folder).replace(pages.rendered_table(summary), "")
    for commit in pages.CHRONOLOGY:  # commit ids are names, not figures (checked against git below)
        rest = rest.replace(f"`{commit}`", "")
    stray = _numbers(rest) - _numbers(json.dumps(summary)) - _numbers(folder.name)
    assert not stray, f"{folder.name}: figures on its page that its summary.json does not hold: {sorted(stray)}"


def test_a_results_page_follows_its_summary(tmp_path):
    """Generated, not pasted: change a committed summary and the page changes with it."""
    folder = tmp_path / "nb201-top0.1"
    shutil.copytree(pages.RESULTS_DIR / "nb201-top0.1", folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary["median_speedup"]["dataset_meta"] = 123.456
    (folder / "summary.json").write_text(json.dumps(summary))
    page = pages.results_page(folder)
    assert "**123.46x" in page and "**12.50x" not in page  # the committed dataset_meta median is 12.50x
    assert [f.name for f in pages.result_folders(tmp_path)] == ["nb201-top0.1"]


def test_the_results_index_links_every_results_page():
    index = pages.results_index(FOLDERS)
    assert set(re.findall(r"\]\(([^)]+)\.md\)", index)) >= {f.name for f in FOLDERS}


def test_the_cli_reference_is_the_help_of_every_command(monkeypatch):
    from metanas.cli import build_parser

    page = pages.cli_page(width=100)
    monkeypatch.setenv("COLUMNS", "100")
    parser = build_parser()
    assert parser.format_help().rstrip() in page
    commands = pages._subcommands(parser)
    assert {name for name, _ in commands} >= {"demo", "db", "warm-start", "search", "bench", "train"}
    for name, sub in commands:
        assert f"`metanas {name}`" in page and sub.format_help().rstrip() in page
        for inner, subsub in pages._subcommands(sub):
            assert f"`metanas {name} {inner}`" in page and subsub.format_help().rstrip() in page


def test_the_api_reference_has_a_page_per_public_module():
    modules = pages.api_modules()
    assert {"metanas.db", "metanas.search", "metanas.spaces", "metanas.similarity", "metanas.transfer",
            "metanas.integrations.optuna", "models", "training"} <= set(modules)
    assert not [m for m in modules if any(p.startswith("_") for p in m.split("."))]
    assert not [m for m in modules if m.startswith(("metanas.cli", "metanas.benchmarks.report"))]
    api = pages.api_pages(modules)
    assert api["metanas.search.md"].endswith("::: metanas.search\n")
    assert set(re.findall(r"\]\(([^)]+)\)", api["index.md"])) == {f"{m}.md" for m in modules}


def _generated_pages() -> set[str]:
    out = {"cli.md", "results/index.md", *(f"results/{f.name}.md" for f in FOLDERS)}
    return out | {f"reference/{p}" for p in pages.api_pages(pages.api_modules())}


def _links(text: str) -> list[str]:
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # code is not a link
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", t)]


@pytest.mark.parametrize("page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")))
def test_every_link_of_a_docs_page_resolves(page):
    generated = _generated_pages()
    for target in _links((DOCS / page).read_text()):
        path = target.split("#", 1)[0]
        if not path:
            continue
        resolved = (DOCS / page).parent.joinpath(path).resolve()
        rel = resolved.relative_to(DOCS.resolve()).as_posix() if resolved.is_relative_to(DOCS.resolve()) else None
        assert resolved.is_file() or rel in generated, f"{page}: link target {target!r} does not exist"


def test_the_link_check_catches_a_missing_page(tmp_path):
    assert _links("see [x](nowhere.md) and [y](https://example.org) and `[z](code.md)`\n```\n[w](no.md)\n```") == \
        ["nowhere.md", "code.md"]


def test_every_page_is_in_the_mkdocs_nav_or_generated():
    nav = (REPO / "mkdocs.yml").read_text().split("\nnav:", 1)[1]
    listed = set(re.findall(r":\s*(\S+\.md)\s*$", nav, flags=re.MULTILINE))
    written = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert written <= listed, f"pages missing from the nav of mkdocs.yml: {sorted(written - listed)}"
    assert listed - written <= _generated_pages(), f"nav entries without a page: {sorted(listed - written - _generated_pages())}"


LOTO_FOLDERS = [f for f in FOLDERS if pages.is_loto_summary(pages.read_summary(f))]


def _settings_of_command(command: str):
    """What today's CLI makes of a results page's command: the parsed arguments and the
    `LotoSettings` that ``metanas bench`` would build from them (plugins loaded, options checked)."""
    from metanas.benchmarks.loto import LotoSettings
    from metanas.cli import build_parser
    from metanas.cli._bench import load_plugin, parse_method_options

    args = build_parser().parse_args(shlex.split(command)[1:])
    for module in args.plugin:
        load_plugin(module)
    settings = LotoSettings(suite=args.suite, methods=tuple(args.methods.split(",")), seeds=args.seeds,
                            history_seeds=args.history_seeds, budget=args.budget, history=args.history,
                            target=args.target, method_options=parse_method_options(args.method_option),
                            evaluator=args.evaluator, workers=args.workers,
                            tasks=tuple(args.tasks.split(",")) if args.tasks else None)
    return args, settings


@pytest.mark.parametrize("folder", LOTO_FOLDERS, ids=lambda p: p.name)
def test_the_command_on_a_results_page_parses_and_asks_for_its_settings(folder, monkeypatch):
    monkeypatch.chdir(REPO)  # --plugin benchmarks.methods is imported from the repository root
    summary = pages.read_summary(folder)
    command = pages.bench_command(folder.name, summary)
    assert command in pages.results_page(folder)
    args, settings = _settings_of_command(command)
    st = summary["settings"]
    assert (args.command, args.suite, args.methods.split(","), args.seeds, args.history_seeds, args.budget,
            args.history, args.target) == ("bench", summary["suite"], pages.today_methods(folder.name, summary),
                                           st["seeds"], st["history_seeds"],
                                           st["budget"], st["history"], st["target"])
    assert args.out == f"benchmarks/results/{folder.name}"
    assert settings.method_options == pages.method_options(folder.name, summary)
    # the plugin exactly where a method is a variant that benchmarks/methods.py registers
    today = pages.today_methods(folder.name, summary)
    assert (args.plugin == ["benchmarks.methods"]) == bool(set(today) - pages.library_methods())
    for name in today:  # each method today runs its summary's strategy (legacy: one for all)
        if name != "random" and st.get("strategy", "regularized_evolution") == "regularized_evolution":
            method = settings.method(name)
            assert method.strategy in ("regularized_evolution", "transfer-bo")
            assert not method.strategy_options


def test_the_library_methods_are_those_without_a_plugin():
    assert pages.library_methods() >= {"random", "dataset_meta", "task_embedding", "task_embedding+refine",
                                       "naive_meanrank", "transfer-bo"}
    assert not pages.library_methods() & {"transfer-bo-hedge", "transfer-bo-nested", "transfer-bo-cold"}


def _legacy(**settings) -> dict:
    base = {"methods": ["random", "dataset_meta", "task_embedding+refine", "transfer-bo"], "seeds": 2,
            "history_seeds": 1, "budget": 50, "history": "random-1000", "target": "top0.1"}
    return {"suite": "nb201", "settings": base | settings, "task_info": {}, "median_speedup": {}}


def test_a_legacy_global_strategy_becomes_options_of_the_methods_that_ran_it():
    """Before methods held their own strategy, ``--strategy``/``--strategy-option`` applied to every
    method whose search the settings built (not to TransferBO, which brings its own), and the
    warm start's and meta-learner's settings were global too."""
    summary = _legacy(strategy="random", strategy_options={"x": 1}, warm_start={"transfer_ratio": 0.5},
                      train_config={"max_epochs": 3}, refine={"every": 5})
    options, notes = pages.legacy_method_options(summary)
    assert options == {
        "dataset_meta": {"strategy": "random", "strategy_options": {"x": 1}, "config": {"transfer_ratio": 0.5}},
        "task_embedding+refine": {"strategy": "random", "strategy_options": {"x": 1},
                                  "config": {"transfer_ratio": 0.5}, "train_config": {"max_epochs": 3},
                                  "refine_options": {"every": 5}},
    }
    assert notes and "baseline" in notes[0]  # the old baseline ran it too: today's CLI cannot
    tokens = shlex.split(pages.bench_command("legacy", summary))
    assert "dataset_meta:strategy=random" in tokens and 'task_embedding+refine:refine_options={"every":5}' in tokens
    assert "No current command reproduces it exactly" in pages.provenance("legacy", summary)


def test_a_legacy_transfer_bo_strategy_passes_its_options_to_the_transfer_methods_only():
    options, notes = pages.legacy_method_options(_legacy(strategy="transfer-bo", strategy_options={"kappa": 2}))
    assert options["transfer-bo"] == {"kappa": 2}
    assert options["dataset_meta"] == {"strategy": "transfer-bo", "strategy_options": {"kappa": 2}} and notes


def test_a_summary_with_the_default_strategy_needs_no_option():
    assert pages.legacy_method_options(_legacy(strategy="regularized_evolution", strategy_options={})) == ({}, [])
    assert "--method-option" not in pages.bench_command("legacy", _legacy())


def test_a_method_changed_after_a_run_is_asked_for_in_its_old_form():
    nb201 = pages.read_summary(pages.RESULTS_DIR / "nb201-top0.1")  # pre-calibration, pairwise meta-learner
    assert 'task_embedding:train_config={"loss":"pairwise"}' in shlex.split(pages.bench_command("nb201-top0.1", nb201))
    text = pages.provenance("nb201-top0.1", nb201)
    assert "`5b0aa60`" in text and "No current command reproduces its task_embedding, task_embedding+refine" in text
    stack = pages.read_summary(pages.RESULTS_DIR / "stack-nasbench-graph-top0.1")  # transfer-bo was the plain forest
    assert "stack_past" not in pages.bench_command("stack-nasbench-graph-top0.1", stack)  # pruned from TransferBO
    assert "transfer-bo-plain" in pages.provenance("stack-nasbench-graph-top0.1", stack)
    hedge = pages.read_summary(pages.RESULTS_DIR / "hedge-nasbench-graph-top0.1")  # measured with today's default
    assert "--method-option" not in pages.bench_command("hedge-nasbench-graph-top0.1", hedge)


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], check=False, cwd=REPO, capture_output=True, text=True)


needs_git = pytest.mark.skipif(shutil.which("git") is None or _git("rev-parse", "HEAD").returncode != 0
                               or _git("cat-file", "-e", "5207588").returncode != 0,
                               reason="needs the repository's git history")


@needs_git
@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_the_commit_a_page_names_wrote_its_summary(folder):
    commit = pages.MEASURED_AT[folder.name]
    here = (folder / "summary.json").read_bytes()
    held = [_git("show", f"{commit}:{root}/results/{folder.name}/summary.json") for root in ("notebooks", "benchmarks")]
    assert any(r.returncode == 0 and r.stdout.encode() == here for r in held), \
        f"{folder.name}: its summary.json is not the one commit {commit} holds"
    parent = [_git("show", f"{commit}^:{root}/results/{folder.name}/summary.json") for root in ("notebooks", "benchmarks")]
    assert not any(r.returncode == 0 and r.stdout.encode() == here for r in parent), \
        f"{folder.name}: commit {commit} did not write it (its parent holds the same file)"


@needs_git
def test_the_chronology_is_the_order_of_the_history():
    for older, newer in zip(pages.CHRONOLOGY, pages.CHRONOLOGY[1:]):
        assert _git("merge-base", "--is-ancestor", older, newer).returncode == 0, f"{older} is not before {newer}"
    assert set(pages.MEASURED_AT.values()) | {c.commit for c in pages.METHOD_CHANGES} <= set(pages.CHRONOLOGY)


def _bench_lines() -> list[tuple[str, str]]:
    out = []
    for path in sorted(DOCS.rglob("*.md")):
        for block in re.findall(r"```(?:bash)?\n(.*?)```", path.read_text(), flags=re.DOTALL):
            out += [(path.relative_to(DOCS).as_posix(), line) for line in block.splitlines()
                    if line.startswith("metanas bench")]
    return out


@pytest.mark.parametrize("page, line", _bench_lines(), ids=lambda v: v[:60] if isinstance(v, str) else v)
def test_every_bench_command_of_the_docs_runs_with_todays_cli(page, line, monkeypatch):
    """Each ``metanas bench`` line of a docs page parses, names the plugin its variants need, and
    one that writes a committed folder is that folder's results-page command."""
    monkeypatch.chdir(REPO)
    argv = shlex.split(line)
    if "--list-methods" in argv or "--list-suites" in argv:
        return
    args, _ = _settings_of_command(line.removesuffix(" --plot"))
    assert ("benchmarks.methods" in args.plugin) == bool(set(args.methods.split(",")) - pages.library_methods()), line
    folder = pages.RESULTS_DIR / Path(args.out).name
    if args.out == f"benchmarks/results/{folder.name}" and (folder / "summary.json").is_file():
        assert line.removesuffix(" --plot") == pages.bench_command(folder.name, pages.read_summary(folder)), page
