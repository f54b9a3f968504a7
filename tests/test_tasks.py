"""TaskMetadata validation and meta-feature extraction."""

from __future__ import annotations

import numpy as np
import pytest

from metanas.exceptions import InvalidTaskError
from metanas.tasks import KNOWN_PROBLEM_TYPES, TaskMetadata, graph_meta_features, task_from_graph, task_from_images


def _cifar(**kw):
    base = {"task_id": "t", "dataset_name": "CIFAR-10", "num_samples": 50000, "num_classes": 10,
                "input_size": (3, 32, 32), "problem_type": "classification"}
    base.update(kw)
    return TaskMetadata(**base)


def test_seed_fields_and_round_trip():
    t = _cifar(meta_features={"pixel_mean": 0.47})
    assert t.modality == "image"
    assert TaskMetadata.from_dict(t.to_dict()) == t


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"num_samples": -5}, "num_samples .* positive integer"),
        ({"num_classes": 0}, "num_classes .* positive integer"),
        ({"num_classes": 2.5}, "num_classes"),
        ({"problem_type": ""}, "problem_type .* non-empty string.*known problem types"),
        ({"problem_type": "x" * 65}, "problem_type .* at most 64 characters"),
        ({"problem_type": "seg\nmentation"}, "problem_type .* control characters"),
        ({"problem_type": 3}, "problem_type .* non-empty string"),
        ({"input_size": None}, "input_size of image task"),
        ({"input_size": (3, 32)}, "input_size of image task"),
        ({"input_size": (3, -32, 32)}, "input_size of image task"),
        ({"task_id": " "}, "task_id"),
        ({"meta_features": {"x": float("nan")}}, r"meta_features\['x'\]"),
    ],
)
def test_invalid_values_name_the_field(kw, match):
    with pytest.raises(InvalidTaskError, match=match):
        _cifar(**kw)


def test_problem_types_are_open_and_a_new_one_shows_its_modality_by_its_shape():
    image = _cifar(problem_type="keypoint_detection")  # refused before: a closed set of kinds
    assert image.modality == "image" and image.problem_type not in KNOWN_PROBLEM_TYPES
    assert TaskMetadata.from_dict(image.to_dict()) == image
    counts = {"num_nodes": 100, "num_edges": 300, "num_node_features": 8, "num_classes": 1}
    graph = TaskMetadata("g", "G", 100, 1, None, "edge_regression", counts)
    assert graph.modality == "graph"
    table = TaskMetadata("t", "T", 500, 1, None, "survival", {"num_features": 12})
    assert table.modality == "tabular"
    assert {KNOWN_PROBLEM_TYPES[p] for p in ("classification", "node_classification", "tabular_regression")} == \
        {"image", "graph", "tabular"}
    with pytest.raises(InvalidTaskError, match="'survival', which is not a known kind.*input_size"):
        TaskMetadata("t", "T", 500, 1, None, "survival", {})
    with pytest.raises(InvalidTaskError, match="not both"):
        TaskMetadata("t", "T", 500, 1, None, "survival", {**counts, "num_features": 12})
    with pytest.raises(InvalidTaskError, match="num_features.*must be an integer"):
        TaskMetadata("t", "T", 500, 1, None, "survival", {"num_features": 1.5})
    # A known kind keeps its modality's rules: an image kind without input_size is refused.
    with pytest.raises(InvalidTaskError, match="input_size of image task"):
        TaskMetadata("t", "T", 500, 1, None, "detection", {"num_features": 12})


def test_graph_task_rules():
    feats = {"num_nodes": 2708, "num_edges": 10556, "num_node_features": 1433, "num_classes": 7}
    t = TaskMetadata("g", "Cora", 2708, 7, None, "node_classification", feats)
    assert t.modality == "graph"
    with pytest.raises(InvalidTaskError, match="must be None"):
        TaskMetadata("g", "Cora", 2708, 7, (1, 1, 1), "node_classification", feats)
    with pytest.raises(InvalidTaskError, match="lacks \\['num_edges'\\]"):
        TaskMetadata("g", "Cora", 2708, 7, None, "node_classification",
                     {k: v for k, v in feats.items() if k != "num_edges"})
    with pytest.raises(InvalidTaskError, match="num_nodes"):
        TaskMetadata("g", "Cora", 2708, 7, None, "node_classification", {**feats, "num_nodes": -1})


def test_image_meta_features_from_numpy_and_torch():
    import torch

    rng = np.random.default_rng(0)
    x = rng.random((60, 32, 32, 3)).astype(np.float32)  # NHWC
    y = np.repeat(np.arange(3), 20)
    t = task_from_images("img", "Toy", x, y)
    assert t.num_samples == 60 and t.num_classes == 3 and t.input_size == (3, 32, 32)
    assert t.meta_features["class_entropy"] == pytest.approx(1.0)
    assert t.meta_features["pixel_mean"] == pytest.approx(float(x.mean()), rel=1e-6)
    t2 = task_from_images("img", "Toy", torch.from_numpy(x).permute(0, 3, 1, 2), torch.from_numpy(y))
    assert t2.input_size == (3, 32, 32) and t2.num_classes == 3
    with pytest.raises(InvalidTaskError, match="one label per image"):
        task_from_images("img", "Toy", x, y[:10])


def test_graph_meta_features_from_pyg_data():
    import torch
    from torch_geometric.data import Data

    edge_index = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    data = Data(x=torch.randn(4, 5), edge_index=edge_index, y=torch.tensor([0, 1, 1, 2]))
    f = graph_meta_features(data)
    assert f["num_nodes"] == 4 and f["num_edges"] == 6 and f["num_node_features"] == 5 and f["num_classes"] == 3
    assert f["avg_degree"] == pytest.approx(1.5)
    t = task_from_graph("g", "Path", data)
    assert t.num_samples == 4 and t.input_size is None
    multi = Data(x=torch.randn(4, 2), edge_index=edge_index, y=torch.zeros(4, 112))
    assert graph_meta_features(multi)["num_classes"] == 112
    with pytest.raises(InvalidTaskError, match="edge_index"):
        graph_meta_features(Data(x=torch.randn(4, 2), y=torch.zeros(4)))


@pytest.mark.parametrize("value", ["0.5", "nan", b"1", True, None, [1.0]])
def test_non_numeric_meta_features_are_refused_with_their_name(value):
    with pytest.raises(InvalidTaskError, match=r"meta_features\['pixel_mean'\] .* must be a number, got"):
        _cifar(meta_features={"pixel_mean": value})


def test_numpy_and_python_numbers_are_meta_features():
    t = _cifar(meta_features={"a": np.float32(0.25), "b": np.int64(3), "c": 2})
    assert t.meta_features == {"a": 0.25, "b": 3.0, "c": 2.0}
    with pytest.raises(InvalidTaskError, match=r"meta_features\['big'\] .* finite number"):
        _cifar(meta_features={"big": 10**400})


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c"])
def test_bidi_format_characters_are_refused_in_names(char):
    with pytest.raises(InvalidTaskError, match="bidirectional format characters") as exc:
        _cifar(task_id=f"mine/{char}gnp.exe")
    assert f"U+{ord(char):04X}" in str(exc.value)
    with pytest.raises(InvalidTaskError, match="bidirectional"):
        _cifar(dataset_name=f"data{char}")


def test_other_scripts_and_joiners_stay_allowed():
    for name in ("mine/\u05e2\u05d1\u05e8\u05d9\u05ea", "fa/\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
                 "emoji/\U0001f469\u200d\U0001f4bb"):
        assert _cifar(task_id=name).task_id == name
