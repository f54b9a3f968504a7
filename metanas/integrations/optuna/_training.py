"""`TrainingObjective`: the training evaluator of ``metanas search`` as an Optuna objective.

``metanas search --engine optuna`` runs it in every worker process: each worker loads the
data from its ``--data`` spec, trains the architecture the sampler suggests with the same
evaluator and training settings as ``metanas search`` itself, and returns the validation
accuracy. A failed evaluation (a network that does not build, a NaN loss, out of memory)
raises `EvaluationFailedError`: the trial is FAIL in Optuna, recorded in metanas as
``trial_failed`` plus ``failed_<reason>``, never as a score, and the worker goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import optuna

from metanas.exceptions import EvaluationFailedError
from metanas.integrations.optuna._suggest import METRICS_ATTR, suggest_architecture

if TYPE_CHECKING:
    from metanas.spaces import SearchSpace

__all__ = ["FAILURE_ATTR", "TrainingObjective", "training_evaluator"]

logger = logging.getLogger(__name__)

#: Trial user attribute of a failed evaluation: ``reason`` (one of `FAILURE_REASONS`) and ``detail``.
FAILURE_ATTR = "metanas_failure"


def training_evaluator(data: Any, space: SearchSpace | str, training: Mapping[str, Any] | None = None) -> Any:
    """The training evaluator ``metanas search`` uses for loaded ``data`` (its kind's, with ``training``)."""
    from metanas.pipeline import _evaluator_of
    from metanas.search import get_evaluator

    kind, name = _evaluator_of(data)
    return get_evaluator(name, data=data, space=space, config=(training or {}).get(kind))


class TrainingObjective:
    """Train the suggested architecture on data; return the evaluator's objective (``val_acc``).

    Args:
        data: the ``--data`` spec of ``metanas search`` (``PATH.npz``, ``sklearn:digits?...``,
            ``pyg:sbm?...``), loaded here, in the worker.
        space: the search space id.
        training: `TrainConfig` keys per data kind (``{"image": {...}, "graph": {...}}``).
        threads: torch threads while training (``None``: torch's default).

    Raises:
        ConfigError: bad data spec or training settings.
    """

    def __init__(self, data: str, space: str, training: Mapping[str, Any] | None = None,
                 threads: int | None = None) -> None:
        from metanas.networks._data import load_data
        from metanas.spaces import get_space

        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        self.space = get_space(space)
        self.evaluator = training_evaluator(load_data(data), self.space, training)
        self.direction: str = self.evaluator.direction

    def __call__(self, trial: optuna.trial.Trial) -> float:
        graph = suggest_architecture(trial, self.space)
        result = self.evaluator.evaluate(graph)
        if result.failure is not None:
            trial.set_user_attr(FAILURE_ATTR, {"reason": result.failure, "detail": str(result.detail)[:500]})
            raise EvaluationFailedError(f"trial {trial.number}: the evaluation failed ({result.failure}): "
                                        f"{str(result.detail)[:200]}")
        trial.set_user_attr(METRICS_ATTR, dict(result.metrics))
        return float(result.objective)
