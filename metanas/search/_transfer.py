"""`TransferBO`: a ranking-weighted transfer surrogate search (RGPE) interleaved with
regularized evolution.

Past tasks enter only through their within-task ranking (`TaskRankers`); the new task's
own random forest (`TargetSurrogate`) joins them in an ensemble weighted by how well each
model ranks the new task's observations (`rgpe_weights`), so a past task that contradicts
the observations gets weight ~0 and the target model takes over when no past task agrees.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.search._base import check_int
from metanas.search._evolution import RegularizedEvolution
from metanas.spaces import SearchSpace
from metanas.transfer import (
    CandidatePool,
    PastTask,
    TargetSurrogate,
    TaskRankers,
    rgpe_weights,
)

__all__ = ["TransferBO", "informative_population"]

logger = logging.getLogger(__name__)

#: Orders of `TransferBO`'s designed first population (its ``design_order`` option).
DESIGN_ORDERS = ("exploit-first", "inform-first")


def informative_population(scores: np.ndarray, n: int, inform_share: float = 0.5,
                           top_fraction: float = 0.005) -> tuple[list[int], list[str]]:
    """Choose a first population from the past tasks' standardised scores of the candidates.

    The rule (issue 10, item 2):

    * **Informative half** (``round(inform_share * n)`` members): the past tasks take turns
      (round robin, in order); on its turn a task picks, among its own top
      ``top_fraction`` of the candidates (at least 10), the one not yet chosen with the
      largest *disagreement* ``score_t - mean(score of the other tasks)``: an architecture
      that is excellent if task t is the right past task and mediocre if the others are,
      so its observed score tells the candidate tasks apart (and the ranking weights learn
      from it) while staying a good bet under task t.
    * **Exploit half** (the rest): the best candidates by the mean standardised score over
      the past tasks (their consensus, what makes a plain mean-rank transfer work when the
      tasks agree), skipping those already chosen.

    With one past task the informative half has nothing to tell apart and takes that
    task's best (the disagreement is its own score).

    Args:
        scores: shape ``[T, N]``: standardised scores of ``N`` candidates by ``T >= 1`` past tasks.
        n: members to choose (at most ``N``).
        inform_share: share of the informative half, in [0, 1].
        top_fraction: share of each task's best candidates it picks from.

    Returns:
        Candidate indices (informative ones first) and each one's source
        (``"inform:<t>"`` with the task's row, or ``"exploit"``).
    """
    t, size = scores.shape
    n = min(n, size)
    n_inform = round(inform_share * n)
    chosen: list[int] = []
    sources: list[str] = []
    taken = np.zeros(size, dtype=bool)
    if t > 1:
        others = (scores.sum(axis=0, keepdims=True) - scores) / (t - 1)
        gap = scores - others
    else:
        gap = scores
    k = min(size, max(10, math.ceil(top_fraction * size)))
    tops = [np.argsort(-scores[i], kind="stable")[:k] for i in range(t)]
    turn = 0
    while len(chosen) < n_inform and turn < t * k:
        i = turn % t
        turn += 1
        cand = tops[i][~taken[tops[i]]]
        if not len(cand):
            continue
        pick = int(cand[np.argmax(gap[i, cand])])
        taken[pick] = True
        chosen.append(pick)
        sources.append(f"inform:{i}")
    for j in np.argsort(-scores.mean(axis=0), kind="stable"):
        if len(chosen) >= n:
            break
        if not taken[j]:
            taken[j] = True
            chosen.append(int(j))
            sources.append("exploit")
    return chosen, sources


def _stacked(features: np.ndarray, past: np.ndarray) -> np.ndarray:
    """Features with each past ranker's standardised score appended (``past``: ``[T, n]``)."""
    return np.hstack([features, past.T.astype(np.float32)]) if len(past) else features


class _Rows(Sequence):
    """A lazy view ``graphs[rows[i]]`` (avoids building a list of every candidate per refit)."""

    def __init__(self, graphs: Sequence[ModelGraph], rows: np.ndarray) -> None:
        self._graphs, self._rows = graphs, rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> ModelGraph:
        return self._graphs[int(self._rows[i])]


class TransferBO(RegularizedEvolution):
    """Transfer Bayesian optimisation over the space, alternating with regularized evolution.

    1. **First population** of ``population_size``: the given ``initial_population`` in
       order, then (with a history) a share ``design_share`` of the remaining slots chosen by
       `informative_population` (half to tell the past tasks apart, half their consensus,
       by default; the consensus members are asked first, ``design_order``), then random samples (all random without a history, as regularized
       evolution). The random members give the target model a view of the whole space
       when the past tasks mislead.
    2. **Afterwards** a share ``model_share`` of the asks comes from the model, the rest
       from aging evolution over everything told (`RegularizedEvolution`), so a wrong model
       cannot stall the search. The first ask after the population is a model ask.
    3. **Model asks**: after every ``max(batch_size, n // 10)`` new observations (``n``
       told so far; and when its queue is empty) the strategy refits the target surrogates
       (by default two forests: one on the architecture, one that also reads the past
       rankers' scores, ``stack_past``), recomputes the RGPE weights of the
       past-task rankers and the target models, scores every candidate not yet asked by UCB
       ``mean + kappa * sd`` of the weighted ensemble (past rankers are point predictions;
       the spread is the target forest's, times its weight) and queues the best ones; a
       share ``target_share`` of the model asks takes the target model's own UCB instead.
       Candidates: the whole space when it is enumerable (`CandidatePool`), else
       ``num_candidates`` samples and mutations of the best observed architectures.

    Deterministic given ``seed``; never asks an architecture twice (the base class checks).

    Args:
        space: the search space.
        seed: seed of every random choice (bootstrap, forests, evolution).
        initial_population: architectures asked first.
        history: the past tasks: `PastTask` records, a mapping ``task_id -> [(graph,
            value)]`` (higher is better), or fitted `TaskRankers` (shared across seeds);
            ``None`` or empty: a cold start (the target model alone).
        population_size / tournament_size: regularized evolution's settings.
        model_share: share of the asks after the first population that come from the
            model, in [0, 1].
        design_share: share of the first population (after ``initial_population``)
            designed from the history; the rest are random samples, in [0, 1].
        target_share: share of the model asks that follow the target model's own UCB
            instead of the ensemble's, in [0, 1] (a hedge against past tasks that rank the
            observations well but the new task's best region badly).
        batch_size: observations between refits (>= 1; at least a tenth of those told).
        inform_share: share of the designed first population chosen to tell the past tasks
            apart (`informative_population`), in [0, 1].
        design_order: ``"exploit-first"`` (default): the consensus members are asked before
            the informative ones; ``"inform-first"``: the reverse. The whole first
            population is told before the first refit, so the order changes what the model
            learns from only through evolution's aging; it decides how soon a consensus
            hit is found (the best bet under the past tasks goes first, as in a plain
            transfer).
        weight_focus: the RGPE weights' ``top_focus`` (`rgpe_weights`, >= 0): 0 counts every
            misranked pair of observations alike; larger values judge the past tasks by how
            well they rank the best observations.
        stack_past: ``"both"`` (default), ``True`` or ``False``. ``True``: the target
            surrogate also takes each past ranker's standardised score
            of an architecture as an input (stacking), so that the new task's own forest can
            learn which past task predicts its best region (RGPE's ranking loss favours the
            past task that ranks the bulk of the observations, which on NAS-Bench-Graph is
            often not the one that knows the top). The forest still fits only the new task's
            observations: past scores that do not predict them stay unused, and it keeps its
            place in the ensemble as the model of the new task. ``"both"``: two target
            forests, one on the architecture alone and one stacked, both in the RGPE ensemble,
            so that the new task's observations decide (by each forest's out-of-bag ranking
            loss) whether reading the past rankers helps on this task; the target-only asks
            mix the two by their weights. ``False``: the plain forest alone (the default
            before ``"both"``: stacking alone wins where a past task knows the new task's top
            and loses where none does, NAS-Bench-Graph's cora and pubmed; the README's
            transfer section has the figures).
        kappa: UCB exploration weight (>= 0).
        n_estimators: trees of the target forest; ``ranker_estimators``: of each past ranker.
        num_candidates: candidates scored per refit when the space is not enumerable.
        bootstrap_samples: RGPE bootstrap samples; ``max_weight_observations``: newest
            observations used for the weights at most.

    Raises:
        ConfigError: a setting is out of range (the message names it).
    """

    name = "transfer-bo"
    uses_history = True

    def __init__(self, space: SearchSpace | str, seed: int, initial_population: Sequence[ModelGraph] | None = None,
                 *, history: Sequence[PastTask] | Mapping[str, Sequence] | TaskRankers | None = None,
                 population_size: int = 20, tournament_size: int = 5, model_share: float = 2 / 3,
                 target_share: float = 0.5, design_share: float = 0.5,
                 batch_size: int = 10, inform_share: float = 0.5, kappa: float = 1.0, n_estimators: int = 16,
                 ranker_estimators: int = 64, num_candidates: int = 2000, bootstrap_samples: int = 256,
                 max_weight_observations: int = 300, design_order: str = "exploit-first",
                 weight_focus: float = 0.0, stack_past: bool | str = "both") -> None:
        owner = type(self).__name__
        if not (isinstance(stack_past, bool) or stack_past == "both"):
            raise ConfigError(f"The 'stack_past' parameter of {owner} must be true, false or 'both'. "
                              f"Got {stack_past!r} instead.")
        self.stack_past = stack_past
        if design_order not in DESIGN_ORDERS:
            raise ConfigError(f"The 'design_order' parameter of {owner} must be one of {list(DESIGN_ORDERS)}. "
                              f"Got {design_order!r} instead.")
        self.design_order = design_order
        for key, value in (("model_share", model_share), ("target_share", target_share), ("design_share", design_share),
                           ("inform_share", inform_share)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"The {key!r} parameter of {owner} must be a float in [0, 1]. Got {value!r} instead.")
        for key, value in (("kappa", kappa), ("weight_focus", weight_focus)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ConfigError(f"The {key!r} parameter of {owner} must be a float >= 0. Got {value!r} instead.")
        self.weight_focus = float(weight_focus)
        self.batch_size = check_int(batch_size, "batch_size", owner, 1)
        self.n_estimators = check_int(n_estimators, "n_estimators", owner, 1)
        self.ranker_estimators = check_int(ranker_estimators, "ranker_estimators", owner, 1)
        self.num_candidates = check_int(num_candidates, "num_candidates", owner, 1)
        self.bootstrap_samples = check_int(bootstrap_samples, "bootstrap_samples", owner, 1)
        self.max_weight_observations = check_int(max_weight_observations, "max_weight_observations", owner, 2)
        self.model_share, self.inform_share, self.kappa = float(model_share), float(inform_share), float(kappa)
        self.target_share, self.design_share = float(target_share), float(design_share)
        super().__init__(space, seed, initial_population, population_size=population_size,
                         tournament_size=tournament_size)
        self.pool = CandidatePool.for_space(self.space)
        if isinstance(history, TaskRankers):
            if history.space.id != self.space.id or (self.pool is not None and history.pool is not self.pool):
                raise ConfigError(f"{owner}: the fitted TaskRankers are for space {history.space.id!r} and another "
                                  f"candidate pool; fit them with space {self.space.id!r} and "
                                  "CandidatePool.for_space(space)")
            self.rankers = history
        else:
            self.rankers = TaskRankers(self.space, history or [], seed=self.seed, n_estimators=self.ranker_estimators,
                                       pool=self.pool)
        self._obs_graphs: list[ModelGraph] = []
        self._obs_values: list[float] = []
        self._queues: tuple[deque[ModelGraph], deque[ModelGraph]] = (deque(), deque())  # ensemble, target
        self._target_credit = 0.0
        self._fitted_at = -1
        self._credit = 1.0 - self.model_share  # the first ask after the population is a model ask
        #: After each refit: ``{"observations": n, "weights": {task_id or "target": weight}}``.
        self.weight_history: list[dict[str, Any]] = []
        self.design: tuple[ModelGraph, ...] = ()
        self.design_sources: tuple[str, ...] = ()
        if len(self.rankers) and self._fill > 0:
            self._design_population(round(self.design_share * self._fill))

    @property
    def config(self) -> dict[str, Any]:
        return {**super().config, "model_share": self.model_share, "target_share": self.target_share, "design_share": self.design_share, "batch_size": self.batch_size,
                "inform_share": self.inform_share, "kappa": self.kappa, "n_estimators": self.n_estimators,
                "ranker_estimators": self.ranker_estimators, "num_candidates": self.num_candidates,
                "bootstrap_samples": self.bootstrap_samples,
                "max_weight_observations": self.max_weight_observations, "design_order": self.design_order,
                "weight_focus": self.weight_focus, "stack_past": self.stack_past,
                "past_tasks": list(self.rankers.task_ids)}

    # ------------------------------------------------------------------ first population
    def _design_population(self, n: int) -> None:
        if self.pool is not None:
            graphs, scores = self.pool.graphs, self.rankers.pool_scores
        else:  # the past tasks' own observations are the candidates
            seen: dict[str, ModelGraph] = {}
            for task in self.rankers.tasks:
                for g in task.graphs:
                    seen.setdefault(self._keys[g], g)
            graphs = list(seen.values())
            scores = self.rankers.score(self.space.features(graphs)) if graphs else None
        if scores is None or not len(graphs):
            return
        given = {self._keys[g] for g in self.initial_population}
        keys = self.pool.keys if self.pool is not None else [self._keys[g] for g in graphs]
        free = np.array([k not in given for k in keys], dtype=bool)
        rows = np.flatnonzero(free)
        picks, sources = informative_population(scores[:, rows], n, self.inform_share)
        if self.design_order == "exploit-first":  # stable: each half keeps its own order
            order = sorted(range(len(picks)), key=lambda i: sources[i] != "exploit")
            picks, sources = [picks[i] for i in order], [sources[i] for i in order]
        self.design = tuple(graphs[int(rows[i])] for i in picks)
        self.design_sources = tuple(
            s if s == "exploit" else f"inform:{self.rankers.task_ids[int(s.split(':')[1])]}" for s in sources)
        self._initial.extend(self.design)
        self._fill -= len(self.design)

    # ------------------------------------------------------------------ proposals
    def _evolve(self) -> ModelGraph:
        self._credit += self.model_share
        if self._credit >= 1.0 - 1e-9 and len(self._obs_values) >= 2:
            self._credit -= 1.0
            graph = self._model_proposal()
            if graph is not None:
                return graph
        return self._mutate_winner() if self._population else self._sample_unseen()

    def _model_proposal(self) -> ModelGraph | None:
        n = len(self._obs_values)
        self._target_credit += self.target_share
        which = 0
        if self._target_credit >= 1.0 - 1e-9:
            self._target_credit -= 1.0
            which = 1
        queue = self._queues[which]
        if not queue or n - self._fitted_at >= max(self.batch_size, n // 10):
            self._refit()
        while queue:
            graph = queue.popleft()
            if not self.is_seen(graph):
                return graph
        return None

    def _refit(self) -> None:
        from threadpoolctl import threadpool_limits

        # Small matrix products: BLAS threads only contend (10x slower on a loaded 2-core host).
        with threadpool_limits(limits=1, user_api="blas"):
            self._refit_models()

    def _target_inputs(self) -> tuple[bool, ...]:
        """Per target model: whether it reads the past rankers' scores (``stack_past``)."""
        if not len(self.rankers) or not self.stack_past:
            return (False,)
        return (False, True) if self.stack_past == "both" else (True,)

    def _refit_models(self) -> None:
        n = len(self._obs_values)
        self._fitted_at = n
        values = np.asarray(self._obs_values)
        obs_features, past_at_obs = self._observed_scores()
        stacks = self._target_inputs()
        targets = [TargetSurrogate(self.n_estimators, int(self._rng.integers(0, 2**31))) for _ in stacks]
        loos = [target.fit(_stacked(obs_features, past_at_obs) if stack else obs_features, values)
                for target, stack in zip(targets, stacks)]
        recent = np.arange(max(0, n - self.max_weight_observations), n)
        preds = np.vstack([past_at_obs[:, recent], *(loo[None, recent] for loo in loos)])
        weights = rgpe_weights(preds, values[recent], self._rng, num_samples=self.bootstrap_samples,
                               top_focus=self.weight_focus, num_targets=len(targets))
        names = ["target"] if len(targets) == 1 else ["target", "target-stacked"]
        self.weight_history.append({"observations": n, "weights": dict(
            zip([*self.rankers.task_ids, *names], (round(float(w), 4) for w in weights)))})
        logger.debug("%s: weights after %d observations: %s", self.name, n, self.weight_history[-1]["weights"])
        cand_graphs, cand_features, cand_past = self._candidates()
        for queue in self._queues:
            queue.clear()
        if not len(cand_graphs):
            return
        own = np.zeros(len(cand_graphs))  # the target models' UCB, weighted by their ensemble weights
        mix = np.zeros(len(cand_graphs))  # the same, the target models' weights normalised to sum 1
        w_past, w_targets = weights[:len(self.rankers)], weights[len(self.rankers):]
        shares = w_targets / w_targets.sum() if w_targets.sum() > 0 else np.full(len(targets), 1.0 / len(targets))
        for target, stack, w, share in zip(targets, stacks, w_targets, shares):
            mean, sd = target.predict(_stacked(cand_features, cand_past) if stack else cand_features)
            scale = float(mean.std()) or 1.0
            ucb = (mean - mean.mean()) / scale + self.kappa * (sd / scale)
            own += w * ucb
            mix += share * ucb
        k = max(1, math.ceil(self.batch_size * self.model_share)) + 2
        ensemble, target_only = self._queues
        if len(cand_past):  # the ensemble's asks: the past rankers too
            own = own + w_past @ cand_past
        for queue, acquisition in ((ensemble, own), (target_only, mix)):
            queue.extend(cand_graphs[int(i)] for i in np.argsort(-acquisition, kind="stable")[:k])

    def _observed_scores(self) -> tuple[np.ndarray, np.ndarray]:
        if self.pool is not None:
            idx = np.array([self.pool.index[self._keys[g]] for g in self._obs_graphs])
            past = self.rankers.pool_scores[:, idx] if len(self.rankers) else np.zeros((0, len(idx)))
            return self.pool.features[idx], past
        features = self.space.features(self._obs_graphs)
        return features, self.rankers.score(features)

    def _candidates(self) -> tuple[Sequence[ModelGraph], np.ndarray, np.ndarray]:
        """Candidates not yet asked: their graphs, features and standardised past scores."""
        if self.pool is not None:
            seen = [self.pool.index[k] for k in (*self._evaluated, *self._pending) if k in self.pool.index]
            mask = np.ones(len(self.pool), dtype=bool)
            mask[seen] = False
            rows = np.flatnonzero(mask)
            past = self.rankers.pool_scores[:, rows] if len(self.rankers) else np.zeros((0, len(rows)))
            return _Rows(self.pool.graphs, rows), self.pool.features[rows], past
        order = np.argsort(-np.asarray(self._obs_values), kind="stable")[:10]
        parents = [self._obs_graphs[int(i)] for i in order]
        found: dict[str, ModelGraph] = {}
        for i in range(self.num_candidates):
            g = self.space.mutate(parents[i % len(parents)], self._rng) if i % 2 == 0 else self.space.sample(self._rng)
            key = self._keys[g]
            if key not in found and not self.is_seen(g):
                found[key] = g
        graphs = list(found.values())
        if not graphs:
            return [], np.zeros((0, 0)), np.zeros((0, 0))
        features = self.space.features(graphs)
        return graphs, features, self.rankers.score(features)

    def _on_tell(self, graph: ModelGraph, value: float) -> None:
        super()._on_tell(graph, value)
        self._obs_graphs.append(graph)
        self._obs_values.append(value)
