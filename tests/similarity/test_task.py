"""Task similarity: the seed's example by hand, modality/problem-type rules, no NaN, the graph
features on the real NAS-Bench-Graph tasks, the registry and the task-embedding provider."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from metanas.exceptions import CheckpointError, ConfigError, UnknownNameError
from metanas.similarity import (
    GRAPH_REFERENCE,
    PROBLEM_TYPE_FACTOR,
    DatasetMetaSimilarity,
    TaskEmbedder,
    TaskEmbeddingSimilarity,
    TaskSimilarity,
    cosine,
    dataset_meta,
    get_task_metric,
    kind_factor,
    load_task_embedder,
    meta_feature_vector,
    task_metric_names,
)
from metanas.tasks import TaskMetadata


def image_task(task_id: str, n: int, classes: int, size=(3, 32, 32), problem_type="classification") -> TaskMetadata:
    return TaskMetadata(task_id, task_id, n, classes, size, problem_type)


def graph_task(task_id: str, nodes: float, edges: float, feats: float, classes: float,
               problem_type: str = "node_classification") -> TaskMetadata:
    return TaskMetadata(task_id, task_id, int(nodes), int(classes), None, problem_type,
                        {"num_nodes": nodes, "num_edges": edges, "num_node_features": feats, "num_classes": classes})


CIFAR10 = image_task("exp1", 50000, 10)
CIFAR100 = image_task("exp2", 50000, 100)


# ----------------------------------------------------------------------------- dataset_meta
def test_seed_example_by_hand():
    f1 = [50000 / 100000, 10 / 100, 32 / 224, 32 / 224]
    f2 = [50000 / 100000, 100 / 100, 32 / 224, 32 / 224]
    dot = sum(x * y for x, y in zip(f1, f2))
    expected = dot / (math.sqrt(sum(x * x for x in f1)) * math.sqrt(sum(y * y for y in f2)))
    assert dataset_meta(CIFAR10, CIFAR100) == pytest.approx(expected, rel=1e-9)
    assert dataset_meta(CIFAR100, CIFAR10) == dataset_meta(CIFAR10, CIFAR100)
    assert dataset_meta(CIFAR10, CIFAR10) == 1.0


def test_image_features_use_height_and_width_not_channels():
    grey = image_task("grey", 50000, 10, size=(1, 32, 32))
    assert dataset_meta(CIFAR10, grey) == 1.0  # channels are not a feature
    small = image_task("small", 50000, 10, size=(3, 16, 16))
    assert dataset_meta(CIFAR10, small) < 1.0
    np.testing.assert_allclose(meta_feature_vector(small), [0.5, 0.1, 16 / 224, 16 / 224])


def test_modality_mismatch_gives_zero(nbg_suite):
    cora = nbg_suite.task("nbg/cora")
    assert dataset_meta(CIFAR10, cora) == 0.0
    assert dataset_meta(cora, CIFAR10) == 0.0
    assert kind_factor(CIFAR10, cora) == 0.0


def test_another_problem_type_of_one_modality_is_a_weaker_relation_not_none(nbg_suite):
    # Before, a different problem type gave 0 (the gate that decided issue 21's private benchmark).
    detection = image_task("det", 50000, 10, problem_type="detection")  # CIFAR10's features exactly
    assert dataset_meta(CIFAR10, CIFAR10.with_id("copy")) == 1.0
    assert dataset_meta(CIFAR10, detection) == dataset_meta(detection, CIFAR10) == PROBLEM_TYPE_FACTOR
    assert 0.0 < PROBLEM_TYPE_FACTOR < 1.0
    # lower than the same tasks with the same type, whatever the features
    as_classification = image_task("det", 50000, 100)
    other_type = image_task("det", 50000, 100, problem_type="detection")
    assert 0.0 < dataset_meta(CIFAR10, other_type) < dataset_meta(CIFAR10, as_classification)
    arxiv, proteins = nbg_suite.task("nbg/arxiv"), nbg_suite.task("nbg/proteins")  # multi-label node classification
    raw = cosine(meta_feature_vector(arxiv), meta_feature_vector(proteins))
    assert raw > 0.0 and dataset_meta(arxiv, proteins) == pytest.approx(PROBLEM_TYPE_FACTOR * raw)


def test_a_new_problem_type_is_compared_like_a_known_one():
    keypoints = image_task("kp", 50000, 10, problem_type="keypoint_detection")  # not a known kind
    assert keypoints.modality == "image"
    assert dataset_meta(keypoints, keypoints.with_id("kp2")) == 1.0
    assert dataset_meta(CIFAR10, keypoints) == PROBLEM_TYPE_FACTOR


def test_the_gate_is_applied_once_for_every_metric_registered_ones_included(nbg_suite):
    class Constant(TaskSimilarity):  # a user's metric: it applies no gate itself
        name = "constant"

        def __init__(self) -> None:
            self.seen: list[str] = []

        def __call__(self, task_a, task_b):
            self.seen.append(task_b.task_id)
            return 0.75

    metric = Constant()
    detection = image_task("det", 50000, 10, problem_type="detection")
    cora = nbg_suite.task("nbg/cora")
    values = metric.similarities(CIFAR10, [CIFAR100, detection, cora])
    np.testing.assert_allclose(values, [0.75, 0.75 * PROBLEM_TYPE_FACTOR, 0.0])
    assert metric.seen == ["exp2", "det"]  # a task of another modality is never compared
    assert metric.similarity(CIFAR10, detection) == 0.75 * PROBLEM_TYPE_FACTOR
    emb = FakeEmbedder({"exp1": [1.0, 0.0], "det": [1.0, 1.0]})
    learned = TaskEmbeddingSimilarity(emb)
    raw = learned.scores(CIFAR10, [detection])[0]  # the clipped cosine of the two embeddings
    assert raw == pytest.approx(1 / np.sqrt(2)) and learned.similarity(CIFAR10, detection) == PROBLEM_TYPE_FACTOR * raw

    class OutOfRange(Constant):
        def __call__(self, task_a, task_b):
            return 1.5

    with pytest.raises(ConfigError, match=r"OutOfRange must return one number in \[0, 1\]"):
        OutOfRange().similarities(CIFAR10, [CIFAR100])


@pytest.mark.parametrize("suite, n_shared", [("nb201_suite", 3), ("nbg_suite", 8)])
def test_benchmark_tasks_share_a_type_so_their_similarities_are_unchanged(suite, n_shared, request):
    tasks = [request.getfixturevalue(suite).task(tid) for tid in request.getfixturevalue(suite).task_ids()]
    by_type: dict[str, list[TaskMetadata]] = {}
    for t in tasks:
        by_type.setdefault(t.problem_type, []).append(t)
    # NAS-Bench-201's tasks, and NAS-Bench-Graph's 8 of the 9-op space (ogbn-proteins has its own space)
    assert max(len(group) for group in by_type.values()) == n_shared
    for group in by_type.values():
        for a in group:
            for b in group:  # the cosine alone, as before the gate became a factor
                assert dataset_meta(a, b) == cosine(meta_feature_vector(a), meta_feature_vector(b))


def test_zero_vector_is_not_nan(nbg_suite):
    ref = graph_task("ref", GRAPH_REFERENCE[0], GRAPH_REFERENCE[0] * GRAPH_REFERENCE[1], GRAPH_REFERENCE[2],
                     GRAPH_REFERENCE[3])
    np.testing.assert_allclose(meta_feature_vector(ref), 0.0, atol=1e-12)
    assert dataset_meta(ref, ref) == 1.0
    value = dataset_meta(ref, nbg_suite.task("nbg/cora"))
    assert value == 0.0 and not math.isnan(value)
    assert cosine(np.zeros(4), np.ones(4)) == 0.0
    assert cosine(np.zeros(4), np.zeros(4)) == 1.0
    assert cosine([1.0, 0.0], [-1.0, 0.0]) == 0.0  # clipped, not negative


def test_graph_tasks_without_their_counts_cannot_exist_so_features_need_no_defaults():
    # The one meta-feature definition reads the four counts directly: TaskMetadata refuses a
    # graph task without them (before, dataset_meta carried its own unreachable defaults).
    from metanas.exceptions import InvalidTaskError

    with pytest.raises(InvalidTaskError, match="lacks"):
        TaskMetadata("x", "x", 2708, 7, None, "node_classification", {"num_classes": 7.0})
    task = graph_task("x", 2708, 10556, 1433, 7)
    expected = np.log1p([2708, 10556 / 2708, 1433, 7]) - np.log1p(GRAPH_REFERENCE)
    np.testing.assert_allclose(meta_feature_vector(task), expected)


def test_graph_tasks_of_the_real_suite_discriminate(nbg_suite):
    t = {tid.split("/")[1]: nbg_suite.task(tid) for tid in nbg_suite.task_ids()}
    sim = {(a, b): dataset_meta(t[a], t[b]) for a in t for b in t}
    for (a, b), v in sim.items():
        assert 0.0 <= v <= 1.0 and v == sim[(b, a)]
        if a == b:
            assert v == 1.0
    # Each family is closer than the other families.
    assert sim[("cora", "citeseer")] > 0.6 > sim[("cora", "arxiv")]
    assert sim[("cs", "physics")] > 0.6 > sim[("cs", "cora")]
    assert sim[("photo", "computers")] > 0.6 > max(sim[("photo", "cora")], sim[("photo", "physics")])
    # The raw-log cosine would not: it is above 0.85 for every pair (why the features are centred).
    raw = {k: np.log1p([v.meta_features[f] for f in ("num_nodes", "num_edges", "num_node_features", "num_classes")])
           for k, v in t.items()}
    assert min(cosine(raw[a], raw[b]) for a in raw for b in raw) > 0.85


def test_dataset_meta_rejects_non_tasks():
    with pytest.raises(ConfigError, match="task_b"):
        dataset_meta(CIFAR10, {"num_samples": 5})


# ----------------------------------------------------------------------------- registry and embeddings
class FakeEmbedder:
    def __init__(self, table: dict[str, list[float]], fits: bool = True) -> None:
        self.table = table
        self.fits = fits
        self.checked: list[tuple[str, str]] = []

    def check(self, task: TaskMetadata, space_id: str) -> None:
        self.checked.append((task.task_id, space_id))
        if not self.fits:
            raise CheckpointError(f"model trained for another space than {space_id!r}")

    def embed_task(self, task: TaskMetadata) -> np.ndarray:
        return np.asarray(self.table[task.task_id], dtype=float)


def test_registry_names_and_dataset_meta():
    assert {"dataset_meta", "task_embedding"} <= set(task_metric_names())
    m = get_task_metric("dataset_meta")
    assert isinstance(m, DatasetMetaSimilarity)
    assert m(CIFAR10, CIFAR100) == dataset_meta(CIFAR10, CIFAR100)
    assert get_task_metric(m) is m
    with pytest.raises(UnknownNameError, match="dataset_meta.*task_embedding"):
        get_task_metric("meta")
    with pytest.raises(ConfigError, match="dataset_meta"):
        get_task_metric("dataset_meta", embedder=None)


def test_task_embedding_without_embedder_raises_checkpoint_error():
    with pytest.raises(CheckpointError, match="trained meta-learner"):
        get_task_metric("task_embedding")


def test_task_embedding_with_embedder():
    emb = FakeEmbedder({"exp1": [1.0, 0.0], "exp2": [1.0, 1.0], "opp": [-1.0, 0.0]})
    assert isinstance(emb, TaskEmbedder)
    m = get_task_metric("task_embedding", embedder=emb, space_id="nb201")
    assert isinstance(m, TaskEmbeddingSimilarity)
    assert m(CIFAR10, CIFAR100) == pytest.approx(1 / math.sqrt(2))
    assert m(CIFAR10, CIFAR10) == 1.0
    assert m(CIFAR10, image_task("opp", 10, 10)) == 0.0  # clipped cosine, documented
    assert ("exp1", "nb201") in emb.checked
    graph = graph_task("g", 100, 200, 10, 3)
    assert m(CIFAR10, graph) == 0.0  # modality mismatch: no embedding needed


def test_task_embedding_errors():
    with pytest.raises(CheckpointError, match="another space"):
        TaskEmbeddingSimilarity(FakeEmbedder({"exp1": [1.0]}, fits=False), space_id="nbg")(CIFAR10, CIFAR10)
    bad = TaskEmbeddingSimilarity(FakeEmbedder({"exp1": [[1.0, 2.0]], "exp2": [float("nan")]}))
    with pytest.raises(CheckpointError, match="shape"):
        bad(CIFAR10, CIFAR100)
    with pytest.raises(ConfigError, match="embed_task"):
        TaskEmbeddingSimilarity(object())
    with pytest.raises(ConfigError, match="not both"):
        TaskEmbeddingSimilarity(FakeEmbedder({}), checkpoint="x")


def test_load_task_embedder_without_meta_learner(monkeypatch, tmp_path):
    import metanas.models as package

    # the import fails as it does when a dependency (torch) is missing
    monkeypatch.delattr(package, "checkpoint", raising=False)
    monkeypatch.setitem(sys.modules, f"{package.__name__}.checkpoint", None)
    with pytest.raises(CheckpointError, match="could not be imported"):
        load_task_embedder(tmp_path / "ckpt")
    with pytest.raises(CheckpointError, match="could not be imported"):
        get_task_metric("task_embedding", checkpoint=tmp_path / "ckpt")


def test_load_task_embedder_through_models_checkpoint(monkeypatch, tmp_path):
    from metanas.models import checkpoint

    calls = []

    def load_embedder(path):
        calls.append(path)
        if not str(path).endswith("good"):
            raise FileNotFoundError(path)
        return FakeEmbedder({"exp1": [1.0, 0.0], "exp2": [0.0, 1.0]})

    monkeypatch.setattr(checkpoint, "load_embedder", load_embedder)
    m = get_task_metric("task_embedding", checkpoint=tmp_path / "good")
    assert m(CIFAR10, CIFAR100) == 0.0 and calls == [tmp_path / "good"]
    with pytest.raises(CheckpointError, match="could not be read"):
        load_task_embedder(tmp_path / "missing")
    monkeypatch.setattr(checkpoint, "load_embedder", lambda path: object())
    with pytest.raises(CheckpointError, match="embed_task"):
        load_task_embedder(tmp_path / "good")


def test_import_does_not_load_torch():
    code = "import sys, metanas.similarity; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
