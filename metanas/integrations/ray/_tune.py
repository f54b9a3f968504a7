"""A metanas space as a Ray Tune ``param_space``, its warm start as ``points_to_evaluate``, configs back to graphs.

Tune samples every parameter of a ``param_space`` in every trial, so a Tune config holds
all the names of the space's codec (`metanas.integrations.codec_for`), also those that a
given architecture does not use (NAS-Bench-Graph's ``op_4`` when ``op_1 .. op_3`` are all
``skip``, a DAG space's ops beyond ``num_nodes``). `config_to_graph` reads the active ones
and ignores the others, so every Tune config of the space decodes to one architecture;
`points_to_evaluate` gives complete configs (inactive names at their first choice).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from ray import tune

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.integrations._params import ParamCodec, ParamValue, codec_for
from metanas.integrations._record import task_id_of
from metanas.spaces import SearchSpace
from metanas.tasks import TaskMetadata

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase

__all__ = [
    "WarmStartPoints",
    "benchmark_trainable",
    "config_to_graph",
    "graph_to_config",
    "param_space",
    "points_to_evaluate",
]

logger = logging.getLogger(__name__)


def param_space(space: SearchSpace | str) -> dict[str, Any]:
    """The Tune ``param_space`` of a space: one ``tune.choice`` per codec parameter.

    Add other hyperparameters to the returned dict as usual (``{**param_space("nbg"), "lr": ...}``);
    `config_to_graph` ignores names that are not the space's.

    Raises:
        ConfigError: the space cannot be expressed as parameters (no codec).
    """
    return {name: tune.choice(list(choices)) for name, choices in codec_for(space).choices().items()}


def _architecture_params(codec: ParamCodec, config: Mapping[str, Any]) -> dict[str, Any]:
    names = codec.choices()
    arch = {k: v for k, v in config.items() if k in names}
    active = codec.expected_names(arch)
    return {k: v for k, v in arch.items() if k in active}


def config_to_graph(config: Mapping[str, Any], space: SearchSpace | str) -> ModelGraph:
    """The architecture of a Tune trial config (names that are not the space's, or inactive, are ignored).

    Raises:
        ConfigError: ``config`` is not a mapping, or a parameter of the space is missing or
            out of its choices (e.g. a ``param_space`` made for another space).
        InvalidArchitectureError: the parameters describe no architecture of the space.
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f"a Tune config must be a mapping name -> value, got {config!r:.80}")
    codec = codec_for(space)
    return codec.from_params(_architecture_params(codec, config))


def graph_to_config(graph: ModelGraph, space: SearchSpace | str) -> dict[str, ParamValue]:
    """A complete Tune config of ``graph``: its parameters, inactive names at their first choice."""
    codec = codec_for(space)
    params = codec.to_params(graph)
    return {name: params.get(name, choices[0]) for name, choices in codec.choices().items()}


@dataclass(frozen=True)
class WarmStartPoints:
    """The warm-started population as Tune configs, with where each came from.

    Attributes:
        task: the task id.
        space: the space id.
        points: complete Tune configs, in population order (pass them as a search
            algorithm's ``points_to_evaluate``).
        sources: one dict per point: ``index``, ``source`` (transfer / model / random),
            ``from_task``, ``score``, ``similarity``.
    """

    task: str
    space: str
    points: list[dict[str, ParamValue]]
    sources: list[dict[str, Any]]

    def __post_init__(self) -> None:
        if len(self.points) != len(self.sources):
            raise ConfigError(f"WarmStartPoints needs one source per point, got {len(self.points)} points and "
                              f"{len(self.sources)} sources")

    def __len__(self) -> int:
        return len(self.points)

    def counts(self) -> dict[str, int]:
        """Points per source."""
        out: dict[str, int] = {}
        for s in self.sources:
            out[s["source"]] = out.get(s["source"], 0) + 1
        return out

    def source_of(self, config: Mapping[str, Any]) -> dict[str, Any] | None:
        """Where the point with these architecture parameters came from (``None``: not a warm-start point)."""
        codec = codec_for(self.space)
        wanted = _architecture_params(codec, config)
        for point, source in zip(self.points, self.sources):
            if _architecture_params(codec, point) == wanted:
                return source
        return None


def points_to_evaluate(
    db: ExperimentDatabase,
    task: TaskMetadata | str,
    space: SearchSpace | str,
    population_size: int = 20,
    config: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
) -> WarmStartPoints:
    """The `WarmStarter` population of ``task`` as Tune ``points_to_evaluate``.

    Args:
        db: the `ExperimentDatabase` with the history.
        task: the new task (a `TaskMetadata`, or the id of a task in ``db``).
        space: the search space of the Tune ``param_space`` (`param_space`).
        population_size: members of the warm-started population (>= 1).
        config: `WarmStartConfig` keys (``None``: defaults).
        seed: seed of the warm start's random fill.

    Returns:
        The points (``.points``, for ``BasicVariantGenerator(points_to_evaluate=...)`` or any
        Tune search algorithm) with their sources (``.sources``).

    Raises:
        ConfigError: a warm-start setting is invalid, or the space has no codec.
        UnknownTaskError: ``task`` is an id that is not in ``db``.
    """
    from metanas.warm_start import WarmStarter

    task_meta = task if isinstance(task, TaskMetadata) else db.get_task(task_id_of(task))
    codec = codec_for(space)
    plan = WarmStarter(db, config).plan(task_meta, population_size, codec.space, np.random.default_rng(seed))
    points = [graph_to_config(m.graph, codec.space) for m in plan.members]
    sources = [{"index": i, "source": m.source, "from_task": m.task_id, "score": m.score,
                "similarity": m.similarity} for i, m in enumerate(plan.members)]
    logger.info("warm start of %r as %d Tune points: %s", task_meta.task_id, len(points), plan.counts())
    return WarmStartPoints(task_meta.task_id, codec.space.id, points, sources)


_EVALUATORS: dict[tuple[str, str], Any] = {}


def _evaluator(suite: str, task: str) -> Any:
    key = (suite, task)
    if key not in _EVALUATORS:
        from metanas.benchmarks import get_suite
        from metanas.search import BenchmarkEvaluator

        _EVALUATORS[key] = BenchmarkEvaluator(get_suite(suite).table(task))
    return _EVALUATORS[key]


def benchmark_trainable(suite: str, task: str) -> Callable[[dict[str, Any]], None]:
    """A Tune function trainable that looks the trial's architecture up in a benchmark table.

    It reports every metric of the table row (the task's objective among them, e.g.
    ``val_acc``) once. The table is loaded once per worker process.

    Args:
        suite: a registered benchmark suite (``"nasbench-graph"``, ``"nb201"``).
        task: a task of the suite (e.g. ``"nbg/cora"``).

    Raises:
        UnknownNameError: unknown suite or task (checked here, before Tune starts).
    """
    space = _evaluator(suite, task).table.space.id

    def trainable(config: dict[str, Any]) -> None:
        result = _evaluator(suite, task).evaluate(config_to_graph(config, space))
        tune.report({k: float(v) for k, v in result.metrics.items() if math.isfinite(float(v))})

    trainable.__name__ = f"benchmark_{task.replace('/', '_')}"
    return trainable
