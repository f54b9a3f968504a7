"""Training settings of the meta-learner: defaults, validation and a stable hash.

Settings are one flat mapping (the YAML in ``configs/train*.yaml`` holds the same keys).
Unknown keys and out-of-range values raise `ConfigError` naming the key.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from metanas.exceptions import ConfigError
from metanas.resources import read_yaml_mapping

__all__ = ["DEFAULT_CONFIG", "config_hash", "load_config", "resolve_config"]

#: Every setting with its default.
DEFAULT_CONFIG: dict[str, Any] = {
    # model
    "embedding_dim": 16,
    "hidden_dim": 64,
    "num_layers": 3,
    "conv": "gin",
    "task_hidden_dim": 32,
    "task_layers": 1,
    # objective
    "loss": "regression",
    "pair_weighting": "uniform",
    "listnet_temperature": 0.1,
    "offset_reg": 0.1,
    # optimisation
    "lr": 0.003,
    "weight_decay": 0.0001,
    "max_epochs": 60,
    "steps_per_epoch": 10,
    "archs_per_task": 128,
    "val_fraction": 0.15,
    "patience": 5,
    "min_evaluations": 10,
    # inputs of the task encoder: the landmark meta-features too (metanas.landmarks; opt-in)
    "landmark_features": False,
}

#: Settings added after checkpoints and fold manifests recorded `config_hash`es: left out of the
#: hash at these (their default) values, so that the hash of every config written before stays.
_HASH_NEUTRAL = {"landmark_features": False}

_INT_RANGES = {
    "embedding_dim": (1, 1024), "hidden_dim": (1, 4096), "num_layers": (1, 16), "task_hidden_dim": (1, 4096),
    "task_layers": (1, 8), "max_epochs": (1, 100_000), "steps_per_epoch": (1, 1_000_000),
    "archs_per_task": (2, 1_000_000), "patience": (1, 100_000), "min_evaluations": (2, 1_000_000),
}
_FLOAT_RANGES = {
    "listnet_temperature": (1e-6, 1e6), "offset_reg": (0.0, 1e6), "lr": (1e-8, 10.0),
    "weight_decay": (0.0, 10.0), "val_fraction": (0.0, 0.9),
}
_CHOICES = {"conv": ("gin", "gat"), "loss": ("regression", "pairwise", "listnet"), "pair_weighting": ("uniform", "difference")}


def resolve_config(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults overridden by ``config``, validated.

    Raises:
        ConfigError: an unknown key, or a value of the wrong type or out of range.
    """
    config = dict(config or {})
    unknown = sorted(set(config) - set(DEFAULT_CONFIG))
    if unknown:
        raise ConfigError(f"unknown training setting(s) {unknown}; valid keys: {sorted(DEFAULT_CONFIG)}")
    out = {**DEFAULT_CONFIG, **config}
    for key, (low, high) in _INT_RANGES.items():
        v = out[key]
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise ConfigError(f"The training setting {key!r} must be an int in [{low}, {high}]. Got {v!r} instead.")
    for key, (low, high) in _FLOAT_RANGES.items():
        v = out[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not low <= float(v) <= high:
            raise ConfigError(f"The training setting {key!r} must be a number in [{low}, {high}]. Got {v!r} instead.")
        out[key] = float(v)
    if not isinstance(out["landmark_features"], bool):
        raise ConfigError(f"The training setting 'landmark_features' must be true or false. Got "
                          f"{out['landmark_features']!r} instead.")
    for key, choices in _CHOICES.items():
        if out[key] not in choices:
            raise ConfigError(f"The training setting {key!r} must be one of {list(choices)}. Got {out[key]!r} instead.")
    return out


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 (16 hex chars) of the resolved settings: equal settings, equal hash."""
    resolved = {k: v for k, v in resolve_config(config).items() if k not in _HASH_NEUTRAL or v != _HASH_NEUTRAL[k]}
    text = json.dumps(resolved, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML training config (a mapping of settings) and validate it.

    Raises:
        ConfigError: the file is missing, not YAML, or holds invalid settings.
    """
    _, data = read_yaml_mapping(path, "training config")
    return resolve_config(data)
