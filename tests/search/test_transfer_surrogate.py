"""`TransferBO` with the Bayesian surrogate (``surrogate="learned"`` / ``"both"``): the prior
predictive designs the first population, the fallback to cold on a misleading history (and
not on a helpful one), determinism, and the settings' errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from metanas.exceptions import ConfigError
from metanas.search import BenchmarkEvaluator, PastTask, TransferBO, run_search
from metanas.spaces import DAGSpace
from metanas.transfer import MeanRankDesign, RidgeEmbedding

from .conftest import pseudo_score, transfer_variant


def _own_history(table, sign: float, tasks: int = 2, rows: int = 400) -> list[PastTask]:
    """Past tasks that rank the architectures as the new task does (``sign=1``) or in reverse (-1)."""
    out = []
    for t in range(tasks):
        idx = np.random.default_rng(100 + t).choice(len(table), rows, replace=False)
        out.append(PastTask(f"{'same' if sign > 0 else 'reverse'}{t}", tuple(table.graphs[i] for i in idx),
                            sign * table.values[idx]))
    return out


@pytest.fixture(scope="module")
def helpful(cifar10):
    return _own_history(cifar10, 1.0)


@pytest.fixture(scope="module")
def misleading(cifar10):
    return _own_history(cifar10, -1.0)


@pytest.mark.parametrize("surrogate", ["learned", "both"])
def test_misleading_history_falls_back_to_cold_once_the_population_is_told(cifar10, misleading, surrogate,
                                                                            caplog):
    strategy = TransferBO(cifar10.space, seed=0, history=misleading, surrogate=surrogate)
    with caplog.at_level(logging.WARNING, logger="metanas.search._transfer"):
        run_search(strategy, BenchmarkEvaluator(cifar10), 40)
    info = strategy.info
    assert info["fallback"] == "cold" and info["fallback_at"] == 20  # the first refit, after the population
    assert info["log_evidence_history"] < info["log_evidence_flat"] - np.log(100)
    assert info["cold_weight"] >= 0.5
    assert "falling back to the cold model-based search" in caplog.text
    # from then on no past member is in the ensemble: the flat twin (and the plain target forest)
    cold = {"bayes-flat"} if surrogate == "learned" else {"bayes-flat", "target"}
    assert all(set(h["weights"]) == cold for h in strategy.weight_history)
    assert "evidence_vs_flat" in strategy.weight_history[0]
    assert "evidence_vs_flat" not in strategy.weight_history[-1]  # not judged again once cold


@pytest.mark.parametrize("surrogate", ["learned", "both"])
def test_helpful_history_does_not_fall_back(cifar10, helpful, surrogate):
    strategy = TransferBO(cifar10.space, seed=0, history=helpful, surrogate=surrogate)
    result = run_search(strategy, BenchmarkEvaluator(cifar10), 60)
    assert "fallback" not in strategy.info
    assert all(h["evidence_vs_flat"] > 0 for h in strategy.weight_history[:2])
    members = set(strategy.weight_history[-1]["weights"])
    assert {"bayes", "bayes-flat"} <= members
    if surrogate == "both":
        assert {"same0", "same1", "target", "target-stacked"} <= members
    # the prior predictive designed the first population and it holds the top of the space
    assert set(strategy.design_sources) == {"prior"} and len(strategy.design) == 10
    assert strategy.config["initial_design"] == "prior-predictive"
    assert max(cifar10.lookup(g)[cifar10.objective] for g in strategy.design) >= cifar10.quantile_target(0.01)
    assert result.best_so_far[-1] >= cifar10.quantile_target(0.001)


def test_learned_surrogate_is_deterministic_and_never_reproposes(cifar10, helpful):
    def keys(seed, **kw):
        strategy = TransferBO(cifar10.space, seed=seed, history=helpful, surrogate="learned", batch_size=4, **kw)
        out = []
        for _ in range(50):
            graph = strategy.ask()
            strategy.tell(graph, float(cifar10.lookup(graph)[cifar10.objective]))
            out.append(cifar10.space.key(graph))
        return out

    first = keys(3)
    assert len(set(first)) == 50 and keys(3) == first and keys(4) != first
    # a shared embedding (fitted once, e.g. per fold) gives the same search
    embedding = RidgeEmbedding(cifar10.space, helpful, pool=None)
    shared = keys(3, embedding=embedding)
    assert len(set(shared)) == 50


def test_cold_learned_search_is_the_flat_surrogate_alone(cifar10):
    strategy = TransferBO(cifar10.space, seed=1, surrogate="learned")
    run_search(strategy, BenchmarkEvaluator(cifar10), 40)
    assert strategy.design == () and strategy.bayes is None and strategy.config["past_tasks"] == []
    assert all(h["weights"] == {"bayes-flat": 1.0} for h in strategy.weight_history)
    assert "fallback" not in strategy.info


def test_learned_search_on_a_space_that_is_not_enumerable():
    space = DAGSpace(["a", "b", "c"], max_nodes=4, space_id="dag-transfer-learned")
    rng = np.random.default_rng(1)
    history = []
    for t in range(2):
        graphs = tuple(space.sample(rng) for _ in range(40))
        history.append(PastTask(f"past{t}", graphs, [pseudo_score(g) for g in graphs]))
    for surrogate in ("learned", "both"):
        strategy = transfer_variant(NUM_CANDIDATES=200)(space, seed=0, history=history, population_size=10,
                                                        tournament_size=3, batch_size=5, design_share=1.0,
                                                        surrogate=surrogate)
        assert len(strategy.design) == 10
        keys = []
        for _ in range(40):
            graph = strategy.ask()
            strategy.tell(graph, pseudo_score(graph))
            keys.append(space.key(graph))
        assert len(set(keys)) == 40 and strategy.weight_history


def test_a_given_initial_design_owns_the_first_population(cifar10, helpful):
    design = MeanRankDesign(helpful, top=5)
    strategy = TransferBO(cifar10.space, seed=0, history=helpful, initial_design=design, design_share=1.0)
    assert strategy.config["initial_design"] == "mean-rank" and strategy.config["surrogate"] == "trees"
    expected = design.propose(cifar10.space, 20, np.random.default_rng(0))
    assert [cifar10.space.key(g) for g in strategy.design[:5]] == [cifar10.space.key(g) for g in expected[:5]]
    asked = [strategy.ask() for _ in range(20)]
    assert asked == list(strategy.design)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"surrogate": "gp"}, "'surrogate' parameter of TransferBO must be one of \\['trees', 'learned', 'both'\\]"),
    ({"embedding": object(), "surrogate": "learned"}, "'embedding' parameter of TransferBO must implement"),
    ({"initial_design": "mean-rank"}, "'initial_design' parameter of TransferBO must be an InitialDesign"),
    ({"task": "cifar10", "surrogate": "learned"}, "'task' parameter of TransferBO must be a TaskMetadata"),
    ({"task": "cifar10"}, "'task' parameter of TransferBO gives the Bayesian surrogate's prior mean"),
])
def test_bad_surrogate_settings_raise(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TransferBO("nb201", seed=0, **kwargs)


def test_an_embedding_with_the_trees_is_refused(cifar10, helpful):
    embedding = RidgeEmbedding(cifar10.space, helpful)
    with pytest.raises(ConfigError, match="'embedding' parameter of TransferBO is used by surrogate='learned'"):
        TransferBO(cifar10.space, seed=0, history=helpful, embedding=embedding)


def test_the_task_gives_the_embedding_prior_mean(cifar10, helpful, misleading):
    from metanas.tasks import TaskMetadata

    ridge = RidgeEmbedding(cifar10.space, [helpful[0], misleading[0]])

    class TaskPrior:  # a meta-learner whose task encoder knows the new task is like the first past task
        dim, past_task_ids, past_heads = ridge.dim, ridge.past_task_ids, ridge.past_heads

        def embed(self, graphs):
            return ridge.embed(graphs)

        def prior_mean(self, task):
            return ridge.past_heads[0] if task is not None and task.task_id == "new" else None

    task = TaskMetadata(task_id="new", dataset_name="new", num_samples=100, num_classes=10, input_size=(3, 32, 32),
                        problem_type="classification")
    guided = TransferBO(cifar10.space, seed=0, history=helpful, surrogate="learned", embedding=TaskPrior(), task=task)
    np.testing.assert_allclose(guided.bayes.prior.mean, ridge.past_heads[0])
    plain = TransferBO(cifar10.space, seed=0, history=helpful, surrogate="learned", embedding=TaskPrior())
    np.testing.assert_allclose(plain.bayes.prior.mean, ridge.past_heads.mean(axis=0))
    # the guided prior designs a first population that is good on the new task, the mean of a
    # faithful and a reversed head does not (its designed members sit far lower in the table; their
    # best alone once fell below the top 1%, but is not a robust margin across library versions)
    def values(strategy):
        return [cifar10.lookup(g)[cifar10.objective] for g in strategy.design]

    assert max(values(guided)) >= cifar10.quantile_target(0.01)
    assert np.median(values(guided)) >= cifar10.quantile_target(0.05) > np.median(values(plain))
