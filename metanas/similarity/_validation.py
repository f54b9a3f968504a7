"""Graph and task argument checks shared by the similarity metrics (numbers and choices: `metanas.validation`).

Each check raises `ConfigError` (or `InvalidArchitectureError` for a non-graph among graphs)
with a message that names the argument, says what must hold and shows what came in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata

__all__ = ["check_graph_pair", "check_graphs", "check_tasks"]


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


