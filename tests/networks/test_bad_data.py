"""Data that cannot train is refused when it is loaded, with one line naming the data and what is
wrong (issue 22, N1 and N5): unreadable files, text features, NaN, one class, too few samples,
empty masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from metanas.exceptions import ConfigError, InvalidTaskError
from metanas.networks._data import GraphData, ImageData, load_data


def _images(n: int = 20, classes: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"x": rng.random((n, 1, 4, 4)).astype(np.float32), "y": np.arange(n) % classes}


def _one_line(exc: pytest.ExceptionInfo, path) -> str:
    text = str(exc.value)
    assert "\n" not in text and str(path) in text
    assert "allow_pickle" not in text and "pickle.load" not in text
    return text


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(ConfigError) as exc:
        load_data(path)
    assert "is empty" in _one_line(exc, path)


def test_truncated_archive(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, **_images())
    path = tmp_path / "truncated.npz"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ConfigError) as exc:
        load_data(path)
    assert "not a .npz archive" in _one_line(exc, path)


def test_damaged_member_of_an_intact_archive(tmp_path):
    path = tmp_path / "damaged.npz"
    np.savez_compressed(path, **_images(200))
    raw = bytearray(path.read_bytes())
    for i in range(200, 600):  # inside the first member's compressed data; the zip directory at the end stays
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ConfigError) as exc:
        load_data(path)
    assert "damaged" in _one_line(exc, path)


def test_random_bytes_are_not_reported_as_pickled_data(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(1).bytes(512))
    with pytest.raises(ConfigError) as exc:
        load_data(path)
    assert "not a .npz archive" in _one_line(exc, path)


def test_object_arrays_are_named_not_loaded(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, x=np.array([{"a": 1}] * 10, dtype=object), y=np.arange(10) % 2)
    with pytest.raises(ConfigError) as exc:
        load_data(path)
    assert "Python objects" in _one_line(exc, path)


@pytest.mark.parametrize("graph", [False, True])
def test_text_features(tmp_path, graph):
    path = tmp_path / "text.npz"
    arrays = {"x": np.array([["a", "b"]] * 10), "y": np.arange(10) % 2}
    if graph:
        arrays["edge_index"] = np.array([[0, 1], [1, 2]])
    np.savez(path, **arrays)
    with pytest.raises(InvalidTaskError) as exc:
        load_data(path)
    assert "'x' must hold numbers" in _one_line(exc, path)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_image_features(tmp_path, value):
    arrays = _images()
    arrays["x"][3, 0, 1, 1] = value
    path = tmp_path / "nan.npz"
    np.savez(path, **arrays)
    with pytest.raises(InvalidTaskError) as exc:
        load_data(path)
    assert "impute or drop" in _one_line(exc, path)


def test_non_finite_graph_features():
    from torch_geometric.data import Data

    x = torch.zeros(10, 3)
    x[2, 1] = float("nan")
    data = Data(x=x, edge_index=torch.tensor([[0, 1], [1, 2]]), y=torch.arange(10) % 2)
    with pytest.raises(InvalidTaskError, match="1 NaN"):
        load_data(data)


def test_single_class_and_too_few_samples_per_class():
    arrays = _images()
    with pytest.raises(InvalidTaskError, match="single class"):
        ImageData("one", arrays["x"], np.zeros(20, dtype=np.int64))
    with pytest.raises(InvalidTaskError, match=r"20 images for 11 classes; need at least 2 per class \(22\)"):
        ImageData("few", arrays["x"], np.arange(20) % 11)
    assert ImageData("ok", arrays["x"], np.arange(20) % 10).num_classes == 10


def test_graph_with_one_class_or_an_empty_train_mask(tmp_path):
    rng = np.random.default_rng(0)
    base = {"x": rng.random((10, 4)), "edge_index": np.array([[0, 1, 2], [1, 2, 3]]), "y": np.arange(10) % 2}
    np.savez(tmp_path / "one.npz", **{**base, "y": np.ones(10, dtype=np.int64)})
    with pytest.raises(InvalidTaskError, match="single class"):
        load_data(tmp_path / "one.npz")
    mask = np.zeros(10, bool)
    mask[:5] = True
    np.savez(tmp_path / "mask.npz", **base, train_mask=np.zeros(10, bool), val_mask=mask, test_mask=~mask)
    with pytest.raises(InvalidTaskError, match="train_mask selects no node"):
        load_data(tmp_path / "mask.npz")


def test_graph_data_checks_a_pyg_object_too():
    from torch_geometric.data import Data

    data = Data(x=torch.zeros(6, 2), edge_index=torch.tensor([[0], [1]]), y=torch.zeros(6, dtype=torch.long))
    with pytest.raises(InvalidTaskError, match="single class"):
        GraphData("g", data)

