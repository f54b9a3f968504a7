"""`InitialDesign`: the one owner of a search's first population.

An initial design proposes ``size`` distinct valid architectures of a space
(`InitialDesign.propose`), never one of ``exclude`` (e.g. members the user gave); when its own
rule finds fewer, it fills with random samples (distinct by `SearchSpace.key`, the identity a
search never asks twice). Implementations:

* `InformativeDesign`: half the members tell the past tasks apart, half are their consensus
  (`informative_population`, over the tree rankers' scores).
* `MeanRankDesign`: the best architectures by mean within-task quantile over the past tasks
  (a plain transfer of the past tasks' consensus).
* `PriorPredictiveDesign`: the top of a `BayesianSurrogate`'s prior predictive over the
  candidates, de-duplicated and made diverse (maximal marginal relevance, `select_diverse`).
* `SimilarTaskDesign`: the similar-task transfer of `WarmStarter` (best, diverse architectures
  of the past tasks most similar to the new one by meta-features).
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from metanas._population import MAX_FAILED_DRAWS
from metanas.exceptions import ConfigError, MetanasError
from metanas.graph import ModelGraph
from metanas.spaces import SearchSpace
from metanas.tasks import TaskMetadata
from metanas.transfer._history import PastTask, as_past_tasks, quantiles
from metanas.transfer._surrogate import BayesianSurrogate
from metanas.transfer._trees import TaskRankers
from metanas.validation import check_choice, check_int

__all__ = [
    "DESIGN_ORDERS",
    "DesignPlan",
    "InformativeDesign",
    "InitialDesign",
    "MeanRankDesign",
    "PriorPredictiveDesign",
    "SimilarTaskDesign",
    "informative_population",
]

logger = logging.getLogger(__name__)

#: Orders of `InformativeDesign`'s members.
DESIGN_ORDERS = ("exploit-first", "inform-first")


@dataclass(frozen=True)
class DesignPlan:
    """A proposed first population with each member's provenance.

    Attributes:
        graphs: the members, in the order to ask them.
        sources: one label per member (e.g. ``"exploit"``, ``"inform:<task>"``, ``"prior"``,
            ``"random"``).
        similar_tasks: the past tasks the design drew on with their similarity to the new task
            (`SimilarTaskDesign`; empty for the others).
    """

    graphs: tuple[ModelGraph, ...]
    sources: tuple[str, ...]
    similar_tasks: tuple[tuple[str, float], ...] = ()


def _check_size(size: Any, owner: str) -> int:
    return check_int(size, "size", low=0, owner=f"{owner}.propose")


class InitialDesign(ABC):
    """The first population of a search: ``propose(space, size, rng, *, exclude=())``.

    Subclasses implement `plan` (members with their provenance); `propose` returns its graphs.
    Every implementation returns exactly ``size`` distinct valid architectures, none of them
    with the key of a member of ``exclude``, or raises `MetanasError` when the space holds too
    few.
    """

    #: Short name (recorded in a strategy's config).
    name: ClassVar[str] = ""

    @abstractmethod
    def plan(self, space: SearchSpace, size: int, rng: np.random.Generator, *,
             exclude: Iterable[ModelGraph] = ()) -> DesignPlan:
        """`propose` with each member's provenance."""

    def propose(self, space: SearchSpace, size: int, rng: np.random.Generator, *,
                exclude: Iterable[ModelGraph] = ()) -> list[ModelGraph]:
        """Exactly ``size`` distinct architectures of ``space`` (by key), none of ``exclude``.

        Args:
            space: the space searched.
            size: members to propose (>= 0).
            rng: the only randomness (random fill, tie-breaking).
            exclude: architectures not to propose (their keys).

        Returns:
            The members, in the order to ask them.
        """
        return list(self.plan(space, size, rng, exclude=exclude).graphs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _finish(space: SearchSpace, chosen: list[ModelGraph], sources: list[str], size: int,
            rng: np.random.Generator, taken: set[str]) -> DesignPlan:
    """Fill ``chosen`` with random samples (distinct keys, not in ``taken``) up to ``size``."""
    drawn = 0
    failed = 0
    while len(chosen) < size:
        graph = space.sample(rng)
        key = space.key(graph)
        if key in taken:
            failed += 1
            if failed >= MAX_FAILED_DRAWS:
                raise MetanasError(f"space {space.id!r}: {MAX_FAILED_DRAWS:,} random draws in a row repeated "
                                   f"architectures already taken ({len(chosen)} of {size} members found); ask "
                                   "for a smaller first population")
            continue
        failed = 0
        taken.add(key)
        chosen.append(graph)
        sources.append("random")
        drawn += 1
    if drawn:
        logger.info("initial design: %d of %d members are random samples", drawn, size)
    return DesignPlan(tuple(chosen), tuple(sources))


# ============================================================================ informative + consensus
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


class InformativeDesign(InitialDesign):
    """Half the members tell the past tasks apart, half are their consensus (`informative_population`).

    Candidates: the rankers' candidate pool when they have one, else the past tasks' own
    architectures.

    Args:
        rankers: the fitted past-task tree rankers.
        inform_share: share of the informative members, in [0, 1].
        order: ``"exploit-first"`` (the consensus members are asked first) or ``"inform-first"``.
    """

    name = "informative"

    def __init__(self, rankers: TaskRankers, *, inform_share: float = 0.5, order: str = "exploit-first") -> None:
        if isinstance(inform_share, bool) or not isinstance(inform_share, (int, float)) \
                or not 0.0 <= inform_share <= 1.0:
            raise ConfigError(f"The 'inform_share' parameter of InformativeDesign must be a float in [0, 1]. "
                              f"Got {inform_share!r} instead.")
        check_choice(order, "order", DESIGN_ORDERS, owner="InformativeDesign")
        self.rankers, self.inform_share, self.order = rankers, float(inform_share), order

    def plan(self, space: SearchSpace, size: int, rng: np.random.Generator, *,
             exclude: Iterable[ModelGraph] = ()) -> DesignPlan:
        size = _check_size(size, type(self).__name__)
        given = {space.key(g) for g in exclude}
        pool = self.rankers.pool
        if pool is not None:
            graphs, keys, scores = pool.graphs, pool.keys, self.rankers.pool_scores
        else:  # the past tasks' own observations are the candidates
            seen: dict[str, ModelGraph] = {}
            for task in self.rankers.tasks:
                for g in task.graphs:
                    seen.setdefault(space.key(g), g)
            graphs, keys = list(seen.values()), list(seen)
            scores = self.rankers.score(space.features(graphs)) if graphs else None
        chosen: list[ModelGraph] = []
        sources: list[str] = []
        if scores is not None and len(graphs) and len(self.rankers):
            rows = np.flatnonzero(np.array([k not in given for k in keys], dtype=bool))
            picks, srcs = informative_population(scores[:, rows], size, self.inform_share)
            if self.order == "exploit-first":  # stable: each half keeps its own order
                order = sorted(range(len(picks)), key=lambda i: srcs[i] != "exploit")
                picks, srcs = [picks[i] for i in order], [srcs[i] for i in order]
            chosen = [graphs[int(rows[i])] for i in picks]
            sources = [s if s == "exploit" else f"inform:{self.rankers.task_ids[int(s.split(':')[1])]}"
                       for s in srcs]
        return _finish(space, chosen, sources, size, rng, given | {space.key(g) for g in chosen})

    def __repr__(self) -> str:
        return f"InformativeDesign(inform_share={self.inform_share}, order={self.order!r})"


# ============================================================================ mean rank
class MeanRankDesign(InitialDesign):
    """The best architectures by mean within-task quantile over the past tasks, then random ones.

    An architecture's score is its mean over the past tasks of its within-task quantile
    (`quantiles`; a task that did not evaluate it counts 0.5); ties go to the smaller key.

    Args:
        history: the past tasks (`PastTask` records or ``task_id -> [(graph, value)]``).
        top: members taken by mean rank (``None``: all ``size``); the rest are random samples.
    """

    name = "mean-rank"

    def __init__(self, history: Sequence[PastTask] | Mapping[str, Sequence], *, top: int | None = None) -> None:
        if top is not None:
            top = check_int(top, "top", low=0, owner="MeanRankDesign")
        self.tasks, self.top = as_past_tasks(history), top

    def plan(self, space: SearchSpace, size: int, rng: np.random.Generator, *,
             exclude: Iterable[ModelGraph] = ()) -> DesignPlan:
        size = _check_size(size, type(self).__name__)
        given = {space.key(g) for g in exclude}
        sums: dict[str, float] = {}
        graphs: dict[str, ModelGraph] = {}
        for task in self.tasks:
            for graph, q in zip(task.graphs, quantiles(task.values)):
                key = space.key(graph)
                graphs.setdefault(key, graph)
                sums[key] = sums.get(key, 0.0) + float(q) - 0.5
        n = max(len(self.tasks), 1)
        top = size if self.top is None else min(self.top, size)
        order = sorted((k for k in sums if k not in given), key=lambda k: (-(0.5 + sums[k] / n), k))[:top]
        return _finish(space, [graphs[k] for k in order], ["mean-rank"] * len(order), size, rng,
                       given | set(order))

    def __repr__(self) -> str:
        return f"MeanRankDesign(past_tasks={len(self.tasks)}, top={self.top})"


# ============================================================================ prior predictive
class PriorPredictiveDesign(InitialDesign):
    """The top of a `BayesianSurrogate`'s predictive (its prior's, before any observation),
    de-duplicated by key and made diverse.

    Candidates: the surrogate's pool, else ``candidates`` (e.g. the past tasks'
    architectures). The ``shortlist * size`` best by predictive mean are reduced to ``size`` by
    maximal marginal relevance (`metanas.similarity.select_diverse`: ``lambda_`` weighs the
    rank of the predicted score against the similarity ``metric`` to the members already
    chosen, and members more similar than ``max_similarity`` to a chosen one are skipped while
    others remain).

    Args:
        surrogate: the Bayesian surrogate (its current predictive is used).
        candidates: the candidates when the surrogate has no pool.
        shortlist: candidates considered per member (>= 1; 1: the plain top).
        metric: architecture similarity of `select_diverse` (a registry name or a callable).
        lambda_: MMR weight of the predicted score against novelty, in [0, 1].
        max_similarity: the similarity above which candidates are skipped, in [0, 1].
    """

    name = "prior-predictive"

    def __init__(self, surrogate: BayesianSurrogate, *, candidates: Sequence[ModelGraph] | None = None,
                 shortlist: int = 5, metric: str | Callable[[ModelGraph, ModelGraph], float] = "ged",
                 lambda_: float = 0.7, max_similarity: float = 0.9) -> None:
        if not isinstance(surrogate, BayesianSurrogate):
            raise ConfigError(f"PriorPredictiveDesign: 'surrogate' must be a BayesianSurrogate, "
                              f"got {type(surrogate).__name__}")
        if surrogate.pool is None and candidates is None:
            raise ConfigError("PriorPredictiveDesign: the surrogate has no candidate pool; give 'candidates' "
                              "(e.g. the past tasks' architectures)")
        if isinstance(shortlist, bool) or not isinstance(shortlist, int) or shortlist < 1:
            raise ConfigError(f"The 'shortlist' parameter of PriorPredictiveDesign must be an int >= 1. "
                              f"Got {shortlist!r} instead.")
        for key, value in (("lambda_", lambda_), ("max_similarity", max_similarity)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"The {key!r} parameter of PriorPredictiveDesign must be a float in [0, 1]. "
                                  f"Got {value!r} instead.")
        self.surrogate, self.shortlist, self.metric = surrogate, shortlist, metric
        self.lambda_, self.max_similarity = float(lambda_), float(max_similarity)
        self.candidates = None if candidates is None else list(candidates)

    def plan(self, space: SearchSpace, size: int, rng: np.random.Generator, *,
             exclude: Iterable[ModelGraph] = ()) -> DesignPlan:
        from metanas.similarity import select_diverse

        size = _check_size(size, type(self).__name__)
        given = {space.key(g) for g in exclude}
        pool = self.surrogate.pool
        if pool is not None:
            rows = np.flatnonzero(np.array([k not in given for k in pool.keys], dtype=bool))
            mean = self.surrogate.predict(rows).mean
            graphs = pool.graphs
        else:
            unique: dict[str, ModelGraph] = {}
            for g in self.candidates:
                key = space.key(g)
                if key not in given:
                    unique.setdefault(key, g)
            graphs = list(unique.values())
            rows = np.arange(len(graphs))
            mean = self.surrogate.predict(graphs).mean if graphs else np.zeros(0)
        chosen: list[ModelGraph] = []
        if len(rows) and size:
            order = np.argsort(-mean, kind="stable")[:self.shortlist * size]
            short = [graphs[int(i)] for i in rows[order]]
            scores = mean[order]
            picks = select_diverse(short, scores, size, metric=self.metric, lambda_=self.lambda_,
                                   max_similarity=self.max_similarity) if self.shortlist > 1 else range(len(short))
            chosen = [short[i] for i in picks][:size]
        taken = given | {space.key(g) for g in chosen}
        return _finish(space, chosen, ["prior"] * len(chosen), size, rng, taken)

    def __repr__(self) -> str:
        return f"PriorPredictiveDesign(surrogate={self.surrogate!r}, shortlist={self.shortlist})"


# ============================================================================ similar-task transfer
class SimilarTaskDesign(InitialDesign):
    """The similar-task transfer of a `WarmStarter` (a thin adapter; its API is unchanged).

    Args:
        warm_starter: a `metanas.warm_start.WarmStarter` (its knowledge base and config).
        task: the new task (its meta-features find the similar past tasks).
    """

    name = "similar-task"

    def __init__(self, warm_starter: Any, task: TaskMetadata) -> None:
        from metanas.warm_start import WarmStarter

        if not isinstance(warm_starter, WarmStarter):
            raise ConfigError(f"SimilarTaskDesign: 'warm_starter' must be a WarmStarter, "
                              f"got {type(warm_starter).__name__}")
        if not isinstance(task, TaskMetadata):
            raise ConfigError(f"SimilarTaskDesign: 'task' must be a TaskMetadata, got {type(task).__name__}")
        self.warm_starter, self.task = warm_starter, task

    def plan(self, space: SearchSpace, size: int, rng: np.random.Generator, *,
             exclude: Iterable[ModelGraph] = ()) -> DesignPlan:
        size = _check_size(size, type(self).__name__)
        given = {space.key(g) for g in exclude}
        if not size:
            return DesignPlan((), ())
        plan = self.warm_starter.plan(self.task, size, space, rng)
        chosen: list[ModelGraph] = []
        sources: list[str] = []
        taken = set(given)
        for member in plan.members:
            key = space.key(member.graph)
            if key in taken:
                continue
            taken.add(key)
            chosen.append(member.graph)
            sources.append(member.source if member.task_id is None else f"{member.source}:{member.task_id}")
        done = _finish(space, chosen, sources, size, rng, taken)
        return DesignPlan(done.graphs, done.sources, tuple((t, float(s)) for t, s in plan.similar_tasks))

    def __repr__(self) -> str:
        return f"SimilarTaskDesign(task={self.task.task_id!r}, config={self.warm_starter.config!r})"
