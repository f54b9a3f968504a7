"""`TrainConfig`: how a training evaluator trains every architecture (validated; YAML in ``configs/``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from metanas.exceptions import ConfigError
from metanas.resources import dataclass_from_mapping, read_yaml_mapping
from metanas.validation import check_choice, check_int

__all__ = ["OPTIMIZERS", "TrainConfig"]

OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainConfig:
    """Training settings of an evaluator.

    Attributes:
        epochs: passes over the training data (>= 1).
        batch_size: images or table rows per step (graphs train full-batch).
        optimizer: ``sgd`` (Nesterov momentum) or ``adam``.
        lr: learning rate (> 0), annealed to 0 by a cosine schedule over the epochs.
        momentum: SGD momentum in [0, 1).
        weight_decay: L2 penalty (>= 0).
        val_fraction: share of the samples held out for validation (the objective).
        test_fraction: share held out for the test metric.
        split_seed: seed of the fixed train/validation/test split.
        seed: seed of weight initialisation and batch order (per architecture the same).
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
        progress: show a per-epoch progress bar.
        network: options of the network builder (e.g. ``C``, ``N`` for ``nb201``; ``dim``,
            ``preset`` for ``nbg``; ``width``, ``N``, ``dropout`` for ``mlp``).

    Raises:
        ConfigError: a value out of range; the message names the key.
    """

    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    split_seed: int = 0
    seed: int = 0
    device: str = "auto"
    progress: bool = False
    network: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in ("epochs", "batch_size"):
            check_int(getattr(self, key), key, low=1)
        for key in ("split_seed", "seed"):
            check_int(getattr(self, key), key, low=0)
        _num("lr", self.lr, 0.0, None, low_open=True)
        _num("momentum", self.momentum, 0.0, 1.0, high_open=True)
        _num("weight_decay", self.weight_decay, 0.0, None)
        for key in ("val_fraction", "test_fraction"):
            _num(key, getattr(self, key), 0.0, 1.0, low_open=True, high_open=True)
        if self.val_fraction + self.test_fraction >= 1.0:
            raise ConfigError(
                f"'val_fraction' + 'test_fraction' must be < 1 (some data must train), got "
                f"{self.val_fraction} + {self.test_fraction}"
            )
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)
        check_choice(self.device, "device", DEVICES)
        if not isinstance(self.progress, bool):
            raise ConfigError(f"'progress' must be true or false, got {self.progress!r}")
        if not isinstance(self.network, Mapping) or not all(isinstance(k, str) for k in self.network):
            raise ConfigError(f"'network' must be a mapping of builder options, got {self.network!r}")
        object.__setattr__(self, "network", dict(self.network))

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any] | TrainConfig | None) -> TrainConfig:
        """Build from a dict; unknown keys raise `ConfigError` listing the known ones."""
        if isinstance(config, TrainConfig):
            return config
        return dataclass_from_mapping(cls, config, "training config", "{'epochs': 5}")

    @classmethod
    def from_yaml(cls, path: str | Path, section: str) -> TrainConfig:
        """Read ``training.<section>`` (``image``, ``graph`` or ``tabular``) of a YAML file.

        Raises:
            ConfigError: the file is missing or malformed, or the section holds invalid keys.
        """
        p, data = read_yaml_mapping(path, "search config file")
        training = data.get("training", {})
        if not isinstance(training, Mapping):
            raise ConfigError(f"{p}: 'training' must be a mapping with the sections 'image' and 'graph'")
        return cls.from_mapping(training.get(section))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings."""
        return asdict(self)


def _num(key: str, v: Any, low: float, high: float | None, *, low_open: bool = False, high_open: bool = False) -> None:
    ok = not isinstance(v, bool) and isinstance(v, (int, float))
    if ok:
        ok = (v > low if low_open else v >= low) and (high is None or (v < high if high_open else v <= high))
    if not ok:
        lo, hi = "(" if low_open else "[", ")" if high_open or high is None else "]"
        raise ConfigError(f"'{key}' must be a number in {lo}{low}, {'inf' if high is None else high}{hi}, got {v!r}")
