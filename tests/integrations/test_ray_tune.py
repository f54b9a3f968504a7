"""Ray Tune integration: param_space, points_to_evaluate, config decoding and the recording callback.

Skipped when Ray is not installed (``pip install metanas[ray]``), except with
``METANAS_REQUIRE_RAY=1`` (CI's Ray step), where a missing Ray fails.
"""

from __future__ import annotations

import logging
import pickle
from types import SimpleNamespace

import numpy as np
import pytest

from .conftest import HELD_OUT, require_ray

tune = require_ray()

from metanas.db import ExperimentDatabase
from metanas.exceptions import ConfigError
from metanas.integrations import codec_for
from metanas.integrations.ray import (
    MetanasTuneCallback,
    WarmStartPoints,
    config_to_graph,
    graph_to_config,
    param_space,
    points_to_evaluate,
)
from metanas.search import BenchmarkEvaluator
from metanas.spaces import DAGSpace, get_space
from metanas.warm_start import WarmStarter

DAG = DAGSpace(["conv", "pool", "id"], 4, min_nodes=2, max_edges=9)


@pytest.mark.parametrize("space", ["nb201", "nbg", "nbg-proteins", DAG], ids=str)
def test_param_space_is_one_choice_per_codec_parameter_and_every_config_decodes(space):
    space = get_space(space)
    choices = codec_for(space).choices()
    spec = param_space(space)
    assert set(spec) == set(choices)
    for name, domain in spec.items():
        assert isinstance(domain, tune.search.sample.Categorical)
        assert tuple(domain.categories) == choices[name]
    rng = np.random.default_rng(3)
    for _ in range(200):  # a graph -> a complete config -> the same graph
        graph = space.sample(rng)
        config = graph_to_config(graph, space)
        assert set(config) == set(choices)
        assert config_to_graph({**config, "lr": 0.1}, space) == graph  # other hyperparameters are ignored
    if space.id in ("nbg", "nb201"):  # every Tune sample of these spaces is an architecture
        for seed in range(200):
            config = {k: d.sample(random_state=np.random.RandomState(seed * 97 + i))
                      for i, (k, d) in enumerate(spec.items())}
            assert config_to_graph(config, space) in space


def test_nbg_config_reads_op_4_nonskip_after_three_skips():
    nbg = get_space("nbg")
    g = nbg.from_arch((0, 1, 2, 3), ["skip", "skip", "skip", "gin"])
    config = graph_to_config(g, nbg)
    assert config["op_4_nonskip"] == "gin" and config["op_4"] == codec_for(nbg).choices()["op_4"][0]
    assert config_to_graph({**config, "op_4": "gat"}, nbg) == g  # op_4 is inactive here


def test_config_of_another_space_is_refused_with_the_names():
    config = graph_to_config(get_space("nb201").sample(np.random.default_rng(0)), "nb201")
    with pytest.raises(ConfigError, match=r"missing \['link', 'op_1'"):
        config_to_graph(config, "nbg")
    with pytest.raises(ConfigError, match="must be one of"):
        config_to_graph({**graph_to_config(get_space("nbg").sample(np.random.default_rng(0)), "nbg"),
                         "op_1": "conv"}, "nbg")
    with pytest.raises(ConfigError, match="mapping"):
        config_to_graph([("link", "0,0,1,2")], "nbg")


def test_points_to_evaluate_are_the_warm_start_population_with_sources(history_db):
    warm = points_to_evaluate(history_db, HELD_OUT, "nbg", 12, {"transfer_ratio": 0.5}, seed=4)
    plan = WarmStarter(history_db, {"transfer_ratio": 0.5}).plan(
        history_db.get_task(HELD_OUT), 12, get_space("nbg"), np.random.default_rng(4))
    assert [config_to_graph(p, "nbg") for p in warm.points] == [m.graph for m in plan.members]
    assert all(set(p) == set(codec_for("nbg").choices()) for p in warm.points)  # complete configs
    assert [s["source"] for s in warm.sources] == [m.source for m in plan.members]
    assert [s["from_task"] for s in warm.sources] == [m.task_id for m in plan.members]
    assert warm.counts() == plan.counts() and warm.counts()["transfer"] == 6
    assert warm.source_of({**warm.points[3], "lr": 1.0}) == warm.sources[3]
    outside = next(g for g in (get_space("nbg").sample(np.random.default_rng(s)) for s in range(100))
                   if g not in [m.graph for m in plan.members])
    assert warm.source_of(graph_to_config(outside, "nbg")) is None
    with pytest.raises(ConfigError, match="one source per point"):
        WarmStartPoints(HELD_OUT, "nbg", warm.points, warm.sources[:-1])


def _trial(i, graph, result=None):
    return SimpleNamespace(trial_id=f"t_{i:05d}", config={**graph_to_config(graph, "nbg"), "lr": 0.01},
                           last_result=result)


def test_callback_records_once_failed_as_failed_and_survives_pickling(history_db, caplog):
    space = get_space("nbg")
    rng = np.random.default_rng(0)
    graphs = [space.sample(rng) for _ in range(4)]
    trials = [_trial(0, graphs[0], {"val_acc": 0.8, "test_acc": 0.7, "time_total_s": 2.5, "pid": 7}),
              _trial(1, graphs[1], {"trial_id": "t_00001"}),  # raised before reporting
              _trial(2, graphs[2], {"val_acc": float("nan"), "time_total_s": 1.0}),
              _trial(3, graphs[3], {"val_acc": 0.6, "time_total_s": 1.0})]
    cb = MetanasTuneCallback(history_db, HELD_OUT, "nbg")
    cb.on_trial_complete(0, trials, trials[0])
    cb.on_trial_complete(0, trials, trials[0])  # duplicate call: a no-op
    cb.on_trial_error(0, trials, trials[1])
    with caplog.at_level(logging.WARNING):
        cb.on_trial_complete(0, trials, trials[2])
    assert "without a finite 'val_acc'" in caplog.text
    clone = pickle.loads(pickle.dumps(cb))  # what Tune's checkpointing does; the clone reopens the database
    assert clone._db is None and clone.run_id == cb.run_id
    assert clone.record(trials, trials[0], failed=False) is False  # recorded already, by the original
    restored = MetanasTuneCallback(history_db, HELD_OUT, "nbg")
    restored.set_state(cb.get_state())  # what a restored Tune experiment does
    assert restored.run_id == cb.run_id and restored.record(trials, trials[1], failed=True) is False
    clone.on_trial_complete(0, trials, trials[3])
    clone.on_experiment_end(trials)
    clone.db.close()

    (run,) = [r for r in history_db.runs(HELD_OUT) if r.strategy == "ray-tune"]
    assert run.status == "finished" and run.run_id == cb.run_id
    rows = history_db.trajectory(run.run_id)
    assert [e.step for e in rows] == [0, 1, 2, 3]
    assert [e.graph for e in rows] == graphs
    assert dict(rows[0].metrics) == {"val_acc": 0.8, "test_acc": 0.7} and rows[0].cost == 2.5
    assert dict(rows[1].metrics) == {"trial_failed": 1.0} and rows[1].cost is None
    assert dict(rows[2].metrics) == {"trial_failed": 1.0}
    assert history_db.top_evaluations(HELD_OUT, 1)[0].value == 0.8


def test_callback_refuses_a_config_of_another_space_and_bad_arguments(history_db):
    g = get_space("nb201").sample(np.random.default_rng(0))
    trial = SimpleNamespace(trial_id="x_00000", config=graph_to_config(g, "nb201"), last_result={"val_acc": 0.5})
    cb = MetanasTuneCallback(history_db, HELD_OUT, "nbg")
    with pytest.raises(ConfigError, match=r"Tune trial x_00000 .* do not match search space 'nbg'"):
        cb.on_trial_complete(0, [trial], trial)
    cb.on_trial_error(0, [trial], trial)  # a failed trial without an architecture: nothing to record
    assert cb.run_id is None
    with pytest.raises(ConfigError, match="'db' must be"):
        MetanasTuneCallback(3, HELD_OUT, "nbg")
    warm = WarmStartPoints("nbg/pubmed", "nbg", [], [])
    with pytest.raises(ConfigError, match="'warm_start' is for task 'nbg/pubmed'"):
        MetanasTuneCallback(history_db, HELD_OUT, "nbg", warm_start=warm)
    with pytest.raises(ConfigError, match="'metric'"):
        MetanasTuneCallback(history_db, HELD_OUT, "nbg", metric="")


class _StartOrder(tune.Callback):
    def __init__(self):
        self.started = []

    def on_trial_start(self, iteration, trials, trial, **info):
        self.started.append(trials.index(trial))


@pytest.mark.slow
def test_local_ray_run_evaluates_the_warm_start_first_and_records_every_trial_once(history_db, cora, tmp_path):
    import ray
    from ray.tune.search.basic_variant import BasicVariantGenerator

    from metanas.integrations.ray import benchmark_trainable

    warm = points_to_evaluate(history_db, HELD_OUT, "nbg", 6, seed=0)
    poison = config_to_graph(warm.points[2], "nbg")  # this warm-start trial raises: recorded as failed
    score = benchmark_trainable("nasbench-graph", HELD_OUT)

    def trainable(config):
        if config_to_graph(config, "nbg") == poison:
            raise RuntimeError("out of memory (simulated)")
        score(config)

    callback = MetanasTuneCallback(history_db, HELD_OUT, "nbg", warm_start=warm)
    order = _StartOrder()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        tuner = tune.Tuner(
            trainable,
            param_space=param_space("nbg"),
            tune_config=tune.TuneConfig(
                metric="val_acc", mode="max", num_samples=14, max_concurrent_trials=2,
                search_alg=BasicVariantGenerator(points_to_evaluate=warm.points, random_state=0), reuse_actors=True),
            run_config=tune.RunConfig(name="cora", storage_path=str(tmp_path / "ray"), callbacks=[callback, order],
                                      verbose=0),
        )
        grid = tuner.fit()
    finally:
        ray.shutdown()

    assert len(grid) == 14 and grid.num_errors == 1
    assert sorted(order.started[:6]) == list(range(6))  # the warm-started population started first
    (run,) = [r for r in history_db.runs(HELD_OUT) if r.strategy == "ray-tune"]
    assert run.status == "finished" and run.run_id == callback.run_id
    assert run.config["warm_start"]["sources"] == warm.sources
    rows = history_db.trajectory(run.run_id)
    assert [e.step for e in rows] == list(range(14))  # every trial, once
    assert [e.graph for e in rows[:6]] == [config_to_graph(p, "nbg") for p in warm.points]
    assert dict(rows[2].metrics) == {"trial_failed": 1.0}
    scored = [e for e in rows if "val_acc" in e.metrics]
    assert len(scored) == 13
    truth = BenchmarkEvaluator(cora)
    assert all(truth.evaluate(e.graph).objective == e.metrics["val_acc"] for e in scored)
    best = grid.get_best_result()
    assert history_db.top_evaluations(HELD_OUT, 1)[0].value == best.metrics["val_acc"]
    assert all(e.cost is not None and e.cost >= 0 for e in scored)
    db2 = ExperimentDatabase(history_db.url)  # the same rows, read by another connection
    assert len(db2.trajectory(run.run_id)) == 14
    db2.close()
