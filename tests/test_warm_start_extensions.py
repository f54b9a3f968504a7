"""WarmStarter extension points and bounds: toy task / architecture metrics registered from
outside the package (one line each), populations larger than the space, bad constructor input."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from metanas._population import MAX_FAILED_DRAWS
from metanas.db import ExperimentDatabase
from metanas.exceptions import ConfigError, MetanasError
from metanas.similarity import ARCH_METRICS, TASK_METRICS, ArchitectureMetric, TaskSimilarity
from metanas.spaces import DAGSpace, get_space
from metanas.tasks import TaskMetadata
from metanas.warm_start import WarmStarter


def _image(task_id: str, classes: int = 10) -> TaskMetadata:
    return TaskMetadata(task_id, task_id, 50000, classes, (3, 32, 32), "classification")


class ToyTaskSimilarity(TaskSimilarity):
    """Every pair of tasks is 0.75 similar; remembers what it compared."""

    name = "toy-task"
    calls: ClassVar[list[tuple[str, str]]] = []

    def __call__(self, task_a: TaskMetadata, task_b: TaskMetadata) -> float:
        self.calls.append((task_a.task_id, task_b.task_id))
        return 0.75


class ToyEmbedderSimilarity(TaskSimilarity):
    """Declares that it needs an embedder: the warm-starter passes its own, no name check."""

    name = "toy-embedder"
    requires = frozenset({"embedder"})

    def __init__(self, embedder) -> None:
        self.embedder = embedder

    def __call__(self, task_a: TaskMetadata, task_b: TaskMetadata) -> float:
        return float(self.embedder.embed_task(task_b)[0])


class ToyOracleSimilarity(ToyTaskSimilarity):
    name = "toy-oracle"
    requires = frozenset({"oracle"})

    def __init__(self, oracle) -> None:
        self.oracle = oracle


class ToyFirstOpSimilarity(ArchitectureMetric):
    """1 when two graphs share their first operation, else 0."""

    name = "toy-first-op"
    calls: ClassVar[list[int]] = []

    def pairwise(self, graphs_a, graphs_b=None):
        graphs_b = graphs_a if graphs_b is None else graphs_b
        self.calls.append(len(graphs_a) * len(graphs_b))
        return np.array([[float(a.operations[0] == b.operations[0]) for b in graphs_b] for a in graphs_a])


class _Embedder:
    def check(self, task, space_id):
        return None

    def embed_task(self, task):
        return np.array([0.8 if task.task_id == "past" else 0.1])


@pytest.fixture
def toys():
    TASK_METRICS.register("toy-task", ToyTaskSimilarity)  # the one line a new task metric needs
    TASK_METRICS.register("toy-embedder", ToyEmbedderSimilarity)
    TASK_METRICS.register("toy-oracle", ToyOracleSimilarity)
    ARCH_METRICS.register("toy-first-op", ToyFirstOpSimilarity)  # the one line a new architecture metric needs
    ToyTaskSimilarity.calls.clear()
    ToyFirstOpSimilarity.calls.clear()
    yield
    for name in ("toy-task", "toy-embedder", "toy-oracle"):
        TASK_METRICS.unregister(name)
    ARCH_METRICS.unregister("toy-first-op")


@pytest.fixture
def kb(tmp_path):
    """A past image task with 40 distinct NAS-Bench-201 cells evaluated."""
    space = get_space("nb201")
    rng = np.random.default_rng(3)
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        db.add_task(_image("past"))
        run = db.start_run("past", "random", space_id="nb201", seed=0)
        seen: set[str] = set()
        while len(seen) < 40:
            g = space.sample(rng)
            if g.canonical_hash not in seen:
                seen.add(g.canonical_hash)
                db.record_evaluation(run, g, {"val_acc": float(rng.random())})
        db.finish_run(run)
        yield db


def test_toy_task_metric_registered_outside_the_package_drives_the_warm_start(toys, kb):
    plan = WarmStarter(kb, {"similarity_metric": "toy-task"}).plan(_image("new", 100), 10, get_space("nb201"))
    assert plan.metric == "toy-task"
    assert plan.similar_tasks == [("past", 0.75)]
    assert ToyTaskSimilarity.calls == [("new", "past")]
    assert plan.counts()["transfer"] == 5
    # min_similarity applies to it like to the built-in metrics
    plan = WarmStarter(kb, {"similarity_metric": "toy-task", "min_similarity": 0.8}).plan(
        _image("new", 100), 10, get_space("nb201"))
    assert plan.similar_tasks == [] and plan.counts() == {"random": 10}


def test_a_metric_declares_what_it_needs_instead_of_a_name_check(toys, kb):
    plan = WarmStarter(kb, {"similarity_metric": "toy-embedder"}, task_embedder=_Embedder()).plan(
        _image("new"), 10, get_space("nb201"))
    assert plan.metric == "toy-embedder" and plan.similar_tasks == [("past", 0.8)]
    # no embedder and no fallback declared: a clear error, not a silent switch
    with pytest.raises(ConfigError, match="toy-embedder.*unavailable.*checkpoint"):
        WarmStarter(kb, {"similarity_metric": "toy-embedder"}).plan(_image("new"), 10, get_space("nb201"))
    with pytest.raises(ConfigError, match=r"requires \['oracle'\]"):
        WarmStarter(kb, {"similarity_metric": "toy-oracle"}).plan(_image("new"), 10, get_space("nb201"))


def test_toy_architecture_metric_drives_diversity(toys, kb):
    config = {"similarity_metric": "toy-task", "diversity_metric": "toy-first-op", "top_k_archs": 30,
              "transfer_ratio": 0.5}
    plan = WarmStarter(kb, config).plan(_image("new"), 8, get_space("nb201"))
    transferred = [m.graph for m in plan.members if m.source == "transfer"]
    assert len(transferred) == 4 and ToyFirstOpSimilarity.calls
    # the toy metric calls graphs with the same first operation identical: the chosen ones differ
    assert len({g.operations[0] for g in transferred}) == 4


def test_unknown_metric_names_list_the_registered_ones(toys):
    with pytest.raises(ConfigError, match="toy-task"):
        WarmStarter(_FakeKB(), {"similarity_metric": "nope"})
    with pytest.raises(ConfigError, match="toy-first-op"):
        WarmStarter(_FakeKB(), {"diversity_metric": "nope"})


class _FakeKB:
    def get_all_tasks(self):
        return []

    def task_objective(self, task_id):
        return ("val_acc", "maximize")

    def top_evaluations(self, task_id, k):
        return []


# ---------------------------------------------------------------- issue 13.9: bad constructor input
@pytest.mark.parametrize("kb_arg", [None, 42, object()])
def test_knowledge_base_that_is_not_a_database_is_refused_at_once(kb_arg):
    with pytest.raises(ConfigError, match="'knowledge_base' must be an ExperimentDatabase"):
        WarmStarter(kb_arg, {})


@pytest.mark.parametrize("config, match", [
    (["transfer_ratio", 0.5], "must be a mapping"),
    ("transfer_ratio: 0.5", "must be a mapping"),
    (3.0, "must be a mapping"),
    ({1: 0.5}, "keys must be strings"),
])
def test_config_that_is_not_a_mapping_is_refused_with_a_message(config, match):
    with pytest.raises(ConfigError, match=match):
        WarmStarter(_FakeKB(), config)


# ---------------------------------------------------------------- issue 13.3: population > space
class _CountingSpace:
    """Wraps a space's ``sample`` to count draws; fails the test instead of spinning for hours."""

    def __init__(self, space, limit: int = 60_000) -> None:
        self.space, self.limit, self.draws = space, limit, 0
        self._sample = space.sample
        space.sample = self

    def __call__(self, rng):
        self.draws += 1
        if self.draws > self.limit:
            raise AssertionError(f"{self.draws} draws: the random fill is not bounded")
        return self._sample(rng)


def test_population_larger_than_a_known_space_fails_before_drawing():
    space = get_space("nb201")
    counter = _CountingSpace(space)
    with pytest.raises(ConfigError, match=r"'population_size' must be at most 6,466.*got 6,467"):
        WarmStarter(_FakeKB(), {}).plan(_image("new"), 6467, space)
    assert counter.draws == 0


def test_population_of_all_distinct_cells_of_a_known_space_is_drawn_from_its_enumeration():
    space = get_space("nbg-proteins")
    counter = _CountingSpace(space)
    graphs = WarmStarter(_FakeKB(), {}).generate_initial_population(_image("new"), space.distinct_size, space)
    assert len({space.canonical_hash(g) for g in graphs}) == space.distinct_size == 2021
    assert counter.draws == 0


def test_population_larger_than_a_space_of_unknown_size_fails_after_bounded_draws():
    space = DAGSpace(["conv", "pool"], max_nodes=2, edge_prob=0.5)
    assert space.distinct_size is None
    counter = _CountingSpace(space)
    with pytest.raises(MetanasError, match="too few distinct architectures"):
        WarmStarter(_FakeKB(), {}).plan(_image("new"), 500, space)
    assert counter.draws <= 1000 + MAX_FAILED_DRAWS
