"""Checkpoint I/O of the meta-learner.

A checkpoint is a folder with two files:

* ``weights.pt`` — a plain ``state_dict`` written by `torch.save` and read with
  ``torch.load(weights_only=True)`` (tensors only, no arbitrary pickle). It carries one extra
  tensor, ``_card_digest``: the SHA-256 of the model card's fields that decide how the
  weights are used (space, vocabulary, meta-features, architecture, tasks), so a card that
  was edited or belongs to other weights is refused.
* ``model_card.json`` — `REQUIRED_KEYS`: format and version, space id, op vocabulary,
  modality, meta-feature names and normalisation, embedding size, architecture
  hyper-parameters, training tasks with counts, training settings, validation metrics,
  library versions and the exact command.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from metanas.exceptions import CheckpointError
from metanas.resources import resolve_path
from metanas.tasks import TaskMetadata

from .embedder import MetaLearnerEmbedder
from .features import FeatureNormalizer
from .meta_learner import MetaLearner

__all__ = [
    "CARD_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "REQUIRED_KEYS",
    "WEIGHTS_FILE",
    "library_versions",
    "load_embedder",
    "read_card",
    "save_checkpoint",
]

CARD_FILE = "model_card.json"
WEIGHTS_FILE = "weights.pt"
FORMAT = "metanas-meta-learner"
FORMAT_VERSION = 1
REQUIRED_KEYS: tuple[str, ...] = (
    "format", "format_version", "space_id", "op_vocabulary", "meta_features", "embedding_dim",
    "architecture", "tasks", "training", "validation", "versions", "command",
)
_DIGEST_KEY = "_card_digest"
_DIGEST_FIELDS = ("space_id", "op_vocabulary", "meta_features", "embedding_dim", "architecture")


def library_versions() -> dict[str, str]:
    """Versions of the libraries a checkpoint depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("metanas", "torch", "torch_geometric", "lightning", "numpy"):
        try:
            out[name] = version(name.replace("_", "-"))
        except PackageNotFoundError:  # pragma: no cover - environment dependent
            out[name] = "unknown"
    return out


def _digest(card: Mapping[str, Any]) -> torch.Tensor:
    payload = {k: card[k] for k in _DIGEST_FIELDS}
    payload["task_ids"] = [t["task_id"] for t in card["tasks"]]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return torch.tensor(list(hashlib.sha256(text.encode()).digest()), dtype=torch.uint8)


def save_checkpoint(
    out_dir: str | os.PathLike,
    model: MetaLearner,
    normalizer: FeatureNormalizer,
    *,
    space_id: str,
    vocabulary: Sequence[str],
    tasks: Sequence[Mapping[str, Any]],
    training: Mapping[str, Any],
    validation: Mapping[str, Any],
    command: str,
) -> Path:
    """Write ``weights.pt`` and ``model_card.json`` into ``out_dir`` (created if needed).

    Args:
        out_dir: the checkpoint folder.
        model: the trained model.
        normalizer: meta-feature normalisation of the training tasks.
        space_id: the training space.
        vocabulary: its op vocabulary.
        tasks: one entry per training task in offset-table order: ``task`` (`TaskMetadata.to_dict`),
            ``task_id``, ``metric``, ``direction``, ``num_train``, ``num_val``.
        training: settings and summary (config, seed, epochs, seconds, excluded tasks...).
        validation: validation metrics (per-task Kendall tau and their mean).
        command: the exact command that made the checkpoint.

    Returns:
        The folder.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    card = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "space_id": space_id,
        "op_vocabulary": list(vocabulary),
        "meta_features": normalizer.to_dict(),
        "embedding_dim": int(model.hparams["dim"]),
        "architecture": dict(model.hparams),
        "tasks": [dict(t) for t in tasks],
        "training": dict(training),
        "validation": dict(validation),
        "versions": library_versions(),
        "command": command,
    }
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    state[_DIGEST_KEY] = _digest(card)
    torch.save(state, out / WEIGHTS_FILE)
    (out / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    return out


def read_card(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a checkpoint's model card.

    Raises:
        CheckpointError: the folder or card is missing, not JSON, lacks a key, or has another
            format or version.
    """
    folder = resolve_path(path)
    card_path = folder / CARD_FILE
    if not card_path.is_file():
        raise CheckpointError(
            f"no meta-learner checkpoint at {folder}: {CARD_FILE} not found (make one with `metanas train`)"
        )
    try:
        card = json.loads(card_path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{card_path} is not valid JSON: {exc}") from exc
    if not isinstance(card, dict):
        raise CheckpointError(f"{card_path} must hold a JSON object, got {type(card).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in card]
    if missing:
        raise CheckpointError(f"model card {card_path} lacks the key(s) {missing}; required: {list(REQUIRED_KEYS)}")
    if card["format"] != FORMAT:
        raise CheckpointError(f"{card_path}: 'format' must be {FORMAT!r}, got {card['format']!r}")
    if card["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{card_path}: checkpoint format version {card['format_version']!r} is not supported by this "
            f"version of metanas (which reads version {FORMAT_VERSION}); retrain with `metanas train`"
        )
    return card


def load_embedder(path: str | os.PathLike) -> MetaLearnerEmbedder:
    """Load a checkpoint folder as a `MetaLearnerEmbedder` (safe: tensors only).

    Raises:
        CheckpointError: missing files, a malformed or tampered card, or weights that do not
            fit the card.
    """
    folder = resolve_path(path)
    card = read_card(folder)
    weights_path = folder / WEIGHTS_FILE
    if not weights_path.is_file():
        raise CheckpointError(f"checkpoint {folder} lacks {WEIGHTS_FILE}")
    try:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt or unsafe files
        raise CheckpointError(f"{weights_path} could not be read as a tensors-only state dict: {exc}") from exc
    if not isinstance(state, dict) or _DIGEST_KEY not in state:
        raise CheckpointError(f"{weights_path} is not a metanas meta-learner state dict (no {_DIGEST_KEY!r})")
    try:
        expected = _digest(card)
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"model card of {folder} is malformed: {exc!r}") from exc
    if not torch.equal(state.pop(_DIGEST_KEY), expected):
        raise CheckpointError(
            f"model card of {folder} does not match its weights (edited, or copied from another checkpoint): "
            "its space, vocabulary, meta-features, architecture or task list differ from those the weights "
            "were saved with"
        )
    normalizer = FeatureNormalizer.from_dict(card["meta_features"])
    try:
        tasks = [TaskMetadata.from_dict(t["task"]) for t in card["tasks"]]
        model = MetaLearner(**card["architecture"])
        model.load_state_dict(state)
    except Exception as exc:
        raise CheckpointError(f"checkpoint {folder} could not be restored: {exc}") from exc
    return MetaLearnerEmbedder(model, normalizer, card["space_id"], card["op_vocabulary"], tasks, card)
