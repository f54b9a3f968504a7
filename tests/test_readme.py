"""The README: short, its two commands the ones CI runs, its headline figures those of the committed runs,
and its links resolve. (Its library example runs in tests/test_docs_examples.py.)"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()

SET_UP = ('python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 && '
          'pip install -e ".[test,nb201]" -c constraints.txt && metanas demo')
TEST_COMMAND = ". .venv/bin/activate && python -m pytest -q"


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)]


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 250


def test_the_two_commands_are_the_ones_ci_runs():
    blocks = _bash_blocks(README.split("## The two commands", 1)[1].split("\n## ", 1)[0])
    assert blocks == [SET_UP, TEST_COMMAND]
    ci = (REPO / ".ci" / "run").read_text()
    setup = ci.split("# --- README set-up", 1)[1].split("# --- README test command", 1)[0]
    assert "pip install -q torch==2.13.0" in setup
    assert 'pip install -q -e ".[test,nb201]" -c constraints.txt' in setup
    assert "python -m pytest -q -p no:cacheprovider" in ci.split("# --- README test command", 1)[1]


def test_the_cli_example_parses():
    from metanas.cli import build_parser

    (block,) = _bash_blocks(README.split("## Use it from the command line", 1)[1].split("\n## ", 1)[0])
    lines = [line.split("  #", 1)[0] for line in block.splitlines()]
    assert 3 <= len(lines) <= 6
    for line in lines:
        argv = shlex.split(line)
        assert argv[0] == "metanas"
        args = build_parser().parse_args(argv[1:])
        assert callable(args.func), line


def _tables() -> list[list[list[str]]]:
    """The Markdown tables of the README's Results section, each as rows of cells (header first)."""
    section = README.split("## Results", 1)[1].split("\n## ", 1)[0]
    tables: list[list[list[str]]] = []
    previous = False
    for line in section.splitlines():
        row = line.startswith("| ")
        if row and not line.startswith("| ---"):
            if not previous:
                tables.append([])
            tables[-1].append([c.strip() for c in line.strip("|").split("|")])
        previous = row
    return tables


def _summary(folder: str) -> dict:
    return json.loads((REPO / "benchmarks" / "results" / folder / "summary.json").read_text())


def _folders(cell: str) -> list[str]:
    return re.findall(r"\(benchmarks/results/([^/]+)/summary\.json\)", cell)


def test_the_headline_table_holds_the_figures_of_the_committed_runs():
    header, *rows = _tables()[0]
    methods = [re.search(r"`([^`]+)`\)?$", h).group(1) for h in header[1:-1]]
    assert methods == ["dataset_meta", "transfer-bo-cold", "transfer-bo"]
    assert len(rows) == 3
    for row in rows:
        nested, fixed = _folders(row[-1])
        a, b = _summary(nested), _summary(fixed)
        # transfer-bo's defaults ran as the hedge runs' transfer-bo-hedge column (the same searches)
        figures = [a["median_speedup"]["dataset_meta"], a["median_speedup"]["transfer-bo-cold"],
                   b["median_speedup"]["transfer-bo-hedge"]]
        assert [f"{f:.2f}x" for f in figures] == row[1:-1], row[-1]
        target = "best" if "best" in row[0] else "top0.1"
        for summary in (a, b):
            assert summary["settings"]["target"] == target and summary["settings"]["seeds"] == 30
            assert summary["settings"]["history_seeds"] == 3 and summary["settings"]["history"] == "random-1000"
            assert summary["settings"].get("strategy", "regularized_evolution") == "regularized_evolution"


def test_the_surrogate_table_holds_the_figures_of_the_committed_runs():
    from metanas.benchmarks.loto._report import round_half_away

    header, *rows = _tables()[1]
    methods = [re.search(r"`([^`]+)`\)?$", h).group(1) for h in header[1:-1]]
    assert methods == ["transfer-bo-trees", "transfer-bo-learned", "transfer-bo-both"]
    assert len(rows) == 6
    for row in rows:
        (folder,) = _folders(row[-1])
        summary = _summary(folder)
        # rounded as the results pages round (halves away from zero: 16.125 is 16.13x)
        assert [f"{round_half_away(summary['median_speedup'][m], 2)}x" for m in methods] == row[1:-1], folder
        settings = summary["settings"]
        assert settings["target"] == ("best" if "best" in row[0] else "top0.1")
        assert (settings["seeds"], settings["history_seeds"]) == (4, 3)
        assert settings["history_size"] == (200 if folder.startswith("lowdata") else 1000)
        assert "4 search x 3 history seeds" in " ".join(README.split())


def test_the_optuna_figure_is_the_committed_one():
    summary = json.loads((REPO / "benchmarks/results/optuna-nasbench-graph-top0.1/summary.json").read_text())
    figure = f"{summary['median_speedup_vs_tpe']['metanas-transfer']:.2f}x"
    assert f"the transfer search needs {figure} fewer evaluations than Optuna's TPE from cold" in " ".join(README.split())


@pytest.mark.parametrize("target", sorted({t for t in re.findall(r"\]\(([^)\s]+)\)", README)
                                           if not re.match(r"[a-z]+:", t)}))
def test_every_readme_link_resolves(target):
    assert (REPO / target.split("#", 1)[0]).exists(), f"README links to {target!r}, which does not exist"


def test_the_demo_sample_is_what_the_demo_prints_about_its_choice():
    """The README's sample of ``metanas demo`` quotes the task, method and figures that the demo
    chooses from the committed results today (rerun the demo and paste it when they change)."""
    from metanas.benchmarks.demo import choose

    (sample,) = re.findall(r"```text\n(metanas demo: .*?)```", README, flags=re.DOTALL)
    c = choose()
    flat = " ".join(sample.split())
    assert f"held-out task {c.task}, method {c.method}: the library method with the highest median speedup" in flat
    assert f"({c.folder}, {c.date}" in flat
    assert (f"median {c.median_speedup_over_tasks:.2f}x fewer evaluations than random over the {c.num_tasks} tasks, "
            f"{c.worst_speedup:.2f}x on {c.worst_task} (the worst)") in flat
    assert f"{c.speedup:.2f}x (median {c.method_median:g} against {c.random_median:g} evaluations" in flat
    assert sample.rstrip().splitlines()[-1].startswith("next: docs/quickstart.md")
    assert f"metanas bench --methods random,{c.method}" in sample
