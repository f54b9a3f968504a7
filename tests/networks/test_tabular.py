"""Tabular tasks: the problem kind and its meta-features, the ``--data`` sources, the MLP-cell space,
its networks and the tabular training evaluator."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.exceptions import ConfigError, InvalidTaskError
from metanas.networks._data import TabularData, load_data, stratified_split_indices
from metanas.similarity.meta_features import dataset_meta_vector, feature_names, task_features
from metanas.similarity.task import PROBLEM_TYPE_FACTOR, cosine, dataset_meta
from metanas.tasks import TaskMetadata, task_from_table


# ------------------------------------------------------------------------- the task kind
def test_tabular_task_meta_features_from_data():
    x = np.zeros((10, 3))
    y = np.array([0] * 7 + [1] * 3)
    task = task_from_table("mine/t", "t", x, y)
    assert task.problem_type == "tabular_classification" and task.modality == "tabular"
    assert task.input_size is None and task.num_samples == 10 and task.num_classes == 2
    mf = task.meta_features
    assert mf["num_features"] == 3.0
    assert mf["class_imbalance"] == pytest.approx(3 / 7)
    p = np.array([0.7, 0.3])
    assert mf["class_entropy"] == pytest.approx(float(-(p * np.log(p)).sum() / np.log(2)))
    assert TaskMetadata.from_dict(task.to_dict()) == task  # round-trip


def test_tabular_regression_task_has_one_output():
    task = task_from_table("mine/r", "r", np.ones((6, 2)), np.arange(6.0), "regression")
    assert task.problem_type == "tabular_regression" and task.num_classes == 1
    assert task.meta_features["target_std"] == pytest.approx(np.arange(6.0).std())
    with pytest.raises(InvalidTaskError, match="num_classes of regression task"):
        TaskMetadata("r", "r", 6, 3, None, "tabular_regression", {"num_features": 2})


@pytest.mark.parametrize(("size", "features", "match"), [
    ((1, 1, 30), {"num_features": 30}, "input_size of tabular task"),
    (None, {}, "num_features"),
    (None, {"num_features": 2.5}, "num_features"),
])
def test_tabular_task_refuses_bad_metadata(size, features, match):
    with pytest.raises(InvalidTaskError, match=match):
        TaskMetadata("t", "t", 10, 2, size, "tabular_classification", features)


def test_older_task_kinds_unchanged():
    image = TaskMetadata("i", "i", 10, 2, (1, 8, 8), "classification")
    graph = TaskMetadata("g", "g", 10, 2, None, "node_classification",
                         {"num_nodes": 10, "num_edges": 4, "num_node_features": 3, "num_classes": 2})
    assert (image.modality, graph.modality) == ("image", "graph")
    assert feature_names("tabular") == ("log_num_samples", "log_num_features", "log_num_classes",
                                        "class_entropy", "class_imbalance")


def test_tabular_similarity_compares_tables_only():
    bc, wine = load_data("sklearn:breast_cancer").task("bc"), load_data("sklearn:wine").task("wine")
    diabetes = load_data("sklearn:diabetes").task("d")
    image = TaskMetadata("i", "i", 569, 2, (1, 8, 8), "classification")
    assert dataset_meta(bc, wine) == pytest.approx(dataset_meta(wine, bc))
    assert dataset_meta(bc, bc) == pytest.approx(1.0)
    assert dataset_meta(bc, wine) > 0.6  # the default min_similarity: one warm-starts the other
    assert dataset_meta(bc, image) == 0.0  # another modality
    # classification vs regression: another problem type, a weaker relation (it was 0 before)
    raw = cosine(dataset_meta_vector(bc), dataset_meta_vector(diabetes))
    assert 0.0 < dataset_meta(bc, diabetes) < raw
    assert dataset_meta(bc, diabetes) == pytest.approx(PROBLEM_TYPE_FACTOR * raw)
    assert dataset_meta_vector(bc).shape == (4,)
    assert task_features(wine).shape == (len(feature_names("tabular")),)
    assert task_features(diabetes)[2] == 0.0  # log of one output


# ------------------------------------------------------------------------- data sources
@pytest.mark.parametrize(("name", "rows", "cols", "problem", "classes"), [
    ("sklearn:breast_cancer", 569, 30, "classification", 2),
    ("sklearn:wine", 178, 13, "classification", 3),
    ("sklearn:iris", 150, 4, "classification", 3),
    ("sklearn:diabetes", 442, 10, "regression", 1),
])
def test_sklearn_tables(name, rows, cols, problem, classes):
    data = load_data(name)
    assert isinstance(data, TabularData)
    assert data.x.shape == (rows, cols) and data.x.dtype == np.float32
    assert data.problem == problem and data.num_classes == classes
    assert data.task("t").num_samples == rows


def test_csv_and_npz_tables(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3))
    labels = np.array(["a", "b"] * 10)
    lines = ["f1,target,f2,f3"] + [f"{r[0]},{lab},{r[1]},{r[2]}" for r, lab in zip(x, labels)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    data = load_data(tmp_path / "t.csv")
    assert data.problem == "classification" and data.num_classes == 2
    np.testing.assert_allclose(data.x, x, rtol=1e-6)  # target column taken out, features in order
    np.testing.assert_array_equal(data.y, (labels == "b").astype(int))
    (tmp_path / "r.csv").write_text("a,target\n" + "".join(f"{i},{i * 0.5 + 0.25}\n" for i in range(8)))
    assert load_data(tmp_path / "r.csv").problem == "regression"
    np.savez(tmp_path / "c.npz", x=x, y=np.arange(20) % 2)
    np.savez(tmp_path / "r.npz", x=x, y=x[:, 0])
    assert load_data(str(tmp_path / "c.npz")).problem == "classification"
    assert load_data(str(tmp_path / "r.npz")).problem == "regression"
    np.savez(tmp_path / "img.npz", x=np.zeros((8, 1, 4, 4)), y=np.arange(8) % 2)
    assert type(load_data(str(tmp_path / "img.npz"))).__name__ == "ImageData"  # images still images


def test_problem_option_of_table_files(tmp_path):
    (tmp_path / "ints.csv").write_text("a,target\n" + "".join(f"{i},{i * 3}\n" for i in range(8)))
    with pytest.raises(InvalidTaskError, match="need at least 2 per class"):  # integers read as classes
        load_data(tmp_path / "ints.csv")
    data = load_data(f"{tmp_path / 'ints.csv'}?problem=regression")
    assert data.problem == "regression" and data.name == str(tmp_path / "ints.csv")
    np.testing.assert_array_equal(data.y, np.arange(8) * 3.0)
    np.savez(tmp_path / "f.npz", x=np.ones((8, 2)), y=np.arange(8.0) % 2)
    assert load_data(str(tmp_path / "f.npz")).problem == "regression"
    assert load_data(f"{tmp_path / 'f.npz'}?problem=classification").num_classes == 2
    with pytest.raises(InvalidTaskError, match="must be integers or text, got fractional"):
        (tmp_path / "r.csv").write_text("a,target\n" + "".join(f"{i},{i + 0.5}\n" for i in range(8)))
        load_data(f"{tmp_path / 'r.csv'}?problem=classification")
    with pytest.raises(ConfigError, match="problem must be one of"):
        load_data(f"{tmp_path / 'r.csv'}?problem=ranking")
    np.savez(tmp_path / "img.npz", x=np.zeros((8, 1, 4, 4)), y=np.arange(8) % 2)
    with pytest.raises(ConfigError, match="'problem' is an option of tables"):
        load_data(f"{tmp_path / 'img.npz'}?problem=classification")


@pytest.mark.parametrize(("text", "match"), [
    ("f,target\n1,0\nx,1\n", "line 3: feature 'f' holds 'x', not a number"),
    ("f,g\n1,0\n", "no 'target' column"),
    ("", "is empty"),
    ("f,target\n1,0\n2,0\n3,0\n4,0\n", "single class"),
    ("f,target\n1,0\n2\n", "line 3: 1 fields for 2 columns"),
    ("f,target\n1,0\n,1\n", "feature 'f' holds ''"),
])
def test_bad_csv_refused_with_one_line(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises((ConfigError, InvalidTaskError), match=match) as info:
        load_data(path)
    assert "\n" not in str(info.value)


def test_bad_tables_refused(tmp_path):
    with pytest.raises(InvalidTaskError, match="NaN"):
        TabularData("t", np.array([[np.nan], [1.0], [2.0], [3.0]]), np.array([0, 1, 0, 1]))
    with pytest.raises(InvalidTaskError, match="float targets are a regression problem"):
        TabularData("t", np.ones((4, 1)), np.array([0.5, 1.0, 0.5, 1.0]))
    with pytest.raises(InvalidTaskError, match="need at least 2 per class"):
        TabularData("t", np.ones((3, 1)), np.array([0, 1, 2]))
    with pytest.raises(ConfigError, match="unknown option"):
        load_data("sklearn:wine?noise=1")
    with pytest.raises(ConfigError, match="does not exist"):
        load_data(tmp_path / "missing.csv")


def test_stratified_split_is_fixed_and_keeps_class_shares():
    y = load_data("sklearn:breast_cancer").y
    a = stratified_split_indices(y, 0.2, 0.2, seed=3)
    b = stratified_split_indices(y, 0.2, 0.2, seed=3)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    train, val, test = a
    assert len(np.intersect1d(train, val)) == len(np.intersect1d(train, test)) == len(np.intersect1d(val, test)) == 0
    assert len(train) + len(val) + len(test) == len(y)
    share = y.mean()
    for part in (train, val, test):
        assert abs(y[part].mean() - share) < 0.02
    assert not np.array_equal(stratified_split_indices(y, 0.2, 0.2, seed=4)[2], test)


# ------------------------------------------------------------------------- space, network, evaluator
TINY = {"epochs": 3, "batch_size": 64, "optimizer": "adam", "lr": 0.01, "momentum": 0.0, "device": "cpu",
        "network": {"width": 16}}


def test_mlp_space_is_a_registered_dag_space():
    from metanas.spaces import MLP_OPS, DAGSpace, get_space

    space = get_space("mlp")
    assert isinstance(space, DAGSpace) and space.id == "mlp" and space.ops == MLP_OPS
    rng = np.random.default_rng(0)
    for _ in range(20):
        g = space.sample(rng)
        assert space.validate(space.mutate(g, rng)) is not None
        assert set(g.operations) <= set(MLP_OPS)


def test_mlp_network_shapes_and_kind_check():
    import torch

    from metanas.graph import ModelGraph
    from metanas.networks import DataSpec, build_network

    graph = ModelGraph(("input", "dense_64", "relu", "dropout", "output"), ((0, 1), (1, 2), (0, 2), (2, 3), (3, 4)),
                       "mlp")
    net = build_network(graph, "mlp", DataSpec("tabular", 3, num_features=7), width=8, N=2)
    assert net(torch.zeros(5, 7)).shape == (5, 3)
    reg = build_network(graph, "mlp", DataSpec.from_task(task_from_table("r", "r", np.ones((6, 7)), np.arange(6.0),
                                                                         "regression")))
    assert reg(torch.zeros(2, 7)).shape == (2, 1)
    # params: stem 7*8+8, two cells of dense_64 (8*64+64 + 64*8+8), head 8*3+3
    assert sum(p.numel() for p in net.parameters()) == 7 * 8 + 8 + 2 * (8 * 64 + 64 + 64 * 8 + 8) + 8 * 3 + 3
    with pytest.raises(ConfigError, match="builds MLPs for tables; the data is 'image'"):
        build_network(graph, "mlp", DataSpec("image", 2, input_size=(1, 8, 8)))
    with pytest.raises(ConfigError, match="'dropout' must be a number in"):
        build_network(graph, "mlp", DataSpec("tabular", 2, num_features=7), dropout=1.5)


def test_tabular_classification_evaluator_learns_and_repeats():
    from metanas.search import get_evaluator
    from metanas.spaces import get_space

    space = get_space("mlp")
    ev = get_evaluator("tabular_classification", data="sklearn:breast_cancer", space=space, config=TINY)
    assert (ev.objective, ev.direction) == ("val_acc", "maximize")
    graph = space.sample(np.random.default_rng(1))
    a, b = ev.evaluate(graph), ev.evaluate(graph)
    assert a.failure is None and a.objective == b.objective == a.metrics["val_acc"]
    assert a.objective > 0.8  # the majority class is 63%
    assert 0.0 <= a.metrics["test_acc"] <= 1.0 and a.metrics["params"] > 0


def test_tabular_regression_evaluator_scores_r2():
    from metanas.search import get_evaluator

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = 3.0 * x[:, 0] - 2.0 * x[:, 1] + 100.0  # a shifted linear target: an MLP fits it closely
    data = TabularData("lin", x, y, "regression")
    ev = get_evaluator("tabular_regression", data=data, space="mlp", config={**TINY, "epochs": 40})
    assert (ev.objective, ev.direction) == ("val_r2", "maximize")
    from metanas.graph import ModelGraph

    res = ev.evaluate(ModelGraph(("input", "skip", "output"), ((0, 1), (1, 2)), "mlp"))
    assert res.failure is None and res.objective == res.metrics["val_r2"] > 0.8
    assert res.metrics["val_mse"] < y.var() * 0.2  # in the target's units
    with pytest.raises(ConfigError, match="needs regression data"):
        get_evaluator("tabular_regression", data="sklearn:wine", space="mlp", config=TINY)
    with pytest.raises(ConfigError, match="needs tabular data, got the image data"):
        get_evaluator("tabular_classification", data="sklearn:digits", space="mlp", config=TINY)
