"""Checkpoint round-trip and refusal of checkpoints that do not fit."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
from metanas.models.checkpoint import (
    CARD_FILE,
    FORMAT_VERSION,
    REQUIRED_KEYS,
    WEIGHTS_FILE,
    card_digest,
    load_embedder,
    read_card,
    save_checkpoint,
    upgrade_checkpoint,
)
from metanas.models.features import FeatureNormalizer

from metanas.exceptions import CheckpointError
from metanas.spaces import NBG_PROTEINS_OPS
from metanas.tasks import TaskMetadata


def _save(emb, path, **overrides):
    kw = {
        "space_id": emb.space_id,
        "vocabulary": emb.vocabulary,
        "tasks": [{"task_id": t.task_id, "task": t.to_dict(), "metric": "val_acc", "direction": "maximize",
                   "num_train": 10, "num_val": 2} for t in emb.tasks],
        "training": {"seed": 0},
        "validation": {"kendall_tau": {}},
        "command": "pytest",
    }
    kw.update(overrides)
    normalizer = kw.pop("normalizer", emb.normalizer)
    return save_checkpoint(path, emb.model, normalizer, **kw)


def test_round_trip_same_scores(tiny_embedder, nbg_graphs, nbg_suite, tmp_path):
    path = _save(tiny_embedder, tmp_path / "ck")
    card = read_card(path)
    assert set(REQUIRED_KEYS) <= set(card)
    assert card["op_vocabulary"] == list(tiny_embedder.vocabulary)
    assert card["meta_features"]["names"] == list(tiny_embedder.normalizer.names)
    assert card["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
    loaded = load_embedder(path)
    for tid in ("nbg/cora", "nbg/computers"):  # a training task (learned) and an unseen one (prior)
        task = nbg_suite.task(tid)
        np.testing.assert_allclose(loaded.embed_task(task), tiny_embedder.embed_task(task), rtol=1e-6)
        np.testing.assert_allclose(loaded.score_architectures(task, nbg_graphs),
                                   tiny_embedder.score_architectures(task, nbg_graphs), rtol=1e-5, atol=1e-6)
    assert loaded.task_ids == ["nbg/cora", "nbg/photo"]
    assert (path / WEIGHTS_FILE).stat().st_size < 2_000_000


def test_learned_embedding_for_training_task_prior_otherwise(tiny_embedder, nbg_suite):
    with torch.no_grad():
        tiny_embedder.model.task_offset[0] += 1.0
    cora = nbg_suite.task("nbg/cora")
    np.testing.assert_allclose(tiny_embedder.embed_task(cora) - tiny_embedder.prior(cora), 1.0, rtol=1e-5)
    # the same id with other meta-features is not the training task: prior
    other = TaskMetadata.from_dict({**cora.to_dict(), "meta_features": {**cora.meta_features, "num_nodes": 99.0}})
    np.testing.assert_allclose(tiny_embedder.embed_task(other), tiny_embedder.prior(other))


def test_check_refuses_other_space_and_modality(tiny_embedder, nbg_suite):
    cora = nbg_suite.task("nbg/cora")
    tiny_embedder.check(cora, "nbg")
    with pytest.raises(CheckpointError, match=r"space 'nb201' uses operation\(s\) \['none'.*trained on space 'nbg'"):
        tiny_embedder.check(cora, "nb201")
    with pytest.raises(CheckpointError, match="'user-space' is not registered"):
        tiny_embedder.check(cora, "user-space")
    img = TaskMetadata("img/a", "A", 50000, 10, (3, 32, 32), "classification")
    with pytest.raises(CheckpointError, match="image task"):
        tiny_embedder.check(img, "nbg")


def test_check_refuses_other_vocabulary(tiny_embedder, nbg_suite, tmp_path):
    path = _save(tiny_embedder, tmp_path / "ck", vocabulary=NBG_PROTEINS_OPS + ("x",) * 4)
    loaded = load_embedder(path)
    with pytest.raises(CheckpointError, match=r"space 'nbg' uses operation\(s\) .* does not know"):
        loaded.check(nbg_suite.task("nbg/cora"), "nbg")


def test_check_refuses_other_feature_set(tiny_embedder, nbg_suite, tmp_path):
    n = tiny_embedder.normalizer
    renamed = FeatureNormalizer(n.modality, tuple(f"old_{x}" for x in n.names), n.mean, n.std)
    loaded = load_embedder(_save(tiny_embedder, tmp_path / "ck", normalizer=renamed))
    with pytest.raises(CheckpointError, match="meta-feature set"):
        loaded.check(nbg_suite.task("nbg/cora"), "nbg")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.update(op_vocabulary=list(reversed(c["op_vocabulary"]))), "does not match its weights"),
        (lambda c: c.update(space_id="nbg-proteins"), "does not match its weights"),
        (lambda c: c["meta_features"]["mean"].__setitem__(0, 3.0), "does not match its weights"),
        (lambda c: c.pop("versions"), "lacks the key"),
        (lambda c: c.update(format_version=99), "format version 99"),
        (lambda c: c.update(format="something"), "'format' must be"),
    ],
)
def test_tampered_card_is_refused(tiny_embedder, tmp_path, edit, message):
    path = _save(tiny_embedder, tmp_path / "ck")
    card = json.loads((path / CARD_FILE).read_text())
    edit(card)
    (path / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match=message):
        load_embedder(path)


def _leaves(node, path=()):
    """Every leaf of a JSON document as (path, value); an empty list or object counts as a leaf."""
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list) and node:
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path, node


def _edited(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return 0
    return [*value, 0] if isinstance(value, list) else {**value, "x": 0}


def test_editing_any_field_of_the_card_is_refused(tiny_embedder, tmp_path):
    """The digest covers the whole card: per-task metadata, metric and direction as well as the rest."""
    path = _save(tiny_embedder, tmp_path / "ck")
    original = (path / CARD_FILE).read_text()
    leaves = [(p, v) for p, v in _leaves(json.loads(original)) if p[0] not in ("format", "format_version")]
    paths = {p for p, _ in leaves}
    for must in [("tasks", 0, "metric"), ("tasks", 0, "direction"), ("tasks", 1, "task", "num_samples"),
                 ("tasks", 0, "task", "meta_features", "num_nodes"), ("tasks", 0, "num_train"), ("command",)]:
        assert must in paths
    for leaf, value in leaves:
        card = json.loads(original)
        node = card
        for key in leaf[:-1]:
            node = node[key]
        node[leaf[-1]] = _edited(value)
        (path / CARD_FILE).write_text(json.dumps(card, indent=2))
        with pytest.raises(CheckpointError, match="does not match its weights"):
            load_embedder(path)
    (path / CARD_FILE).write_text(original)
    assert load_embedder(path).task_ids == ["nbg/cora", "nbg/photo"]
    reformatted = json.dumps(json.loads(original))  # whitespace and layout are not part of the card
    (path / CARD_FILE).write_text(reformatted)
    load_embedder(path)


def test_binary_card_is_a_checkpoint_error(tiny_embedder, tmp_path):
    path = _save(tiny_embedder, tmp_path / "ck")
    (path / CARD_FILE).write_bytes(b"\xff\xfe\x00\x81 binary")
    with pytest.raises(CheckpointError, match="not UTF-8 text"):
        read_card(path)
    with pytest.raises(CheckpointError, match="not UTF-8 text"):
        load_embedder(path)


def test_version_1_checkpoint_is_refused_and_can_be_upgraded(tiny_embedder, tmp_path):
    from metanas.models.checkpoint import _legacy_digest

    path = _save(tiny_embedder, tmp_path / "ck")
    state = torch.load(path / WEIGHTS_FILE, weights_only=True)
    card = json.loads((path / CARD_FILE).read_text())
    card["format_version"] = 1
    state["_card_digest"] = _legacy_digest(card)
    torch.save(state, path / WEIGHTS_FILE)
    (path / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="format version 1 .*upgrade_checkpoint"):
        load_embedder(path)
    upgrade_checkpoint(path)
    loaded = load_embedder(path)
    assert loaded.card["format_version"] == FORMAT_VERSION
    after = torch.load(path / WEIGHTS_FILE, weights_only=True)
    assert torch.equal(after["_card_digest"], card_digest(loaded.card))
    assert all(torch.equal(after[k], v) for k, v in state.items() if k != "_card_digest")
    with pytest.raises(CheckpointError, match="converts format version 1"):
        upgrade_checkpoint(path)
    # a version-1 card edited in a field its digest covered is not upgraded
    card["space_id"] = "nbg-proteins"
    (path / CARD_FILE).write_text(json.dumps(card))
    torch.save(state, path / WEIGHTS_FILE)
    with pytest.raises(CheckpointError, match="does not match its weights"):
        upgrade_checkpoint(path)


def test_missing_and_unsafe_files_are_refused(tiny_embedder, tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_embedder(tmp_path / "nowhere")
    path = _save(tiny_embedder, tmp_path / "ck")
    (path / CARD_FILE).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_embedder(path)
    path = _save(tiny_embedder, tmp_path / "ck2")
    (path / WEIGHTS_FILE).unlink()
    with pytest.raises(CheckpointError, match="lacks weights.pt"):
        load_embedder(path)
    path = _save(tiny_embedder, tmp_path / "ck3")
    (path / WEIGHTS_FILE).write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(CheckpointError, match="tensors-only"):
        load_embedder(path)


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_warm_start_falls_back_when_the_card_is_binary(tmp_path, nbg_suite, caplog):
    """A non-UTF-8 model card is a `CheckpointError`, which the warm start catches, logs and
    answers with ``dataset_meta`` (it used to escape as a raw ``UnicodeDecodeError``)."""
    import logging
    import shutil
    from pathlib import Path

    from metanas.db import ExperimentDatabase
    from metanas.warm_start import WarmStarter

    ck = tmp_path / "ck"
    shutil.copytree(Path(__file__).resolve().parents[2] / "checkpoints" / "nbg", ck)
    (ck / CARD_FILE).write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff binary")
    with ExperimentDatabase(tmp_path / "kb.db") as db:
        db.import_table(nbg_suite.table("nbg/cora"), rows=list(range(0, 26206, 50)))
        config = {"similarity_metric": "task_embedding", "checkpoint": str(ck)}
        with caplog.at_level(logging.WARNING, logger="metanas.warm_start"):
            plan = WarmStarter(db, config).plan(nbg_suite.task("nbg/citeseer"), 10, nbg_suite.space("nbg/citeseer"))
    assert plan.metric == "dataset_meta"
    assert "falling back to 'dataset_meta'" in caplog.text and "not UTF-8 text" in caplog.text
    assert plan.counts()["transfer"] == 5
