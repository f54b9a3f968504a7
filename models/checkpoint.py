"""Checkpoint I/O of the meta-learner.

A checkpoint is a folder with two files:

* ``weights.pt`` — a plain ``state_dict`` written by `torch.save` and read with
  ``torch.load(weights_only=True)`` (tensors only, no arbitrary pickle). It carries one extra
  tensor, ``_card_digest``: the SHA-256 of the whole model card (every field, in canonical
  JSON), so a card that was edited in any field (a task's metadata, metric or direction
  included) or belongs to other weights is refused. Format version 1 digested only some
  fields and is refused (retrain, or convert a card you trust with `upgrade_checkpoint`).
* ``model_card.json`` — `REQUIRED_KEYS`: format and version, space id, op vocabulary,
  modality, meta-feature names and normalisation, embedding size, architecture
  hyper-parameters, training tasks with counts, training settings, validation metrics,
  library versions and the exact command; optionally ``prior``: the nested leave-one-task-out
  decision whether the MLP prior from meta-features centres a new task's head prior
  (`training.prior`; a card without it never uses the MLP prior).
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
    "card_digest",
    "library_versions",
    "load_embedder",
    "read_card",
    "save_checkpoint",
    "upgrade_checkpoint",
]

CARD_FILE = "model_card.json"
WEIGHTS_FILE = "weights.pt"
FORMAT = "metanas-meta-learner"
FORMAT_VERSION = 2
REQUIRED_KEYS: tuple[str, ...] = (
    "format", "format_version", "space_id", "op_vocabulary", "meta_features", "embedding_dim",
    "architecture", "tasks", "training", "validation", "versions", "command",
)
_DIGEST_KEY = "_card_digest"


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


def card_digest(card: Mapping[str, Any]) -> torch.Tensor:
    """SHA-256 of the whole card (canonical JSON: sorted keys, no whitespace) as 32 ``uint8``.

    Every field counts, so editing any of them (a task's metadata, metric or direction, the
    training record, the versions, the command) changes the digest.

    Raises:
        TypeError: the card holds something JSON cannot encode.
    """
    return _sha256_tensor(json.dumps(card, sort_keys=True, separators=(",", ":")))


def _legacy_digest(card: Mapping[str, Any]) -> torch.Tensor:
    """Format version 1's digest: a few fields and the task ids only (`upgrade_checkpoint` checks it)."""
    fields = ("space_id", "op_vocabulary", "meta_features", "embedding_dim", "architecture")
    payload = {k: card[k] for k in fields}
    payload["task_ids"] = [t["task_id"] for t in card["tasks"]]
    return _sha256_tensor(json.dumps(payload, sort_keys=True, separators=(",", ":")))


def _sha256_tensor(text: str) -> torch.Tensor:
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
    prior: Mapping[str, Any] | None = None,
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
        prior: the nested leave-one-task-out decision on the MLP prior (``use_mlp_prior`` and
            its figures; `training.prior.nested_prior_decision`); ``None``: not recorded.

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
    if prior is not None:
        card["prior"] = dict(prior)
    card = json.loads(json.dumps(card))  # digest exactly what reading the file gives back (tuples, int keys)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    state[_DIGEST_KEY] = card_digest(card)
    torch.save(state, out / WEIGHTS_FILE)
    (out / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return out


def read_card(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a checkpoint's model card (not its digest: `load_embedder` checks that).

    Raises:
        CheckpointError: the folder or card is missing, unreadable, not UTF-8 JSON, lacks a key,
            or has another format or version.
    """
    card_path, card = _read_json(resolve_path(path))
    if card["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{card_path}: checkpoint format version {card['format_version']!r} is not supported by this "
            f"version of metanas (which reads version {FORMAT_VERSION}); retrain with `metanas train`"
            + (" (or, if you trust this card, convert it with metanas.models.checkpoint.upgrade_checkpoint)"
               if card["format_version"] == 1 else "")
        )
    return card


def _read_json(folder: Path) -> tuple[Path, dict[str, Any]]:
    """The card's path and content: a JSON object with `REQUIRED_KEYS` and the right ``format``."""
    card_path = folder / CARD_FILE
    if not card_path.is_file():
        raise CheckpointError(
            f"no meta-learner checkpoint at {folder}: {CARD_FILE} not found (make one with `metanas train`)"
        )
    try:
        card = json.loads(card_path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise CheckpointError(
            f"{card_path} is not UTF-8 text (a binary or corrupted file?); restore the checkpoint's "
            f"{CARD_FILE} or retrain with `metanas train`"
        ) from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{card_path} is not valid JSON: {exc}") from exc
    except OSError as exc:
        raise CheckpointError(f"{card_path} could not be read: {exc}") from exc
    if not isinstance(card, dict):
        raise CheckpointError(f"{card_path} must hold a JSON object, got {type(card).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in card]
    if missing:
        raise CheckpointError(f"model card {card_path} lacks the key(s) {missing}; required: {list(REQUIRED_KEYS)}")
    if card["format"] != FORMAT:
        raise CheckpointError(f"{card_path}: 'format' must be {FORMAT!r}, got {card['format']!r}")
    return card_path, card


def _read_state(folder: Path) -> dict[str, torch.Tensor]:
    """The tensors-only state dict of ``weights.pt``, digest included."""
    weights_path = folder / WEIGHTS_FILE
    if not weights_path.is_file():
        raise CheckpointError(f"checkpoint {folder} lacks {WEIGHTS_FILE}")
    try:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt or unsafe files
        raise CheckpointError(f"{weights_path} could not be read as a tensors-only state dict: {exc}") from exc
    if not isinstance(state, dict) or _DIGEST_KEY not in state:
        raise CheckpointError(f"{weights_path} is not a metanas meta-learner state dict (no {_DIGEST_KEY!r})")
    return state


def _check_digest(folder: Path, card: Mapping[str, Any], stored: torch.Tensor, digest=card_digest) -> None:
    try:
        expected = digest(card)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"model card of {folder} is malformed: {exc!r}") from exc
    if not torch.equal(stored, expected):
        raise CheckpointError(
            f"model card of {folder} does not match its weights (edited, or copied from another checkpoint): "
            f"some field of {CARD_FILE} (its tasks' metadata, metrics and directions included) differs from the "
            "card the weights were saved with; restore the original card or retrain with `metanas train`"
        )


def load_embedder(path: str | os.PathLike) -> MetaLearnerEmbedder:
    """Load a checkpoint folder as a `MetaLearnerEmbedder` (safe: tensors only).

    Raises:
        CheckpointError: missing files, a malformed card, a card edited in any field, or
            weights that do not fit the card.
    """
    folder = resolve_path(path)
    card = read_card(folder)
    state = _read_state(folder)
    _check_digest(folder, card, state.pop(_DIGEST_KEY))
    normalizer = FeatureNormalizer.from_dict(card["meta_features"])
    try:
        tasks = [TaskMetadata.from_dict(t["task"]) for t in card["tasks"]]
        model = MetaLearner(**card["architecture"])
        model.load_state_dict(state)
    except Exception as exc:
        raise CheckpointError(f"checkpoint {folder} could not be restored: {exc}") from exc
    return MetaLearnerEmbedder(model, normalizer, card["space_id"], card["op_vocabulary"], tasks, card)


def upgrade_checkpoint(path: str | os.PathLike) -> Path:
    """Convert a format-version-1 checkpoint in place to the current format (weights unchanged).

    Version 1's digest covered only the space, vocabulary, meta-features, architecture and
    task ids; that digest is checked first, then the card is re-stamped with the digest of
    all its fields. Edits that version 1 could not detect (a task's metadata, metric or
    direction, the training record) are blessed by the conversion: convert only cards you trust.

    Returns:
        The folder.

    Raises:
        CheckpointError: the checkpoint is unreadable, not version 1, or its card does not
            match its weights under version 1's digest.
    """
    folder = resolve_path(path)
    card_path, card = _read_json(folder)
    if card["format_version"] != 1:
        raise CheckpointError(f"{card_path}: upgrade_checkpoint converts format version 1, got "
                              f"{card['format_version']!r}")
    state = _read_state(folder)
    _check_digest(folder, card, state[_DIGEST_KEY], digest=_legacy_digest)
    card["format_version"] = FORMAT_VERSION
    state[_DIGEST_KEY] = card_digest(card)
    torch.save(state, folder / WEIGHTS_FILE)
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return folder
