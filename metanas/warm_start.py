"""`WarmStarter`: seed a new search with the best, diverse architectures of similar past tasks.

The seed's interface: ``WarmStarter(knowledge_base, config)`` and
``generate_initial_population(current_task, population_size, search_space)``. Steps:

1. Similar past tasks: every task of the database except the current one, scored with the
   configured task similarity (any name of `metanas.similarity.TASK_METRICS`: ``dataset_meta``
   cosine, ``task_embedding`` through a trained meta-learner, or a registered one). A metric
   that declares it needs an embedder gets the warm-starter's; when none is usable it falls
   back to the metric it names (``task_embedding``: ``dataset_meta``) and logs why. Every
   metric's value is weighed by the tasks' kinds (`metanas.similarity.kind_factor`: 0 across
   modalities, lower across problem types). Those with similarity >= ``min_similarity``, best
   ``top_k_tasks``. Only architectures transfer, ranked within their past task by its own
   objective, so past tasks of other problem types (accuracy, R^2) mix no score scales.
2. Quota: ``round(transfer_ratio * population_size)`` transferred members, split across the
   similar tasks in proportion to similarity by the largest-remainder method, so the counts
   add up exactly (the seed's ``max(1, int(...))`` could over- or undershoot).
3. Candidates: each task's ``top_k_archs`` best architectures (direction-aware), kept only if
   valid in the current space (same space id, or accepted by ``validate``), de-duplicated by
   canonical hash; a task with fewer candidates than its share passes the rest to the
   other tasks; what no task can fill is filled randomly, and the log says so.
4. Cost (``cost_weight`` > 0): within each task, its candidates are re-ranked by
   ``score_n - cost_weight * cost_n``, where ``score_n`` is the candidate's objective and
   ``cost_n`` the log of its training cost (the recorded cost of the evaluation that reached
   that score), each min-max normalised to [0, 1] over the task's candidates. So
   ``cost_weight = 1`` trades the candidates' whole score range against their whole range of
   log cost, and only the task's ``top_k_archs`` best are ever re-ranked: a cheap but poor
   architecture is never brought in. A task whose candidates do not all have a known cost
   (> 0, one unit) is ranked by score alone, and the plan's notes and the log say so.
5. Diversity: within each task, members are chosen by score and architecture similarity
   (maximal marginal relevance or greedy max-min, `metanas.similarity.select_diverse`), so
   the transferred part is not a set of near-copies.
6. Random fill: distinct samples of the space (not equal to a transferred member by key or
   canonical hash), so that exactly ``population_size`` distinct valid architectures return.
   A population larger than the space's `SearchSpace.distinct_size` is refused at once; in a
   space of unknown size the fill gives up after `metanas._population.MAX_FAILED_DRAWS` draws
   in a row that repeat taken architectures.

Deterministic for a given seed; no global random state.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Self

import numpy as np

from metanas._population import allocate, random_fill
from metanas.exceptions import CheckpointError, ConfigError, InvalidArchitectureError
from metanas.graph import ModelGraph
from metanas.protocols import ArchitectureScorer, KnowledgeBase, ScoredArchitecture
from metanas.resources import read_yaml_mapping, resolve_path
from metanas.similarity import ARCH_METRICS, TASK_METRICS, TaskEmbedder, TaskSimilarity, requirements, select_diverse
from metanas.similarity import DIVERSITY_METHODS as _SELECTION_METHODS
from metanas.spaces import SearchSpace
from metanas.tasks import TaskMetadata
from metanas.validation import Direction, check_choice, check_int, check_unit

__all__ = ["PopulationMember", "SimilarTasks", "WarmStartConfig", "WarmStartPlan", "WarmStarter", "allocate"]

logger = logging.getLogger(__name__)

#: ``diversity`` settings: the selection methods of `select_diverse`, or ``none`` (best scores only).
DIVERSITY_METHODS = (*_SELECTION_METHODS, "none")


@dataclass(frozen=True)
class WarmStartConfig:
    """Validated warm-start settings (the keys of the YAML files in ``configs/``).

    Attributes:
        transfer_ratio: share of the population transferred from past tasks, in [0, 1].
        min_similarity: least task similarity for a past task to count, in [0, 1].
        similarity_metric: a task similarity of `metanas.similarity.TASK_METRICS`
            (``dataset_meta``, ``task_embedding``, or a registered one).
        top_k_tasks: most similar past tasks used (>= 1).
        top_k_archs: best architectures considered per past task (>= 1).
        diversity: ``mmr`` (maximal marginal relevance), ``maxmin`` or ``none``.
        diversity_metric: architecture similarity for diversity, from
            `metanas.similarity.ARCH_METRICS` (``ged``, ``path``, ``opdist``, or a registered one).
        diversity_lambda: MMR weight of score against novelty, in [0, 1] (``mmr`` only).
        max_arch_similarity: candidates more similar than this to a chosen one are skipped
            while others remain, in (0, 1].
        checkpoint: meta-learner checkpoint folder for ``task_embedding`` (``None``: none).
        model_share: share of the transfer quota given to architectures that the
            meta-learner ranks best for the new task (``task_embedding`` only), in [0, 1].
        cost_weight: how much a past architecture's training cost counts against its score
            when choosing among a task's candidates (step 4 of the module docstring), a finite
            number >= 0; 0 (the default): score alone.
        seed: seed of the random fill and of tie-breaking.
    """

    transfer_ratio: float = 0.5
    min_similarity: float = 0.6
    similarity_metric: str = "dataset_meta"
    top_k_tasks: int = 5
    top_k_archs: int = 10
    diversity: str = "mmr"
    diversity_metric: str = "ged"
    diversity_lambda: float = 0.7
    max_arch_similarity: float = 0.95
    checkpoint: str | None = None
    model_share: float = 0.0
    cost_weight: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for key in ("transfer_ratio", "min_similarity", "diversity_lambda", "model_share"):
            check_unit(getattr(self, key), key)
        check_unit(self.max_arch_similarity, "max_arch_similarity", open_low=True)
        for key in ("top_k_tasks", "top_k_archs"):
            check_int(getattr(self, key), key, low=1)
        check_int(self.seed, "seed", low=0)
        w = self.cost_weight
        if isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(w)) or w < 0:
            raise ConfigError(
                f"'cost_weight' must be a finite number >= 0 (0: rank past architectures by score alone; e.g. 0.5 "
                f"to prefer cheaper ones), got {w!r}"
            )
        check_choice(self.similarity_metric, "similarity_metric", TASK_METRICS)
        check_choice(self.diversity, "diversity", DIVERSITY_METHODS)
        check_choice(self.diversity_metric, "diversity_metric", ARCH_METRICS)
        if self.checkpoint is not None and not isinstance(self.checkpoint, (str, Path)):
            raise ConfigError(f"'checkpoint' must be a path or null, got {self.checkpoint!r}")

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any] | None) -> WarmStartConfig:
        """Build from a dict; unknown keys raise `ConfigError` listing the known ones.

        Raises:
            ConfigError: ``config`` is not a mapping (or ``None``), has a non-string or unknown
                key, or an invalid value.
        """
        from metanas.resources import dataclass_from_mapping

        return dataclass_from_mapping(cls, config, "warm-start config", "{'transfer_ratio': 0.5}")

    @classmethod
    def from_yaml(cls, path: str | Path) -> WarmStartConfig:
        """Read a YAML file (a mapping, optionally under a top-level ``warm_start`` key).

        ``configs/...`` resolves to the shipped copy when no such file exists locally.

        Raises:
            ConfigError: the file is missing, a directory, binary, not YAML, or holds invalid keys.
        """
        p, data = read_yaml_mapping(path, "warm-start config file")
        if "warm_start" in data:
            data = data["warm_start"]
        if not isinstance(data, Mapping):
            raise ConfigError(f"warm-start config file {p} must hold a mapping of keys to values")
        return cls.from_mapping(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings."""
        return asdict(self)


@dataclass(frozen=True)
class PopulationMember:
    """One member of a warm-started population and where it came from.

    Attributes:
        graph: the architecture (valid in the current space).
        source: ``transfer`` (a past task's top architecture), ``model`` (ranked best by the
            meta-learner) or ``random``.
        task_id: the past task it came from (``None`` for random / model members).
        score: its objective value on that past task (``None`` if not transferred).
        similarity: similarity of that past task to the current one.
        cost: its recorded training cost on that past task (``None``: unknown or not transferred).
    """

    graph: ModelGraph
    source: str
    task_id: str | None = None
    score: float | None = None
    similarity: float | None = None
    cost: float | None = None


class SimilarTasks(NamedTuple):
    """What `WarmStarter.find_similar_tasks` found.

    Attributes:
        metric: the task similarity used (after any fallback).
        tasks: ``(task_id, similarity)`` of the past tasks kept, most similar first.
    """

    metric: str
    tasks: list[tuple[str, float]]


class _Candidate(NamedTuple):
    """A past task's architecture that is valid in the current space."""

    graph: ModelGraph
    #: its raw value of the past task's objective
    value: float
    #: what ranks it within the task: the higher-is-better value, or the cost-adjusted score (step 4)
    score: float
    #: the database's record of it (its cost)
    top: ScoredArchitecture


@dataclass
class WarmStartPlan:
    """The population with provenance, and the similar tasks behind it."""

    members: list[PopulationMember]
    similar_tasks: list[tuple[str, float]]
    metric: str
    notes: list[str] = field(default_factory=list)

    @property
    def graphs(self) -> list[ModelGraph]:
        return [m.graph for m in self.members]

    def counts(self) -> dict[str, int]:
        """Members per source."""
        out: dict[str, int] = {}
        for m in self.members:
            out[m.source] = out.get(m.source, 0) + 1
        return out


class WarmStarter:
    """Initial populations from similar past tasks (see the module docstring).

    Args:
        knowledge_base: an `ExperimentDatabase` (or the path/URL of an existing one; a missing
            file is refused, not created), or another `metanas.protocols.KnowledgeBase`.
        config: a `WarmStartConfig` or a mapping of its keys (validated; unknown keys raise).
        task_embedder: a loaded meta-learner (`metanas.similarity.TaskEmbedder`); when
            ``None`` and ``similarity_metric`` is ``task_embedding``, ``config.checkpoint`` is
            loaded; without a usable one the starter falls back to ``dataset_meta``.

    A warm-starter given a path or URL opens the database itself and closes it in `close`, or
    at the end of a ``with`` block::

        with WarmStarter("experiments.db", {"transfer_ratio": 0.5}) as ws:
            population = ws.generate_initial_population(task, 20, space)

    A database passed in as an object stays open: its owner closes it.

    Raises:
        ConfigError: the knowledge base is not a database (e.g. ``None``), the config is not a
            mapping, or a config value is invalid; the message names the key and the range.
        DatabaseOpenError: a path or URL that does not open an existing database.
    """

    def __init__(self, knowledge_base: KnowledgeBase | str | Path,
                 config: Mapping[str, Any] | WarmStartConfig | None = None,
                 *, task_embedder: TaskEmbedder | None = None) -> None:
        #: Whether the warm-starter opened ``kb`` itself (from a path or URL), so `close` closes it.
        self._owns_kb = False
        if not isinstance(config, WarmStartConfig):
            config = WarmStartConfig.from_mapping(config)  # before opening anything: a bad config leaks nothing
        if isinstance(knowledge_base, (str, Path)):
            from metanas.db import ExperimentDatabase

            knowledge_base = ExperimentDatabase(knowledge_base, create=False)  # read: never a new, empty one
            self._owns_kb = True
        if not isinstance(knowledge_base, KnowledgeBase):
            missing = [m for m in ("get_all_tasks", "task_objective", "top_evaluations")  # for the message
                       if not callable(getattr(knowledge_base, m, None))]
            raise ConfigError(
                f"'knowledge_base' must be an ExperimentDatabase or the path/URL of one, got "
                f"{type(knowledge_base).__name__} (it lacks {missing}); e.g. WarmStarter('experiments.db', config)"
            )
        self.kb = knowledge_base
        self.config = config
        self._embedder = task_embedder
        self._embedder_error: str | None = None
        #: What the task metric said of its last similarities (e.g. ``task_embedding``'s cosines).
        self.last_note: str | None = None

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the database if the warm-starter opened it (from a path or URL); a database
        passed in as an object is left open for its owner. Closing twice does nothing."""
        if self._owns_kb:
            self.kb.close()
            self._owns_kb = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ public API
    def generate_initial_population(
        self,
        current_task: TaskMetadata,
        population_size: int,
        search_space: SearchSpace,
        rng: np.random.Generator | None = None,
    ) -> list[ModelGraph]:
        """Exactly ``population_size`` distinct valid architectures (transferred + random)."""
        return self.plan(current_task, population_size, search_space, rng).graphs

    def plan(
        self,
        current_task: TaskMetadata,
        population_size: int,
        search_space: SearchSpace,
        rng: np.random.Generator | None = None,
    ) -> WarmStartPlan:
        """Like `generate_initial_population`, with each member's provenance."""
        population_size = check_int(population_size, "population_size", low=1)
        if not isinstance(current_task, TaskMetadata):
            raise ConfigError(f"'current_task' must be a TaskMetadata, got {type(current_task).__name__}")
        if not isinstance(search_space, SearchSpace):
            raise ConfigError(f"'search_space' must be a SearchSpace (metanas.spaces.get_space), got {search_space!r}")
        capacity = search_space.distinct_size
        if capacity is not None and population_size > capacity:
            raise ConfigError(
                f"'population_size' must be at most {capacity:,}, the number of distinct architectures of space "
                f"{search_space.id!r} (by canonical hash), got {population_size:,}; ask for a smaller population"
            )
        rng = rng if rng is not None else np.random.default_rng(self.config.seed)
        cfg = self.config
        metric, similar = self.find_similar_tasks(current_task, search_space)
        notes: list[str] = [self.last_note] if self.last_note else []
        quota = round(cfg.transfer_ratio * population_size)
        members: list[PopulationMember] = []
        taken: set[str] = set()

        if not similar:
            msg = (f"no past task reaches min_similarity={cfg.min_similarity} ({metric}); "
                   f"using {population_size} random architectures")
            logger.info(msg)
            notes.append(msg)
            quota = 0

        if quota and cfg.model_share > 0 and "embedder" in requirements(metric)[0]:
            members += self._model_members(current_task, search_space, round(cfg.model_share * quota), taken)
        transfer_quota = quota - len(members)

        if transfer_quota > 0:
            members += self._transfer(similar, transfer_quota, search_space, taken, notes)
        shortfall = quota - len(members)
        if shortfall > 0:
            msg = f"only {len(members)} of {quota} transfer slots could be filled; {shortfall} more are random"
            logger.info(msg)
            notes.append(msg)

        n_random = population_size - len(members)
        members += [PopulationMember(g, "random") for g in random_fill(search_space, n_random, taken, rng)]
        by_task: dict[str, int] = {}
        for m in members:
            if m.source == "transfer":
                by_task[m.task_id] = by_task.get(m.task_id, 0) + 1
        sims = dict(similar)
        for task_id, count in by_task.items():
            logger.info("transferred %d architecture(s) from %s (similarity %.3f, %s)", count, task_id,
                        sims[task_id], metric)
        logger.info("warm-started population of %d: %d transferred, %d model-ranked, %d random",
                    population_size, sum(by_task.values()), sum(m.source == "model" for m in members),
                    sum(m.source == "random" for m in members))
        return WarmStartPlan(members, similar, metric, notes)

    def find_similar_tasks(self, current_task: TaskMetadata,
                           search_space: SearchSpace | None = None) -> SimilarTasks:
        """Past tasks with similarity >= ``min_similarity`` (and > 0), best first (at most ``top_k_tasks``).

        Returns:
            `SimilarTasks`: the metric actually used (after any fallback) and ``[(task_id, similarity)]``
            (a pair: ``metric, similar = ws.find_similar_tasks(task)`` unpacks it).
        """
        metric = self.config.similarity_metric
        space_id = search_space.id if search_space is not None else None
        past = [t for t in self.kb.get_all_tasks() if t.task_id != current_task.task_id]
        similarity = self._task_metric(metric, current_task, space_id)
        while similarity is None:  # a requirement could not be met: the metric's fallback
            failed, metric = metric, requirements(metric)[1]
            logger.warning("similarity_metric %r unavailable (%s); falling back to %r", failed, self._embedder_error,
                           metric)
            similarity = self._task_metric(metric, current_task, space_id)
        values = similarity.similarities(current_task, past)
        self.last_note = similarity.note
        if self.last_note:
            logger.info("%s", self.last_note)
        sims = [(t.task_id, float(v)) for t, v in zip(past, values)]
        # Similarity 0 means unrelated (e.g. another modality): never transferred from.
        kept = [(tid, s) for tid, s in sims if s > 0.0 and s >= self.config.min_similarity]
        kept.sort(key=lambda x: (-x[1], x[0]))
        return SimilarTasks(metric, kept[: self.config.top_k_tasks])

    # ------------------------------------------------------------------ internals
    def _task_metric(self, name: str | None, task: TaskMetadata, space_id: str | None) -> TaskSimilarity | None:
        """The task metric ``name`` built with what it `requirements` declares; ``None`` if one is
        unavailable and the metric names a fallback.

        Raises:
            ConfigError: a requirement is unavailable and there is no fallback, or the metric
                requires something the warm-starter does not provide.
        """
        if name is None:
            raise ConfigError(f"no task similarity is usable: {self._embedder_error}")
        needs, fallback = requirements(name)
        provided = {"embedder": lambda: self._usable_embedder(task, space_id)}
        unknown = sorted(needs - set(provided))
        if unknown:
            raise ConfigError(
                f"task similarity {name!r} requires {unknown}, which the warm-starter cannot provide (it provides "
                f"{sorted(provided)}); pass a built metric instead"
            )
        kwargs = {need: provided[need]() for need in sorted(needs)}
        if any(v is None for v in kwargs.values()):
            if fallback is None:
                raise ConfigError(f"task similarity {name!r} is unavailable: {self._embedder_error}")
            return None
        return TASK_METRICS.create(name, **kwargs)

    def _usable_embedder(self, task: TaskMetadata, space_id: str | None) -> TaskEmbedder | None:
        if self._embedder is None:
            if self.config.checkpoint is None:
                self._embedder_error = "no 'checkpoint' configured"
                return None
            try:
                from metanas.similarity import load_task_embedder

                self._embedder = load_task_embedder(resolve_path(self.config.checkpoint))
            except (CheckpointError, OSError) as exc:
                self._embedder_error = f"checkpoint {self.config.checkpoint} not usable: {exc}"
                return None
        try:
            if space_id is not None:
                self._embedder.check(task, space_id)
        except CheckpointError as exc:
            self._embedder_error = f"checkpoint does not fit task {task.task_id!r}: {exc}"
            return None
        return self._embedder

    def _candidates(self, task_id: str, space: SearchSpace) -> list[_Candidate]:
        """The ``top_k_archs`` best distinct (by canonical hash) architectures of a past task that
        are valid in ``space``, best first."""
        k = self.config.top_k_archs
        _, direction = self.kb.task_objective(task_id)
        sign = Direction(direction).sign
        fetch = 3 * k
        while True:
            tops = self.kb.top_evaluations(task_id, fetch)
            out: list[_Candidate] = []
            hashes: set[str] = set()
            dropped = 0
            for top in tops:
                try:
                    g = top.graph if top.graph.space_id == space.id else space.validate(top.graph)
                except InvalidArchitectureError:
                    dropped += 1
                    continue
                h = space.canonical_hash(g)
                if h in hashes:
                    continue
                hashes.add(h)
                out.append(_Candidate(g, float(top.value), sign * float(top.value), top))
                if len(out) == k:
                    break
            if len(out) == k or len(tops) < fetch or fetch >= 100 * k:
                break
            fetch *= 4
        if dropped:
            logger.info("%d top architecture(s) of %s are not valid in space %r; skipped", dropped, task_id, space.id)
        return out

    def _transfer(self, similar: list[tuple[str, float]], quota: int, space: SearchSpace,
                  taken: set[str], notes: list[str]) -> list[PopulationMember]:
        # The same architecture may top several tasks: it counts for the most similar one.
        seen: set[str] = set(taken)
        cands: dict[str, list[_Candidate]] = {}
        for tid, _ in similar:
            cands[tid] = []
            for c in self._candidates(tid, space):
                h = space.canonical_hash(c.graph)
                if h not in seen:
                    seen.add(h)
                    cands[tid].append(c)
            if self.config.cost_weight > 0 and cands[tid]:
                cands[tid] = self._cost_adjusted(tid, cands[tid], notes)
        shares = allocate(quota, [s for _, s in similar], [len(cands[tid]) for tid, _ in similar])
        members: list[PopulationMember] = []
        for (tid, sim), share in zip(similar, shares):
            if share == 0:
                continue
            chosen = self._select([c.graph for c in cands[tid]], [c.score for c in cands[tid]], share)
            for i in chosen:
                c = cands[tid][i]
                members.append(PopulationMember(c.graph, "transfer", tid, c.value, sim, c.top.cost))
                taken.add(space.canonical_hash(c.graph))
        return members

    def _cost_adjusted(self, task_id: str, cands: list[_Candidate], notes: list[str]) -> list[_Candidate]:
        """``cands`` re-scored by ``score_n - cost_weight * log_cost_n`` and re-ordered (step 4 of the
        module docstring); unchanged, with a note, when a cost is unknown or units differ."""
        costs = [c.top.cost for c in cands]
        units = {c.top.cost_unit for c in cands}
        missing = sum(c is None or not c > 0 for c in costs)
        if missing or len(units) > 1:
            why = (f"{missing} of its {len(cands)} candidate(s) have no recorded cost" if missing
                   else f"its candidates' costs are in different units {sorted(units)}")
            msg = f"cost_weight={self.config.cost_weight} not applied to {task_id}: {why}; ranked by score alone"
            logger.info(msg)
            notes.append(msg)
            return cands
        score = np.array([c.score for c in cands], dtype=float)
        log_cost = np.log(np.array(costs, dtype=float))

        def unit(v: np.ndarray) -> np.ndarray:
            span = float(v.max() - v.min())
            return (v - v.min()) / span if span > 0 else np.zeros_like(v)

        adjusted = unit(score) - self.config.cost_weight * unit(log_cost)
        order = sorted(range(len(cands)), key=lambda i: (-adjusted[i], i))
        return [cands[i]._replace(score=float(adjusted[i])) for i in order]

    def _select(self, graphs: list[ModelGraph], scores: list[float], k: int) -> list[int]:
        if k >= len(graphs) or self.config.diversity == "none":
            order = sorted(range(len(graphs)), key=lambda i: (-scores[i], i))
            return order[:k]
        extra = {"lambda_": self.config.diversity_lambda} if self.config.diversity == "mmr" else {}
        return list(select_diverse(graphs, scores, k, metric=self.config.diversity_metric,
                                   method=self.config.diversity,
                                   max_similarity=self.config.max_arch_similarity, **extra))

    def _model_members(self, task: TaskMetadata, space: SearchSpace, k: int, taken: set[str]) -> list[PopulationMember]:
        if not isinstance(self._embedder, ArchitectureScorer) or k <= 0:
            return []
        try:
            pool = list(space.enumerate())
        except NotImplementedError:
            logger.info("space %r cannot be enumerated; no model-ranked members", space.id)
            return []
        scores = np.asarray(self._embedder.score_architectures(task, pool), dtype=float)
        out = []
        for i in np.argsort(-scores, kind="stable"):
            g = pool[int(i)]
            h = space.canonical_hash(g)
            if h in taken:
                continue
            taken.add(h)
            out.append(PopulationMember(g, "model"))
            if len(out) == k:
                break
        return out
