"""What the protocol writes is reproducible, and what the notebooks and `report` show is its rendering (the docs'
results pages are pinned in tests/test_docs_pages.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.report import markdown_table
from metanas.benchmarks.loto import LotoSettings, render_summary, run_loto

REPO = Path(__file__).resolve().parents[2]


def _is_loto(folder: Path) -> bool:
    """A folder written by `metanas bench` (other benchmarks, e.g. the Optuna one, have their own format)."""
    path = folder / "summary.json"
    return path.is_file() and {"settings", "task_info", "median_speedup"} <= set(json.loads(path.read_text()))


RESULTS_DIR = REPO / "benchmarks" / "results"
RESULTS = sorted(p for p in RESULTS_DIR.iterdir() if _is_loto(p))


def test_one_and_two_workers_give_identical_results(nb201_dir):
    settings = {"suite": "nb201", "methods": ("random", "dataset_meta"), "seeds": 3, "history_seeds": 2,
                "budget": 40, "population_size": 10, "tournament_size": 3, "nb201_dir": str(nb201_dir)}
    one = run_loto(LotoSettings(**settings, workers=1))
    two = run_loto(LotoSettings(**settings, workers=2))
    assert len(one.runs) == 3 * 3 + 3 * 2 * 3  # random once per seed; dataset_meta per history seed
    assert one.runs == two.runs
    assert [k for k, _ in one.curves] == [k for k, _ in two.curves]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(one.curves, two.curves, strict=True))
    drop = ("seconds", "workers", "date", "settings")  # how the run ran, not what it measured
    assert {k: v for k, v in one.summary.items() if k not in drop} == \
        {k: v for k, v in two.summary.items() if k not in drop}


def test_the_committed_loto_results_are_found():
    assert {p.name for p in RESULTS} >= {"nasbench-graph-top0.1", "nasbench-graph-best", "nb201-top0.1", "nb201-best"}


@pytest.mark.parametrize("result", RESULTS, ids=lambda p: p.name)
def test_report_prints_the_rendering_of_each_committed_summary(result):
    table = render_summary(json.loads((result / "summary.json").read_text()))
    assert markdown_table(result) == table  # python -m benchmarks.report prints this; so do the docs' results pages


def test_the_notebook_outputs_are_the_rendering_of_the_committed_summaries():
    nbformat = pytest.importorskip("nbformat")
    for name, suite in (("speedup_nasbench201.ipynb", "nb201"), ("speedup_nasbench_graph.ipynb", "nasbench-graph")):
        nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" and "print(format_table(" in c.source
                       for o in c.get("outputs", []) if o.get("output_type") == "stream")
        expected = "".join(
            f"== target {target} ==\n{render_summary(json.loads((RESULTS_DIR / f'{suite}-{target}' / 'summary.json').read_text()))}\n\n"
            for target in ("top0.1", "best"))
        assert text == expected, f"{name}: re-run 'python notebooks/build_notebooks.py --execute --only {name}'"


def test_report_cli_prints_the_table_and_refuses_a_folder_without_summary(tmp_path, capsys):
    from benchmarks import report

    with pytest.raises(SystemExit) as exc:
        report.main(["--help"])  # once read as a result folder
    assert exc.value.code == 0 and "RESULT_DIR" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        report.main([str(tmp_path)])
    assert exc.value.code == 2 and "no summary.json" in capsys.readouterr().err
    assert report.main([str(RESULTS[0])]) == 0
    assert markdown_table(RESULTS[0]) in capsys.readouterr().out


def test_report_ratio_divides_the_baselines_median_by_the_methods_and_refuses_a_missing_method(tmp_path, capsys):
    from benchmarks import report

    summary = {"tasks": {"a": {"m": {"median_evals": 10}, "b": {"median_evals": 40}},
                         "b": {"m": {"median_evals": 30}, "b": {"median_evals": 15}},
                         "c": {"m": {"median_evals": 5}, "b": {"median_evals": 10}}}}
    ratios, median = report.median_ratios(summary, "m", "b")
    assert ratios == {"a": 4.0, "b": 0.5, "c": 2.0} and median == 2.0
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    assert report.main([str(tmp_path), "--ratio", "m:b"]) == 0
    out = capsys.readouterr().out
    assert "a: 4.00x" in out and "b: 0.50x" in out and "median over tasks: 2.00x" in out
    for bad, message in (("m", "expected METHOD:BASELINE"), ("m:x", "task a has no results of ['x']")):
        with pytest.raises(SystemExit) as exc:
            report.main([str(tmp_path), "--ratio", bad])
        assert exc.value.code == 2 and message in capsys.readouterr().err
