"""Learning from past tasks: one home for what the transfer search and the warm start read.

* `PastTask`, `history_from_db`: one past task's observations (higher is better), read from an
  `ExperimentDatabase`; `quantiles`: the one within-task quantile definition (scores are never
  compared across tasks).
* `CandidatePool`: every architecture of an enumerable space with its key and features, built
  once per space and process.
* `TaskRankers`: one extremely randomised tree ensemble per past task on its within-task
  quantiles; `TargetSurrogate`: a random forest on the new task's observations with the spread
  of its trees as uncertainty and out-of-bag predictions as its leave-one-out estimate.
* `BayesianHead`, `head_prior`: the conjugate Bayesian linear head of the learned surrogate
  (adaptive Bayesian linear regression) over an `ArchitectureEmbedding` (the meta-learner's
  architecture encoder with one linear head per past task); `normal_scores`: its within-task
  standardised targets.
* `BayesianSurrogate`: the Bayesian head over an embedding with the prior from the past heads,
  its exact posterior on the new task's observations and the predictive of every candidate;
  `RidgeEmbedding`: the embedding on the space's own encoding (no meta-learner needed).
* `InitialDesign`: the one owner of a search's first population (`InformativeDesign`,
  `MeanRankDesign`, `PriorPredictiveDesign`, `SimilarTaskDesign`).
* `rgpe_weights`: the ranking-weighted ensemble weights (Feurer et al., 2018) that decide, on the
  new task's own observations, how much each model is trusted.

Nothing here imports torch.
"""

from __future__ import annotations

from metanas.transfer._base import ArchitectureEmbedding
from metanas.transfer._bayes import BayesianHead, head_prior
from metanas.transfer._design import (
    DESIGN_ORDERS,
    DesignPlan,
    InformativeDesign,
    InitialDesign,
    MeanRankDesign,
    PriorPredictiveDesign,
    SimilarTaskDesign,
    informative_population,
)
from metanas.transfer._history import PastTask, as_past_tasks, history_from_db, normal_scores, quantiles
from metanas.transfer._pool import CandidatePool
from metanas.transfer._rgpe import rgpe_weights
from metanas.transfer._surrogate import BayesianSurrogate, Prediction, RidgeEmbedding
from metanas.transfer._trees import TargetSurrogate, TaskRankers

__all__ = [
    "DESIGN_ORDERS",
    "ArchitectureEmbedding",
    "BayesianHead",
    "BayesianSurrogate",
    "CandidatePool",
    "DesignPlan",
    "InformativeDesign",
    "InitialDesign",
    "MeanRankDesign",
    "PastTask",
    "Prediction",
    "PriorPredictiveDesign",
    "RidgeEmbedding",
    "SimilarTaskDesign",
    "TargetSurrogate",
    "TaskRankers",
    "as_past_tasks",
    "head_prior",
    "history_from_db",
    "informative_population",
    "normal_scores",
    "quantiles",
    "rgpe_weights",
]
