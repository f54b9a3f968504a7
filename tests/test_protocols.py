"""The Protocols the seams take (`metanas.protocols`): the library's own objects satisfy them, a
user's object with only the listed members is accepted, and results are named."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from metanas.db import ExperimentDatabase, Objective
from metanas.graph import ModelGraph
from metanas.protocols import (
    ArchitectureScorer,
    ArchitectureSpace,
    CostedTable,
    HistoryReader,
    KnowledgeBase,
    ResultTable,
    RunStore,
    ScoredArchitecture,
)
from metanas.spaces import SearchSpace, get_space, space_names
from metanas.tasks import TaskMetadata
from metanas.transfer import history_from_db
from metanas.warm_start import SimilarTasks, WarmStarter

TASK = TaskMetadata("img/a", "a", 50000, 10, (3, 32, 32), "classification")


def _distinct(space: SearchSpace, n: int) -> list[ModelGraph]:
    rng, out = np.random.default_rng(0), {}
    while len(out) < n:
        g = space.sample(rng)
        out.setdefault(space.canonical_hash(g), g)
    return list(out.values())


@pytest.fixture
def db(tmp_path):
    with ExperimentDatabase(tmp_path / "kb.db") as database:
        space = get_space("nb201")
        database.import_evaluations(TASK, [(g, {"val_acc": float(i)}) for i, g in enumerate(_distinct(space, 12))],
                                    space=space, strategy="random")
        yield database


def test_the_database_is_every_reader_and_a_run_store(db):
    for protocol in (KnowledgeBase, HistoryReader, RunStore):
        assert isinstance(db, protocol)
    assert all(isinstance(top, ScoredArchitecture) for top in db.top_evaluations("img/a", 3))
    assert not isinstance(object(), KnowledgeBase)


def test_every_registered_space_is_what_the_database_needs():
    for name in space_names():
        assert isinstance(get_space(name), ArchitectureSpace)
    assert not isinstance("nb201", ArchitectureSpace)


def test_benchmark_tables_are_costed_result_tables(nb201_suite):
    table = nb201_suite.table("nb201/cifar10")
    assert isinstance(table, ResultTable) and isinstance(table, CostedTable)


def test_the_objective_is_named_and_still_unpacks(db):
    objective = db.task_objective("img/a")
    assert isinstance(objective, Objective)
    assert (objective.metric, objective.direction) == ("val_acc", "maximize")
    metric, direction = objective
    assert objective == ("val_acc", "maximize") and (metric, direction) == ("val_acc", "maximize")


@dataclass
class _Top:
    graph: ModelGraph
    value: float
    cost: float | None = None
    cost_unit: str = "seconds"


class _MinimalKnowledgeBase:
    """A user's knowledge base with exactly the members of `KnowledgeBase` (objectives as plain tuples)."""

    def __init__(self, graphs: list[ModelGraph]) -> None:
        self.graphs = graphs

    def get_all_tasks(self) -> list[TaskMetadata]:
        return [TASK]

    def task_objective(self, task_id: str) -> tuple[str, str]:
        return "val_acc", "maximize"

    def top_evaluations(self, task_id: str, top_k: int = 10) -> list[_Top]:
        return [_Top(g, 1.0 - i / 100) for i, g in enumerate(self.graphs[:top_k])]


def test_a_minimal_knowledge_base_warm_starts_and_the_similar_tasks_are_named():
    space = get_space("nb201")
    kb = _MinimalKnowledgeBase(_distinct(space, 10))
    assert isinstance(kb, KnowledgeBase) and not isinstance(kb, HistoryReader)
    ws = WarmStarter(kb, {"diversity": "none"})
    found = ws.find_similar_tasks(TASK.with_id("img/b"), space)
    assert isinstance(found, SimilarTasks)
    assert found.metric == "dataset_meta" and found.tasks == [("img/a", 1.0)]
    plan = ws.plan(TASK.with_id("img/b"), 10, space)
    assert [m.graph for m in plan.members if m.source == "transfer"] == kb.graphs[:5]


def test_a_history_reader_needs_task_evaluations(db):
    space = get_space("nb201")
    past = history_from_db(db, space)
    assert [p.task_id for p in past] == ["img/a"] and len(past[0].graphs) == 12


def test_a_table_without_costs_imports_without_costs(tmp_path, nb201_suite):
    full = nb201_suite.table("nb201/cifar10")

    @dataclass
    class Plain:  # a ResultTable that is not a CostedTable
        task: TaskMetadata
        space: SearchSpace
        graphs: list[ModelGraph]
        metrics: dict[str, np.ndarray]
        objective: str = "val_acc"
        direction: str = "maximize"

    rows = list(range(5))
    plain = Plain(full.task, full.space, [full.graphs[r] for r in rows],
                  {"val_acc": np.asarray(full.metrics["val_acc"])[rows]})
    assert isinstance(plain, ResultTable) and not isinstance(plain, CostedTable)
    with ExperimentDatabase(tmp_path / "t.db") as db:
        db.import_table(plain)
        tops = db.top_evaluations(full.task.task_id, 5)
        assert len(tops) == 5 and all(t.cost is None for t in tops)


def test_a_scorer_is_recognised_by_its_method():
    class Scorer:
        def score_architectures(self, task, graphs):
            return np.zeros(len(graphs))

    assert isinstance(Scorer(), ArchitectureScorer) and not isinstance(object(), ArchitectureScorer)
