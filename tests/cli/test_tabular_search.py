"""A user's own tabular problem end to end (issue 22): ``metanas search --space mlp`` on
``sklearn:breast_cancer``, then on ``sklearn:wine`` warm-started from it, through the CLI and
through the public library API; real training with a tiny budget and one thread."""

from __future__ import annotations

import json
import re

import pytest

from metanas.cli import main
from metanas.db import ExperimentDatabase

TINY = """
search: {budget: 5, population: 4, strategy_options: {population_size: 4, tournament_size: 2}, threads: 1}
warm_start: {transfer_ratio: 0.5, min_similarity: 0.6}
training:
  tabular: {epochs: 3, optimizer: adam, lr: 0.01, momentum: 0.0, device: cpu, network: {width: 16, N: 1}}
"""


def _search(tmp_path, *args):
    cfg = tmp_path / "search.yaml"
    cfg.write_text(TINY)
    return main(["search", "--space", "mlp", "--db", str(tmp_path / "h.db"), "--config", str(cfg), "--no-progress",
                 *args])


def _check_transfer(db_path):
    """The wine run's recorded origins name the breast-cancer task, its transferred members are
    architectures evaluated on that task, and every initial member was trained on wine."""
    from metanas.graph import ModelGraph

    with ExperimentDatabase(db_path) as db:
        assert db.get_task("mine/wine").problem_type == "tabular_classification"
        assert db.task_objective("mine/wine") == ("val_acc", "maximize")
        (run,) = db.runs("mine/wine")
        origins = run.config["origins"]
        on_bc = {g for g, _ in db.task_evaluations("mine/bc")}
        on_wine = {g for g, _ in db.task_evaluations("mine/wine")}
    assert origins.count("transfer:mine/bc") == 2  # transfer_ratio 0.5 of a population of 4
    initial = [ModelGraph.from_dict(g) for g in run.config["initial_population"]]
    transferred = [g for g, o in zip(initial, origins) if o == "transfer:mine/bc"]
    assert transferred and set(transferred) <= on_bc
    assert set(initial) <= on_wine


def test_cli_tabular_search_then_warm_started_second(tmp_path, capsys):
    assert _search(tmp_path, "--data", "sklearn:breast_cancer", "--task-id", "mine/bc") == 0
    out = capsys.readouterr().out
    assert "task mine/bc: 5 evaluations (5 trained now, 0 read back), 0 failed" in out
    assert "initial population of 4: 4 random; similar past tasks: none" in out
    assert re.search(r"validation 0\.\d{4}, test 0\.\d{4}", out)  # accuracies of a real training
    assert _search(tmp_path, "--data", "sklearn:wine", "--task-id", "mine/wine", "--out", str(tmp_path / "o")) == 0
    out = capsys.readouterr().out
    # dataset_meta: counts cosine 0.98 blended with the landmarks' similarity 0.83 (wine's 1-NN 0.91 against 0.95)
    assert "initial population of 4: 2 random, 2 transfer:mine/bc; similar past tasks: mine/bc (0.90" in out
    _check_transfer(tmp_path / "h.db")
    rows = json.loads((tmp_path / "o" / "search.json").read_text())
    assert rows["task"]["problem_type"] == "tabular_classification"
    assert rows["task"]["meta_features"]["num_features"] == 13.0
    assert sum(r["origin"] == "transfer:mine/bc" for r in rows["evaluations"]) >= 1


def test_cli_tabular_regression_and_refusals(tmp_path, capsys):
    assert _search(tmp_path, "--data", "sklearn:diabetes", "--task-id", "mine/diabetes", "--budget", "2") == 0
    out = capsys.readouterr().out
    assert re.search(r"validation r2 -?\d\.\d{4}, test r2 -?\d\.\d{4}", out)
    with ExperimentDatabase(tmp_path / "h.db") as db:
        assert db.task_objective("mine/diabetes") == ("val_r2", "maximize")
    assert _search(tmp_path, "--data", "sklearn:digits", "--task-id", "mine/img") == 2
    err = capsys.readouterr().err
    assert "space 'mlp' cannot train on the image data 'sklearn:digits'" in err and err.count("\n") == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("a,target\n1,0\nfoo,1\n")
    assert _search(tmp_path, "--data", str(bad), "--task-id", "mine/bad") == 2
    assert "line 3: feature 'a' holds 'foo', not a number" in capsys.readouterr().err


def test_default_preset_has_mlp_settings(tmp_path, capsys):
    """No --config: the small preset's tabular section trains the mlp network."""
    code = main(["search", "--space", "mlp", "--db", str(tmp_path / "h.db"), "--data", "sklearn:iris",
                 "--task-id", "mine/iris", "--budget", "2", "--threads", "1", "--no-progress"])
    assert code == 0
    assert "task mine/iris: 2 evaluations (2 trained now" in capsys.readouterr().out


def test_library_api_tabular_search_warm_starts_the_second(tmp_path):
    import metanas
    from metanas.networks import load_data

    settings = metanas.SearchSettings(budget=5, population=4, threads=1,
                                      strategy_options={"population_size": 4, "tournament_size": 2})
    training = {"tabular": {"epochs": 3, "optimizer": "adam", "lr": 0.01, "momentum": 0.0, "device": "cpu",
                            "network": {"width": 16}}}
    db = tmp_path / "h.db"
    bc = load_data("sklearn:breast_cancer")
    first = metanas.run_real_search(db, "mlp", bc, bc.task("mine/bc"), settings=settings, training=training)
    assert len(first.result) == 5 and first.origins == ["random"] * 4 and first.similar_tasks == []
    assert first.result.objective == "val_acc"
    wine = load_data("sklearn:wine")
    second = metanas.run_real_search(db, "mlp", wine, wine.task("mine/wine"), settings=settings, training=training,
                                     warm_start_config={"transfer_ratio": 0.5})
    assert sorted(second.origins) == ["random", "random", "transfer:mine/bc", "transfer:mine/bc"]
    assert [t for t, _ in second.similar_tasks] == ["mine/bc"]
    assert second.similar_tasks[0][1] == pytest.approx(0.907, abs=0.01)  # counts 0.98, landmarks 0.83
    assert {"landmark_linear", "landmark_1nn"} <= set(first.task.meta_features)  # recorded by the search
    _check_transfer(db)


def test_optuna_engine_trains_tables_with_the_tabular_evaluator():
    """``--engine optuna`` builds its workers' evaluator by the same dispatch (it took every non-image
    data set for a graph and refused tables in the worker)."""
    pytest.importorskip("optuna")
    from metanas.integrations.optuna._training import training_evaluator
    from metanas.networks import load_data

    ev = training_evaluator(load_data("sklearn:diabetes"), "mlp", {"tabular": {"epochs": 1, "device": "cpu"}})
    assert (ev.name, ev.objective, ev.config.epochs) == ("tabular_regression", "val_r2", 1)
    assert training_evaluator(load_data("sklearn:wine"), "mlp").name == "tabular_classification"
