"""The seams of the transfer: what a learned architecture embedding gives the Bayesian surrogate.

`ArchitectureEmbedding` is the interface between the meta-learner (`metanas.models`, trained
offline on the history; torch) and the search (`metanas.transfer`, `metanas.search`; numpy):
an embedding ``e_a`` of every architecture and one linear head ``w_t`` per past task such that
``<w_t, e_a>`` predicts ``a``'s within-task standardised score on ``t`` (`normal_scores`).
A new task gets a Gaussian prior over its head from the past heads (`head_prior`) and the
exact conjugate posterior from its own observations (`BayesianHead.condition`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata

__all__ = ["ArchitectureEmbedding"]


@runtime_checkable
class ArchitectureEmbedding(Protocol):
    """An architecture embedding with one linear head per past task.

    Attributes:
        dim: embedding size ``d``.
        past_task_ids: the past tasks, in the order of ``past_heads``' rows.
        past_heads: ``[T, d]`` heads; ``embed(graphs) @ past_heads[t]`` predicts the
            standardised scores of the architectures on past task ``t``.
    """

    dim: int
    past_task_ids: tuple[str, ...]
    past_heads: np.ndarray

    def embed(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """``[len(graphs), d]`` float embeddings (deterministic; graphs valid in the space searched)."""
        ...

    def prior_mean(self, task: TaskMetadata | None) -> np.ndarray | None:
        """A ``[d]`` prior mean for a new task's head from its meta-features (the meta-learner's
        task encoder), or ``None`` when the model has none for it (the past heads' mean is used)."""
        ...
