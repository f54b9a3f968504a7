"""`start_search`: the one owner of a search's first population (issue 23, item 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import metanas
from metanas.search import get_strategy, history_from_db, start_search
from metanas.warm_start import WarmStartConfig, WarmStarter

from .conftest import HELD_OUT, PAST


def test_a_strategy_without_history_starts_from_the_similar_task_warm_start(history_db, cora):
    task = history_db.get_task(HELD_OUT)
    start = start_search("regularized_evolution", space=cora.space, seed=4, db=history_db, task=task,
                         initial_size=8, population_size=8, tournament_size=3)
    plan = WarmStarter(history_db, WarmStartConfig(seed=4)).plan(task, 8, cora.space, rng=np.random.default_rng(4))
    assert list(start.population) == plan.graphs
    assert start.strategy.initial_population == start.population
    assert list(start.sources) == [f"transfer:{m.task_id}" if m.source == "transfer" else m.source
                                   for m in plan.members]
    assert any(s.startswith("transfer:") for s in start.sources)
    assert {t for t, _ in start.similar_tasks} <= set(PAST) and start.similar_tasks


def test_without_warm_start_the_first_population_is_random(history_db, cora):
    start = start_search("regularized_evolution", space=cora.space, seed=4, db=history_db,
                         task=history_db.get_task(HELD_OUT), initial_size=8, warm_start=False)
    assert set(start.sources) == {"random"} and len(start.population) == 8 and start.similar_tasks == ()


def test_a_designing_strategy_designs_its_own_first_population_from_the_database(history_db, cora):
    task = history_db.get_task(HELD_OUT)
    start = start_search("transfer-bo", space=cora.space, seed=3, db=history_db, task=task, initial_size=10,
                         tournament_size=3)
    assert start.strategy.config["past_tasks"] == list(PAST)  # never the task searched now
    assert start.strategy.population_size == 10
    direct = get_strategy("transfer-bo", space=cora.space, seed=3, population_size=10, tournament_size=3,
                          history=history_from_db(history_db, cora.space, exclude=[HELD_OUT]))
    assert start.population == direct.design and len(start.population) == 5  # half designed, half random
    assert start.sources == tuple(f"design:{s}" for s in direct.design_sources)
    cold = start_search("transfer-bo", space=cora.space, seed=3, db=history_db, task=task, initial_size=10,
                        tournament_size=3, warm_start=False)
    assert cold.population == () and cold.strategy.config["past_tasks"] == []


def test_a_resumed_run_starts_again_from_its_recorded_population(history_db, cora):
    recorded = [cora.space.sample(np.random.default_rng(i)) for i in range(3)]
    start = start_search("regularized_evolution", space=cora.space, seed=4, db=history_db,
                         task=history_db.get_task(HELD_OUT), initial_size=8, recorded_population=recorded)
    assert list(start.population) == recorded and start.strategy.initial_population == tuple(recorded)


def test_no_module_outside_search_decides_the_first_population_by_strategy_kind():
    """The pipeline, the Optuna sampler and the CLI call `start_search`; none of them branches on
    `uses_history` (which once decided in three places who builds the first population)."""
    root = Path(metanas.__file__).resolve().parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.is_relative_to(root / "search"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name == "uses_history" and not path.is_relative_to(root / "benchmarks" / "loto"):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
