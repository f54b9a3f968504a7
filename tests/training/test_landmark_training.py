"""Training with the opt-in landmark features (``landmark_features: true``)."""

from __future__ import annotations

import numpy as np
import pytest
from metanas.models.checkpoint import load_embedder, read_card
from metanas.models.features import feature_names
from metanas.training import fit

from metanas.landmarks import GRAPH_LANDMARKS
from metanas.tasks import TaskMetadata

LANDMARKS = dict(zip(GRAPH_LANDMARKS, (0.8, 0.6, 0.5, 0.7, 0.75)))


def _with(task: TaskMetadata, **values: float) -> TaskMetadata:
    return TaskMetadata(task.task_id, task.dataset_name, task.num_samples, task.num_classes, task.input_size,
                        task.problem_type, {**task.meta_features, **values})


class _Relabelled:
    """A benchmark table whose task carries other meta-features (as a search with landmarks records it)."""

    def __init__(self, table, task):
        self._table, self.task = table, task

    def __getattr__(self, name):
        return getattr(self._table, name)

    def __len__(self):
        return len(self._table)


@pytest.fixture(scope="module")
def landmark_db(tmp_path_factory, nbg_suite):
    """nbg/cora and nbg/photo with landmarks, nbg/pubmed without (recorded before they existed)."""
    from metanas.db import ExperimentDatabase

    db = ExperimentDatabase(tmp_path_factory.mktemp("lm") / "history.db")
    shift = {"nbg/cora": 0.0, "nbg/photo": -0.2}
    for i, tid in enumerate(("nbg/cora", "nbg/photo", "nbg/pubmed")):
        table = nbg_suite.table(tid)
        task = table.task
        if tid in shift:
            task = _with(task, **{k: v + shift[tid] for k, v in LANDMARKS.items()})
        rows = np.random.default_rng([0, i]).choice(len(table), size=300, replace=False)
        db.import_table(_Relabelled(table, task), rows=rows, strategy="random-history", seed=0)
    yield db
    db.close()


def test_training_with_landmark_features_writes_a_checkpoint_that_reads_them(landmark_db, tiny_config, tmp_path):
    out = fit(landmark_db, space_id="nbg", exclude_tasks=["nbg/pubmed"],
              config={**tiny_config, "landmark_features": True}, out_dir=tmp_path / "ck", seed=0, command="pytest")
    card = read_card(out)
    assert tuple(card["meta_features"]["names"]) == feature_names("graph", landmarks=True)
    assert card["training"]["config"]["landmark_features"] is True
    n = len(feature_names("graph"))
    assert card["meta_features"]["mean"][n] == pytest.approx(0.7)  # edge_homophily 0.8 and 0.6
    emb = load_embedder(out)
    pubmed = landmark_db.get_task("nbg/pubmed")  # a task without landmarks: the training mean and the indicator
    assert np.isfinite(emb.prior(pubmed)).all()
    assert np.isfinite(emb.prior(_with(pubmed, **LANDMARKS))).all()


def test_the_new_setting_leaves_existing_config_hashes_alone():
    import hashlib
    import json

    from metanas.training.config import DEFAULT_CONFIG, config_hash, resolve_config

    from metanas.exceptions import ConfigError

    before = {k: v for k, v in resolve_config({}).items() if k != "landmark_features"}
    text = json.dumps(before, sort_keys=True, separators=(",", ":"))
    assert config_hash({}) == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert config_hash({"landmark_features": True}) != config_hash({})
    assert DEFAULT_CONFIG["landmark_features"] is False
    with pytest.raises(ConfigError, match="'landmark_features' must be true or false"):
        resolve_config({"landmark_features": 1})


def test_without_the_setting_the_task_encoder_ignores_landmarks(landmark_db, tiny_config, tmp_path):
    plain = load_embedder(fit(landmark_db, space_id="nbg", exclude_tasks=["nbg/pubmed"], config=tiny_config,
                              out_dir=tmp_path / "a", seed=0, command="pytest"))
    assert len(plain.normalizer.names) == len(feature_names("graph"))
    pubmed = landmark_db.get_task("nbg/pubmed")
    assert np.array_equal(plain.normalizer.transform(pubmed), plain.normalizer.transform(_with(pubmed, **LANDMARKS)))
