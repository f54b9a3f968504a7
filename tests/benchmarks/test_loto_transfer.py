"""LOTO methods of the transfer search: naive_meanrank's rule, and every method end to end."""

from __future__ import annotations

import numpy as np
import pytest

import benchmarks.methods  # noqa: F401  (registers the transfer variants)
from metanas.benchmarks.loto import LotoSettings, method_names, run_loto
from metanas.search import PastTask
from metanas.spaces import NB201Space

TRANSFER_METHODS = ("naive_meanrank", "transfer-bo", "transfer-bo-cold", "transfer-init", "transfer-init-inform",
                    "transfer-init-exploit")


def test_the_mean_rank_design_against_a_reference():
    from metanas.transfer import MeanRankDesign

    space = NB201Space()
    rng = np.random.default_rng(0)
    graphs = []
    while len(graphs) < 6:
        g = space.sample(rng)
        if g not in graphs:
            graphs.append(g)
    a, b, c, d, e, f = graphs
    # quantiles within each task: t1: a=1, b=.5, c=0 ; t2: a=0, b=1, d=.5 ; t3: e=1, f=0
    past = [PastTask("t1", (a, b, c), [3.0, 2.0, 1.0]), PastTask("t2", (a, b, d), [1.0, 3.0, 2.0]),
            PastTask("t3", (e, f), [5.0, 4.0])]
    # means with 0.5 for a task that did not evaluate the architecture:
    # a (1+0+.5)/3=.5, b (.5+1+.5)/3=.667, c (0+.5+.5)/3=.333, d (.5+.5+.5)/3=.5, e .667, f .333
    top = MeanRankDesign(past, top=4).propose(space, 4, np.random.default_rng(1))
    keys = [space.key(g) for g in top]
    expected_first = sorted([space.key(b), space.key(e)])
    assert sorted(keys[:2]) == expected_first
    assert sorted(keys[2:]) == sorted([space.key(a), space.key(d)])
    filled = MeanRankDesign(past, top=2).propose(space, 10, np.random.default_rng(1))
    assert len({space.key(g) for g in filled}) == 10 and sorted(space.key(g) for g in filled[:2]) == expected_first


def test_transfer_methods_are_registered():
    assert set(TRANSFER_METHODS) <= set(method_names())


def test_every_transfer_method_runs_end_to_end(nb201_dir):
    two = ("nb201/cifar10", "nb201/cifar100")
    settings = LotoSettings(suite="nb201", tasks=two, pool=two, methods=TRANSFER_METHODS,
                            seeds=2, history_seeds=1, budget=30, history_size=200, population_size=10,
                            tournament_size=3, nb201_dir=str(nb201_dir), workers=1)
    result = run_loto(settings)
    per = {(r["task"], r["method"]) for r in result.runs}
    for task in settings.tasks:
        for method in ("random", *TRANSFER_METHODS):
            assert (task, method) in per
    cold = [r for r in result.runs if r["method"] == "transfer-bo-cold"]
    assert len(cold) == 2 * 2  # no history: once per search seed, like random
    for method in TRANSFER_METHODS:
        assert result.summary["median_speedup"][method] > 0


@pytest.mark.parametrize("name", ["transfer-bo", "transfer-init"])
def test_transfer_methods_never_read_the_held_out_task(name, nb201_dir, monkeypatch):
    import metanas.transfer as models

    seen: list[str] = []
    original = models.history_from_db

    def spy(db, space, task_ids=None, exclude=()):
        out = original(db, space, task_ids, exclude)
        seen.extend(t.task_id for t in out)
        return out

    monkeypatch.setattr(models, "history_from_db", spy)
    monkeypatch.setattr("metanas.search.history_from_db", spy)
    settings = LotoSettings(suite="nb201", tasks=("nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120"),
                            methods=(name,), seeds=1, history_seeds=1, budget=25, history_size=100,
                            population_size=10, tournament_size=3, nb201_dir=str(nb201_dir), workers=1)
    result = run_loto(settings)
    assert len(result.runs) == 6 and seen
    assert seen.count("nb201/cifar10") == 2  # read by the two other folds only


@pytest.mark.slow
def test_the_bayesian_surrogate_methods_run_and_train_only_on_the_past_tasks(nb201_dir, tmp_path, monkeypatch):
    import json

    from metanas import training

    trained: list[tuple[str, ...]] = []
    original = training.learned_embedding

    def spy(db, space, past_task_ids, **kwargs):
        trained.append(tuple(past_task_ids))
        return original(db, space, past_task_ids, **kwargs | {"config": {"max_epochs": 3, "steps_per_epoch": 3}})

    monkeypatch.setattr(training, "learned_embedding", spy)
    three = ("nb201/cifar10", "nb201/cifar100", "nb201/imagenet16-120")
    methods = ("transfer-bo-learned", "transfer-bo-ridge", "transfer-bo-both", "transfer-bo-learned-cold")
    settings = LotoSettings(suite="nb201", tasks=three[:1], pool=three, methods=methods, seeds=2, history_seeds=1,
                            budget=30, history_size=100, population_size=10, tournament_size=3,
                            nb201_dir=str(nb201_dir), workers=1, cache_dir=str(tmp_path))
    result = run_loto(settings)
    # one fold model, trained on the two other tasks only, shared by both methods that use it
    assert trained == [("nb201/cifar100", "nb201/imagenet16-120")]
    for method in methods:
        rows = [r for r in result.runs if r["method"] == method]
        assert len(rows) == 2
        info = json.loads(rows[0]["info"])
        assert info["surrogate"] in ("learned", "both")
    assert "embedding learned" in result.summary["strategies"]["transfer-bo-learned"]


def test_an_embedding_needs_the_bayesian_surrogate():
    from metanas.benchmarks.loto import TransferBOMethod
    from metanas.exceptions import ConfigError

    with pytest.raises(ConfigError, match="'embedding' needs surrogate='learned' or 'both'"):
        TransferBOMethod(embedding="learned")
    with pytest.raises(ConfigError, match="'embedding' must be one of"):
        TransferBOMethod(surrogate="learned", embedding="gnn")
