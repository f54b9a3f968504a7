"""Define-by-run architectures (`suggest_architecture`) and the table-lookup objective."""

from __future__ import annotations

from typing import TYPE_CHECKING

import optuna

from metanas.graph import ModelGraph
from metanas.integrations._params import codec_for
from metanas.spaces import SearchSpace

if TYPE_CHECKING:
    from metanas.benchmarks import BenchmarkTable

__all__ = ["METRICS_ATTR", "BenchmarkObjective", "suggest_architecture"]

#: Trial user attribute with extra metrics (name -> number) that the recording stores too.
METRICS_ATTR = "metanas_metrics"


def suggest_architecture(trial: optuna.trial.Trial, space: SearchSpace | str) -> ModelGraph:
    """Draw an architecture of ``space`` through ``trial.suggest_categorical``, one parameter per decision.

    The parameter names are the space's (`metanas.integrations.codec_for`); conditional
    ones (NAS-Bench-Graph's ``op_4_nonskip``, a DAG space's per-node parameters) are drawn
    only when they apply. An enqueued trial gets its fixed parameters back.

    Args:
        trial: the running Optuna trial.
        space: a `SearchSpace` or a registered space id.

    Returns:
        The architecture, validated in ``space``.

    Raises:
        ConfigError: the space cannot be expressed as parameters.
        optuna.TrialPruned: the drawn parameters form no architecture of the space (possible
            only in DAG spaces, e.g. a node without input); the reason is the message.
    """
    from metanas.exceptions import InvalidArchitectureError

    codec = codec_for(space)
    try:
        return codec.suggest(lambda name, choices: trial.suggest_categorical(name, list(choices)))
    except InvalidArchitectureError as exc:
        raise optuna.TrialPruned(f"the parameters form no architecture of space {codec.space.id!r}: {exc}") from exc


class BenchmarkObjective:
    """An Optuna objective that looks the suggested architecture up in a benchmark table.

    Returns the table's objective metric (create the study with ``direction=table.direction``)
    and stores every metric of the row in the trial's ``metanas_metrics`` user attribute.

    Args:
        table: a `BenchmarkTable` (``get_suite(...).table(task_id)``).
    """

    def __init__(self, table: BenchmarkTable) -> None:
        from metanas.search import BenchmarkEvaluator

        self.table = table
        self.evaluator = BenchmarkEvaluator(table)
        self.direction: str = table.direction

    def __call__(self, trial: optuna.trial.Trial) -> float:
        graph = suggest_architecture(trial, self.table.space)
        result = self.evaluator.evaluate(graph)
        trial.set_user_attr(METRICS_ATTR, dict(result.metrics))
        return result.objective
