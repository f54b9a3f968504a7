"""Learning from past tasks: one home for what the transfer search and the warm start read.

* `PastTask`, `history_from_db`: one past task's observations (higher is better), read from an
  `ExperimentDatabase`; `quantiles`: the one within-task quantile definition (scores are never
  compared across tasks).
* `CandidatePool`: every architecture of an enumerable space with its key and features, built
  once per space and process.
* `TaskRankers`: one extremely randomised tree ensemble per past task on its within-task
  quantiles; `TargetSurrogate`: a random forest on the new task's observations with the spread
  of its trees as uncertainty and out-of-bag predictions as its leave-one-out estimate.
* `rgpe_weights`: the ranking-weighted ensemble weights (Feurer et al., 2018) that decide, on the
  new task's own observations, how much each model is trusted.

Nothing here imports torch.
"""

from __future__ import annotations

from metanas.transfer._history import PastTask, as_past_tasks, history_from_db, quantiles
from metanas.transfer._pool import CandidatePool
from metanas.transfer._rgpe import rgpe_weights
from metanas.transfer._trees import TargetSurrogate, TaskRankers

__all__ = [
    "CandidatePool",
    "PastTask",
    "TargetSurrogate",
    "TaskRankers",
    "as_past_tasks",
    "history_from_db",
    "quantiles",
    "rgpe_weights",
]
