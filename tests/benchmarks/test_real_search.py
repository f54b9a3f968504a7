"""``python -m benchmarks.real_search``: warm against cold on a pair of real tasks (tiny settings)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.real_search import _first_reaching, main, summarize


def test_first_reaching_counts_evaluations_and_skips_failures():
    assert _first_reaching(np.array([np.nan, 0.5, 0.7, 0.7]), 0.7) == 3
    assert _first_reaching(np.array([0.9]), 0.7) == 1
    assert _first_reaching(np.array([np.nan, 0.5]), 0.7) is None


def test_summary_counts_a_censored_warm_search_as_budget_plus_one():
    rows = [{"seed": 0, "target": 0.9, "cold_evals": 8, "warm_evals": 2, "cold_seconds": 8.0, "warm_seconds": 2.0,
             "cold_final_best": 0.9, "warm_final_best": 0.95, "warm_transferred": 5},
            {"seed": 1, "target": 0.9, "cold_evals": 6, "warm_evals": None, "cold_seconds": 6.0, "warm_seconds": 10.0,
             "cold_final_best": 0.9, "warm_final_best": 0.8, "warm_transferred": 5}]
    text = "\n".join(summarize({"rows": rows}, budget=10))
    assert ">10" in text
    assert "cold 7 (6..8), warm 6.5 (2..11) (censored runs counted as 11)" in text
    assert "reached the cold search's final best in 1 of 2 seeds; it ended better in 1, equal in 0, worse in 1" in text


@pytest.mark.slow
def test_tiny_real_benchmark_writes_consistent_results(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["--pair", "digits", "--seeds", "1", "--budget", "4", "--population", "2", "--epochs", "1",
                 "--out", str(out)]) == 0
    assert "evaluations to reach the cold search's final best" in capsys.readouterr().out
    res = json.loads((out / "results.json").read_text())
    assert (out / "summary.txt").read_text().startswith("$ OMP_NUM_THREADS=1 python -m benchmarks.real_search")
    assert len(res["first"]["objectives"]) == 4 and len(res["runs"]) == 2
    (row,) = res["rows"]
    cold, warm = (next(r for r in res["runs"] if r["arm"] == arm) for arm in ("cold", "warm"))
    assert row["target"] == max(cold["objectives"]) == cold["best_so_far"][-1]
    assert cold["best_so_far"][row["cold_evals"] - 1] == row["target"]
    assert row["cold_seconds"] == pytest.approx(sum(cold["seconds"][: row["cold_evals"]]))
    if row["warm_evals"] is not None:
        assert warm["best_so_far"][row["warm_evals"] - 1] >= row["target"]
        assert row["warm_evals"] == 1 or warm["best_so_far"][row["warm_evals"] - 2] < row["target"]
    # the warm search starts from the first task (1 of a population of 2), the cold one at random
    assert row["warm_transferred"] == 1 and warm["similar_tasks"][0][0] == "first"
    assert not any(o.startswith("transfer") for o in cold["origins"]) and cold["similar_tasks"] == []
    # an architecture is trained once per task; the searches of the second task share the results
    assert res["trained"]["second"] + res["reused"]["second"] == 8
    assert len({tuple(r["objectives"]) for r in res["runs"]}) == 2
