"""TransferBO: RGPE weights, informative first population, no re-proposal, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.exceptions import ConfigError
from metanas.search import (
    BenchmarkEvaluator,
    CandidatePool,
    PastTask,
    TaskRankers,
    TransferBO,
    get_strategy,
    history_from_db,
    informative_population,
    rgpe_weights,
    run_search,
)
from metanas.spaces import DAGSpace, NB201Space
from metanas.transfer import InformativeDesign

from .conftest import transfer_variant


# ------------------------------------------------------------------ rgpe_weights
def test_matching_past_task_outweighs_a_contradicting_one():
    rng = np.random.default_rng(0)
    y = rng.normal(size=40)
    matching = y + 0.3 * rng.normal(size=40)
    contradicting = -y + 0.3 * rng.normal(size=40)
    target_loo = rng.normal(size=40)  # a target model that has learnt nothing yet
    w = rgpe_weights(np.stack([contradicting, matching, target_loo]), y, np.random.default_rng(1))
    assert w.sum() == pytest.approx(1.0)
    assert w[1] > 0.9 and w[0] == 0.0 and w[1] > w[2]


def test_target_model_takes_the_weight_when_no_past_task_agrees():
    rng = np.random.default_rng(2)
    y = rng.normal(size=40)
    past = np.stack([-y + 0.2 * rng.normal(size=40), rng.normal(size=40)])  # contradicts / unrelated
    target_loo = y + 0.3 * rng.normal(size=40)
    w = rgpe_weights(np.vstack([past, target_loo]), y, np.random.default_rng(3))
    assert w[-1] > 0.9 and w[0] == 0.0


def test_top_focus_prefers_the_task_that_ranks_the_best_observations():
    y = np.arange(40.0)
    bulk = y.copy()
    bulk[-6:] = -1.0 - np.arange(6.0)  # ranks the bulk right, the top 6 below everything, reversed
    top = np.concatenate([np.random.default_rng(4).permutation(34), y[-6:] + 100])  # the top right, the bulk at random
    target_loo = np.random.default_rng(5).normal(size=40)
    preds = np.stack([bulk, top, target_loo])
    plain = rgpe_weights(preds, y, np.random.default_rng(6))
    focused = rgpe_weights(preds, y, np.random.default_rng(6), top_focus=3.0)
    assert plain[0] > 0.7 > plain[1]  # counted over all pairs, the bulk ranker wins
    assert focused[1] > 0.85  # judged by the best observations, the one that knows the top wins
    with pytest.raises(ConfigError, match="'top_focus' must be a float >= 0"):
        rgpe_weights(preds, y, np.random.default_rng(6), top_focus=-1.0)


def test_rgpe_weights_shapes_and_degenerate_cases():
    w = rgpe_weights(np.zeros((3, 1)), np.zeros(1), np.random.default_rng(0))
    assert list(w) == [0.0, 0.0, 1.0]  # one observation ranks nothing: the target model
    tied = rgpe_weights(np.stack([np.arange(5.0), np.arange(5.0)]), np.arange(5.0), np.random.default_rng(0),
                        prevent_dilution=False)
    assert tied == pytest.approx([0.5, 0.5])  # equal losses split the weight
    with pytest.raises(ConfigError, match=r"predictions must be \[models, 4\]"):
        rgpe_weights(np.zeros((2, 3)), np.zeros(4), np.random.default_rng(0))


def test_several_target_models_share_the_weight_by_their_own_ranking():
    rng = np.random.default_rng(7)
    y = rng.normal(size=40)
    past = -y + 0.2 * rng.normal(size=40)  # contradicts the observations
    plain = rng.normal(size=40)  # a target model that has learnt nothing
    stacked = y + 0.3 * rng.normal(size=40)  # a target model that ranks them
    w = rgpe_weights(np.stack([past, plain, stacked]), y, np.random.default_rng(8), num_targets=2)
    assert w.sum() == pytest.approx(1.0) and w[2] > 0.9 and w[0] == 0.0
    # dilution is judged against the better target model: a past task that wins a few bootstrap
    # samples, but ranks clearly worse than the better target model, is dropped
    rng = np.random.default_rng(2)
    y = rng.normal(size=40)
    good, weak, noise = y + 0.4 * rng.normal(size=40), y + 1.0 * rng.normal(size=40), rng.normal(size=40)
    kept = rgpe_weights(np.stack([weak, good, noise]), y, np.random.default_rng(1), num_targets=2,
                        prevent_dilution=False)
    assert kept[0] > 0.02  # it wins some samples ...
    # ... is not diluted against the noise model alone (the reference of one target model) ...
    assert rgpe_weights(np.stack([weak, good, noise]), y, np.random.default_rng(1))[0] == kept[0]
    # ... and is dropped against the better of the two target models
    assert rgpe_weights(np.stack([weak, good, noise]), y, np.random.default_rng(1), num_targets=2)[0] == 0.0
    assert list(rgpe_weights(np.zeros((3, 1)), np.zeros(1), np.random.default_rng(0), num_targets=2)) == [0, 0.5, 0.5]
    for bad in (0, 4, True, 1.5):
        with pytest.raises(ConfigError, match=r"'num_targets' parameter of rgpe_weights must be an int in the range \[1, 3\]"):
            rgpe_weights(np.zeros((3, 5)), np.arange(5.0), np.random.default_rng(0), num_targets=bad)


# ------------------------------------------------------------------ first population
def _disagreeing_scores(n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(5)
    a = rng.normal(size=n)
    b = -a + 0.1 * rng.normal(size=n)  # task 1 ranks the candidates against task 0
    return np.stack([a, b])


def test_informative_population_differs_from_the_exploit_population():
    scores = _disagreeing_scores()
    inform, src_i = informative_population(scores, 6, inform_share=1.0)
    exploit, src_e = informative_population(scores, 6, inform_share=0.0)
    assert src_e == ["exploit"] * 6 and src_i == ["inform:0", "inform:1"] * 3
    assert not set(inform) & set(exploit)
    # each task's picks lie among its own best candidates, and are poor under the other task
    for idx, src in zip(inform, src_i):
        t = int(src.split(":")[1])
        assert scores[t, idx] >= np.sort(scores[t])[-10]
        assert scores[1 - t, idx] < np.median(scores[1 - t])
    # the exploit half is the top of the consensus (mean score)
    assert exploit == list(np.argsort(-scores.mean(axis=0), kind="stable")[:6])
    mixed, src_m = informative_population(scores, 6, inform_share=0.5)
    assert src_m.count("exploit") == 3 and len(set(mixed)) == 6


@pytest.fixture(scope="module")
def nb201_history(nb201_suite):
    """cifar100 as a faithful past task of cifar10 and its reversed ranking as a misleading one."""
    table = nb201_suite.table("nb201/cifar100")
    rows = np.random.default_rng(0).choice(len(table), 400, replace=False)
    graphs = tuple(table.graphs[i] for i in rows)
    return [PastTask("faithful", graphs, table.values[rows]), PastTask("misleading", graphs, -table.values[rows])]


def test_strategy_weighs_the_faithful_task_and_designs_both_halves(cifar10, nb201_history):
    strategy = TransferBO(cifar10.space, seed=0, history=nb201_history, design_share=1.0)
    assert len(strategy.design) == 20
    assert strategy.design_sources.count("exploit") == 10
    assert {"inform:faithful", "inform:misleading"} <= set(strategy.design_sources)
    result = run_search(strategy, BenchmarkEvaluator(cifar10), 60)
    first = strategy.weight_history[0]["weights"]
    assert first["faithful"] > max(0.5, first["target"])  # after the first population: the faithful ranking
    assert all(h["weights"]["misleading"] == 0.0 for h in strategy.weight_history)
    target = cifar10.quantile_target(0.01)
    assert result.best_so_far[-1] >= target  # the faithful ranking leads to the top 1%


@pytest.mark.parametrize("order", ["exploit-first", "inform-first"])
def test_design_order_decides_which_half_is_asked_first(cifar10, nb201_history, order):
    rankers = TaskRankers(cifar10.space, nb201_history, pool=CandidatePool.for_space(cifar10.space))

    def design(order):
        return InformativeDesign(rankers, order=order)

    strategy = TransferBO(cifar10.space, seed=0, history=rankers, design_share=1.0, initial_design=design(order))
    asked = [strategy.ask() for _ in range(20)]
    assert asked == list(strategy.design)
    first_half = set(strategy.design_sources[:10])
    assert first_half == ({"exploit"} if order == "exploit-first" else {"inform:faithful", "inform:misleading"})
    other = TransferBO(cifar10.space, seed=0, history=rankers, design_share=1.0,
                       initial_design=design("inform-first" if order == "exploit-first" else "exploit-first"))
    # the same members, only their order differs
    assert sorted(map(cifar10.space.key, other.design)) == sorted(map(cifar10.space.key, strategy.design))
    assert strategy.initial_design.order == order and strategy.config["initial_design"] == "informative"


def test_stacked_target_model_learns_from_a_faithful_past_ranking(cifar10, nb201_history):
    # 20 observations (no designed members): the target forest alone hardly ranks cifar10's
    # 15,625 cells; with the faithful past task's scores as inputs it proposes far better ones
    def first_target_queue(stack: bool) -> list:
        strategy = transfer_variant(STACK_PAST=stack)(cifar10.space, seed=0, history=nb201_history[:1],
                                                      design_share=0.0)
        for _ in range(20):
            graph = strategy.ask()
            strategy.tell(graph, cifar10.lookup(graph)[cifar10.objective])
        strategy._refit()
        return [cifar10.lookup(g)[cifar10.objective] for g in strategy._queues[1]]

    plain, stacked = first_target_queue(False), first_target_queue(True)
    assert len(plain) == len(stacked) >= 5
    assert np.median(stacked) >= cifar10.quantile_target(0.2)  # in the top 20 % of the space ...
    assert np.median(plain) < cifar10.quantile_target(0.5) < np.median(stacked)  # ... the forest alone: below its median


def test_stacked_target_model_without_history_is_the_plain_one(cifar10):
    runs = [run_search(transfer_variant(STACK_PAST=stack)(cifar10.space, seed=2), BenchmarkEvaluator(cifar10), 40)
            for stack in (False, True, "both")]
    assert np.array_equal(runs[0].best_so_far, runs[1].best_so_far)
    assert np.array_equal(runs[0].best_so_far, runs[2].best_so_far)


def test_hedged_target_models_let_the_observations_choose_the_stacked_one(cifar10, nb201_history):
    # stack_past="both": the plain and the stacked forest both enter the ensemble; where the
    # past ranking is faithful, the new task's observations give the stacked one the weight
    strategy = TransferBO(cifar10.space, seed=0, history=nb201_history[:1], design_share=0.0)  # STACK_PAST "both"
    run_search(strategy, BenchmarkEvaluator(cifar10), 60)
    assert all(set(h["weights"]) == {"faithful", "target", "target-stacked"} for h in strategy.weight_history)
    last = strategy.weight_history[-1]["weights"]
    assert last["target-stacked"] > last["target"]
    assert strategy.config["stack_past"] == "both"


def test_cold_start_uses_the_target_model_only(cifar10):
    strategy = get_strategy("transfer-bo", space=cifar10.space, seed=1)
    run_search(strategy, BenchmarkEvaluator(cifar10), 40)
    assert strategy.design == () and strategy.config["past_tasks"] == []
    assert all(h["weights"] == {"target": 1.0} for h in strategy.weight_history)
    assert len(strategy.weight_history) >= 2


def _sequence(strategy, n, score):
    out = []
    for _ in range(n):
        g = strategy.ask()
        strategy.tell(g, score(g))
        out.append(strategy.space.key(g))
    return out


def _random_history(space, score, seed, n=60):
    rng = np.random.default_rng(seed)
    out = []
    for t in range(2):
        graphs = tuple(space.sample(rng) for _ in range(n))
        out.append(PastTask(f"past{t}", graphs, [score(g) * (1 if t == 0 else -1) for g in graphs]))
    return out


def test_never_reproposes_and_is_deterministic_per_seed(score):
    space = NB201Space()
    history = _random_history(space, score, 0)
    runs = [_sequence(TransferBO(space, seed=s, history=history, batch_size=4), 80, score) for s in (3, 3, 4)]
    assert len(set(runs[0])) == 80
    assert runs[0] == runs[1] and runs[0] != runs[2]
    rankers = TaskRankers(space, history, pool=CandidatePool.for_space(space))
    shared = _sequence(TransferBO(space, seed=3, history=rankers, batch_size=4), 80, score)
    assert len(set(shared)) == 80


def test_sampled_candidates_when_the_space_is_not_enumerable(score):
    space = DAGSpace(["a", "b", "c"], max_nodes=4, space_id="dag-transfer-test")
    assert CandidatePool.for_space(space) is None
    history = _random_history(space, score, 1, n=40)
    variant = transfer_variant(NUM_CANDIDATES=200)
    strategy = variant(space, seed=0, history=history, population_size=10, tournament_size=3, batch_size=5,
                       design_share=1.0)
    assert len(strategy.design) == 10
    keys = _sequence(strategy, 50, score)
    assert len(set(keys)) == 50 and strategy.weight_history
    again = _sequence(variant(space, seed=0, history=history, population_size=10, tournament_size=3,
                              batch_size=5, design_share=1.0), 50, score)
    assert keys == again


def test_given_initial_population_comes_first_and_is_not_redesigned(cifar10, nb201_history):
    given = list(nb201_history[0].graphs[:3])
    strategy = TransferBO(cifar10.space, seed=0, initial_population=given, history=nb201_history,
                          design_share=1.0)
    asked = [strategy.ask() for _ in range(20)]
    assert asked[:3] == given and len(strategy.design) == 17
    assert not {cifar10.space.key(g) for g in given} & {cifar10.space.key(g) for g in strategy.design}


@pytest.mark.parametrize(("key", "value", "match"), [
    ("model_share", 1.5, "'model_share' parameter of TransferBO must be a float in the range"),
    ("design_share", -0.1, "'design_share'"),
    ("target_share", 2, "'target_share'"),
    ("kappa", -1.0, "'kappa' parameter of TransferBO must be a float >= 0"),
    ("batch_size", 0, "'batch_size' parameter of TransferBO must be an int"),
])
def test_bad_settings_raise(key, value, match):
    with pytest.raises(ConfigError, match=match):
        TransferBO("nb201", seed=0, **{key: value})


def test_past_task_checks_its_shape():
    g = NB201Space().sample(np.random.default_rng(0))
    with pytest.raises(ConfigError, match="2 graphs but 1 values"):
        PastTask("t", (g, g), [1.0])
    with pytest.raises(ConfigError, match=">= 2 observations"):
        PastTask("t", (g,), [1.0])
    with pytest.raises(ConfigError, match="finite"):
        PastTask("t", (g, g), [1.0, float("nan")])


def test_history_from_db_reads_each_past_task(tmp_path, cifar10):
    from metanas.db import ExperimentDatabase

    with ExperimentDatabase(tmp_path / "h.db") as db:
        db.import_table(cifar10, rows=list(range(30)))
        past = history_from_db(db, cifar10.space, exclude=["nb201/cifar100"])
        assert [p.task_id for p in past] == ["nb201/cifar10"]
        assert sorted(past[0].values) == sorted(float(cifar10.values[i]) for i in range(30))
        assert history_from_db(db, cifar10.space, exclude=["nb201/cifar10"]) == []


def test_transfer_bo_has_at_most_eight_options_of_its_own():
    """Issue 23: the options grown from experiments were pruned to a frozen few; the rest are fixed
    parts (class constants) that a benchmark variant changes by subclassing."""
    import inspect

    structural = {"self", "space", "seed", "initial_population", "history", "task", "population_size",
                  "tournament_size"}
    own = [p for p in inspect.signature(TransferBO).parameters if p not in structural]
    assert len(own) <= 8, own
    for gone in ("stack_past", "weight_focus", "design_order", "inform_share", "n_estimators", "num_candidates"):
        with pytest.raises(TypeError):
            TransferBO("nb201", seed=0, **{gone: None})
