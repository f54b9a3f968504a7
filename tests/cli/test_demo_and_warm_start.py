"""The README's main command (`metanas demo`) and `metanas warm-start`."""

from __future__ import annotations

import json

from metanas.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_warm_starts_the_held_out_task(capsys, tmp_path):
    db = tmp_path / "demo.db"
    code, out, _ = _run(capsys, "demo", "--db", str(db), "--tasks", "computers", "cora", "--held-out", "photo")
    assert code == 0
    assert "warm-started population for nbg/photo (dataset_meta; similar tasks: nbg/computers" in out
    assert out.count("transfer nbg/computers") == 10  # population 20, transfer ratio 0.5
    assert "random population for nbg/photo" in out
    assert "warm-started: best true val_acc" in out and "random: best true val_acc" in out

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
    assert code == 2 and "'top_k_archs' must be an integer >= 1" in err


def test_bench_writes_its_outputs_and_figures(capsys, tmp_path, nb201_dir):
    import csv
    import gzip

    out = tmp_path / "bench"
    code, text, err = _run(capsys, "bench", "--suite", "nb201", "--nb201-dir", str(nb201_dir), "--methods",
                           "dataset_meta", "--seeds", "2", "--history-seeds", "1", "--budget", "40",
                           "--workers", "1", "--out", str(out), "--plot")
    assert code == 0, err
    assert "median speedup" in text
    runs = list(csv.DictReader(open(out / "runs.csv")))
    assert len(runs) == 3 * 2 * 2  # tasks x methods x seeds (random runs once per seed)
    assert set(runs[0]) == {"task", "method", "history_seed", "seed", "evals_to_target", "censored", "regret_20",
                            "regret_50", "regret_100", "regret_B", "test_metric"}
    with gzip.open(out / "curves.csv.gz", "rt") as f:
        assert sum(1 for _ in f) == 1 + 12 * 40
    summary = json.loads((out / "summary.json").read_text())
    assert summary["suite"] == "nb201" and summary["settings"]["budget"] == 40
    assert set(summary["median_speedup"]) == {"dataset_meta"}
    for name in ("curves.png", "evals_to_target.png", "reduction.png"):
        assert (out / name).stat().st_size > 10_000
    code, _, err = _run(capsys, "bench", "--suite", "nb201", "--methods", "magic", "--out", str(out))
    assert code == 2 and "unknown method(s) ['magic']" in err
