"""Meta-features of tasks: the one definition that task similarity and the meta-learner use.

Both read a task's statistics the same way (`graph_counts`: the four counts every graph
`TaskMetadata` carries; image tasks: ``num_samples``, ``num_classes`` and ``input_size``) and
turn them into one of two named vectors:

* `dataset_meta_vector`: what the ``dataset_meta`` task similarity compares by cosine;
* `task_features`: the raw input of the meta-learner (`FEATURE_NAMES` per modality, recorded in
  each checkpoint's model card together with the training tasks' mean and standard deviation,
  `metanas.models.features.FeatureNormalizer`); changing them invalidates the shipped
  checkpoints, which the card's names detect.

``dataset_meta_vector``
-----------------------
*Image tasks* — the seed's cosine over ``[num_samples / 100000, num_classes / 100,
H / 224, W / 224]``, clipped at 0 (``H, W`` from ``input_size = (C, H, W)``; the seed's
sketch indexes ``input_size[0]`` and ``[1]``, i.e. C and H, which contradicts its own
"input resolution" comment; we use the resolution). These features are positive, so the
cosine lies in (0, 1].

*Graph tasks* — a cosine of centred log features, clipped at 0::

    log1p([num_nodes, num_edges / num_nodes, num_node_features, num_classes])
      - log1p([1e4, 10, 1e3, 10])

The logs of raw counts are all large and positive, so their cosine is near 1 for any two
graphs (0.88..1.00 on the nine NAS-Bench-Graph tasks, 0.94..1.00 on the eight 9-op ones):
it cannot discriminate. Centring on
fixed reference values (a 10,000-node graph of average degree 10 with 1,000 features and 10
classes: round numbers in the middle of the node-classification benchmarks, fixed so that a
value does not depend on which tasks happen to be in the database) makes the cosine compare
the *direction* in which two tasks differ from a typical one. Average degree replaces the edge
count because node and edge counts move together and would count size twice. Chosen among
the candidates the brief named (raw-log cosine; centred cosines with several references;
``exp(-distance)``) by agreement with how the NAS-Bench-Graph tasks actually rank
architectures: the Spearman correlation, over the 28 pairs of the eight 9-op tasks, between
the similarity and the rank correlation of the tasks' validation accuracies over the shared
architectures is 0.51 for this choice, against 0.19 for the raw-log cosine, 0.30 for
``exp(-RMS log distance)`` and 0.42 for centred ``log1p`` counts with the edge count. It puts
each family together: cora-citeseer 0.88, coauthor cs-physics 0.87, amazon photo-computers
0.87, and cora-arxiv 0. With the default ``min_similarity`` 0.6 graph tasks thus transfer
within their family. ``ogbn-proteins`` is a multi-label task: similarity 0 to the others.

*Tabular tasks* — the same construction: a cosine of centred log features, clipped at 0::

    log1p([num_samples, num_features, num_classes]) - log1p([1e4, 100, 10])

plus ``class_imbalance - 1`` (0 for balanced classes; regression tasks, with one "class",
count as balanced). The reference (10,000 rows, 100 columns, 10 classes) is a round middle of
the OpenML-CC18 tables, fixed so that a value does not depend on which tasks are in the
database. Small tables sit on one side of it: breast_cancer (569 x 30, 2 classes) and wine
(178 x 13, 3 classes) have similarity 0.98, so with ``min_similarity`` 0.6 one warm-starts the
other; a classification and a regression table compare through `kind_factor` (their similarity times
`PROBLEM_TYPE_FACTOR`, 0.8: breast_cancer and diabetes 0.78).

*Landmarks* — a second block, compared apart from the counts. A task searched with
``metanas search`` carries landmark meta-features (`metanas.landmarks`: edge and class
homophily and three landmark accuracies for graphs; a linear probe and 1-nearest-neighbour
for images and tables), all on [0, 1]. Two tasks compare on the landmarks *both* carry
(`shared_landmarks`)::

    landmark_similarity = max(0, 1 - RMS(a_k - b_k over the shared k) / LANDMARK_SCALE)

and ``dataset_meta`` is ``(1 - LANDMARK_WEIGHT) * counts cosine + LANDMARK_WEIGHT *
landmark_similarity``. When the two share no landmark (either task has none: the
NAS-Bench-Graph and NAS-Bench-201 tasks, tasks recorded before landmarks existed), the value
is the counts cosine alone, exactly as before; a missing landmark is never read as 0.
``LANDMARK_SCALE`` 0.25: landmarks that differ by 0.25 on average (e.g. a linear probe at 0.9
against 0.65) make that block 0, about ten standard errors of a landmark accuracy scored on
400 nodes. ``LANDMARK_WEIGHT`` 0.5: the counts still say which tasks are of a size and a
shape. Both are round choices made before any measurement of transfer with them, not tuned.

Degenerate values: `TaskMetadata` guarantees that graph tasks carry the four counts, positive
(``num_edges`` >= 0), so ``log1p`` stays finite.
A zero feature vector (a task exactly at the reference point) has no direction: its
similarity to a task with the same vector is 1, to any other 0.

``task_features``
-----------------
The meta-learner's raw vector depends on the modality:

* graph tasks (``TaskMetadata.meta_features`` holds ``num_nodes``, ``num_edges``,
  ``num_node_features``, ``num_classes``): the natural log of the four counts (``log1p`` for
  the edge count, which may be 0) and two derived ratios, ``log(num_edges / num_nodes)``
  (average degree) and ``log(num_node_features / num_classes)``;
* image tasks: ``log num_samples``, ``log num_classes``, ``log (H * W)`` and ``C``;
* tabular tasks: ``log num_samples``, ``log num_features``, ``log num_classes`` (0 for
  regression), ``class_entropy`` and ``class_imbalance`` (1 when not recorded: regression).

The landmarks are an opt-in block (``task_features(task, landmarks=True)``,
`LANDMARK_FEATURE_NAMES`; the training setting ``landmark_features: true``): the shipped
checkpoints name the base features in their model cards and keep loading and embedding as
before. In the block a landmark the task lacks is NaN, and ``landmarks_missing`` says which
share is lacking; `metanas.models.features.FeatureNormalizer` standardises with the mean and
standard deviation of the training tasks that have each value and sets a lacking one to the
training mean (0 after standardisation), so a task recorded without landmarks is read as
"unknown, average" with an explicit indicator, never as a landmark accuracy of 0.

"""

from __future__ import annotations

import math

import numpy as np

from metanas.exceptions import InvalidTaskError
from metanas.landmarks import LANDMARK_NAMES
from metanas.tasks import TaskMetadata

__all__ = [
    "FEATURE_NAMES",
    "GRAPH_REFERENCE",
    "LANDMARK_FEATURE_NAMES",
    "LANDMARK_SCALE",
    "LANDMARK_WEIGHT",
    "TABULAR_REFERENCE",
    "dataset_meta_vector",
    "feature_names",
    "graph_counts",
    "landmark_similarity",
    "shared_landmarks",
    "task_features",
]

#: The opt-in landmark inputs of the meta-learner per modality: the landmark values
#: (`metanas.landmarks.LANDMARK_NAMES`) and ``landmarks_missing``, the share of them a task lacks.
LANDMARK_FEATURE_NAMES: dict[str, tuple[str, ...]] = {
    m: (*names, "landmarks_missing") for m, names in LANDMARK_NAMES.items()
}
#: RMS difference of the shared landmarks at which their similarity reaches 0.
LANDMARK_SCALE = 0.25
#: Share of the landmark block in ``dataset_meta`` when two tasks share landmarks.
LANDMARK_WEIGHT = 0.5

#: Reference point of the graph features: (num_nodes, average degree, num_node_features, num_classes).
GRAPH_REFERENCE: tuple[float, float, float, float] = (1e4, 10.0, 1e3, 10.0)
#: Reference point of the tabular features: (num_samples, num_features, num_classes).
TABULAR_REFERENCE: tuple[float, float, float] = (1e4, 100.0, 10.0)

#: Names of the raw meta-features of each modality, in vector order.
FEATURE_NAMES: dict[str, tuple[str, ...]] = {
    "graph": (
        "log_num_nodes",
        "log1p_num_edges",
        "log_num_node_features",
        "log_num_classes",
        "log_avg_degree",
        "log_features_per_class",
    ),
    "image": ("log_num_samples", "log_num_classes", "log_pixels", "channels"),
    "tabular": ("log_num_samples", "log_num_features", "log_num_classes", "class_entropy", "class_imbalance"),
}


def feature_names(modality: str, landmarks: bool = False) -> tuple[str, ...]:
    """Raw meta-feature names of a modality (``"graph"``, ``"image"`` or ``"tabular"``).

    Args:
        modality: the modality.
        landmarks: add the opt-in landmark block (`LANDMARK_FEATURE_NAMES`).

    Raises:
        InvalidTaskError: the modality is unknown.
    """
    try:
        base = FEATURE_NAMES[modality]
    except KeyError:
        raise InvalidTaskError(f"modality must be one of {sorted(FEATURE_NAMES)}, got {modality!r}") from None
    return base + LANDMARK_FEATURE_NAMES[modality] if landmarks else base


def task_features(task: TaskMetadata, landmarks: bool = False) -> np.ndarray:
    """The raw meta-feature vector of a task (see the module docstring).

    Args:
        task: the task.
        landmarks: append the landmark block (`LANDMARK_FEATURE_NAMES`): each landmark's value,
            NaN where the task lacks it, then ``landmarks_missing``, the share of them it lacks
            (`metanas.models.features.FeatureNormalizer` turns the NaNs into the training mean).

    Returns:
        float64 array of shape ``[len(feature_names(task.modality, landmarks))]``.
    """
    if task.modality == "graph":
        nodes, edges, feats, classes = graph_counts(task)
        values = [
            math.log(nodes),
            math.log1p(edges),
            math.log(feats),
            math.log(classes),
            math.log(max(edges, 1.0) / nodes),
            math.log(feats / classes),
        ]
    elif task.modality == "tabular":
        mf = task.meta_features
        values = [math.log(task.num_samples), math.log(mf["num_features"]), math.log(task.num_classes),
                  mf.get("class_entropy", 1.0), mf.get("class_imbalance", 1.0)]
    else:
        c, h, w = task.input_size  # type: ignore[misc]
        values = [math.log(task.num_samples), math.log(task.num_classes), math.log(h * w), float(c)]
    if landmarks:
        mf = task.meta_features
        names = LANDMARK_NAMES[task.modality]
        values += [mf.get(k, math.nan) for k in names]
        values.append(sum(k not in mf for k in names) / len(names))
    return np.asarray(values, dtype=np.float64)


def graph_counts(task: TaskMetadata) -> tuple[float, float, float, float]:
    """``(num_nodes, num_edges, num_node_features, num_classes)`` of a graph task.

    Raises:
        InvalidTaskError: the task is not a graph task.
    """
    if task.modality != "graph":
        raise InvalidTaskError(f"task {task.task_id!r} is a {task.modality} task; graph counts need a graph task")
    mf = task.meta_features
    return mf["num_nodes"], mf["num_edges"], mf["num_node_features"], mf["num_classes"]


def shared_landmarks(task_a: TaskMetadata, task_b: TaskMetadata) -> tuple[str, ...]:
    """The landmark meta-features (`metanas.landmarks.LANDMARK_NAMES`) both tasks carry, in
    vector order; empty across modalities."""
    if task_a.modality != task_b.modality:
        return ()
    fa, fb = task_a.meta_features, task_b.meta_features
    return tuple(k for k in LANDMARK_NAMES[task_a.modality] if k in fa and k in fb)


def landmark_similarity(task_a: TaskMetadata, task_b: TaskMetadata) -> float | None:
    """Similarity of two tasks' shared landmarks (module docstring), or ``None`` when they share none.

    Returns:
        ``max(0, 1 - RMS difference / LANDMARK_SCALE)`` in [0, 1]; ``None``: no shared landmark.
    """
    shared = shared_landmarks(task_a, task_b)
    if not shared:
        return None
    diff = np.array([task_a.meta_features[k] - task_b.meta_features[k] for k in shared], dtype=np.float64)
    return float(max(0.0, 1.0 - math.sqrt(float(np.mean(diff**2))) / LANDMARK_SCALE))


def dataset_meta_vector(task: TaskMetadata) -> np.ndarray:
    """The feature vector ``dataset_meta`` compares (see the module docstring).

    Returns:
        float64 array of shape ``[4]``: the seed's scaled image features, or the centred log
        graph or tabular features.
    """
    if task.modality == "tabular":
        mf = task.meta_features
        raw = np.log1p([float(task.num_samples), mf["num_features"], float(task.num_classes)])
        centred = raw - np.log1p(np.array(TABULAR_REFERENCE, dtype=np.float64))
        return np.append(centred, mf.get("class_imbalance", 1.0) - 1.0)
    if task.modality == "image":
        _, h, w = task.input_size  # type: ignore[misc]
        return np.array([task.num_samples / 100000, task.num_classes / 100, h / 224, w / 224], dtype=np.float64)
    num_nodes, num_edges, feats, classes = graph_counts(task)
    nodes = max(float(num_nodes), 1.0)
    raw = np.log1p(np.maximum([nodes, num_edges / nodes, feats, classes], 0.0))
    return raw - np.log1p(np.array(GRAPH_REFERENCE, dtype=np.float64))
