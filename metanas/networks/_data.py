"""Data for the training evaluators: image arrays, node-classification graphs and tables.

`load_data` reads what the ``--data`` option names:

* ``PATH.npz`` — images (``x`` of shape ``[N, C, H, W]`` or ``[N, H, W, C]``, ``y`` ``[N]``) or,
  when it holds ``edge_index``, a graph (``x`` ``[N, F]``, ``edge_index`` ``[2, E]``, ``y``
  ``[N]``, optional boolean ``train_mask``/``val_mask``/``test_mask``), or, when ``x`` is 2-D
  without ``edge_index``, a table (`TabularData`: integer ``y`` classification, float ``y``
  regression);
* ``PATH.csv`` — a table with a header row: every column but ``target`` is a numeric feature;
  ``target`` holds the class labels (integers or text: classification) or the values
  (numbers that are not all integers: regression); ``PATH.csv?problem=regression`` (or
  ``PATH.npz?problem=...``) says which, e.g. for integer-valued regression targets;
* ``sklearn:breast_cancer``, ``sklearn:wine``, ``sklearn:iris`` (classification) and
  ``sklearn:diabetes`` (regression) — scikit-learn's bundled tables (`TabularData`);
* ``sklearn:digits`` — scikit-learn's 1,797 handwritten digits (1 x 8 x 8, pixels / 16);
  options ``classes=0-4`` (a subset, relabelled 0..k-1), ``noise=0.2`` (Gaussian pixel
  noise, seeded) and ``seed``;
* ``pyg:sbm`` — a stochastic block model graph (PyTorch Geometric's
  ``stochastic_blockmodel_graph``), its blocks the classes and its node features noisy class
  centroids; options ``nodes`` (2000), ``blocks`` (4), ``p_in`` (0.01), ``p_out`` (0.002),
  ``features`` (16), ``signal`` (0.5: centroid scale against unit noise) and ``seed`` (0).

Options follow the name after ``?``, ``&``-separated: ``sklearn:digits?classes=5-9&noise=0.3``.
Nothing is downloaded.

Data that cannot train is refused when it is loaded, before any network is built, with one
line naming the data and what is wrong: a file that is empty, truncated or not a ``.npz``
archive; arrays that are not numbers; NaN or infinite features; a single class; fewer samples
than two per class; an empty train / validation / test mask; a table with a text feature, a
missing value or no ``target`` column.
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from metanas.exceptions import ConfigError, InvalidTaskError
from metanas.tasks import TaskMetadata, task_from_graph, task_from_images, task_from_table

__all__ = ["GraphData", "ImageData", "TabularData", "load_data", "split_indices", "stratified_split_indices"]

#: Tabular problems (`TabularData.problem`).
TABULAR_PROBLEMS = ("classification", "regression")


@dataclass(frozen=True)
class ImageData:
    """An image classification data set.

    Attributes:
        name: what it is called (the ``--data`` string).
        x: float32 images ``[N, C, H, W]``.
        y: int64 labels ``[N]`` in ``0..classes-1``.
    """

    name: str
    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        x, y = np.asarray(self.x), np.asarray(self.y).reshape(-1)
        _check_numeric(self.name, "x", x, "image")
        if x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4 or len(x) == 0:
            raise InvalidTaskError(f"image data {self.name!r}: 'x' must be [N, C, H, W] or [N, H, W, C], got {x.shape}")
        if x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
            x = np.moveaxis(x, -1, 1)
        if len(y) != len(x):
            raise InvalidTaskError(f"image data {self.name!r}: {len(y)} labels for {len(x)} images")
        if not np.issubdtype(y.dtype, np.integer):
            raise InvalidTaskError(f"image data {self.name!r}: labels 'y' must be integers, got {y.dtype}")
        x = np.ascontiguousarray(x, dtype=np.float32)
        _check_finite(self.name, x, "image")
        y = _check_labels(self.name, y, "image", "images")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y.astype(np.int64))

    @property
    def num_classes(self) -> int:
        return int(self.y.max()) + 1

    def task(self, task_id: str, dataset_name: str | None = None, *, train_index: Any = None) -> TaskMetadata:
        """The task's metadata and meta-features; with ``train_index`` (the search's training rows,
        e.g. ``self.split(...)[0]``) also its landmarks (`metanas.landmarks`)."""
        return task_from_images(task_id, dataset_name or self.name, self.x, self.y, train_index=train_index)

    def split(self, val_fraction: float, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
        """Train / validation / test indices as the image evaluator splits (`split_indices`).

        Raises:
            ConfigError: fractions outside (0, 1) or leaving no training sample.
        """
        return split_indices(len(self.y), val_fraction, test_fraction, seed)

    @classmethod
    def from_dataset(cls, dataset: Any, name: str = "dataset") -> ImageData:
        """Read a torch ``Dataset`` of ``(image [C, H, W], label)`` pairs into arrays."""
        xs, ys = [], []
        for i in range(len(dataset)):
            x, y = dataset[i]
            xs.append(np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float32))
            ys.append(int(y))
        return cls(name, np.stack(xs), np.asarray(ys, dtype=np.int64))


@dataclass(frozen=True)
class GraphData:
    """A node classification graph (a PyG ``Data`` with ``train_mask``/``val_mask``/``test_mask``).

    Attributes:
        name: what it is called.
        data: the PyG ``Data`` (``x`` ``[N, F]``, ``edge_index`` ``[2, E]``, ``y`` ``[N]``);
            masks are added by `split` when missing.
    """

    name: str
    data: Any

    def __post_init__(self) -> None:
        d = self.data
        x, y = getattr(d, "x", None), getattr(d, "y", None)
        if x is None or y is None or getattr(d, "edge_index", None) is None:
            raise InvalidTaskError(f"graph {self.name!r}: need node features 'x', 'edge_index' and labels 'y'")
        xa = _numpy(x)
        _check_numeric(self.name, "x", xa, "graph")
        if xa.ndim != 2 or xa.shape[0] == 0:
            raise InvalidTaskError(f"graph {self.name!r}: node features 'x' must be [N, F] with N >= 1, got {xa.shape}")
        _check_finite(self.name, xa, "graph")
        ya = _numpy(y).reshape(-1)
        if not np.issubdtype(ya.dtype, np.integer):
            raise InvalidTaskError(f"graph {self.name!r}: labels 'y' must be integers, got {ya.dtype}")
        if len(ya) != len(xa):
            raise InvalidTaskError(f"graph {self.name!r}: {len(ya)} labels for {len(xa)} nodes")
        _check_labels(self.name, ya, "graph", "nodes")
        for key in ("train_mask", "val_mask", "test_mask"):
            mask = getattr(d, key, None)
            if mask is not None and not bool(_numpy(mask).astype(bool).any()):
                raise InvalidTaskError(
                    f"graph {self.name!r}: {key} selects no node; mark at least one node in it, "
                    "or leave the masks out for a random split"
                )

    @property
    def num_classes(self) -> int:
        return int(self.data.y.max()) + 1

    def task(self, task_id: str, dataset_name: str | None = None, *, train_index: Any = None) -> TaskMetadata:
        """The task's metadata and graph meta-features; with ``train_index`` (the search's training
        nodes, e.g. ``self.split(...)[0]``) also its homophilies and landmarks (`metanas.landmarks`)."""
        return task_from_graph(task_id, dataset_name or self.name, self.data, train_index=train_index)

    def split(self, val_fraction: float, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
        """Train / validation / test node indices as the node-classification evaluator splits: the
        graph's own masks when it has all three, else `split_indices` of the nodes.

        Raises:
            ConfigError: fractions outside (0, 1) or leaving no training node (without masks).
        """
        d = self.data
        if all(getattr(d, k, None) is not None for k in ("train_mask", "val_mask", "test_mask")):
            return tuple(np.flatnonzero(_numpy(getattr(d, k)).astype(bool).reshape(-1))
                         for k in ("train_mask", "val_mask", "test_mask"))
        return split_indices(len(_numpy(d.y).reshape(-1)), val_fraction, test_fraction, seed)


@dataclass(frozen=True)
class TabularData:
    """A table of numeric features with one target per row.

    Attributes:
        name: what it is called (the ``--data`` string).
        x: float32 features ``[N, F]``.
        y: int64 class labels ``[N]`` in ``0..classes-1`` (classification; relabelled) or
            float32 values ``[N]`` (regression).
        problem: ``"classification"`` or ``"regression"``.

    Raises:
        InvalidTaskError: shapes that do not match, text or missing values, a single class or
            fewer than two rows per class, fewer than 4 rows (regression).
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    problem: str = "classification"

    def __post_init__(self) -> None:
        if self.problem not in TABULAR_PROBLEMS:
            raise ConfigError(f"tabular data {self.name!r}: problem must be one of {list(TABULAR_PROBLEMS)}, "
                              f"got {self.problem!r}")
        x, y = np.asarray(self.x), np.asarray(self.y).reshape(-1)
        _check_numeric(self.name, "x", x, "tabular")
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
            raise InvalidTaskError(f"tabular data {self.name!r}: 'x' must be [N, F] with N, F >= 1, got {x.shape}")
        if len(y) != len(x):
            raise InvalidTaskError(f"tabular data {self.name!r}: {len(y)} targets for {len(x)} rows")
        x = np.ascontiguousarray(x, dtype=np.float32)
        _check_finite(self.name, x, "tabular")
        if self.problem == "classification":
            if not (np.issubdtype(y.dtype, np.integer) or y.dtype.kind in "US"):
                raise InvalidTaskError(
                    f"tabular data {self.name!r}: class labels 'y' must be integers or text, got {y.dtype}; "
                    "float targets are a regression problem"
                )
            y = _check_labels(self.name, y, "tabular", "rows").astype(np.int64)
        else:
            _check_numeric(self.name, "y", y, "tabular")
            y = y.astype(np.float32)
            if not np.isfinite(y).all():
                raise InvalidTaskError(f"tabular data {self.name!r}: the targets 'y' hold NaN or infinite values; "
                                       "drop those rows before the search")
            if len(y) < 4:
                raise InvalidTaskError(f"tabular data {self.name!r}: {len(y)} rows; regression needs at least 4 "
                                       "to train, validate and test")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @property
    def num_classes(self) -> int:
        """Classes (classification) or 1 (regression: one output)."""
        return int(self.y.max()) + 1 if self.problem == "classification" else 1

    def task(self, task_id: str, dataset_name: str | None = None, *, train_index: Any = None) -> TaskMetadata:
        """The task's metadata and tabular meta-features (``tabular_<problem>``); with
        ``train_index`` (the search's training rows, e.g. ``self.split(...)[0]``) also its
        landmarks (`metanas.landmarks`)."""
        return task_from_table(task_id, dataset_name or self.name, self.x, self.y, self.problem,
                               train_index=train_index)

    def split(self, val_fraction: float, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
        """Train / validation / test indices as the tabular evaluators split: stratified by class
        for classification (`stratified_split_indices`), else `split_indices`.

        Raises:
            ConfigError: fractions outside (0, 1), leaving no training row, or too small to stratify.
        """
        if self.problem == "classification":
            return stratified_split_indices(self.y, val_fraction, test_fraction, seed)
        return split_indices(len(self.y), val_fraction, test_fraction, seed)


def _numpy(value: Any) -> np.ndarray:
    """A tensor or array-like as a numpy array (tensors moved to the CPU)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _check_numeric(name: str, key: str, x: np.ndarray, kind: str) -> None:
    if not (np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.bool_)):
        raise InvalidTaskError(
            f"{kind} data {name!r}: '{key}' must hold numbers, got {x.dtype} values"
            f"{' (text)' if x.dtype.kind in 'US' else ''}; convert the features to floats"
        )


def _check_finite(name: str, x: np.ndarray, kind: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        n_nan = int(np.isnan(x).sum())
        raise InvalidTaskError(
            f"{kind} data {name!r}: the features 'x' hold {n_nan} NaN and {int(bad.sum()) - n_nan} infinite "
            "value(s); impute or drop them before the search"
        )


def _check_labels(name: str, y: np.ndarray, kind: str, samples: str) -> np.ndarray:
    """``y`` relabelled ``0..k-1``, refused when it cannot train a classifier."""
    classes, y = np.unique(y, return_inverse=True)
    k = len(classes)
    if k < 2:
        raise InvalidTaskError(
            f"{kind} data {name!r}: the labels 'y' hold a single class ({classes.tolist()}); "
            "classification needs at least 2 classes"
        )
    if len(y) < 2 * k:
        raise InvalidTaskError(
            f"{kind} data {name!r}: {len(y)} {samples} for {k} classes; need at least 2 per class "
            f"({2 * k}) to train and validate"
        )
    return y


def split_indices(n: int, val_fraction: float, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """A fixed random split of ``range(n)`` into train / validation / test indices, by seed.

    Raises:
        ConfigError: fractions outside (0, 1) or leaving no training sample.
    """
    for name, f in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 < f < 1.0:
            raise ConfigError(f"'{name}' must be in (0, 1), got {f!r}")
    n_val, n_test = max(1, round(val_fraction * n)), max(1, round(test_fraction * n))
    if n_val + n_test >= n:
        raise ConfigError(f"val_fraction + test_fraction leave no training sample of {n}; lower them")
    perm = np.random.default_rng(seed).permutation(n)
    return perm[n_val + n_test:], perm[:n_val], perm[n_val:n_val + n_test]


def stratified_split_indices(y: np.ndarray, val_fraction: float, test_fraction: float,
                             seed: int) -> tuple[np.ndarray, ...]:
    """A fixed train / validation / test split of class labels ``y`` that keeps each class's share
    in every part (scikit-learn's stratified ``train_test_split``, twice), by seed.

    Raises:
        ConfigError: fractions outside (0, 1), leaving no training sample, or parts too small to
            hold every class (then lower the fractions or use more data).
    """
    from sklearn.model_selection import train_test_split

    train, val, test = split_indices(len(y), val_fraction, test_fraction, seed)  # checks the fractions
    idx = np.arange(len(y))
    try:
        rest, test = train_test_split(idx, test_size=len(test), stratify=y, random_state=seed)
        train, val = train_test_split(rest, test_size=len(val), stratify=y[rest], random_state=seed)
    except ValueError as exc:
        raise ConfigError(f"a stratified split of {len(y)} rows with val_fraction={val_fraction} and "
                          f"test_fraction={test_fraction} is impossible ({exc}); change the fractions") from None
    return np.sort(train), np.sort(val), np.sort(test)


# ----------------------------------------------------------------------------- loading
def load_data(source: str | Path | ImageData | GraphData | TabularData | Any) -> ImageData | GraphData | TabularData:
    """Load the data the ``--data`` option names (see the module docstring).

    A torch ``Dataset`` becomes `ImageData`; a PyG ``Data`` `GraphData`; `ImageData` and
    `GraphData` pass through.

    Raises:
        ConfigError: an unknown built-in, a bad option, or a missing / unreadable file.
        InvalidTaskError: arrays of the wrong shape.
    """
    if isinstance(source, (ImageData, GraphData, TabularData)):
        return source
    if not isinstance(source, (str, Path)):
        if hasattr(source, "edge_index"):
            return GraphData("graph", source)
        if hasattr(source, "__getitem__") and hasattr(source, "__len__"):
            return ImageData.from_dataset(source)
        raise ConfigError(f"--data must be a .npz or .csv path, a built-in {sorted(_BUILTINS)} or a dataset, "
                          f"got {source!r}")
    text = str(source)
    name, _, query = text.partition("?")
    options = _parse_options(query, text)
    builtin = _BUILTINS.get(name)
    if builtin is not None:
        return builtin(text, options)
    problem = None
    if query:
        if Path(name).suffix not in (".csv", ".npz"):
            raise ConfigError(f"--data {text!r}: options after '?' are for the built-in data sets {sorted(_BUILTINS)} "
                              "and tables (PATH.csv?problem=regression)")
        problem = _take(options, text, {"problem": None})["problem"]
        if problem not in TABULAR_PROBLEMS:
            raise ConfigError(f"--data {text!r}: problem must be one of {list(TABULAR_PROBLEMS)}, got {problem!r}")
    if Path(name).suffix == ".csv":
        return _load_csv(Path(name), problem)
    data = _load_npz(Path(name), problem)
    if problem is not None and not isinstance(data, TabularData):
        raise ConfigError(f"--data {text!r}: 'problem' is an option of tables (2-D x); {name!r} holds "
                          f"{type(data).__name__.removesuffix('Data').lower()} data")
    return data


def _parse_options(query: str, text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, query.split("&")):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ConfigError(f"--data {text!r}: option {part!r} must be key=value")
        out[key] = value
    return out


def _take(options: dict[str, str], text: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ConfigError(f"--data {text!r}: unknown option(s) {unknown}; known: {sorted(defaults)}")
    out = dict(defaults)
    for key, raw in options.items():
        kind = type(defaults[key]) if defaults[key] is not None else str
        try:
            out[key] = kind(raw)
        except ValueError:
            raise ConfigError(f"--data {text!r}: option {key}={raw!r} must be a {kind.__name__}") from None
    return out


def _digits(text: str, options: dict[str, str]) -> ImageData:
    from sklearn.datasets import load_digits

    opts = _take(options, text, {"classes": None, "noise": 0.0, "seed": 0})
    bunch = load_digits()
    x = bunch.images.astype(np.float32)[:, None] / 16.0
    y = bunch.target.astype(np.int64)
    if opts["classes"] is not None:
        keep = _class_list(opts["classes"], text)
        mask = np.isin(y, keep)
        x, y = x[mask], y[mask]
    if opts["noise"] < 0:
        raise ConfigError(f"--data {text!r}: noise must be >= 0, got {opts['noise']}")
    if opts["noise"] > 0:
        x = x + np.random.default_rng(opts["seed"]).normal(0.0, opts["noise"], x.shape).astype(np.float32)
    return ImageData(text, x, y)


def _class_list(spec: str, text: str) -> list[int]:
    try:
        if "-" in spec:
            lo, hi = (int(v) for v in spec.split("-", 1))
            classes = list(range(lo, hi + 1))
        else:
            classes = [int(v) for v in spec.split(",")]
    except ValueError:
        raise ConfigError(f"--data {text!r}: classes must be 'a-b' or 'a,b,c' digits, got {spec!r}") from None
    if len(set(classes)) < 2 or any(not 0 <= c <= 9 for c in classes):
        raise ConfigError(f"--data {text!r}: classes must name >= 2 digits in 0..9, got {spec!r}")
    return classes


def _sbm(text: str, options: dict[str, str]) -> GraphData:
    import torch
    from torch_geometric.data import Data
    from torch_geometric.utils import stochastic_blockmodel_graph

    opts = _take(options, text, {"nodes": 2000, "blocks": 4, "p_in": 0.01, "p_out": 0.002, "features": 16,
                                 "signal": 0.5, "seed": 0})
    n, k = opts["nodes"], opts["blocks"]
    if k < 2 or n < 4 * k or opts["features"] < 1:
        raise ConfigError(f"--data {text!r}: need blocks >= 2, nodes >= 4 * blocks and features >= 1")
    if not (0 <= opts["p_out"] <= 1 and 0 < opts["p_in"] <= 1):
        raise ConfigError(f"--data {text!r}: p_in must be in (0, 1] and p_out in [0, 1]")
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    probs = torch.full((k, k), float(opts["p_out"]))
    probs.fill_diagonal_(float(opts["p_in"]))
    with torch.random.fork_rng(devices=[]):  # PyG samples edges from torch's global generator
        torch.manual_seed(opts["seed"])
        edge_index = stochastic_blockmodel_graph(sizes, probs, directed=False)
    rng = np.random.default_rng(opts["seed"])
    y = np.repeat(np.arange(k), sizes)
    centroids = rng.normal(0.0, 1.0, (k, opts["features"])) * opts["signal"]
    x = centroids[y] + rng.normal(0.0, 1.0, (n, opts["features"]))
    data = Data(x=torch.tensor(x, dtype=torch.float32), edge_index=edge_index, y=torch.tensor(y, dtype=torch.long))
    return GraphData(text, data)


def _sklearn_table(loader: str, problem: str) -> Any:
    def load(text: str, options: dict[str, str]) -> TabularData:
        import sklearn.datasets

        _take(options, text, {})
        x, y = getattr(sklearn.datasets, loader)(return_X_y=True)  # bundled with scikit-learn: no download
        return TabularData(text, x, y, problem)

    return load


_BUILTINS = {
    "sklearn:digits": _digits,
    "pyg:sbm": _sbm,
    "sklearn:breast_cancer": _sklearn_table("load_breast_cancer", "classification"),
    "sklearn:wine": _sklearn_table("load_wine", "classification"),
    "sklearn:iris": _sklearn_table("load_iris", "classification"),
    "sklearn:diabetes": _sklearn_table("load_diabetes", "regression"),
}


def _load_csv(path: Path, problem: str | None = None) -> TabularData:
    """A table with a header row and a ``target`` column (see the module docstring); ``problem``
    ``None`` reads it from the targets."""
    shown = str(path)
    if not path.is_file():
        raise ConfigError(f"--data file {shown!r} does not exist")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"--data file {shown!r} cannot be read as UTF-8 CSV: {exc}") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ConfigError(f"--data file {shown!r} is empty; write a header row (feature names and 'target') and "
                          "one row per sample")
    header = [h.strip() for h in rows[0]]
    if "target" not in header:
        raise ConfigError(f"--data file {shown!r} has no 'target' column (its columns: {header[:10]}); name the "
                          "column to predict 'target'")
    t = header.index("target")
    body = rows[1:]
    if not body:
        raise ConfigError(f"--data file {shown!r} has a header but no rows")
    feats = [i for i in range(len(header)) if i != t]
    if not feats:
        raise ConfigError(f"--data file {shown!r} has no feature column besides 'target'")
    x = np.empty((len(body), len(feats)), dtype=np.float64)
    for r, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise InvalidTaskError(f"--data file {shown!r}, line {r}: {len(row)} fields for {len(header)} columns")
        for j, i in enumerate(feats):
            cell = row[i].strip()
            try:
                x[r - 2, j] = float(cell)
            except ValueError:
                raise InvalidTaskError(
                    f"--data file {shown!r}, line {r}: feature {header[i]!r} holds {cell[:30]!r}, not a number; "
                    "encode text features as numbers and fill missing values"
                ) from None
    labels = [row[t].strip() for row in body]
    if any(not v for v in labels):
        raise InvalidTaskError(f"--data file {shown!r}: the 'target' column has empty cells; drop those rows")
    try:
        values = np.array([float(v) for v in labels])
    except ValueError:
        if problem == "regression":
            bad = next(v for v in labels if not _is_float(v))
            raise InvalidTaskError(f"--data file {shown!r}: a regression 'target' must hold numbers, got "
                                   f"{bad[:30]!r}") from None
        return TabularData(shown, x, np.array(labels), "classification")
    if problem == "regression":
        return TabularData(shown, x, values, "regression")
    if np.isfinite(values).all() and (values == np.round(values)).all():
        return TabularData(shown, x, values.astype(np.int64), "classification")
    if problem == "classification":
        raise InvalidTaskError(f"--data file {shown!r}: class labels in 'target' must be integers or text, got "
                               "fractional numbers; drop '?problem=classification' for a regression")
    return TabularData(shown, x, values, "regression")


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _tabular_npz(shown: str, x: np.ndarray, y: np.ndarray, problem: str | None) -> TabularData:
    y = y.reshape(-1)
    if problem is None:
        problem = "regression" if y.dtype.kind in "fc" else "classification"
    if problem == "classification" and y.dtype.kind == "f" and np.isfinite(y).all() and (y == np.round(y)).all():
        y = y.astype(np.int64)  # integer labels saved as floats
    return TabularData(shown, x, y, problem)


def _load_npz(path: Path, problem: str | None = None) -> ImageData | GraphData | TabularData:
    if path.suffix != ".npz":
        raise ConfigError(f"--data must be a .npz or .csv file or a built-in {sorted(_BUILTINS)}, got {str(path)!r}")
    if not path.is_file():
        raise ConfigError(f"--data file {str(path)!r} does not exist")
    arrays = _read_npz(path)
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise ConfigError(f"--data file {str(path)!r} lacks the array(s) {missing}; it holds {sorted(arrays)}")
    if "edge_index" not in arrays and arrays["x"].ndim == 2:
        return _tabular_npz(str(path), arrays["x"], arrays["y"], problem)
    if "edge_index" not in arrays:
        return ImageData(str(path), arrays["x"], arrays["y"])
    import torch
    from torch_geometric.data import Data

    x, ei, y = arrays["x"], arrays["edge_index"], arrays["y"].reshape(-1)
    _check_numeric(str(path), "x", x, "graph")
    if not np.issubdtype(ei.dtype, np.integer):
        raise InvalidTaskError(f"graph file {str(path)!r}: edge_index must hold integers, got {ei.dtype}")
    if x.ndim != 2 or ei.ndim != 2 or ei.shape[0] != 2 or len(y) != len(x):
        raise InvalidTaskError(
            f"graph file {str(path)!r}: need x [N, F], edge_index [2, E] and y [N]; got {x.shape}, {ei.shape}, {y.shape}"
        )
    if ei.size and (ei.min() < 0 or ei.max() >= len(x)):
        raise InvalidTaskError(f"graph file {str(path)!r}: edge_index refers to nodes outside 0..{len(x) - 1}")
    if not np.issubdtype(y.dtype, np.integer):
        raise InvalidTaskError(f"graph file {str(path)!r}: labels 'y' must be integers, got {y.dtype}")
    data = Data(x=torch.tensor(x, dtype=torch.float32), edge_index=torch.tensor(ei, dtype=torch.long),
                y=torch.tensor(np.unique(y, return_inverse=True)[1], dtype=torch.long))
    for key in ("train_mask", "val_mask", "test_mask"):
        if key in arrays:
            mask = arrays[key].astype(bool).reshape(-1)
            if len(mask) != len(x):
                raise InvalidTaskError(f"graph file {str(path)!r}: {key} has {len(mask)} entries for {len(x)} nodes")
            data[key] = torch.tensor(mask)
    return GraphData(str(path), data)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of a ``.npz`` archive; a file that is not one is refused with one line saying why."""
    shown = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"--data file {shown!r} cannot be read: {exc.strerror or exc}") from None
    if size == 0:
        raise ConfigError(f"--data file {shown!r} is empty (0 bytes); write the arrays with numpy.savez")
    if not zipfile.is_zipfile(path):
        raise ConfigError(
            f"--data file {shown!r} is not a .npz archive (no zip structure: truncated, or another format); "
            "write the arrays with numpy.savez"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise ConfigError(
                f"--data file {shown!r} holds Python objects (an object array), which are not loaded; "
                "save numeric arrays (x as floats, y as integers)"
            ) from None
        raise ConfigError(f"--data file {shown!r} holds a damaged array: {exc}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, NotImplementedError) as exc:
        raise ConfigError(
            f"--data file {shown!r} is damaged or truncated ({type(exc).__name__}: {exc}); write it again with "
            "numpy.savez"
        ) from None
