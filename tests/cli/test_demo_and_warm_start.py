"""The README's main command (`metanas demo`) and `metanas warm-start`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metanas.cli import main

REPO = Path(__file__).resolve().parents[2]


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def tiny_training(monkeypatch):
    """The demo's settings with a one-epoch fold meta-learner, so that its test stays fast."""
    from metanas.benchmarks import demo

    real = demo.demo_settings

    def small(*args, **kwargs):
        return real(*args, **{**kwargs, "train_config": {"max_epochs": 1, "steps_per_epoch": 2, "archs_per_task": 16}})

    monkeypatch.setattr(demo, "demo_settings", small)


@pytest.mark.slow
def test_demo_compares_warm_and_cold_search_on_the_chosen_task(capsys, tmp_path, tiny_training):
    """The README's main command with its defaults (task, method) and small settings."""
    png = tmp_path / "demo.png"
    code, out, err = _run(capsys, "demo", "--seeds", "2", "--budget", "40", "--cache-dir", str(tmp_path / "cache"),
                          "--out", str(png))
    assert code == 0, err
    from metanas.benchmarks.demo import choose

    c = choose()
    past = ", ".join(t.split("/")[1] for t in
                     ("nbg/cora", "nbg/citeseer", "nbg/pubmed", "nbg/cs", "nbg/physics", "nbg/photo", "nbg/computers",
                      "nbg/arxiv") if t != c.task)
    assert (f"held-out task {c.task}, method {c.method}: the library method with the highest median speedup in the "
            f"committed results ({c.folder}, {c.date}") in out
    assert f"median {c.median_speedup_over_tasks:.2f}x fewer evaluations than random over the {c.num_tasks} tasks" in out
    assert f"{c.worst_speedup:.2f}x on {c.worst_task} (the worst)" in out
    assert f"{c.speedup:.2f}x (median {c.method_median:g} against {c.random_median:g} evaluations over {c.runs} runs)" in out
    assert f"7 other tasks ({past}; history seed 0)" in out
    assert f"never {c.task}" in out
    assert f"  warm: {'TransferBO' if c.method.startswith('transfer-bo') else 'regularized evolution'} (population 20" in out
    lines = out.splitlines()
    seeds = next(i for i, line in enumerate(lines) if line.startswith("seed "))
    assert lines[seeds].split() == ["seed", "0", "1", "median"]
    cold, warm = (lines[seeds + k].split() for k in (1, 2))
    assert cold[0] == "cold" and warm[0] == "warm" and len(cold) == len(warm) == 4
    assert all(1 <= int(v) <= 41 for v in cold[1:3] + warm[1:3])
    assert "saving: " in out or "no saving" in out
    assert "w: warm-started, c: cold" in out and "evaluations" in out and "target" in out
    assert f"figure written to {png}" in out and png.stat().st_size > 10_000
    assert out.rstrip().splitlines()[-1].startswith("next: docs/quickstart.md")
    assert (REPO / "docs" / "quickstart.md").is_file()


def test_demo_quotes_the_results_it_reads(capsys, tmp_path, monkeypatch):
    """The figures of the demo's first lines follow the summary it reads (none is in the code)."""
    import shutil

    from metanas.benchmarks import demo

    c = demo.choose()
    folder = tmp_path / "results" / "run"
    shutil.copytree(REPO / c.folder, folder, ignore=shutil.ignore_patterns("*.csv*"))
    summary = json.loads((folder / "summary.json").read_text())
    summary["median_speedup"][c.column] = 4.321
    summary["tasks"][c.task][c.column]["speedup"] = 4.3  # the task nearest the median: still the choice
    (folder / "summary.json").write_text(json.dumps(summary))
    monkeypatch.setattr(demo, "RESULTS_DIR", tmp_path / "results")
    code, out, err = _run(capsys, "demo", "--seeds", "1", "--budget", "20", "--method", "dataset_meta")
    assert code == 0, err
    assert f"held-out task {c.task} (the committed results' choice), method dataset_meta (--method)" in out
    assert "4.32x" not in out
    monkeypatch.setattr(demo, "choose", lambda: demo.CommittedResult(**{**c.__dict__, "method": "dataset_meta",
                                                                          "median_speedup_over_tasks": 4.321,
                                                                          "speedup": 4.0}))
    code, out, err = _run(capsys, "demo", "--seeds", "1", "--budget", "20")
    assert code == 0, err
    assert "median 4.32x fewer evaluations" in out and f"on {c.task}, the fold where it helps" in out and "4.00x" in out


def test_demo_without_the_committed_results_says_what_to_do(capsys, tmp_path, monkeypatch):
    from metanas.benchmarks import demo

    monkeypatch.setattr(demo, "RESULTS_DIR", tmp_path / "none")
    code, _, err = _run(capsys, "demo")
    assert code == 2 and "is not there" in err and "give --held-out and --method" in err


def test_demo_with_another_method_keeps_its_history_database(capsys, tmp_path):
    db = tmp_path / "history.db"
    code, out, err = _run(capsys, "demo", "--method", "dataset_meta", "--held-out", "physics", "--seeds", "2",
                          "--budget", "30", "--db", str(db))
    assert code == 0, err
    assert "held-out task physics, method dataset_meta (chosen with --held-out / --method)" in out
    assert f"kept in {db}" in out and "chosen from the committed" not in out
    code, out, _ = _run(capsys, "db", "show", "--db", str(db))
    assert code == 0 and "nbg/cora" in out and "nbg/physics" not in out
    code, _, err = _run(capsys, "demo", "--method", "dataset_meta", "--db", str(db))
    assert code == 2 and "--db must be the path of a new SQLite file" in err


def test_demo_help_says_how_the_defaults_are_chosen(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: chosen from the committed results with the method;" in out
    assert "(default: the best library method of the committed results;" in out
    assert "metanas.benchmarks.demo.choose" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "{tmp}"], "--out must be the path of a .png file"),
        (["--out", "{tmp}/demo.txt"], "--out must be the path of a .png file"),
        (["--out", "{tmp}/no/such/demo.png"], "does not exist; create it first"),
        (["--method", "random"], "--method 'random' is not a warm-start method"),
        (["--held-out", "proteins"], "shares its search space with no other task"),
        (["--held-out", "cifar10"], "unknown task 'cifar10' in suite 'nasbench-graph'"),
        (["--seeds", "0"], "'seeds' must be an integer >= 1"),
        (["--history-seed", "-1"], "--history-seed must be an integer >= 0"),
    ],
)
def test_demo_bad_input_exits_2_before_any_work(capsys, tmp_path, argv, message):
    code, out, err = _run(capsys, "demo", *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2 and err.startswith("error: ") and message in err, err
    assert "Traceback" not in out + err and "evaluations to reach" not in out


def test_warm_start_from_an_imported_database(capsys, tmp_path):
    db = tmp_path / "history.db"
    code, _, err = _run(capsys, "db", "import", "--suite", "nasbench-graph", "--tasks", "computers", "cora",
                        "--db", str(db))
    assert code == 0, err
    code, out, _ = _run(capsys, "warm-start", "--db", str(db), "--suite", "nasbench-graph", "--task", "photo",
                        "--population", "12", "--json", "--scores")
    assert code == 0
    data = json.loads(out)
    assert data["task"] == "nbg/photo" and len(data["population"]) == 12
    sources = [m["source"] for m in data["population"]]
    assert sources.count("transfer") == 6 and sources.count("random") == 6
    assert all(m["from_task"] == "nbg/computers" for m in data["population"] if m["source"] == "transfer")
    assert all(0.0 < m["true_score"] <= 1.0 for m in data["population"])


def test_warm_start_cli_errors_exit_2_without_traceback(capsys, tmp_path):
    code, _, err = _run(capsys, "warm-start", "--db", str(tmp_path / "x.db"), "--suite", "nb301", "--task", "a")
    assert code == 2 and "unknown suite 'nb301'" in err and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("warm_start:\n  top_k_archs: 0\n")
    code, _, err = _run(capsys, "warm-start", "--db", str(tmp_path / "x.db"), "--suite", "nasbench-graph",
                        "--task", "photo", "--config", str(bad))
    assert code == 2 and "The 'top_k_archs' parameter must be an int in the range [1, inf). Got 0 instead." in err


def test_bench_writes_its_outputs_and_figures(capsys, tmp_path, nb201_dir):
    import csv
    import gzip

    out = tmp_path / "bench"
    code, text, err = _run(capsys, "bench", "--suite", "nb201", "--nb201-dir", str(nb201_dir), "--methods",
                           "dataset_meta", "--seeds", "2", "--history-seeds", "1", "--budget", "40",
                           "--workers", "1", "--out", str(out), "--plot")
    assert code == 0, err
    assert "median speedup" in text
    with open(out / "runs.csv", newline="") as f:
        runs = list(csv.DictReader(f))
    assert len(runs) == 3 * 2 * 2  # tasks x methods x seeds (random runs once per seed)
    assert set(runs[0]) == {"task", "method", "history_seed", "seed", "evals_to_target", "censored", "regret_20",
                            "regret_50", "regret_100", "regret_B", "test_metric", "time_to_target", "info"}
    with gzip.open(out / "curves.csv.gz", "rt") as f:
        assert sum(1 for _ in f) == 1 + 12 * 40
    summary = json.loads((out / "summary.json").read_text())
    assert summary["suite"] == "nb201" and summary["settings"]["budget"] == 40
    assert set(summary["median_speedup"]) == {"dataset_meta"}
    for name in ("curves.png", "evals_to_target.png", "reduction.png"):
        assert (out / name).stat().st_size > 10_000
    code, _, err = _run(capsys, "bench", "--suite", "nb201", "--methods", "magic", "--out", str(out))
    assert code == 2 and "unknown method(s) ['magic']" in err


def test_demo_help_shows_percent_signs_once(capsys):
    """argparse does not %-format a description: a doubled %% would show as such."""
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = capsys.readouterr().out
    assert "%%" not in out and "top-0.1% validation accuracy" in " ".join(out.split())


def test_the_demo_measures_with_the_threads_it_is_given():
    import torch
    from threadpoolctl import threadpool_info

    from metanas.cli._demo import threads

    before = torch.get_num_threads()
    with threads(1):
        assert torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert torch.get_num_threads() == before


def test_the_demo_refuses_a_bad_thread_count(capsys):
    assert main(["demo", "--threads", "0"]) == 2
    assert "--threads must be an integer >= 1" in capsys.readouterr().err
