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
other; classification and regression tasks never transfer (different problem types).

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

"""

from __future__ import annotations

import math

import numpy as np

from metanas.exceptions import InvalidTaskError
from metanas.tasks import TaskMetadata

__all__ = ["FEATURE_NAMES", "GRAPH_REFERENCE", "TABULAR_REFERENCE", "dataset_meta_vector", "feature_names", "graph_counts", "task_features"]

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


def feature_names(modality: str) -> tuple[str, ...]:
    """Raw meta-feature names of a modality (``"graph"``, ``"image"`` or ``"tabular"``).

    Raises:
        InvalidTaskError: the modality is unknown.
    """
    try:
        return FEATURE_NAMES[modality]
    except KeyError:
        raise InvalidTaskError(f"modality must be one of {sorted(FEATURE_NAMES)}, got {modality!r}") from None


def task_features(task: TaskMetadata) -> np.ndarray:
    """The raw meta-feature vector of a task (see the module docstring).

    Returns:
        float64 array of shape ``[len(feature_names(task.modality))]``.
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
