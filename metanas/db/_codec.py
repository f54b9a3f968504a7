"""Explicit encoding of domain objects into row values and decoding of rows back.

Nothing here touches a connection: the functions turn `TaskMetadata`, `ModelGraph`,
metric dicts and run configs into plain column values (validating them on the way in) and
rows back into domain objects (reporting malformed rows by table and id).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from numbers import Real
from typing import Any

from metanas.db._schema import COST_UNITS, RUN_STATUSES
from metanas.exceptions import DatabaseError, InvalidArchitectureError, InvalidTaskError
from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata, check_label
from metanas.validation import Direction

__all__ = [
    "EncodedGraph",
    "as_utc",
    "check_cost",
    "check_metric_name",
    "check_metrics",
    "check_status",
    "decode_config",
    "decode_graph",
    "decode_task",
    "encode_config",
    "encode_graph",
    "encode_task",
    "now_utc",
]

#: Longest metric name the schema stores.
MAX_METRIC_NAME = 64


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored timestamp as timezone-aware UTC (SQLite returns naive values)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


# --------------------------------------------------------------------------- tasks
def encode_task(task: TaskMetadata, objective: str, direction: str) -> dict[str, Any]:
    """Column values of the ``tasks`` row of ``task`` (``created_at`` excluded)."""
    if not isinstance(task, TaskMetadata):
        raise DatabaseError(f"add_task expects a TaskMetadata, got {type(task).__name__}")
    check_metric_name(objective, "objective")
    direction = Direction.parse(direction, "direction", error=DatabaseError).value
    d = task.to_dict()
    TaskMetadata.from_dict(d)  # the same checks on every backend, even for an instance changed after creation
    return {
        "task_id": d["task_id"],
        "dataset_name": d["dataset_name"],
        "num_samples": d["num_samples"],
        "num_classes": d["num_classes"],
        "input_size": None if d["input_size"] is None else _dumps(d["input_size"]),
        "problem_type": d["problem_type"],
        "meta_features": _dumps(d["meta_features"]),
        "objective": objective,
        "direction": direction,
    }


def decode_task(row: Any) -> TaskMetadata:
    """`TaskMetadata` of a ``tasks`` row (attribute access: ORM row or Core row)."""
    try:
        input_size = None if row.input_size is None else json.loads(row.input_size)
        meta = json.loads(row.meta_features)
        return TaskMetadata.from_dict(
            {
                "task_id": row.task_id,
                "dataset_name": row.dataset_name,
                "num_samples": row.num_samples,
                "num_classes": row.num_classes,
                "input_size": input_size,
                "problem_type": row.problem_type,
                "meta_features": meta,
            }
        )
    except (TypeError, ValueError, InvalidTaskError) as exc:
        raise DatabaseError(
            f"tasks row {row.id} (task {row.task_id!r}) is malformed and cannot be read: {exc}"
        ) from exc


# --------------------------------------------------------------------------- graphs
@dataclass(frozen=True)
class EncodedGraph:
    """Column values of an ``architectures`` row."""

    space_id: str
    identity: str
    canonical_hash: str
    graph: str


def encode_graph(graph: ModelGraph, space_id: str, canonical_hash: str) -> EncodedGraph:
    """Encode a graph already validated and tagged with ``space_id``."""
    return EncodedGraph(space_id, graph.identity, canonical_hash, graph.to_json())


def decode_graph(arch_id: int, space_id: str, text: str) -> ModelGraph:
    """`ModelGraph` of an ``architectures`` row, tagged with the row's space id.

    Raises:
        DatabaseError: the stored JSON is malformed or not an architecture; names the row.
    """
    try:
        data = json.loads(text)
        graph = ModelGraph.from_dict(data)
    except (TypeError, ValueError, InvalidArchitectureError) as exc:
        raise DatabaseError(
            f"architectures row {arch_id} (space {space_id!r}) holds malformed architecture JSON and cannot be "
            f"read: {exc}; the row must hold ModelGraph.to_json() output (repair or delete the row)"
        ) from exc
    return graph if graph.space_id == space_id else graph.with_space(space_id)


# --------------------------------------------------------------------------- metrics, cost
def check_metric_name(name: Any, what: str = "metric name") -> str:
    """Validate a metric name: a non-empty string of at most `MAX_METRIC_NAME` characters
    without control characters."""
    try:
        return check_label(name, what, MAX_METRIC_NAME)
    except ValueError as exc:
        raise DatabaseError(str(exc)) from None


def check_metrics(metrics: Any, where: str) -> dict[str, float]:
    """Validate a metric dict: names are strings, values finite real numbers.

    Args:
        metrics: mapping name -> value.
        where: what the metrics belong to, for messages (e.g. ``"evaluation 3 of the batch"``).

    Raises:
        DatabaseError: not a mapping, a bad name, or a value that is not a finite number.
    """
    if not isinstance(metrics, Mapping):
        raise DatabaseError(f"metrics of {where} must be a mapping name -> number, got {type(metrics).__name__}")
    out: dict[str, float] = {}
    for name, value in metrics.items():
        check_metric_name(name, f"metric name of {where}")
        if isinstance(value, bool) or not isinstance(value, Real):
            raise DatabaseError(f"metric {name!r} of {where} must be a finite number, got {value!r}")
        f = float(value)
        if not math.isfinite(f):
            raise DatabaseError(
                f"metric {name!r} of {where} must be a finite number, got {value!r}; record failed evaluations "
                "without that metric (or with a sentinel value) instead"
            )
        out[name] = f
    return out


def check_cost(cost: Any, cost_unit: Any) -> tuple[float | None, str]:
    """Validate an evaluation cost (``None`` or a finite number >= 0) and its unit."""
    if cost_unit not in COST_UNITS:
        raise DatabaseError(f"cost_unit must be one of {list(COST_UNITS)}, got {cost_unit!r}")
    if cost is None:
        return None, cost_unit
    if isinstance(cost, bool) or not isinstance(cost, Real) or not math.isfinite(float(cost)) or cost < 0:
        raise DatabaseError(f"cost must be None or a finite number >= 0 ({cost_unit}), got {cost!r}")
    return float(cost), cost_unit


def check_status(status: Any, *, terminal: bool) -> str:
    """Validate a run status (``terminal``: one that ends a run)."""
    allowed = RUN_STATUSES[1:] if terminal else RUN_STATUSES
    if status not in allowed:
        raise DatabaseError(f"run status must be one of {list(allowed)}, got {status!r}")
    return status


# --------------------------------------------------------------------------- configs
def encode_config(config: Mapping[str, Any] | None) -> str:
    """JSON text of a run config (``None`` -> ``{}``)."""
    if config is None:
        return "{}"
    if not isinstance(config, Mapping):
        raise DatabaseError(f"run config must be a dict or None, got {type(config).__name__}")
    try:
        return _dumps(dict(config))
    except (TypeError, ValueError) as exc:
        raise DatabaseError(
            f"run config must be JSON-serialisable (str keys; str, finite numbers, bools, None, lists, dicts): {exc}"
        ) from exc


def decode_config(run_id: int, text: str) -> dict[str, Any]:
    """Run config of a ``search_runs`` row."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise DatabaseError(f"search_runs row {run_id} holds malformed config JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise DatabaseError(f"search_runs row {run_id} config must be a JSON object, got {type(value).__name__}")
    return value

