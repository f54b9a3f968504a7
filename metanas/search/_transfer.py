"""`TransferBO`: a ranking-weighted transfer surrogate search (RGPE) interleaved with
regularized evolution.

The strategy composes parts of `metanas.transfer`: a surrogate (the past tasks' tree rankers
with target forests, the `BayesianSurrogate` over an architecture embedding, or both), an
acquisition (`UpperConfidenceBound`), and an `InitialDesign` that owns the first population;
the rest of the asks come from aging evolution (`RegularizedEvolution`).

Past tasks enter only through their within-task ranking (`TaskRankers`) or through their heads
over an embedding (`BayesianSurrogate`'s prior); the new task's own models (a random forest,
`TargetSurrogate`, and the flat-prior Bayesian twin) join them in an ensemble weighted by how
well each model ranks the new task's observations (`rgpe_weights`), so a past task that
contradicts the observations gets weight ~0 and the target models take over when no past task
agrees. With a Bayesian surrogate the strategy also falls back to its cold form when the
history misleads (`TransferBO.info`).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from metanas.exceptions import ConfigError
from metanas.graph import ModelGraph
from metanas.search._evolution import RegularizedEvolution
from metanas.spaces import SearchSpace
from metanas.tasks import TaskMetadata
from metanas.transfer import (
    ArchitectureEmbedding,
    BayesianSurrogate,
    CandidatePool,
    InformativeDesign,
    InitialDesign,
    PastTask,
    PriorPredictiveDesign,
    RidgeEmbedding,
    TargetSurrogate,
    TaskRankers,
    as_past_tasks,
    informative_population,
    rgpe_weights,
)
from metanas.validation import check_int, check_unit

__all__ = ["SURROGATES", "TransferBO", "UpperConfidenceBound", "informative_population"]

logger = logging.getLogger(__name__)

#: The surrogates of `TransferBO` (its ``surrogate`` option).
SURROGATES = ("trees", "learned", "both")
#: Observations before the history's evidence is judged (fewer say little either way).
FALLBACK_MIN_OBSERVATIONS = 5
#: The history counts as misleading when the flat prior explains the new task's observations
#: decisively better (`BayesianSurrogate.evidence_vs_flat` below minus this log Bayes factor:
#: log 100, "decisive" on Jeffreys' scale; smaller gaps are left to the ensemble weights, as
#: the observations a search chooses from the history's own top favour the more flexible
#: flat prior somewhat) ...
FALLBACK_LOG_BAYES_FACTOR = math.log(100.0)
#: ... and the models that read no history hold at least this ensemble weight.
FALLBACK_COLD_WEIGHT = 0.5


@dataclass(frozen=True)
class UpperConfidenceBound:
    """The acquisition ``mean + kappa * sd`` (higher is better).

    Attributes:
        kappa: exploration weight (>= 0).
    """

    kappa: float = 1.0

    def __call__(self, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
        """UCB of predictions on a common scale."""
        return mean + self.kappa * sd

    def standardised(self, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
        """UCB of a model whose scale is its own: mean and sd divided by the spread of the mean over
        the candidates, the mean centred, so that models of different scales can be mixed."""
        scale = float(mean.std()) or 1.0
        return (mean - mean.mean()) / scale + self.kappa * (sd / scale)


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


class _Candidates(NamedTuple):
    """Candidates not yet asked: graphs, features, past rankers' scores ``[T, m]`` and what the
    Bayesian surrogate takes (pool rows, or the graphs themselves)."""

    graphs: Sequence[ModelGraph]
    features: np.ndarray
    past: np.ndarray
    x: Any


class _Member(NamedTuple):
    """One model of the ensemble at a refit."""

    name: str
    loo: np.ndarray  # leave-one-out / out-of-bag predictions (or a past ranker's) at the observations
    history: bool  # reads the history (dropped by the fallback to cold)
    target: bool  # fitted on the new task's observations (RGPE's target models)
    model: Any  # TargetSurrogate with its stacking flag, BayesianSurrogate, or a past ranker's row


class TransferBO(RegularizedEvolution):
    """Transfer Bayesian optimisation over the space, alternating with regularized evolution.

    1. **First population** of ``population_size``: the given ``initial_population`` in
       order, then (with a history, or an ``initial_design`` given) a share ``design_share``
       of the remaining slots proposed by the `InitialDesign`: by default with the trees
       `InformativeDesign` (half to tell the past tasks apart, half their consensus; the
       consensus members are asked first), with a Bayesian
       surrogate `PriorPredictiveDesign` (the top of its prior predictive, diverse); then
       random samples (all random without a history, as regularized evolution). The random
       members give the target model a view of the whole space when the past tasks mislead.
    2. **Afterwards** a share ``model_share`` of the asks comes from the model, the rest
       from aging evolution over everything told (`RegularizedEvolution`), so a wrong model
       cannot stall the search. The first ask after the population is a model ask.
    3. **Model asks**: after every ``max(batch_size, n // 10)`` new observations (``n``
       told so far; and when its queue is empty) the strategy refits the target surrogates
       (by default two forests: one on the architecture, one that also reads the past
       rankers' scores, ``STACK_PAST``), recomputes the RGPE weights of the
       past-task rankers and the target models, scores every candidate not yet asked by UCB
       ``mean + kappa * sd`` of the weighted ensemble (past rankers are point predictions;
       the spread is the target forest's, times its weight) and queues the best ones; a
       share ``target_share`` of the model asks takes the target model's own UCB instead.
       Candidates: the whole space when it is enumerable (`CandidatePool`), else
       ``num_candidates`` samples and mutations of the best observed architectures.

    4. **Surrogate** (``surrogate``): ``"trees"`` (default): the past tasks' tree rankers
       and the target forests, as above. ``"learned"``: the `BayesianSurrogate` over
       ``embedding`` alone: its posterior (prior from the past heads) and its cold flat-prior
       twin are the RGPE members, the ensemble's asks maximise ``mean + kappa * sd`` of their
       weighted mixture (``sd`` combined as ``sqrt(sum w^2 sd^2)``), the target-only asks the
       flat twin's UCB. ``"both"``: the tree ensemble above with the Bayesian posterior as one
       more past member and the flat twin as one more target model, each weight earned on
       the new task's observations.
    5. **Never worse than cold** (``surrogate`` ``"learned"`` or ``"both"``): at every refit
       (the first one follows the first population) the history prior's log evidence is
       compared with the flat prior's (`BayesianSurrogate.evidence_vs_flat`) and the RGPE
       weight of the models that read no history (the plain target forest and the flat
       twin) is summed; when the flat prior wins by more than ``FALLBACK_LOG_BAYES_FACTOR``
       (log 100) and that weight is at least ``FALLBACK_COLD_WEIGHT`` (0.5), with at least
       ``FALLBACK_MIN_OBSERVATIONS`` observations,
       the search falls back to its cold form for the rest of the run: the past members
       (rankers, stacked forest, Bayesian posterior) leave the ensemble, the flat twin and
       the target forest carry on. It is logged and `info` says so.

    6. **Fixed parts** (class constants, recorded in `config`; the options they were were pruned
       in issue 23 with the evidence in the docs' transfer-search page): the forests' sizes
       (``TARGET_TREES``, ``RANKER_TREES``), ``NUM_CANDIDATES``, RGPE's ``BOOTSTRAP_SAMPLES``,
       ``WEIGHT_WINDOW`` and ``WEIGHT_FOCUS``, and ``STACK_PAST`` (``"both"``: two target
       forests, one on the architecture alone and one that also reads the past rankers'
       standardised scores, each weighted by RGPE on the new task's observations).

    Deterministic given ``seed``; never asks an architecture twice (the base class checks).

    Args:
        space: the search space.
        seed: seed of every random choice (bootstrap, forests, evolution).
        initial_population: architectures asked first.
        history: the past tasks: `PastTask` records, a mapping ``task_id -> [(graph,
            value)]`` (higher is better), or fitted `TaskRankers` (shared across seeds);
            ``None`` or empty: a cold start (the target model alone).
        population_size: regularized evolution's population.
        tournament_size: regularized evolution's tournament.
        model_share: share of the asks after the first population that come from the
            model, in [0, 1].
        design_share: share of the first population (after ``initial_population``)
            designed from the history; the rest are random samples, in [0, 1].
        target_share: share of the model asks that follow the target model's own UCB
            instead of the ensemble's, in [0, 1] (a hedge against past tasks that rank the
            observations well but the new task's best region badly).
        batch_size: observations between refits (>= 1; at least a tenth of those told).
        kappa: UCB exploration weight (>= 0).
        surrogate: ``"trees"``, ``"learned"`` or ``"both"`` (item 4 above).
        embedding: the `ArchitectureEmbedding` of the Bayesian surrogate (``surrogate`` not
            ``"trees"``; e.g. ``metanas.transfer.learned_embedding`` of a trained meta-learner);
            ``None``: a `RidgeEmbedding` fitted on the history.
        initial_design: the `InitialDesign` of the first population (``None``: the default of
            item 1); e.g. ``InformativeDesign(rankers, inform_share=0.0)`` with the same fitted
            ``rankers`` given as ``history``: the designed half all consensus.
        task: the new task, whose meta-features may give the embedding's prior mean
            (`ArchitectureEmbedding.prior_mean`).

    Raises:
        ConfigError: a setting is out of range (the message names it).
    """

    name = "transfer-bo"
    uses_history = True

    #: Trees of each target forest and of each past task's ranker.
    TARGET_TREES: ClassVar[int] = 16
    RANKER_TREES: ClassVar[int] = 64
    #: Candidates scored per refit when the space is not enumerable.
    NUM_CANDIDATES: ClassVar[int] = 2000
    #: RGPE's bootstrap samples, and the newest observations its weights read at most.
    BOOTSTRAP_SAMPLES: ClassVar[int] = 256
    WEIGHT_WINDOW: ClassVar[int] = 300
    #: RGPE's ``top_focus`` (`rgpe_weights`): 0 counts every misranked pair of observations alike.
    WEIGHT_FOCUS: ClassVar[float] = 0.0
    #: Target forests of the trees surrogate: ``"both"`` (the plain forest and one that also reads
    #: the past rankers' scores, each weighted by RGPE), ``False`` (plain alone), ``True`` (stacked alone).
    STACK_PAST: ClassVar[bool | str] = "both"

    def __init__(self, space: SearchSpace | str, seed: int, initial_population: Sequence[ModelGraph] | None = None,
                 *, history: Sequence[PastTask] | Mapping[str, Sequence] | TaskRankers | None = None,
                 population_size: int = 20, tournament_size: int = 5, surrogate: str = "trees",
                 embedding: ArchitectureEmbedding | None = None, initial_design: InitialDesign | None = None,
                 design_share: float = 0.5, model_share: float = 2 / 3, target_share: float = 0.5,
                 kappa: float = 1.0, batch_size: int = 10, task: TaskMetadata | None = None) -> None:
        owner = type(self).__name__
        if surrogate not in SURROGATES:
            raise ConfigError(f"The 'surrogate' parameter of {owner} must be one of {list(SURROGATES)}. "
                              f"Got {surrogate!r} instead.")
        if embedding is not None and surrogate == "trees":
            raise ConfigError(f"The 'embedding' parameter of {owner} is used by surrogate='learned' or 'both'; "
                              "with surrogate='trees' leave it None")
        if embedding is not None and not isinstance(embedding, ArchitectureEmbedding):
            raise ConfigError(f"The 'embedding' parameter of {owner} must implement ArchitectureEmbedding, "
                              f"got {type(embedding).__name__}")
        if initial_design is not None and not isinstance(initial_design, InitialDesign):
            raise ConfigError(f"The 'initial_design' parameter of {owner} must be an InitialDesign, "
                              f"got {type(initial_design).__name__}")
        if task is not None and surrogate == "trees":
            raise ConfigError(f"The 'task' parameter of {owner} gives the Bayesian surrogate's prior mean "
                              "(surrogate='learned' or 'both'); with surrogate='trees' leave it None")
        if task is not None and not isinstance(task, TaskMetadata):
            raise ConfigError(f"The 'task' parameter of {owner} must be a TaskMetadata or None, "
                              f"got {type(task).__name__}")
        self.surrogate = surrogate
        for key, value in (("model_share", model_share), ("target_share", target_share), ("design_share", design_share)):
            check_unit(value, key, owner=owner)
        if isinstance(kappa, bool) or not isinstance(kappa, (int, float)) or not kappa >= 0:
            raise ConfigError(f"The 'kappa' parameter of {owner} must be a float >= 0. Got {kappa!r} instead.")
        self.batch_size = check_int(batch_size, "batch_size", low=1, owner=owner)
        self.model_share, self.kappa = float(model_share), float(kappa)
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
            past = list(history.tasks)
        else:
            past = as_past_tasks(history or [])
            self.rankers = TaskRankers(self.space, past if surrogate != "learned" else [], seed=self.seed,
                                       n_estimators=self.RANKER_TREES, pool=self.pool)
        self.acquisition = UpperConfidenceBound(self.kappa)
        #: The Bayesian surrogate (history prior; ``None`` with the trees or without past heads)
        #: and its flat-prior twin (``None`` with the trees).
        self.bayes: BayesianSurrogate | None = None
        self.flat: BayesianSurrogate | None = None
        self.embedding: ArchitectureEmbedding | None = None
        if surrogate != "trees":
            self.embedding = embedding if embedding is not None else RidgeEmbedding(self.space, past, pool=self.pool)
            if len(self.embedding.past_heads):
                self.bayes = BayesianSurrogate(self.embedding, pool=self.pool, task=task)
                self.flat = self.bayes.twin("flat")
            else:
                self.flat = BayesianSurrogate(self.embedding, pool=self.pool, prior="flat")
        self._cold = False
        self._fallback: dict[str, Any] = {}
        self._obs_rows: list[int] = []
        self._obs_graphs: list[ModelGraph] = []
        self._obs_values: list[float] = []
        self._queues: tuple[deque[ModelGraph], deque[ModelGraph]] = (deque(), deque())  # ensemble, target
        self._target_credit = 0.0
        self._fitted_at = -1
        self._credit = 1.0 - self.model_share  # the first ask after the population is a model ask
        #: After each refit: ``{"observations": n, "weights": {model: weight}}`` (models: past task
        #: ids, ``"target"``, ``"target-stacked"``; with a Bayesian surrogate ``"bayes"``,
        #: ``"bayes-flat"`` and, while the history is judged, ``"evidence_vs_flat"``).
        self.weight_history: list[dict[str, Any]] = []
        self.design: tuple[ModelGraph, ...] = ()
        self.design_sources: tuple[str, ...] = ()
        if initial_design is None:
            if surrogate == "trees" and len(self.rankers):
                initial_design = InformativeDesign(self.rankers)
            elif surrogate != "trees" and self.bayes is not None:
                initial_design = PriorPredictiveDesign(
                    self.bayes, candidates=None if self.pool is not None else [g for t in past for g in t.graphs])
        self.initial_design = initial_design
        if initial_design is not None and self._fill > 0:
            plan = initial_design.plan(self.space, round(self.design_share * self._fill), self._rng,
                                       exclude=self.initial_population)
            self.design, self.design_sources = plan.graphs, plan.sources
            self._extend_initial(self.design)

    @property
    def config(self) -> dict[str, Any]:
        return {**super().config, "surrogate": self.surrogate, "model_share": self.model_share,
                "target_share": self.target_share, "design_share": self.design_share, "kappa": self.kappa,
                "batch_size": self.batch_size,
                # the fixed parts (class constants), recorded so that a run says what it ran
                "target_trees": self.TARGET_TREES, "ranker_trees": self.RANKER_TREES,
                "num_candidates": self.NUM_CANDIDATES, "bootstrap_samples": self.BOOTSTRAP_SAMPLES,
                "weight_window": self.WEIGHT_WINDOW, "weight_focus": self.WEIGHT_FOCUS, "stack_past": self.STACK_PAST,
                "embedding": type(self.embedding).__name__ if self.embedding is not None else None,
                "initial_design": self.initial_design.name if self.initial_design is not None else None,
                "past_tasks": list(self.rankers.task_ids if self.embedding is None
                                   else self.embedding.past_task_ids)}

    @property
    def info(self) -> dict[str, Any]:
        """What the run learned about its history (JSON-safe): the surrogate, the ensemble
        weights of the last refit, and with a Bayesian surrogate the last evidence comparison
        (``evidence_vs_flat``); after a fallback ``fallback: "cold"``, the evaluation at which it
        happened (``fallback_at``: observations told then), the history prior's and the flat
        prior's log evidence and the weight of the models that read no history at that refit."""
        out: dict[str, Any] = {"surrogate": self.surrogate}
        if self.weight_history:
            last = self.weight_history[-1]
            out["weights"] = dict(last["weights"])
            if "evidence_vs_flat" in last:
                out["evidence_vs_flat"] = last["evidence_vs_flat"]
        out.update(self._fallback)
        return out

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
            if self.surrogate == "trees":
                self._refit_models()
            else:
                self._refit_bayes()

    def _target_inputs(self) -> tuple[bool, ...]:
        """Per target model: whether it reads the past rankers' scores (``STACK_PAST``)."""
        if not len(self.rankers) or not self.STACK_PAST:
            return (False,)
        return (False, True) if self.STACK_PAST == "both" else (True,)

    def _refit_models(self) -> None:
        n = len(self._obs_values)
        self._fitted_at = n
        values = np.asarray(self._obs_values)
        obs_features, past_at_obs = self._observed_scores()
        stacks = self._target_inputs()
        targets = [TargetSurrogate(self.TARGET_TREES, int(self._rng.integers(0, 2**31))) for _ in stacks]
        loos = [target.fit(_stacked(obs_features, past_at_obs) if stack else obs_features, values)
                for target, stack in zip(targets, stacks)]
        recent = np.arange(max(0, n - self.WEIGHT_WINDOW), n)
        preds = np.vstack([past_at_obs[:, recent], *(loo[None, recent] for loo in loos)])
        weights = rgpe_weights(preds, values[recent], self._rng, num_samples=self.BOOTSTRAP_SAMPLES,
                               top_focus=self.WEIGHT_FOCUS, num_targets=len(targets))
        names = ["target"] if len(targets) == 1 else ["target", "target-stacked"]
        self.weight_history.append({"observations": n, "weights": dict(
            zip([*self.rankers.task_ids, *names], (round(float(w), 4) for w in weights)))})
        logger.debug("%s: weights after %d observations: %s", self.name, n, self.weight_history[-1]["weights"])
        cand_graphs, cand_features, cand_past, _ = self._candidates()
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

    def _candidates(self) -> _Candidates:
        """Candidates not yet asked: their graphs, features, standardised past scores and the
        Bayesian surrogate's input (pool rows, or the graphs)."""
        if self.pool is not None:
            seen = [self.pool.index[k] for k in (*self._evaluated, *self._pending) if k in self.pool.index]
            mask = np.ones(len(self.pool), dtype=bool)
            mask[seen] = False
            rows = np.flatnonzero(mask)
            past = self.rankers.pool_scores[:, rows] if len(self.rankers) else np.zeros((0, len(rows)))
            return _Candidates(_Rows(self.pool.graphs, rows), self.pool.features[rows], past, rows)
        order = np.argsort(-np.asarray(self._obs_values), kind="stable")[:10]
        parents = [self._obs_graphs[int(i)] for i in order]
        found: dict[str, ModelGraph] = {}
        for i in range(self.NUM_CANDIDATES):
            g = self.space.mutate(parents[i % len(parents)], self._rng) if i % 2 == 0 else self.space.sample(self._rng)
            key = self._keys[g]
            if key not in found and not self.is_seen(g):
                found[key] = g
        graphs = list(found.values())
        if not graphs:
            return _Candidates([], np.zeros((0, 0)), np.zeros((0, 0)), [])
        features = self.space.features(graphs)
        return _Candidates(graphs, features, self.rankers.score(features), graphs)

    # ------------------------------------------------------------------ the Bayesian surrogate
    def _observed_x(self) -> Any:
        """The observations as the Bayesian surrogate takes them (pool rows, or graphs)."""
        return np.array(self._obs_rows, dtype=np.int64) if self.pool is not None else list(self._obs_graphs)

    def _members(self) -> list[_Member]:
        """Fit the ensemble's models on the observations; past members first, target models last."""
        values = np.asarray(self._obs_values)
        history = not self._cold
        past: list[_Member] = []
        targets: list[_Member] = []
        x = self._observed_x()
        if self.surrogate == "both":
            obs_features, past_at_obs = self._observed_scores()
            if history:
                past += [_Member(t, past_at_obs[i], True, False, i) for i, t in enumerate(self.rankers.task_ids)]
            stacks = self._target_inputs() if history else (False,)
            names = ["target"] if len(stacks) == 1 else ["target", "target-stacked"]
            for name, stack in zip(names, stacks):
                forest = TargetSurrogate(self.TARGET_TREES, int(self._rng.integers(0, 2**31)))
                loo = forest.fit(_stacked(obs_features, past_at_obs) if stack else obs_features, values)
                targets.append(_Member(name, loo, stack, True, (forest, stack)))
        if history and self.bayes is not None:
            past.append(_Member("bayes", self.bayes.fit(x, values).loo_mean(), True, False, self.bayes))
        targets.append(_Member("bayes-flat", self.flat.fit(x, values).loo_mean(), False, True, self.flat))
        return past + targets

    def _refit_bayes(self) -> None:
        n = len(self._obs_values)
        self._fitted_at = n
        values = np.asarray(self._obs_values)
        recent = np.arange(max(0, n - self.WEIGHT_WINDOW), n)
        members = self._members()
        weights = self._weights(members, values, recent)
        record: dict[str, Any] = {"observations": n}
        if self.bayes is not None and not self._cold:
            evidence = self.bayes.evidence_vs_flat()
            cold_weight = float(sum(w for m, w in zip(members, weights) if not m.history))
            record["evidence_vs_flat"] = round(evidence, 4)
            if n >= FALLBACK_MIN_OBSERVATIONS and evidence < -FALLBACK_LOG_BAYES_FACTOR \
                    and cold_weight >= FALLBACK_COLD_WEIGHT:
                self._cold = True
                self._fallback = {
                    "fallback": "cold", "fallback_at": n,
                    "log_evidence_history": round(self.bayes.log_evidence, 4),
                    "log_evidence_flat": round(self.bayes.flat_log_evidence, 4),
                    "cold_weight": round(cold_weight, 4)}
                logger.warning("%s: the history misleads after %d observations (log evidence %.2f against %.2f "
                               "for a flat prior; the models without history hold weight %.2f): falling back to "
                               "the cold model-based search", self.name, n, self.bayes.log_evidence,
                               self.bayes.flat_log_evidence, cold_weight)
                members = [m for m in members if not m.history]
                weights = self._weights(members, values, recent)
        record["weights"] = {m.name: round(float(w), 4) for m, w in zip(members, weights)}
        self.weight_history.append(record)
        logger.debug("%s: weights after %d observations: %s", self.name, n, record["weights"])
        for queue in self._queues:
            queue.clear()
        cands = self._candidates()
        if not len(cands.graphs):
            return
        ensemble, target_only = self._acquisitions(members, weights, cands)
        k = max(1, math.ceil(self.batch_size * self.model_share)) + 2
        for queue, acquisition in zip(self._queues, (ensemble, target_only)):
            queue.extend(cands.graphs[int(i)] for i in np.argsort(-acquisition, kind="stable")[:k])

    def _weights(self, members: list[_Member], values: np.ndarray, recent: np.ndarray) -> np.ndarray:
        preds = np.vstack([m.loo[None, recent] for m in members])
        return rgpe_weights(preds, values[recent], self._rng, num_samples=self.BOOTSTRAP_SAMPLES,
                            top_focus=self.WEIGHT_FOCUS, num_targets=sum(m.target for m in members))

    def _acquisitions(self, members: list[_Member], weights: np.ndarray,
                      cands: _Candidates) -> tuple[np.ndarray, np.ndarray]:
        """The ensemble's and the target models' acquisition over the candidates."""
        ucb = self.acquisition
        targets = [i for i, m in enumerate(members) if m.target]
        w_t = weights[targets]
        shares = w_t / w_t.sum() if w_t.sum() > 0 else np.full(len(targets), 1.0 / len(targets))
        if self.surrogate == "learned":  # Gaussian members on one scale: RGPE's weighted mixture
            preds = [m.model.predict(cands.x) for m in members]
            mean = sum(w * p.mean for w, p in zip(weights, preds))
            sd = np.sqrt(sum((w * p.sd) ** 2 for w, p in zip(weights, preds)))
            t_mean = sum(s * preds[i].mean for s, i in zip(shares, targets))
            t_sd = np.sqrt(sum((s * preds[i].sd) ** 2 for s, i in zip(shares, targets)))
            return ucb(mean, sd), ucb(t_mean, t_sd)
        # "both": each model's standardised UCB (past rankers: their standardised point scores)
        own = np.zeros(len(cands.graphs))
        mix = np.zeros(len(cands.graphs))
        share_of = dict(zip(targets, shares))
        for i, (member, w) in enumerate(zip(members, weights)):
            if isinstance(member.model, BayesianSurrogate):
                acq = ucb.standardised(*member.model.predict(cands.x))
            elif isinstance(member.model, tuple):
                forest, stack = member.model
                acq = ucb.standardised(*forest.predict(_stacked(cands.features, cands.past) if stack
                                                       else cands.features))
            else:
                acq = cands.past[member.model]
            own += w * acq
            if i in share_of:
                mix += share_of[i] * acq
        return own, mix

    def _on_tell(self, graph: ModelGraph, value: float) -> None:
        super()._on_tell(graph, value)
        self._obs_graphs.append(graph)
        self._obs_values.append(value)
        if self.pool is not None and self.surrogate != "trees":
            self._obs_rows.append(self.pool.index[self._keys[graph]])
