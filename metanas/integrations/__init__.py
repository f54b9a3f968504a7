"""Integrations with the engines users already run their searches on.

* Space <-> engine parameters (no engine needed): `codec_for`, `to_params`, `from_params`,
  `register_codec` (`metanas.integrations._params`).
* Optuna (``pip install metanas[optuna]``): `metanas.integrations.optuna`, imported on
  first use: `suggest_architecture`, `warm_start_study`, `MetanasCallback`,
  `record_study`, `fail_stale_trials`, `import_study`, `MetanasSampler`, `BenchmarkObjective`, `run_workers`.
  Without Optuna installed, those names raise an `ImportError` that says what to install.
* Ray Tune (``pip install metanas[ray]``): `metanas.integrations.ray` (`param_space`,
  `points_to_evaluate`, `config_to_graph`, `benchmark_trainable`, `MetanasTuneCallback`);
  importing it without Ray raises an `ImportError` that says what to install.
"""

from __future__ import annotations

import importlib
from typing import Any

from metanas.integrations._params import ParamCodec, codec_for, from_params, register_codec, to_params

__all__ = [
    "OPTUNA_NAMES",
    "ParamCodec",
    "codec_for",
    "from_params",
    "register_codec",
    "require_optuna",
    "require_ray",
    "to_params",
]

#: Names re-exported lazily from `metanas.integrations.optuna`.
OPTUNA_NAMES = (
    "BenchmarkObjective",
    "MetanasCallback",
    "MetanasSampler",
    "fail_stale_trials",
    "import_study",
    "record_study",
    "run_workers",
    "suggest_architecture",
    "warm_start_study",
)


def require_optuna() -> Any:
    """Import and return the ``optuna`` module.

    Raises:
        ImportError: Optuna is not installed; the message gives the command that installs it.
    """
    try:
        return importlib.import_module("optuna")
    except ModuleNotFoundError as exc:
        if exc.name != "optuna":
            raise
        raise ImportError(
            "the Optuna integration of metanas needs Optuna >= 4, which is not installed; install it with "
            "`pip install metanas[optuna]` (or `pip install 'optuna>=4'`)"
        ) from exc


def require_ray() -> Any:
    """Import and return ``ray.tune`` (Ray Tune).

    Raises:
        ImportError: Ray (with its Tune extra) is not installed; the message gives the command that installs it.
    """
    try:
        return importlib.import_module("ray.tune")
    except ImportError as exc:  # Ray missing, or ray.tune's own check that a Tune dependency is missing
        what = "Ray is not installed" if getattr(exc, "name", None) == "ray" else f"importing ray.tune failed: {exc}"
        raise ImportError(
            f"the Ray Tune integration of metanas needs Ray Tune ({what}); install it with "
            "`pip install metanas[ray]` (or `pip install 'ray[tune]'`)"
        ) from exc


def __getattr__(name: str) -> Any:
    if name in OPTUNA_NAMES:
        module = importlib.import_module("metanas.integrations.optuna")
        return getattr(module, name)
    raise AttributeError(f"module 'metanas.integrations' has no attribute {name!r}")
