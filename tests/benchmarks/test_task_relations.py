"""Ground truth of task relations: the oracle transfer positions on real tables."""

from __future__ import annotations

import numpy as np

from benchmarks.task_relations import main, oracle_transfer_positions
from metanas.benchmarks import NB201Suite
from metanas.benchmarks._targets import target_value


def test_a_task_is_its_own_perfect_oracle(nb201_suite):
    # the same table twice: ordering by the other one puts a top architecture first
    out = oracle_transfer_positions(nb201_suite, ["nb201/cifar10", "nb201/cifar10"], "top0.1")
    assert out["nb201/cifar10"]["mean_rank"] == 1
    assert list(out["nb201/cifar10"]["per_task"].values()) == [1]


def test_positions_on_nb201_against_a_direct_count(nb201_suite):
    tasks = list(nb201_suite.default_tasks)
    out = oracle_transfer_positions(nb201_suite, tasks, "top1")
    cifar100, imagenet = nb201_suite.table("nb201/cifar100"), nb201_suite.table("nb201/imagenet16-120")
    keys = sorted(set(cifar100.keys) & set(imagenet.keys))
    # per_task of cifar100 by imagenet16-120 alone: walk imagenet's order and count until a cifar100 top-1% hit
    order = sorted(keys, key=lambda k: -imagenet.values[imagenet._index[k]])
    threshold = target_value(cifar100, "top1")
    position = next(i + 1 for i, k in enumerate(order) if cifar100.values[cifar100._index[k]] >= threshold)
    got = out["nb201/cifar100"]["per_task"]["nb201/imagenet16-120"]
    assert abs(got - position) <= 2  # equal up to the order of tied imagenet scores
    for r in out.values():
        assert 1 <= r["mean_rank"] <= r["num_architectures"] and r["num_at_target"] >= 1
        assert np.isfinite(list(r["per_task"].values())).all()


def test_main_prints_both_tables(nb201_dir, capsys):
    assert main(["--suite", "nb201", "--nb201-dir", str(nb201_dir)]) == 0
    text = capsys.readouterr().out
    assert "Spearman rank correlation" in text and "| nb201/cifar10 |" in text


def _nb201_settings(nb201_dir, **kw):
    from metanas.benchmarks.loto import LotoSettings

    two = ("nb201/cifar10", "nb201/cifar100")
    return LotoSettings(suite="nb201", tasks=two, pool=two, nb201_dir=str(nb201_dir),
                        history_size=200, target="top1", **kw)


def test_ranker_positions_against_a_direct_walk_of_each_rankers_order(nb201_dir, tmp_path):
    from benchmarks.task_relations import ranker_transfer_positions
    from metanas.benchmarks.loto._history import build_history
    from metanas.search import CandidatePool, TaskRankers, history_from_db

    settings = _nb201_settings(nb201_dir)
    out = ranker_transfer_positions(settings, history_seeds=1)
    assert set(out) == {"nb201/cifar10", "nb201/cifar100"}
    suite = NB201Suite(nb201_dir)
    # cifar10 held out: the only past task is cifar100; rebuild its ranker from the fold's history
    db, past = build_history(settings, suite, "nb201/cifar10", 0, f"sqlite:///{tmp_path / 'h.db'}")
    try:
        space = suite.space("nb201/cifar10")
        rankers = TaskRankers(space, history_from_db(db, space, past), seed=0, pool=CandidatePool.for_space(space))
    finally:
        db.close()
    table = suite.table("nb201/cifar10")
    threshold = target_value(table, "top1")
    order = np.argsort(-rankers.pool_scores[0], kind="stable")
    position = next(i + 1 for i, j in enumerate(order)
                    if table.values[table._index[rankers.pool.keys[int(j)]]] >= threshold)
    entry = out["nb201/cifar10"]
    assert entry["per_task"] == {"nb201/cifar100": [position]}
    assert entry["mean_rank"] == [position]  # one past task: its mean is itself
    assert entry["num_candidates"] == len(rankers.pool) and entry["num_at_target"] >= 1
    # the task's own sample of 200 locates its top better than chance (>= 1 % of the pool at target)
    assert 1 <= entry["self"][0] <= entry["num_candidates"] // 10


def test_ranker_positions_have_no_self_reference_without_a_random_history(nb201_dir):
    from benchmarks.task_relations import ranker_transfer_positions

    out = ranker_transfer_positions(_nb201_settings(nb201_dir, history="full"), history_seeds=1)
    assert all(r["self"] == [] for r in out.values())
    assert all(len(r["mean_rank"]) == 1 for r in out.values())


def test_main_prints_the_ranker_table_with_the_oracle_order_speedup(nb201_dir, tmp_path, capsys):
    import json

    summary = {"tasks": {"nb201/cifar10": {"random": {"median_evals": 100.0}},
                         "nb201/cifar100": {"random": {"median_evals": 3.0}}}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    assert main(["--suite", "nb201", "--nb201-dir", str(nb201_dir), "--target", "top1", "--rankers",
                 "--history-size", "200", "--history-seeds", "1", "--results", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "What the fold's history knows" in text and "oracle-order speedup" in text
    for task, random in (("nb201/cifar10", 100.0), ("nb201/cifar100", 3.0)):
        cells = next(x for x in text.splitlines() if x.startswith(f"| {task} |") and "x |" in x).split(" | ")
        mean_rank, best = float(cells[2].replace(",", "")), float(cells[3].split("(")[1].rstrip(")").replace(",", ""))
        assert cells[5] == f"{random:.1f}"
        # random's median over the better order's position, never below 1.0
        assert cells[6] == f"{random / min(mean_rank, best, random):.2f}x |"


def test_main_refuses_a_results_folder_without_summary(nb201_dir, tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["--suite", "nb201", "--nb201-dir", str(nb201_dir), "--rankers", "--results", str(tmp_path)])
    assert "--results: no summary.json in" in capsys.readouterr().err
