"""Landmark meta-features: what a task's data says about which models fit it, in seconds.

Counts (nodes, features, classes) cannot tell a graph where neighbour aggregation is everything
from one where the node features alone decide: two such tasks look alike to ``dataset_meta``
and rank architectures in opposite orders. Landmarking (Pfahringer et al. 2000) describes a
task instead by how well a few cheap, fixed models do on it; the anchor-model similarity of
GraphGym / AutoTransfer (You et al. 2020; Cao et al. 2023) is the same idea for GNNs. Every
value lies in [0, 1].

Graphs (node classification; `graph_landmarks`):

* ``edge_homophily``: the share of edges that join two nodes of the same class;
* ``class_homophily``: Lim et al. (2021)'s class-insensitive homophily
  ``1/(C-1) * sum_k max(0, h_k - n_k / n)``, where ``h_k`` is the share of the edges at nodes
  of class ``k`` that end in class ``k`` and ``n_k / n`` that class's share of the nodes: 0
  when edges are no more same-class than chance, 1 when every edge is;
* ``landmark_linear``: accuracy of a logistic regression on the raw node features;
* ``landmark_sgc``: the same on features propagated twice over the graph, SGC-style
  (``A_hat^2 X`` with ``A_hat = D^-1/2 (A + I) D^-1/2``, Wu et al. 2019);
* ``landmark_label_propagation``: accuracy of label propagation (Zhou et al. 2004,
  ``F <- alpha A_hat F + (1 - alpha) Y``, ``alpha`` 0.9, 20 steps) from the known labels.

Images and tables (`sample_landmarks`): ``landmark_linear`` (a logistic regression; a ridge
regression's R^2 for regression tables) and ``landmark_1nn`` (a 1-nearest-neighbour
classifier; regressor R^2), on standardised, flattened inputs. An R^2 below 0 (worse than the
mean) is recorded as 0.

Only the labels of the *training* part of the search's split are read (``train_index``): the
homophilies use the edges between training nodes; the landmarks are fitted on a fixed 70% of
the training part and scored on the other 30% (stratified by class where every class has two
members, `LANDMARK_SEED`), never on the validation labels the search itself scores
architectures with. Node features of every node are read (they are inputs, not labels).

Cost is bounded: the fitted models see at most `MAX_SAMPLES` rows and `MAX_DIM` input
columns (a fixed sparse random projection above that); a graph of 10,000 nodes takes about a
second on one core (``benchmarks/landmark_cost.py``). A value that is undefined (no edge
between training nodes, a single class, too few training samples to split) is left out, not
set to 0: missing features are handled by their users (`metanas.similarity.meta_features`).

scikit-learn and SciPy are imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from metanas.exceptions import InvalidTaskError

__all__ = [
    "GRAPH_LANDMARKS",
    "LANDMARK_NAMES",
    "LANDMARK_SEED",
    "MAX_DIM",
    "MAX_SAMPLES",
    "SAMPLE_LANDMARKS",
    "SCORE_FRACTION",
    "class_homophily",
    "edge_homophily",
    "graph_landmarks",
    "sample_landmarks",
]

logger = logging.getLogger(__name__)

#: Seed of the internal split, the subsample and the random projection (fixed: landmarks are a
#: property of the data, not of a search seed).
LANDMARK_SEED = 0
#: Share of the training part the landmarks are scored on (the rest fits them).
SCORE_FRACTION = 0.3
#: Most rows a landmark model is fitted on (a fixed subsample above that).
MAX_SAMPLES = 2000
#: Most input columns a landmark model reads (a fixed sparse random projection above that).
MAX_DIM = 256
#: Landmark meta-features of node-classification graphs, in vector order.
GRAPH_LANDMARKS: tuple[str, ...] = (
    "edge_homophily", "class_homophily", "landmark_linear", "landmark_sgc", "landmark_label_propagation",
)
#: Landmark meta-features of image and tabular tasks, in vector order.
SAMPLE_LANDMARKS: tuple[str, ...] = ("landmark_linear", "landmark_1nn")
#: Landmark meta-feature names per modality (``"graph"``, ``"image"``, ``"tabular"``).
LANDMARK_NAMES: Mapping[str, tuple[str, ...]] = {
    "graph": GRAPH_LANDMARKS, "image": SAMPLE_LANDMARKS, "tabular": SAMPLE_LANDMARKS,
}

_LP_ALPHA = 0.9
_LP_STEPS = 20
_MIN_TRAIN = 4  # fewest training samples the internal split needs (2 to fit, 1 to score, one spare)


def _numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor, duck-typed so torch is not imported here
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _train_index(train_index: Any, n: int) -> np.ndarray:
    idx = _numpy(train_index)
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise InvalidTaskError(f"train_index as a mask must have {n} entries, got shape {idx.shape}")
        idx = np.flatnonzero(idx)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise InvalidTaskError(f"train_index must be a 1-D array of row indices or a boolean mask, got {idx.dtype} "
                               f"of shape {idx.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise InvalidTaskError(f"train_index refers to rows outside 0..{n - 1}")
    return np.unique(idx.astype(np.int64))


def _adjacency(edge_index: Any, n: int):
    """Symmetric 0/1 adjacency without self-loops, ``scipy.sparse.csr_matrix`` ``[n, n]``."""
    from scipy import sparse

    ei = _numpy(edge_index)
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise InvalidTaskError(f"edge_index must have shape [2, E], got {ei.shape}")
    ei = ei.astype(np.int64)
    if ei.size and (ei.min() < 0 or ei.max() >= n):
        raise InvalidTaskError(f"edge_index refers to nodes outside 0..{n - 1}")
    keep = ei[0] != ei[1]
    src, dst = ei[0][keep], ei[1][keep]
    a = sparse.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(np.float64)
    return a.tocsr()


def _labelled_subgraph(edge_index: Any, y: Any, labelled: Any) -> tuple[Any, np.ndarray]:
    yv = _numpy(y).reshape(-1)
    n = len(yv)
    a = _adjacency(edge_index, n)
    idx = np.arange(n) if labelled is None else _train_index(labelled, n)
    return a[idx][:, idx].tocoo(), yv[idx]


def edge_homophily(edge_index: Any, y: Any, labelled: Any = None) -> float | None:
    """Share of the edges between labelled nodes that join two nodes of the same class.

    The graph is read as undirected (an edge stored in one or both directions counts once);
    self-loops are left out.

    Args:
        edge_index: ``[2, E]`` integer array (or tensor) of edges.
        y: ``[N]`` class labels.
        labelled: indices (or a boolean mask) of the nodes whose labels may be read (the
            training nodes); ``None``: all.

    Returns:
        The share in [0, 1], or ``None`` when no edge joins two labelled nodes.

    Raises:
        InvalidTaskError: shapes that do not fit, or indices outside the graph.
    """
    a, yl = _labelled_subgraph(edge_index, y, labelled)
    if a.nnz == 0:
        return None
    return float(np.mean(yl[a.row] == yl[a.col]))


def class_homophily(edge_index: Any, y: Any, labelled: Any = None) -> float | None:
    """Lim et al. (2021)'s class-insensitive homophily over the edges between labelled nodes.

    ``1/(C-1) * sum_k max(0, h_k - n_k / n)`` with ``h_k`` the share of the neighbours of
    class-``k`` nodes that are of class ``k`` (degree-weighted) and ``n_k / n`` the share of
    class ``k`` among the labelled nodes; ``C`` counts the classes among them. Undirected, no
    self-loops (as `edge_homophily`).

    Args:
        edge_index: ``[2, E]`` integer array (or tensor) of edges.
        y: ``[N]`` class labels.
        labelled: indices (or a boolean mask) of the nodes whose labels may be read; ``None``: all.

    Returns:
        The value in [0, 1], or ``None`` when fewer than two classes are labelled or no edge
        joins two labelled nodes.

    Raises:
        InvalidTaskError: shapes that do not fit, or indices outside the graph.
    """
    a, yl = _labelled_subgraph(edge_index, y, labelled)
    classes, inverse, counts = np.unique(yl, return_inverse=True, return_counts=True)
    if len(classes) < 2 or a.nnz == 0:
        return None
    src = inverse[a.row]
    same = src == inverse[a.col]
    degree_sum = np.bincount(src, minlength=len(classes)).astype(np.float64)
    same_sum = np.bincount(src, weights=same.astype(np.float64), minlength=len(classes))
    h = np.divide(same_sum, degree_sum, out=np.zeros_like(same_sum), where=degree_sum > 0)
    share = counts / counts.sum()
    return float(np.clip(np.maximum(h - share, 0.0)[degree_sum > 0].sum() / (len(classes) - 1), 0.0, 1.0))


def _internal_split(y: np.ndarray, idx: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(fit, score)`` indices: a fixed split of ``idx``, stratified when every class has two members."""
    from sklearn.model_selection import train_test_split

    if len(idx) < _MIN_TRAIN:
        return None
    n_score = max(1, round(SCORE_FRACTION * len(idx)))
    labels = y[idx]
    stratify = None
    if labels.dtype.kind in "iub" or labels.dtype.kind in "US":
        _, counts = np.unique(labels, return_counts=True)
        if len(counts) > 1 and counts.min() >= 2 and n_score >= len(counts) and len(idx) - n_score >= len(counts):
            stratify = labels
    fit, score = train_test_split(idx, test_size=n_score, stratify=stratify, random_state=seed)
    return np.sort(fit), np.sort(score)


def _cap(idx: np.ndarray, rng: np.random.Generator, most: int = MAX_SAMPLES) -> np.ndarray:
    return idx if len(idx) <= most else np.sort(rng.choice(idx, size=most, replace=False))


def _inputs(x: np.ndarray, seed: int) -> np.ndarray:
    """Flattened float64 inputs, projected to `MAX_DIM` columns (a fixed sparse random projection) when wider."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if x.shape[1] > MAX_DIM:
        from sklearn.random_projection import SparseRandomProjection

        x = SparseRandomProjection(n_components=MAX_DIM, random_state=seed).fit_transform(x)
    return x


def _standardise(x: np.ndarray, fit: np.ndarray) -> np.ndarray:
    mean, std = x[fit].mean(axis=0), x[fit].std(axis=0)
    std[std == 0] = 1.0
    return (x - mean) / std


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray, fit: np.ndarray, score: np.ndarray) -> float:
    from sklearn.exceptions import ConvergenceWarning

    if len(np.unique(y[fit])) < 2:  # one class to fit: predicting it is the model
        return float(np.mean(y[score] == y[fit][0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x[fit], y[fit])
    return float(np.mean(model.predict(x[score]) == y[score]))


def _r2(model: Any, x: np.ndarray, y: np.ndarray, fit: np.ndarray, score: np.ndarray) -> float:
    model.fit(x[fit], y[fit])
    residual = y[score] - model.predict(x[score])
    total = y[score] - y[score].mean()
    denom = float(total @ total)
    if denom == 0.0:
        return 1.0 if float(residual @ residual) == 0.0 else 0.0
    return float(np.clip(1.0 - float(residual @ residual) / denom, 0.0, 1.0))


def _logistic() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=200, tol=1e-3)


def graph_landmarks(x: Any, edge_index: Any, y: Any, train_index: Any, *, seed: int = LANDMARK_SEED) -> dict[str, float]:
    """Homophilies and landmark accuracies of a node-classification graph (module docstring).

    Args:
        x: ``[N, F]`` node features (array or tensor).
        edge_index: ``[2, E]`` edges.
        y: ``[N]`` integer class labels; only those of ``train_index`` are read.
        train_index: indices (or a boolean mask) of the search's training nodes.
        seed: seed of the internal split and the subsample (`LANDMARK_SEED`).

    Returns:
        The defined ones of `GRAPH_LANDMARKS`, each in [0, 1].

    Raises:
        InvalidTaskError: shapes that do not fit, or indices outside the graph.
    """
    xa = _numpy(x)
    yv = _numpy(y).reshape(-1)
    n = len(yv)
    if xa.ndim != 2 or len(xa) != n:
        raise InvalidTaskError(f"graph landmarks need node features [N, F] for the {n} labels, got {xa.shape}")
    train = _train_index(train_index, n)
    out: dict[str, float] = {}
    for name, fn in (("edge_homophily", edge_homophily), ("class_homophily", class_homophily)):
        value = fn(edge_index, yv, train)
        if value is not None:
            out[name] = value
    split = _internal_split(yv, train, seed)
    if split is None:
        logger.info("graph landmarks: %d training node(s), too few to fit and score the landmark models", len(train))
        return out
    fit, score = split
    rng = np.random.default_rng(seed)
    fit_cap = _cap(fit, rng)
    a = _adjacency(edge_index, n)
    a_hat = _normalised(a)
    raw = _inputs(xa, seed)
    out["landmark_linear"] = _accuracy(_logistic(), _standardise(raw, fit_cap), yv, fit_cap, score)
    propagated = a_hat @ (a_hat @ raw)
    out["landmark_sgc"] = _accuracy(_logistic(), _standardise(propagated, fit_cap), yv, fit_cap, score)
    out["landmark_label_propagation"] = _label_propagation(a_hat, yv, fit, score)
    return out


def _normalised(a: Any) -> Any:
    """``D^-1/2 (A + I) D^-1/2`` of a symmetric adjacency (GCN's normalisation)."""
    from scipy import sparse

    a = a + sparse.identity(a.shape[0], format="csr")
    d = np.asarray(a.sum(axis=1)).reshape(-1)
    inv = sparse.diags(1.0 / np.sqrt(d))
    return (inv @ a @ inv).tocsr()


def _label_propagation(a_hat: Any, y: np.ndarray, fit: np.ndarray, score: np.ndarray) -> float:
    """Accuracy on ``score`` of label propagation from the labels of ``fit``; nodes no label reaches
    get the majority class of ``fit``."""
    classes, inverse = np.unique(y[fit], return_inverse=True)
    seeds = np.zeros((a_hat.shape[0], len(classes)))
    seeds[fit, inverse] = 1.0
    f = seeds.copy()
    for _ in range(_LP_STEPS):
        f = _LP_ALPHA * (a_hat @ f) + (1.0 - _LP_ALPHA) * seeds
    majority = int(np.argmax(np.bincount(inverse, minlength=len(classes))))
    rows = f[score]
    pred = np.where(rows.max(axis=1) > 0, rows.argmax(axis=1), majority)
    return float(np.mean(classes[pred] == y[score]))


def sample_landmarks(x: Any, y: Any, train_index: Any, problem: str = "classification", *,
                     seed: int = LANDMARK_SEED) -> dict[str, float]:
    """Linear-probe and 1-nearest-neighbour landmarks of images or a table (module docstring).

    Args:
        x: ``[N, ...]`` inputs (images ``[N, C, H, W]`` or a table ``[N, F]``), flattened.
        y: ``[N]`` class labels (classification) or values (regression); only those of
            ``train_index`` are read.
        train_index: indices (or a boolean mask) of the search's training rows.
        problem: ``"classification"`` (accuracies) or ``"regression"`` (R^2 clipped to [0, 1]).
        seed: seed of the subsample, the internal split and the projection (`LANDMARK_SEED`).

    Returns:
        ``landmark_linear`` and ``landmark_1nn`` in [0, 1]; empty when the training part has
        fewer than 4 rows.

    Raises:
        InvalidTaskError: shapes that do not fit, indices outside the data, or an unknown ``problem``.
    """
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    if problem not in ("classification", "regression"):
        raise InvalidTaskError(f"landmark problem must be 'classification' or 'regression', got {problem!r}")
    xa = _numpy(x)
    yv = _numpy(y).reshape(-1)
    if len(xa) != len(yv) or xa.ndim < 2:
        raise InvalidTaskError(f"landmarks need inputs [N, ...] with one target each, got {xa.shape} and {yv.shape}")
    train = _train_index(train_index, len(yv))
    rng = np.random.default_rng(seed)
    rows = _cap(train, rng)
    if problem == "regression":
        yv = yv.astype(np.float64)  # float labels: the internal split is not stratified
    split = _internal_split(yv, rows, seed)
    if split is None:
        logger.info("landmarks: %d training row(s), too few to fit and score the landmark models", len(rows))
        return {}
    # only the sampled rows are read and projected; positions of the fit and score rows among them
    f_loc, s_loc = (np.searchsorted(rows, part) for part in split)
    z = _standardise(_inputs(xa[rows], seed), f_loc)
    ys = yv[rows]
    if problem == "regression":
        return {"landmark_linear": _r2(Ridge(alpha=1.0), z, ys, f_loc, s_loc),
                "landmark_1nn": _r2(KNeighborsRegressor(n_neighbors=1), z, ys, f_loc, s_loc)}
    return {"landmark_linear": _accuracy(_logistic(), z, ys, f_loc, s_loc),
            "landmark_1nn": _accuracy(KNeighborsClassifier(n_neighbors=1), z, ys, f_loc, s_loc)}
