"""WarmStarter: the seed's test on real NAS-Bench-201 history, allocation, validity, fallbacks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from metanas.db import ExperimentDatabase
from metanas.exceptions import ConfigError
from metanas.spaces import get_space
from metanas.tasks import TaskMetadata
from metanas.warm_start import WarmStartConfig, WarmStarter, allocate

REPO = Path(__file__).resolve().parents[1]


def _cifar(task_id: str, classes: int) -> TaskMetadata:
    return TaskMetadata(task_id=task_id, dataset_name=task_id, num_samples=50000, num_classes=classes,
                        input_size=(3, 32, 32), problem_type="classification")


@pytest.fixture(scope="module")
def nb201_db(tmp_path_factory, nb201_suite):
    """A database holding the whole CIFAR-10 table of NAS-Bench-201 under the seed's task id 'exp1'."""
    db = ExperimentDatabase(tmp_path_factory.mktemp("kb") / "kb.db")
    table = nb201_suite.table("nb201/cifar10")
    from dataclasses import replace

    db.import_table(replace(table, task=_cifar("exp1", 10)))
    yield db, table
    db.close()


def test_seed_warm_starting(nb201_db):
    """The seed's test as written (CIFAR-10 past task, CIFAR-100 current, 50 -> 50), and more."""
    kb, table = nb201_db
    space = get_space("nb201")
    current = _cifar("exp2", 100)
    warm_starter = WarmStarter(kb, {})
    population = warm_starter.generate_initial_population(current, population_size=50, search_space=space)
    assert len(population) == 50
    assert len({space.canonical_hash(g) for g in population}) == 50
    assert all(space.contains(g) for g in population)

    # Defaults: quota 25, but top_k_archs=10 candidates: 10 from CIFAR-10's top 10, 40 random.
    plan = warm_starter.plan(current, 50, space)
    assert plan.counts() == {"transfer": 10, "random": 40}
    top10 = {g.identity for g in kb.get_top_architectures("exp1", 10)}
    transferred = [m for m in plan.members if m.source == "transfer"]
    assert {m.graph.identity for m in transferred} <= top10 | {g.identity for g in kb.get_top_architectures("exp1", 30)}
    best_row = int(np.argmax(table.values))
    assert transferred[0].graph == table.graphs[best_row]
    assert transferred[0].score == pytest.approx(table.values[best_row])
    assert any("15 more are random" in n for n in plan.notes)

    plan25 = WarmStarter(kb, {"top_k_archs": 25}).plan(current, 50, space)
    assert plan25.counts() == {"transfer": 25, "random": 25}


def test_population_is_deterministic_for_a_seed(nb201_db):
    kb, _ = nb201_db
    space = get_space("nb201")
    current = _cifar("exp2", 100)
    a = WarmStarter(kb, {"seed": 3}).generate_initial_population(current, 30, space)
    b = WarmStarter(kb, {"seed": 3}).generate_initial_population(current, 30, space)
    c = WarmStarter(kb, {"seed": 4}).generate_initial_population(current, 30, space)
    assert [g.identity for g in a] == [g.identity for g in b]
    assert [g.identity for g in a] != [g.identity for g in c]


def test_no_similar_task_gives_all_random(nb201_db, caplog):
    kb, _ = nb201_db
    space = get_space("nb201")
    tiny = TaskMetadata("exp3", "tiny", 10, 2, (1, 2000, 2000), "classification")
    with caplog.at_level(logging.INFO, logger="metanas.warm_start"):
        plan = WarmStarter(kb, {}).plan(tiny, 20, space)
    assert plan.counts() == {"random": 20}
    assert "no past task reaches min_similarity" in caplog.text


def test_a_past_task_of_another_problem_type_counts_when_min_similarity_lets_it(nb201_db):
    # Before, another problem type had similarity 0: never transferred from, whatever the threshold.
    from metanas.similarity import PROBLEM_TYPE_FACTOR

    kb, table = nb201_db
    space = get_space("nb201")
    detection = TaskMetadata("det", "det", 50000, 10, (3, 32, 32), "detection")  # exp1's features, another type
    plan = WarmStarter(kb, {}).plan(detection, 20, space)
    assert plan.similar_tasks == [("exp1", PROBLEM_TYPE_FACTOR)]
    assert plan.counts() == {"transfer": 10, "random": 10}
    assert plan.members[0].graph == table.graphs[int(np.argmax(table.values))]
    strict = WarmStarter(kb, {"min_similarity": (1 + PROBLEM_TYPE_FACTOR) / 2}).plan(detection, 20, space)
    assert strict.similar_tasks == [] and strict.counts() == {"random": 20}
    assert WarmStarter(kb, {"min_similarity": 0.95}).plan(_cifar("c", 10), 20, space).similar_tasks == [("exp1", 1.0)]


def test_empty_database(tmp_path):
    with ExperimentDatabase(tmp_path / "empty.db") as db:
        pop = WarmStarter(db, {}).generate_initial_population(_cifar("x", 10), 15, get_space("nb201"))
    assert len({g.identity for g in pop}) == 15


def test_task_embedding_without_model_falls_back(nb201_db, caplog):
    kb, _ = nb201_db
    with caplog.at_level(logging.WARNING, logger="metanas.warm_start"):
        plan = WarmStarter(kb, {"similarity_metric": "task_embedding"}).plan(_cifar("exp2", 100), 20, get_space("nb201"))
    assert plan.metric == "dataset_meta"
    assert "falling back to 'dataset_meta'" in caplog.text
    assert plan.counts()["transfer"] == 10


def test_architectures_never_cross_into_another_space(tmp_path, nbg_suite):
    """NAS-Bench-Graph architectures never enter a NAS-Bench-201 search; 9-op ones with ops outside
    the proteins set never enter the proteins space; proteins ones enter the 9-op space by validate."""
    from dataclasses import replace

    cora = nbg_suite.table("nbg/cora")
    prot = nbg_suite.table("nbg/proteins")
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        # An image-like task whose history is NAS-Bench-Graph architectures.
        fake = replace(cora, task=_cifar("fake-image", 10))
        db.import_table(fake, rows=list(range(0, 26206, 50)))
        plan = WarmStarter(db, {}).plan(_cifar("new", 10), 20, get_space("nb201"))
        assert plan.counts() == {"random": 20}

        db.import_table(cora, rows=list(range(0, 26206, 10)))
        cora_copy = replace(cora.task, task_id="nbg/cora-copy")  # same statistics: similarity 1 to cora
        plan = WarmStarter(db, {"top_k_archs": 20}).plan(cora_copy, 20, get_space("nbg-proteins"))
        allowed = set(get_space("nbg-proteins").ops)
        transferred = [m for m in plan.members if m.source == "transfer"]
        assert transferred and all(m.task_id == "nbg/cora" for m in transferred)
        for m in plan.members:
            assert set(m.graph.operations) <= allowed and m.graph.space_id == "nbg-proteins"
        # cora's best architectures use operations outside the proteins set: they were skipped.
        assert any(not set(g.operations) <= allowed for g in db.get_top_architectures("nbg/cora", 20))

        db.import_table(prot)
        proteins_copy = replace(prot.task, task_id="nbg/proteins-copy")
        plan = WarmStarter(db, {}).plan(proteins_copy, 20, get_space("nbg"))
        transferred = [m for m in plan.members if m.source == "transfer"]
        assert len(transferred) == 10
        assert all(m.task_id == "nbg/proteins" and m.graph.space_id == "nbg" for m in transferred)


@pytest.mark.parametrize(
    "config, key",
    [
        ({"transfer_ratio": 1.5}, "transfer_ratio"),
        ({"transfer_ratio": "half"}, "transfer_ratio"),
        ({"min_similarity": -0.1}, "min_similarity"),
        ({"similarity_metric": "cosine"}, "similarity_metric"),
        ({"top_k_tasks": 0}, "top_k_tasks"),
        ({"top_k_archs": 2.5}, "top_k_archs"),
        ({"diversity": "greedy"}, "diversity"),
        ({"diversity_metric": "l2"}, "diversity_metric"),
        ({"diversity_lambda": 2}, "diversity_lambda"),
        ({"max_arch_similarity": 0}, "max_arch_similarity"),
        ({"model_share": -1}, "model_share"),
        ({"seed": -1}, "seed"),
        ({"checkpoint": 5}, "checkpoint"),
        ({"cost_weight": -0.5}, "cost_weight"),
        ({"cost_weight": float("nan")}, "cost_weight"),
        ({"cost_weight": float("inf")}, "cost_weight"),
        ({"cost_weight": "cheap"}, "cost_weight"),
        ({"cost_weight": True}, "cost_weight"),
        ({"transfer": 0.5}, "unknown warm-start config key"),
    ],
)
def test_config_errors_name_the_key(config, key):
    with pytest.raises(ConfigError, match=key):
        WarmStartConfig.from_mapping(config)


def test_population_size_validated(nb201_db):
    kb, _ = nb201_db
    with pytest.raises(ConfigError, match="population_size"):
        WarmStarter(kb, {}).generate_initial_population(_cifar("x", 10), 0, get_space("nb201"))


def test_yaml_config_in_repo_loads(tmp_path):
    cfg = WarmStartConfig.from_yaml(REPO / "configs" / "warm_start.yaml")
    assert cfg == WarmStartConfig()
    bad = tmp_path / "bad.yaml"
    bad.write_text("warm_start:\n  transfer_ratio: 3\n")
    with pytest.raises(ConfigError, match="transfer_ratio"):
        WarmStartConfig.from_yaml(bad)
    with pytest.raises(ConfigError, match="not found"):
        WarmStartConfig.from_yaml(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "total, weights, capacity, expected",
    [
        (25, [1.0], None, [25]),
        (25, [0.9, 0.9, 0.9], None, [9, 8, 8]),
        (10, [0.95, 0.7, 0.65], None, [4, 3, 3]),
        (25, [0.9, 0.8], [10, 40], [10, 15]),
        (25, [0.9, 0.8], [10, 5], [10, 5]),
        (3, [0.9, 0.8, 0.7, 0.6, 0.61], None, [1, 1, 1, 0, 0]),
        (0, [0.9], None, [0]),
    ],
)
def test_allocation_adds_up_exactly(total, weights, capacity, expected):
    shares = allocate(total, weights, capacity)
    assert shares == expected
    cap_total = sum(capacity) if capacity else total
    assert sum(shares) == min(total, cap_total)


def test_allocation_is_proportional_on_random_cases():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 6))
        w = rng.uniform(0.6, 1.0, n)
        total = int(rng.integers(0, 60))
        shares = allocate(total, list(w))
        assert sum(shares) == total
        exact = total * w / w.sum()
        assert np.all(np.abs(np.array(shares) - exact) < 1.0)


class _FakeEmbedder:
    """A task embedder with fixed vectors: the new task points at citeseer, not cora."""

    vectors: ClassVar[dict] = {"nbg/cora": [1.0, 0.0], "nbg/citeseer": [0.0, 1.0], "nbg/new": [0.1, 1.0]}

    def __init__(self, fits: bool = True):
        self.fits = fits

    def check(self, task, space_id):
        from metanas.exceptions import CheckpointError

        if not self.fits:
            raise CheckpointError("vocabulary differs")

    def embed_task(self, task):
        return np.array(self.vectors[task.task_id])


def test_task_embedding_ranks_past_tasks_by_embedding(tmp_path, nbg_suite, caplog):
    from dataclasses import replace

    with ExperimentDatabase(tmp_path / "kb.db") as db:
        for t in ("nbg/cora", "nbg/citeseer"):
            db.import_table(nbg_suite.table(t), rows=list(range(0, 26206, 20)))
        new = replace(nbg_suite.task("nbg/cora"), task_id="nbg/new")  # meta-features equal to cora's
        space = get_space("nbg")
        plan = WarmStarter(db, {"similarity_metric": "task_embedding"}, task_embedder=_FakeEmbedder()).plan(new, 20, space)
        assert plan.metric == "task_embedding"
        meta = WarmStarter(db, {"similarity_metric": "dataset_meta"}).plan(new, 20, space)
        # the learned order and values (clipped cosines): citeseer first; cora, nearly orthogonal, below the
        # default min_similarity (0.6) transfers nothing, where dataset_meta (equal meta-features) puts cora first
        assert plan.similar_tasks[0][0] == "nbg/citeseer"
        assert plan.similar_tasks[0][1] == pytest.approx(1.0 / np.hypot(0.1, 1.0))
        assert [t for t, _ in meta.similar_tasks] == ["nbg/cora", "nbg/citeseer"]
        by_task = {t: sum(m.task_id == t for m in plan.members) for t in ("nbg/citeseer", "nbg/cora")}
        assert by_task["nbg/citeseer"] > 0 and by_task["nbg/cora"] == 0
        assert any("task_embedding: cosine" in n for n in plan.notes)
        with caplog.at_level(logging.WARNING, logger="metanas.warm_start"):
            plan = WarmStarter(db, {"similarity_metric": "task_embedding"},
                               task_embedder=_FakeEmbedder(fits=False)).plan(new, 20, space)
        assert plan.metric == "dataset_meta" and plan.similar_tasks[0][0] == "nbg/cora"
        assert "does not fit" in caplog.text and "vocabulary differs" in caplog.text


class _HeadEmbedder(_FakeEmbedder):
    """A meta-learner with heads: the past tasks' learned heads and a new task's prior centre."""

    past_task_ids = ("nbg/cora", "nbg/citeseer")
    past_heads = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    vectors: ClassVar[dict] = {"nbg/cora": [1.0, 0.0, 0.0], "nbg/citeseer": [0.0, 1.0, 0.0], "nbg/new": [0, 0, 1.0]}

    def __init__(self, prior=None):
        super().__init__()
        self.prior = prior

    def prior_mean(self, task):
        return None if self.prior is None else np.asarray(self.prior, dtype=float)


def test_task_embedding_compares_the_new_tasks_prior_head_with_the_past_heads(tmp_path, nbg_suite):
    """Issue 23: the similarity reads the heads the learned surrogate reads; the new task's head is the
    prior's centre (the MLP prior from meta-features, else the past heads' mean), not its embed_task."""
    from dataclasses import replace

    from metanas.similarity import TaskEmbeddingSimilarity

    with ExperimentDatabase(tmp_path / "kb.db") as db:
        for t in ("nbg/cora", "nbg/citeseer"):
            db.import_table(nbg_suite.table(t), rows=list(range(0, 26206, 20)))
        new = replace(nbg_suite.task("nbg/cora"), task_id="nbg/new")
        past = [db.get_task(t) for t in ("nbg/cora", "nbg/citeseer")]
        space = get_space("nbg")
        towards_citeseer = TaskEmbeddingSimilarity(_HeadEmbedder(prior=[0.2, 1.0, 0.0]))
        np.testing.assert_allclose(towards_citeseer.scores(new, past), [0.2 / np.hypot(0.2, 1.0), 1 / np.hypot(0.2, 1)])
        mean = TaskEmbeddingSimilarity(_HeadEmbedder(prior=None))  # no MLP prior: the past heads' mean
        np.testing.assert_allclose(mean.scores(new, past), [1 / np.sqrt(2), 1 / np.sqrt(2)])
        assert TaskEmbeddingSimilarity(_HeadEmbedder())(new, past[0]) == 0.0  # pairwise: embed_task, orthogonal
        plan = WarmStarter(db, {"similarity_metric": "task_embedding"},
                           task_embedder=_HeadEmbedder(prior=[0.2, 1.0, 0.0])).plan(new, 20, space)
        assert plan.similar_tasks[0][0] == "nbg/citeseer"
        assert {m.task_id for m in plan.members if m.source == "transfer"} == {"nbg/citeseer"}
        away = WarmStarter(db, {"similarity_metric": "task_embedding"},
                           task_embedder=_HeadEmbedder(prior=[0.0, 0.0, 1.0])).plan(new, 20, space)
        assert not any(m.source == "transfer" for m in away.members)  # no past head near: nothing transfers


# ---------------------------------------------------------------- cost_weight: score per training cost


def _costed_db(path, rows):
    """A past image task whose evaluations are ``rows`` = [(val_acc, cost or None)], one architecture each."""
    space = get_space("nb201")
    rng, graphs = np.random.default_rng(7), {}
    while len(graphs) < len(rows):
        g = space.sample(rng)
        graphs.setdefault(space.canonical_hash(g), g)
    graphs = list(graphs.values())
    db = ExperimentDatabase(path)
    db.add_task(_cifar("past", 10), objective="val_acc", direction="maximize")
    run = db.start_run("past", "random", space_id="nb201")
    for g, (acc, cost) in zip(graphs, rows):
        db.record_evaluation(run, g, {"val_acc": acc}, cost=cost)
    return db, graphs


# best but slow, a little worse and cheap, worse and slow, poor
COSTED = [(0.95, 100.0), (0.94, 2.0), (0.90, 50.0), (0.80, 10.0)]


def _transferred(db, **config):
    plan = WarmStarter(db, {"transfer_ratio": 0.5, "diversity": "none", **config}).plan(
        _cifar("now", 10), 2, get_space("nb201"))
    return [m for m in plan.members if m.source == "transfer"], plan


def test_cost_weight_makes_the_cheap_architecture_win(tmp_path):
    db, graphs = _costed_db(tmp_path / "c.db", COSTED)
    with db:
        off, _ = _transferred(db)
        assert [m.graph for m in off] == [graphs[0]]  # by score alone: the best, slow one
        assert off[0].score == pytest.approx(0.95) and off[0].cost == pytest.approx(100.0)
        # score_n (1, .933, .667, 0) - 0.5 * log-cost_n (1, 0, .82, .41): the cheap 0.94 wins
        on, _ = _transferred(db, cost_weight=0.5)
        assert [m.graph for m in on] == [graphs[1]] and on[0].cost == pytest.approx(2.0)
        assert on[0].score == pytest.approx(0.94)  # the member keeps its objective value
        # a small weight does not overturn a large score gap: 1 - 0.05 > 0.933
        small, _ = _transferred(db, cost_weight=0.05)
        assert [m.graph for m in small] == [graphs[0]]


def test_cost_weight_only_re_ranks_the_top_k_archs(tmp_path):
    """A very cheap but poor architecture outside the task's top_k_archs is never transferred."""
    db, graphs = _costed_db(tmp_path / "c.db", [(0.95, 100.0), (0.94, 60.0), (0.50, 0.01)])
    with db:
        members, _ = _transferred(db, cost_weight=10.0, top_k_archs=2)
        assert [m.graph for m in members] == [graphs[1]]
        members, _ = _transferred(db, cost_weight=10.0, top_k_archs=3)
        assert [m.graph for m in members] == [graphs[2]]


def test_cost_weight_falls_back_to_score_when_a_cost_is_missing(tmp_path, caplog):
    db, graphs = _costed_db(tmp_path / "c.db", [(0.95, 100.0), (0.94, None), (0.90, 2.0)])
    with db, caplog.at_level(logging.INFO, logger="metanas.warm_start"):
        members, plan = _transferred(db, cost_weight=0.5)
    assert [m.graph for m in members] == [graphs[0]]
    note = "cost_weight=0.5 not applied to past: 1 of its 3 candidate(s) have no recorded cost; ranked by score alone"
    assert note in plan.notes and note in caplog.text


def test_cost_weight_falls_back_when_cost_units_differ(tmp_path):
    db, graphs = _costed_db(tmp_path / "c.db", COSTED[:2])
    with db:
        run = db.start_run("past", "random", space_id="nb201")
        db.record_evaluation(run, graphs[1], {"val_acc": 0.945}, cost=1, cost_unit="epochs")
        members, plan = _transferred(db, cost_weight=0.5)
    assert [m.graph for m in members] == [graphs[0]]
    assert any("different units ['epochs', 'seconds']" in n for n in plan.notes)
