"""Argument checks shared by the similarity metrics, diversity selection and the warm-starter.

Each check raises `ConfigError` (or `InvalidArchitectureError` for a non-graph among graphs)
with a message that names the argument, says what must hold and shows what came in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata

__all__ = ["check_choice", "check_graph_pair", "check_graphs", "check_int", "check_tasks", "check_unit"]


def check_unit(name: str, value: Any, *, allow_none: bool = False, open_low: bool = False) -> float | None:
    """A number in [0, 1] (``(0, 1]`` with ``open_low``), returned as a float.

    Args:
        name: the argument's name, for the message.
        value: what came in.
        allow_none: accept ``None`` (returned as is).
        open_low: exclude 0.

    Raises:
        ConfigError: not a number (booleans are refused) or out of range.
    """
    if value is None and allow_none:
        return None
    low = "(0" if open_low else "[0"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not (0.0 < float(value) <= 1.0 if open_low else 0.0 <= float(value) <= 1.0):
        extra = " or None" if allow_none else ""
        raise ConfigError(f"'{name}' must be a number in {low}, 1]{extra}, got {value!r}")
    return float(value)


def check_int(name: str, value: Any, minimum: int) -> int:
    """An integer >= ``minimum`` (booleans are refused).

    Raises:
        ConfigError: not an integer or below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"'{name}' must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    """One of ``allowed`` (a registry works too: it iterates over its names).

    Raises:
        ConfigError: not one of them; the message lists them.
    """
    choices = list(allowed)
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"'{name}' must be one of {choices}, got {value!r}")
    return value


def check_graphs(graphs: Any, name: str) -> list[ModelGraph]:
    """A sequence of `ModelGraph`, as a list.

    Raises:
        ConfigError: not a sequence (a single graph included).
        InvalidArchitectureError: an element is not a `ModelGraph`.
    """
    if isinstance(graphs, ModelGraph) or not isinstance(graphs, Sequence) or isinstance(graphs, (str, bytes)):
        raise ConfigError(f"'{name}' must be a sequence of ModelGraph, got {type(graphs).__name__}")
    out = list(graphs)
    for i, g in enumerate(out):
        if not isinstance(g, ModelGraph):
            raise InvalidArchitectureError(f"'{name}'[{i}] must be a ModelGraph, got {type(g).__name__}")
    return out


def check_graph_pair(graphs_a: Any, graphs_b: Any) -> tuple[list[ModelGraph], list[ModelGraph]]:
    """The two sides of a similarity matrix; ``graphs_b=None`` means ``graphs_a`` again.

    Raises:
        ConfigError: a side is not a sequence.
        InvalidArchitectureError: an element is not a `ModelGraph`.
    """
    a = check_graphs(graphs_a, "graphs_a")
    return a, (a if graphs_b is None else check_graphs(graphs_b, "graphs_b"))


def check_tasks(**tasks: Any) -> None:
    """Every keyword argument is a `TaskMetadata`.

    Raises:
        ConfigError: naming the first that is not.
    """
    for name, task in tasks.items():
        if not isinstance(task, TaskMetadata):
            raise ConfigError(f"'{name}' must be a TaskMetadata, got {type(task).__name__}")


