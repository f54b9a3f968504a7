"""`InitialDesign`: every design returns exactly ``size`` distinct valid architectures, none
excluded; each one's rule against a direct computation."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.db import ExperimentDatabase
from metanas.exceptions import ConfigError
from metanas.spaces import DAGSpace
from metanas.tasks import TaskMetadata
from metanas.transfer import (
    BayesianSurrogate,
    InformativeDesign,
    InitialDesign,
    MeanRankDesign,
    PastTask,
    PriorPredictiveDesign,
    RidgeEmbedding,
    SimilarTaskDesign,
    TaskRankers,
    informative_population,
    quantiles,
)
from metanas.warm_start import WarmStarter


@pytest.fixture(scope="module")
def history(pool):
    """Two past tasks scoring the space linearly in its features, one the other's reverse."""
    w = np.random.default_rng(0).normal(size=pool.features.shape[1])
    out = []
    for t, sign in enumerate((1.0, -0.5)):
        rows = np.random.default_rng(t).choice(len(pool), 200, replace=False)
        out.append(PastTask(f"past{t}", tuple(pool.graphs[i] for i in rows), sign * (pool.features[rows] @ w)))
    return out


def _task(task_id: str, classes: int) -> TaskMetadata:
    return TaskMetadata(task_id=task_id, dataset_name=task_id, num_samples=50000, num_classes=classes,
                        input_size=(3, 32, 32), problem_type="classification")


@pytest.fixture(scope="module")
def warm_starter(tmp_path_factory, history):
    db = ExperimentDatabase(tmp_path_factory.mktemp("design") / "kb.db")
    for i, task in enumerate(history):
        db.add_task(_task(task.task_id, 10 + i))
        run = db.start_run(task.task_id, "random", space_id="nb201")
        db.record_evaluations(run, [(g, {"val_acc": float(v)}) for g, v in zip(task.graphs[:40], task.values[:40])])
    yield WarmStarter(db, {"min_similarity": 0.0, "diversity": "none"})
    db.close()


def _designs(space, pool, history, warm_starter) -> dict[str, InitialDesign]:
    rankers = TaskRankers(space, history, seed=0, n_estimators=8, pool=pool)
    surrogate = BayesianSurrogate(RidgeEmbedding(space, history, pool=pool), pool=pool)
    return {
        "informative": InformativeDesign(rankers),
        "mean-rank": MeanRankDesign(history),
        "prior-predictive": PriorPredictiveDesign(surrogate),
        "similar-task": SimilarTaskDesign(warm_starter, _task("new", 100)),
    }


@pytest.mark.parametrize("name", ["informative", "mean-rank", "prior-predictive", "similar-task"])
@pytest.mark.parametrize("size", [0, 1, 20, 60])
def test_each_design_returns_exactly_size_distinct_valid_architectures(space, pool, history, warm_starter,
                                                                       name, size):
    design = _designs(space, pool, history, warm_starter)[name]
    exclude = list(history[0].graphs[:5])
    plan = design.plan(space, size, np.random.default_rng(3), exclude=exclude)
    keys = [space.key(g) for g in plan.graphs]
    assert len(plan.graphs) == size == len(plan.sources) and len(set(keys)) == size
    assert all(space.contains(g) for g in plan.graphs)
    assert not set(keys) & {space.key(g) for g in exclude}
    again = design.propose(space, size, np.random.default_rng(3), exclude=exclude)
    assert [space.key(g) for g in again] == keys  # deterministic for a generator's seed


def test_designs_fill_with_random_members_when_their_rule_runs_short():
    space = DAGSpace(["a", "b", "c"], max_nodes=4, space_id="dag-design-test")
    rng = np.random.default_rng(0)
    graphs = tuple(space.sample(rng) for _ in range(6))
    past = [PastTask("t", graphs, np.arange(6.0))]
    plan = MeanRankDesign(past).plan(space, 15, np.random.default_rng(1))
    assert len({space.key(g) for g in plan.graphs}) == 15
    assert plan.sources.count("mean-rank") == len({space.key(g) for g in graphs}) and "random" in plan.sources
    surrogate = BayesianSurrogate(RidgeEmbedding(space, past), prior="history")
    prior_plan = PriorPredictiveDesign(surrogate, candidates=graphs, metric="path").plan(
        space, 15, np.random.default_rng(1))
    assert len({space.key(g) for g in prior_plan.graphs}) == 15


def test_mean_rank_design_is_the_mean_within_task_quantile(space, history):
    design = MeanRankDesign(history, top=10)
    plan = design.plan(space, 20, np.random.default_rng(0))
    # direct: mean over the past tasks of the quantile (0.5 where a task did not evaluate it)
    score: dict[str, list] = {}
    for task in history:
        for g, q in zip(task.graphs, quantiles(task.values)):
            score.setdefault(space.key(g), [0.5] * len(history))[history.index(task)] = q
    expected = sorted(score, key=lambda k: (-np.mean(score[k]), k))[:10]
    assert [space.key(g) for g in plan.graphs[:10]] == expected
    assert plan.sources == ("mean-rank",) * 10 + ("random",) * 10
    full = MeanRankDesign(history).plan(space, 20, np.random.default_rng(0))
    assert [space.key(g) for g in full.graphs] == sorted(score, key=lambda k: (-np.mean(score[k]), k))[:20]


def test_informative_design_is_informative_population_over_the_rankers(space, pool, history):
    rankers = TaskRankers(space, history, seed=0, n_estimators=8, pool=pool)
    plan = InformativeDesign(rankers, order="inform-first").plan(space, 10, np.random.default_rng(0))
    picks, sources = informative_population(rankers.pool_scores, 10)
    assert list(plan.graphs) == [pool.graphs[i] for i in picks]
    assert list(plan.sources) == [s if s == "exploit" else f"inform:past{s[-1]}" for s in sources]
    first = InformativeDesign(rankers).plan(space, 10, np.random.default_rng(0))
    assert set(first.sources[:5]) == {"exploit"}  # exploit-first (default)


def test_prior_predictive_design_takes_the_top_of_the_prior(space, pool, history):
    surrogate = BayesianSurrogate(RidgeEmbedding(space, history[:1], pool=pool), pool=pool)
    mean = surrogate.predict(np.arange(len(pool))).mean
    top = [pool.keys[i] for i in np.argsort(-mean, kind="stable")]
    plain = PriorPredictiveDesign(surrogate, shortlist=1).plan(space, 8, np.random.default_rng(0))
    assert [space.key(g) for g in plain.graphs] == top[:8] and set(plain.sources) == {"prior"}
    diverse = PriorPredictiveDesign(surrogate, shortlist=5).plan(space, 8, np.random.default_rng(0))
    keys = [space.key(g) for g in diverse.graphs]
    assert keys[0] == top[0] and set(keys) <= set(top[:40])  # the best first, all from the shortlist


def test_similar_task_design_is_the_warm_starter_population(space, warm_starter):
    task = _task("new", 100)
    expected = warm_starter.generate_initial_population(task, 12, space, np.random.default_rng(4))
    plan = SimilarTaskDesign(warm_starter, task).plan(space, 12, np.random.default_rng(4))
    assert list(plan.graphs) == expected
    assert any(s.startswith("transfer:past") for s in plan.sources)


def test_design_errors_name_the_argument(space, pool, history, warm_starter):
    with pytest.raises(ConfigError, match=r"'size' parameter of \w+\.propose must be an int in the range \[0, inf\)"):
        MeanRankDesign(history).propose(space, -1, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="'top' parameter of MeanRankDesign"):
        MeanRankDesign(history, top=-2)
    with pytest.raises(ConfigError, match="'order' parameter of InformativeDesign must be one of"):
        InformativeDesign(TaskRankers(space, history, n_estimators=2), order="random")
    with pytest.raises(ConfigError, match="'surrogate' must be a BayesianSurrogate"):
        PriorPredictiveDesign(object())
    surrogate = BayesianSurrogate(RidgeEmbedding(space, history))
    with pytest.raises(ConfigError, match="give 'candidates'"):
        PriorPredictiveDesign(surrogate)
    with pytest.raises(ConfigError, match="'warm_starter' must be a WarmStarter"):
        SimilarTaskDesign(object(), _task("x", 10))
    with pytest.raises(ConfigError, match="'task' must be a TaskMetadata"):
        SimilarTaskDesign(warm_starter, "x")
