"""Training evaluators: they learn, they fail cleanly, failures are recorded and a search goes on."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from metanas.exceptions import ConfigError, InvalidTaskError
from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.networks import DAG_OPS
from metanas.networks._config import TrainConfig
from metanas.networks._data import GraphData, ImageData, load_data, split_indices
from metanas.search import EvaluationResult, RandomSearch, get_evaluator, run_search
from metanas.spaces import DAGSpace, NB201Space, get_space

FAST_IMAGE = {"epochs": 1, "batch_size": 64, "network": {"C": 4, "N": 1}}


def test_one_epoch_on_digits_beats_chance():
    ev = get_evaluator("image_classification", data="sklearn:digits", space="nb201", config=FAST_IMAGE)
    res = ev.evaluate(NB201Space().from_ops(["nor_conv_3x3", "skip_connect", "nor_conv_3x3", "skip_connect",
                                             "nor_conv_1x1", "nor_conv_3x3"]))
    assert res.failure is None
    assert res.objective == res.metrics["val_acc"] > 0.5  # 10 classes: chance is 0.1
    assert 0.0 <= res.metrics["test_acc"] <= 1.0 and res.metrics["params"] > 0 and res.metrics["epochs"] == 1
    assert res.cost > 0 and res.cost_unit == "seconds"


def test_evaluation_is_repeatable_and_leaves_the_global_rng_alone():
    ev = get_evaluator("image_classification", data="sklearn:digits?classes=0-3", space="nb201", config=FAST_IMAGE)
    g = NB201Space().sample(np.random.default_rng(1))
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = ev.evaluate(g)
    assert torch.equal(torch.rand(1), before)
    assert ev.evaluate(g).metrics == a.metrics


def test_gnn_learns_an_sbm_graph_above_chance():
    cfg = {"epochs": 40, "optimizer": "adam", "lr": 0.01, "network": {"dim": 16}}
    ev = get_evaluator("node_classification", data="pyg:sbm?nodes=400&blocks=4&p_in=0.05&p_out=0.005",
                       space="nbg", config=cfg)
    g = get_space("nbg").from_arch([0, 1, 2, 3], ["gcn", "gcn", "sage", "fc"])
    res = ev.evaluate(g)
    assert res.failure is None and res.objective > 0.5  # 4 blocks: chance is 0.25


def test_sbm_and_digits_options_make_related_but_different_data():
    a, b = load_data("pyg:sbm?nodes=200&seed=0"), load_data("pyg:sbm?nodes=200&seed=1")
    assert isinstance(a, GraphData) and a.data.num_nodes == 200 == b.data.num_nodes
    assert not torch.equal(a.data.x, b.data.x)
    assert torch.equal(load_data("pyg:sbm?nodes=200&seed=0").data.edge_index, a.data.edge_index)
    sub = load_data("sklearn:digits?classes=5-9&noise=0.3")
    assert isinstance(sub, ImageData) and sub.num_classes == 5 and set(np.unique(sub.y)) == set(range(5))
    with pytest.raises(ConfigError, match="unknown option"):
        load_data("sklearn:digits?colour=1")
    with pytest.raises(ConfigError, match="classes"):
        load_data("sklearn:digits?classes=7")


def test_npz_images_and_graphs(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "img.npz", x=rng.random((20, 6, 6, 3)), y=np.arange(20) % 2)
    img = load_data(tmp_path / "img.npz")
    assert isinstance(img, ImageData) and img.x.shape == (20, 3, 6, 6)
    mask = np.zeros(10, bool)
    mask[:6] = True
    np.savez(tmp_path / "g.npz", x=rng.random((10, 4)), edge_index=np.array([[0, 1, 2], [1, 2, 3]]),
             y=np.arange(10) % 2, train_mask=mask, val_mask=~mask, test_mask=~mask)
    graph = load_data(str(tmp_path / "g.npz"))
    assert isinstance(graph, GraphData) and bool(graph.data.train_mask.sum() == 6)
    np.savez(tmp_path / "bad.npz", x=rng.random((10, 4)), edge_index=np.array([[0, 11], [1, 2]]), y=np.arange(10))
    with pytest.raises(InvalidTaskError, match="outside"):
        load_data(tmp_path / "bad.npz")
    with pytest.raises(ConfigError, match="does not exist"):
        load_data(tmp_path / "missing.npz")
    with pytest.raises(ConfigError, match="lacks"):
        np.savez(tmp_path / "nox.npz", y=np.arange(3))
        load_data(tmp_path / "nox.npz")


def test_split_is_fixed_by_seed_and_disjoint():
    a = split_indices(100, 0.2, 0.1, seed=3)
    b = split_indices(100, 0.2, 0.1, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sorted(np.concatenate(a).tolist()) == list(range(100)) and (len(a[1]), len(a[2])) == (20, 10)


def test_train_config_is_validated():
    with pytest.raises(ConfigError, match="unknown training config key"):
        TrainConfig.from_mapping({"epoch": 3})
    with pytest.raises(ConfigError, match="'lr'"):
        TrainConfig(lr=0)
    with pytest.raises(ConfigError, match="'optimizer'"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ConfigError, match="val_fraction"):
        TrainConfig(val_fraction=0.6, test_fraction=0.5)
    assert TrainConfig.from_yaml("configs/search.yaml", "graph").optimizer == "adam"


# ----------------------------------------------------------------------------- failures
class _Nan(torch.nn.Module):
    def forward(self, x):
        return x * math.nan


class _Oom(torch.nn.Module):
    def forward(self, x):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1 TiB")


@pytest.fixture()
def failing_ops():
    DAG_OPS.register("nan_op", lambda c: _Nan())
    DAG_OPS.register("oom_op", lambda c: _Oom())
    yield
    DAG_OPS.unregister("nan_op")
    DAG_OPS.unregister("oom_op")


def _chain(space: DAGSpace, op: str) -> ModelGraph:
    return ModelGraph((INPUT, op, OUTPUT), ((0, 1), (1, 2)), space.id)


def test_failures_come_back_with_their_reason(failing_ops):
    space = DAGSpace(["conv_3x3", "nan_op", "oom_op", "unbuilt"], max_nodes=1, space_id="failing")
    ev = get_evaluator("image_classification", data="sklearn:digits?classes=0-2", space=space, config=FAST_IMAGE)
    assert ev.evaluate(_chain(space, "conv_3x3")).failure is None
    for op, reason in (("nan_op", "nan_loss"), ("oom_op", "out_of_memory"), ("unbuilt", "build_error")):
        res = ev.evaluate(_chain(space, op))
        assert res.failure == reason and math.isnan(res.objective), (op, res)
        assert res.detail and res.cost >= 0
    assert "params" in ev.evaluate(_chain(space, "nan_op")).metrics  # measured before the failure


def test_failed_evaluations_are_recorded_and_the_search_goes_on(failing_ops, tmp_path):
    from metanas.db import ExperimentDatabase
    from metanas.search import DatabaseRecorder, failure_of

    space = DAGSpace(["conv_3x3", "nan_op", "unbuilt", "avg_pool_3x3"], max_nodes=1, space_id="failing2")
    ev = get_evaluator("image_classification", data="sklearn:digits?classes=0-2", space=space, config=FAST_IMAGE)
    task = ev.data.task("digits-012")
    population = [_chain(space, op) for op in ("nan_op", "conv_3x3", "unbuilt", "avg_pool_3x3")]
    strategy = RandomSearch(space, seed=0, initial_population=population)
    with ExperimentDatabase(tmp_path / "h.db") as db:
        db.add_task(task, objective="val_acc")
        recorder = DatabaseRecorder.for_strategy(db, task.task_id, strategy)
        result = run_search(strategy, ev, budget=4, recorder=recorder)
        traj = db.trajectory(recorder.run_id)
        top = db.top_evaluations(task.task_id, 10)
        status = db.runs(task.task_id)[0].status
    assert [r.failure for r in result.evaluations] == ["nan_loss", None, "build_error", None]
    assert result.best().failure is None and not math.isnan(result.best_so_far[-1])
    assert math.isnan(result.best_so_far[0])
    assert [failure_of(e.metrics) for e in traj] == ["nan_loss", None, "build_error", None]
    assert "val_acc" not in traj[0].metrics and len(top) == 2 and status == "finished"


def test_failed_result_must_name_a_known_reason():
    with pytest.raises(ConfigError, match="failure"):
        EvaluationResult.failed("exploded", "boom")
    assert math.isnan(EvaluationResult.failed("nan_loss", "x").objective)
