"""`import_study`: a past Optuna study as history in the experiment database."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import optuna
from optuna.trial import TrialState

from metanas.integrations._params import codec_for
from metanas.integrations.optuna._study import (
    _FINISHED,
    _bind_space,
    _direction,
    _objective,
    _record_trial,
    _study_runs,
    _task_id,
    trial_graph,
)
from metanas.spaces import SearchSpace
from metanas.tasks import TaskMetadata

if TYPE_CHECKING:
    from metanas.db import ExperimentDatabase

__all__ = ["IMPORT_STRATEGY", "import_study"]

logger = logging.getLogger(__name__)

#: Strategy name of runs made by `import_study`.
IMPORT_STRATEGY = "optuna-import"


def import_study(storage: str | optuna.storages.BaseStorage, study_name: str, db: ExperimentDatabase, task: TaskMetadata | str,
                 space: SearchSpace | str | None = None, *, objective: str = "val_acc") -> int:
    """Bring a past Optuna study into the experiment database as history (one finished run).

    Completed trials become evaluations of the task's objective; failed and pruned ones are
    recorded with their flag metric (no score); RUNNING and WAITING trials (e.g. of a worker
    killed mid-trial) are left out, their count logged and kept in the run's config. Importing the same study again returns the
    existing run. Nothing is written when a completed trial does not match the space.

    Args:
        storage: the study's storage (URL or object).
        study_name: the study.
        db: the `ExperimentDatabase`.
        task: the study's task: the id of a task in ``db``, or a `TaskMetadata` (added with
            ``objective`` and the study's direction if missing).
        space: the study's space (``None``: the one recorded in the study).
        objective: metric name of the study's value when the task is added here.

    Returns:
        The run id.

    Raises:
        ConfigError: the study's parameters do not match the space, or the directions differ.
    """
    study = optuna.load_study(study_name=study_name, storage=storage)
    task_id = _task_id(task)
    if isinstance(task, TaskMetadata):
        db.add_task(task, objective=objective, direction=_direction(study))
    metric = _objective(db, study, task_id)
    codec = codec_for(_bind_space(study, space, write=False))
    existing = _study_runs(db, task_id, study_name, IMPORT_STRATEGY)
    if existing:
        logger.info("study %r is already imported on %r as run %d", study_name, task_id, existing[0].run_id)
        return existing[0].run_id
    trials = study.get_trials(deepcopy=False, states=_FINISHED)
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            trial_graph(codec, trial)
    unfinished = study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING))
    if unfinished:
        logger.warning("study %r: %d RUNNING / WAITING trial(s) left out of the import: %s", study_name,
                       len(unfinished), [t.number for t in unfinished][:10])
    config = {"optuna_study": study_name, "direction": _direction(study), "trials": len(trials),
              "left_out_unfinished": len(unfinished)}
    run_id = db.start_run(task_id, IMPORT_STRATEGY, space_id=codec.space.id, space=codec.space, config=config)
    try:
        for trial in trials:
            _record_trial(db, run_id, codec, metric, trial)
    except BaseException:
        db.finish_run(run_id, status="failed")
        raise
    db.finish_run(run_id, status="finished")
    return run_id
