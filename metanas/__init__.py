"""metanas: neural architecture search that starts where past searches left off.

Importing `metanas` stays light (no torch): the public names below are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "ModelGraph": "metanas.graph",
    "TaskMetadata": "metanas.tasks",
    "SearchSpace": "metanas.spaces",
    "get_space": "metanas.spaces",
    "ExperimentDatabase": "metanas.db",
    "WarmStarter": "metanas.warm_start",
    "get_suite": "metanas.benchmarks",
    "run_real_search": "metanas.pipeline",
    "SearchSettings": "metanas.pipeline",
}

__all__ = ["ExperimentDatabase", "ModelGraph", "SearchSettings", "SearchSpace", "TaskMetadata", "WarmStarter", "__version__", "get_space", "get_suite", "run_real_search"]  # = _LAZY + __version__ (tested)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'metanas' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
