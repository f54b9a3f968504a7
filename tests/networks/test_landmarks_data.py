"""The landmarks of a search's task: computed from the training part of the split its evaluator
trains with (never the validation labels), recorded with the task, and an older record of the
task without them kept as it is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metanas.db import ExperimentDatabase
from metanas.exceptions import DatabaseError
from metanas.landmarks import GRAPH_LANDMARKS, SAMPLE_LANDMARKS
from metanas.networks._data import GraphData, load_data
from metanas.pipeline import record_search_task
from metanas.search import get_evaluator

SBM = "pyg:sbm?nodes=400&blocks=4&p_in=0.05&p_out=0.005&features=8&signal=0.6&seed=1"
FAST = {"epochs": 1, "device": "cpu", "val_fraction": 0.25, "test_fraction": 0.25, "split_seed": 3}


def _evaluator(data, space, kind="node_classification", **config):
    return get_evaluator(kind, data=data, space=space, config={**FAST, **config})


def test_graph_split_is_the_evaluators_split():
    data = load_data(SBM)
    ev = _evaluator(data, "nbg")
    train, val, test = data.split(FAST["val_fraction"], FAST["test_fraction"], FAST["split_seed"])
    for mine, theirs in zip((train, val, test), ev._masks):
        assert np.array_equal(np.sort(mine), np.flatnonzero(theirs.numpy()))


def test_graph_split_uses_the_graphs_own_masks():
    base = load_data(SBM).data.clone()
    n = base.num_nodes
    masks = torch.zeros(3, n, dtype=torch.bool)
    masks[0, : n // 2], masks[1, n // 2: 3 * n // 4], masks[2, 3 * n // 4:] = True, True, True
    base.train_mask, base.val_mask, base.test_mask = masks
    data = GraphData("masked", base)
    ev = _evaluator(data, "nbg")
    for mine, theirs in zip(data.split(0.2, 0.2, 0), ev._masks):
        assert np.array_equal(mine, np.flatnonzero(theirs.numpy()))


@pytest.mark.parametrize("source, kind", [("sklearn:wine", "tabular_classification"),
                                          ("sklearn:diabetes", "tabular_regression")])
def test_table_split_is_the_evaluators_split(source, kind):
    data = load_data(source)
    ev = _evaluator(data, "mlp", kind)
    parts = data.split(FAST["val_fraction"], FAST["test_fraction"], FAST["split_seed"])
    x = data.x.astype(np.float64)
    mean, std = x[parts[0]].mean(axis=0), x[parts[0]].std(axis=0)
    std[std == 0] = 1.0
    for idx, (xt, _) in zip(parts, ev._parts):  # the evaluator keeps the standardised rows of each part
        np.testing.assert_allclose(xt.numpy(), (x[idx] - mean) / std, rtol=1e-4, atol=1e-4)


def test_image_split_is_the_evaluators_split():
    data = load_data("sklearn:digits?classes=0-2")
    ev = _evaluator(data, "nb201", "image_classification")
    for mine, theirs in zip(data.split(FAST["val_fraction"], FAST["test_fraction"], FAST["split_seed"]), ev._split):
        assert np.array_equal(mine, theirs)


def test_search_task_gets_landmarks_from_the_training_part_only(tmp_path):
    data = load_data(SBM)
    ev = _evaluator(data, "nbg")
    with ExperimentDatabase(tmp_path / "h.db") as db:
        task = record_search_task(db, data.task("mine/g"), data, ev)
        assert db.get_task("mine/g") == task
    assert set(GRAPH_LANDMARKS) <= set(task.meta_features)
    train = data.split(FAST["val_fraction"], FAST["test_fraction"], FAST["split_seed"])[0]
    assert task == data.task("mine/g", train_index=train)
    # the validation and test labels permuted: the same landmarks
    d = data.data.clone()
    rest = np.setdiff1d(np.arange(d.num_nodes), train)
    y = d.y.numpy().copy()
    y[rest] = np.random.default_rng(0).permutation(y[rest])
    assert not np.array_equal(y, data.data.y.numpy())
    d.y = torch.from_numpy(y)
    permuted = GraphData("permuted", d)
    with ExperimentDatabase(tmp_path / "p.db") as db:
        again = record_search_task(db, permuted.task("mine/g", SBM), permuted, _evaluator(permuted, "nbg"))
    assert again == task
    # another split: other landmarks (they follow the evaluator's split)
    with ExperimentDatabase(tmp_path / "s.db") as db:
        other = record_search_task(db, data.task("mine/g"), data, _evaluator(data, "nbg", split_seed=4))
    assert other.meta_features != task.meta_features


def test_table_search_task_gets_sample_landmarks(tmp_path):
    data = load_data("sklearn:wine")
    with ExperimentDatabase(tmp_path / "h.db") as db:
        task = record_search_task(db, data.task("mine/wine"), data, _evaluator(data, "mlp", "tabular_classification"))
    assert set(SAMPLE_LANDMARKS) <= set(task.meta_features)
    assert all(0.0 <= task.meta_features[k] <= 1.0 for k in SAMPLE_LANDMARKS)


def test_a_task_recorded_without_landmarks_is_kept_as_stored(tmp_path, caplog):
    data = load_data(SBM)
    ev = _evaluator(data, "nbg")
    old = data.task("mine/g")  # as a version before landmarks recorded it
    with ExperimentDatabase(tmp_path / "h.db") as db:
        db.add_task(old, objective=ev.objective, direction=ev.direction)
        with caplog.at_level("INFO", logger="metanas.pipeline"):
            kept = record_search_task(db, data.task("mine/g"), data, ev)
        assert kept == old and db.get_task("mine/g") == old
        assert "stored record is kept" in caplog.text
        # any other difference is still refused
        with pytest.raises(DatabaseError, match="different metadata"):
            record_search_task(db, load_data(SBM.replace("nodes=400", "nodes=404")).task("mine/g"), data, ev)


def test_an_evaluator_without_a_split_records_the_task_as_given(tmp_path):
    from metanas.search import EvaluationResult

    class Fixed:
        objective, direction = "val_acc", "maximize"

        def evaluate(self, graph):  # pragma: no cover - never called
            return EvaluationResult(graph, {"val_acc": 0.5})

    data = load_data(SBM)
    with ExperimentDatabase(tmp_path / "h.db") as db:
        task = record_search_task(db, data.task("mine/g"), data, Fixed())
    assert not set(GRAPH_LANDMARKS) & set(task.meta_features)
