"""Refinement of a new task's embedding from its first evaluations, as a search hook.

Once ``refine_after`` evaluations of the new task exist, `refine_task_vector`:

1. scores the observed architectures with every past task's learned embedding and measures
   how well each past task's ranking agrees with the observations (Kendall tau);
2. starts from the past tasks' embeddings weighted by ``softmax(tau / temperature)`` (the
   agreement signal that dataset statistics lack), mixed with the meta-feature prior;
3. takes a few gradient steps of the pairwise ranking loss on the observations, with an L2
   pull towards that start.

`RefinementHook` then injects the model's best-ranked architectures not yet evaluated into
the running strategy; the strategy interleaves them with its own proposals, so a wrong
model cannot stall the search. No database access here: the past tasks are the model's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.tasks import TaskMetadata
from metanas.validation import Direction

from .embedder import MetaLearnerEmbedder
from .losses import kendall_tau

if TYPE_CHECKING:
    from metanas.spaces import SearchSpace

__all__ = ["Refinement", "RefinementHook", "refine_task_vector"]

logger = logging.getLogger(__name__)

#: Ordered pairs of observations used per refinement at most (a seeded subsample beyond).
_MAX_PAIRS = 20_000


@dataclass(frozen=True)
class Refinement:
    """Outcome of one refinement.

    Attributes:
        vector: the refined task embedding ``[d]``.
        task_weights: past task id -> weight in the starting point (sums to 1).
        task_taus: past task id -> Kendall tau between its model scores and the observations.
        ranking: past task ids, best first (by weight).
        num_observations: observations used.
        fit_tau: Kendall tau of the refined vector's scores with the observations.
    """

    vector: np.ndarray
    task_weights: dict[str, float]
    task_taus: dict[str, float]
    ranking: list[str]
    num_observations: int
    fit_tau: float
    injected: list[ModelGraph] = field(default_factory=list)


def refine_task_vector(
    embedder: MetaLearnerEmbedder,
    task: TaskMetadata,
    past_task_ids: Sequence[str],
    graphs: Sequence[ModelGraph],
    values: Sequence[float],
    *,
    embeddings: np.ndarray | None = None,
    temperature: float = 0.1,
    prior_weight: float = 0.0,
    steps: int = 50,
    lr: float = 0.05,
    l2: float = 1.0,
) -> Refinement:
    """Re-estimate a task's embedding from observations (higher value = better).

    Args:
        embedder: the loaded meta-learner.
        task: the new task (its prior comes from meta-features).
        past_task_ids: past tasks to weigh (those the model was trained on are used).
        graphs: evaluated architectures.
        values: their outcomes, oriented so that higher is better.
        embeddings: the graphs' embeddings ``[n, d]`` if already known (else computed).
        temperature: softmax temperature over the past tasks' Kendall taus.
        prior_weight: share of the meta-feature prior in the starting point, in [0, 1].
        steps: gradient steps on the task vector (0: no fine-tuning).
        lr: Adam learning rate of those steps.
        l2: weight of ``||z - z0||^2 / ||z0||^2`` (keeps the vector near its start).

    Returns:
        The `Refinement`.

    Raises:
        ConfigError: fewer than 2 observations or a setting out of range.
    """
    if len(graphs) != len(values) or len(graphs) < 2:
        raise ConfigError(f"refinement needs at least 2 observations with one value each, got {len(graphs)}")
    if not 0.0 <= prior_weight <= 1.0:
        raise ConfigError(f"'prior_weight' must be in [0, 1], got {prior_weight}")
    if temperature <= 0:
        raise ConfigError(f"'temperature' must be > 0, got {temperature}")
    y = np.asarray(values, dtype=np.float64)
    emb = embedder.embed_architectures(graphs) if embeddings is None else np.asarray(embeddings)
    past = embedder.past_task_vectors(past_task_ids)
    prior = embedder.prior(task)
    scale = float(np.mean([np.linalg.norm(v) for v in past.values()])) if past else float(np.linalg.norm(prior))
    taus = {t: kendall_tau(emb @ v, y) for t, v in past.items()}
    if past:
        ids = list(past)
        logits = np.array([taus[t] for t in ids]) / temperature
        w = np.exp(logits - logits.max())
        w /= w.sum()
        weights = dict(zip(ids, map(float, w)))
        mix = sum(w_i * past[t] / (np.linalg.norm(past[t]) or 1.0) for t, w_i in zip(ids, w))
        start = (1 - prior_weight) * mix * scale + prior_weight * prior / (np.linalg.norm(prior) or 1.0) * scale
    else:
        weights, start = {}, prior
    z0 = torch.tensor(start, dtype=torch.float32)
    z = z0.clone().requires_grad_(True)
    if steps > 0:
        e = torch.tensor(emb, dtype=torch.float32)
        hi, lo = np.nonzero(y[:, None] > y[None, :])  # every ordered pair, computed once
        if len(hi) > _MAX_PAIRS:
            keep = np.random.default_rng(len(y)).choice(len(hi), _MAX_PAIRS, replace=False)
            hi, lo = hi[keep], lo[keep]
        diff = e[torch.from_numpy(hi)] - e[torch.from_numpy(lo)]  # score margin of a pair = diff @ z
        norm = float(z0.pow(2).sum()) or 1.0
        opt = torch.optim.Adam([z], lr=lr * (scale or 1.0))
        for _ in range(steps if len(hi) else 0):
            opt.zero_grad()
            loss = F.softplus(-(diff @ z)).mean() + l2 * (z - z0).pow(2).sum() / norm
            loss.backward()
            opt.step()
    vector = z.detach().numpy().astype(np.float64)
    ranking = sorted(weights, key=lambda k: -weights[k])
    return Refinement(vector, weights, taus, ranking, len(y), kendall_tau(emb @ vector, y))


class RefinementHook:
    """A `run_search` hook that refines the new task's embedding and injects candidates.

    Args:
        embedder: the loaded meta-learner (`models.checkpoint.load_embedder`).
        space: the search space (enumerable: candidates come from `space.enumerate`,
            unless ``candidate_pool`` is given).
        task: the new task.
        past_task_ids: past tasks to weigh.
        refine_after: evaluations before the first refinement (>= 2).
        every: refine again every ``every`` evaluations after that (``None``: once). The default
            (20, with ``inject=10``) keeps about half of the evaluations after the first
            refinement for the strategy's own proposals, as the strategy interleaves them.
        inject: candidates injected per refinement (>= 0).
        candidate_pool: architectures to rank instead of the whole space.
        temperature: option of `refine_task_vector`.
        prior_weight: option of `refine_task_vector`.
        steps: option of `refine_task_vector`.
        lr: option of `refine_task_vector`.
        l2: option of `refine_task_vector`.

    Attributes:
        history: one `Refinement` per refinement, in order.
    """

    def __init__(
        self,
        embedder: MetaLearnerEmbedder,
        space: SearchSpace,
        task: TaskMetadata,
        past_task_ids: Sequence[str],
        *,
        refine_after: int = 20,
        every: int | None = 20,
        inject: int = 10,
        candidate_pool: Sequence[ModelGraph] | None = None,
        temperature: float = 0.1,
        prior_weight: float = 0.0,
        steps: int = 50,
        lr: float = 0.05,
        l2: float = 1.0,
    ) -> None:
        if isinstance(refine_after, bool) or not isinstance(refine_after, int) or refine_after < 2:
            raise ConfigError(f"The 'refine_after' parameter of RefinementHook must be an int >= 2. Got {refine_after!r}.")
        if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
            raise ConfigError(f"The 'every' parameter of RefinementHook must be None or an int >= 1. Got {every!r}.")
        if isinstance(inject, bool) or not isinstance(inject, int) or inject < 0:
            raise ConfigError(f"The 'inject' parameter of RefinementHook must be an int >= 0. Got {inject!r}.")
        embedder.check(task, space.id)
        self.embedder = embedder
        self.space = space
        self.task = task
        self.past_task_ids = list(past_task_ids)
        self.refine_after = refine_after
        self.every = every
        self.inject = inject
        self.options = {"temperature": temperature, "prior_weight": prior_weight, "steps": steps, "lr": lr, "l2": l2}
        self._candidate_pool = list(candidate_pool) if candidate_pool is not None else None
        self._pool: tuple[list[ModelGraph], np.ndarray, dict[str, int]] | None = None
        self._obs: list[np.ndarray] = []
        self.history: list[Refinement] = []

    def _candidates(self) -> tuple[list[ModelGraph], np.ndarray, dict[str, int]]:
        if self._pool is None:
            if self._candidate_pool is None:
                graphs, keys, emb = self.embedder.space_embeddings(self.space)
            else:
                graphs = self._candidate_pool
                keys = [self.space.key(g) for g in graphs]
                emb = self.embedder.embed_architectures(graphs)
            self._pool = (graphs, emb, {k: i for i, k in enumerate(keys)})
        return self._pool

    def _observed_embeddings(self, graphs: Sequence[ModelGraph]) -> np.ndarray:
        """Embeddings of the evaluated graphs: new ones looked up in the pool by key, else encoded."""
        _, emb, index = self._candidates()
        new = graphs[len(self._obs):]
        rows = [index.get(self.space.key(g)) for g in new]
        missing = [g for g, r in zip(new, rows) if r is None]
        encoded = iter(self.embedder.embed_architectures(missing)) if missing else iter(())
        self._obs.extend(emb[r] if r is not None else next(encoded) for r in rows)
        return np.stack(self._obs[: len(graphs)])

    def _due(self, n: int) -> bool:
        if n < self.refine_after:
            return False
        if n == self.refine_after:
            return True
        return self.every is not None and (n - self.refine_after) % self.every == 0

    def __call__(self, event: Any) -> None:
        """Called by `run_search` after each evaluation."""
        n = event.step + 1
        if not self._due(n):
            return
        result = event.result
        sign = Direction(result.direction).sign
        graphs = [r.graph for r in result.evaluations]
        values = [sign * r.objective for r in result.evaluations]
        ref = refine_task_vector(self.embedder, self.task, self.past_task_ids, graphs, values,
                                 embeddings=self._observed_embeddings(graphs), **self.options)
        picked: list[ModelGraph] = []
        if self.inject:
            pool, emb, _ = self._candidates()
            order = np.argsort(-(emb @ ref.vector), kind="stable")
            strategy = event.strategy
            for i in order:
                g = pool[int(i)]
                if not strategy.is_seen(g):
                    picked.append(g)
                    if len(picked) == self.inject:
                        break
            strategy.inject(picked)
        self.history.append(Refinement(ref.vector, ref.task_weights, ref.task_taus, ref.ranking,
                                       ref.num_observations, ref.fit_tau, picked))
        logger.info("refinement after %d evaluations: past tasks %s (tau %s), fit tau %.2f, injected %d",
                    n, ref.ranking[:3], [round(ref.task_taus[t], 2) for t in ref.ranking[:3]], ref.fit_tau,
                    len(picked))

    @property
    def ranking(self) -> list[str]:
        """Past tasks by weight after the latest refinement (empty before the first)."""
        return self.history[-1].ranking if self.history else []
