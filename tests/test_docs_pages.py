"""The docs site: its generated pages show what the code and the committed results say, and its links resolve.

The results pages, the CLI reference and the API reference are generated at build time by
``docs/_gen/pages.py``; these tests call the same functions (without MkDocs, which the `test`
extra does not install; CI's docs step builds the site with ``mkdocs build --strict``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from metanas.benchmarks.loto import render_info, render_summary

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def _load_pages():
    spec = importlib.util.spec_from_file_location("metanas_docs_pages", DOCS / "_gen" / "pages.py")
    module = importlib.util.module_from_spec(spec)
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


@pytest.mark.parametrize("folder", [f for f in FOLDERS if pages.is_loto_summary(pages.read_summary(f))],
                         ids=lambda p: p.name)
def test_the_command_on_a_results_page_parses_and_asks_for_its_settings(folder):
    import shlex

    from metanas.cli import build_parser

    summary = pages.read_summary(folder)
    args = build_parser().parse_args(shlex.split(pages.bench_command(folder.name, summary))[1:])
    st = summary["settings"]
    assert (args.command, args.suite, args.methods.split(","), args.seeds, args.history_seeds, args.budget,
            args.history, args.target) == ("bench", summary["suite"], st["methods"], st["seeds"], st["history_seeds"],
                                           st["budget"], st["history"], st["target"])
    assert args.strategy == st.get("strategy", "regularized_evolution")
    assert args.out == f"benchmarks/results/{folder.name}"
