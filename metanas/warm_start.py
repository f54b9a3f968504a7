"""`WarmStarter`: seed a new search with the best, diverse architectures of similar past tasks.

The seed's interface: ``WarmStarter(knowledge_base, config)`` and
``generate_initial_population(current_task, population_size, search_space)``. Steps:

1. Similar past tasks: every task of the database except the current one, scored with the
   configured task similarity (``dataset_meta`` cosine, or ``task_embedding`` through a
   trained meta-learner; without a usable checkpoint it falls back to ``dataset_meta`` and
   logs why); those with similarity >= ``min_similarity``, best ``top_k_tasks``.
2. Quota: ``round(transfer_ratio * population_size)`` transferred members, split across the
   similar tasks in proportion to similarity by the largest-remainder method, so the counts
   add up exactly (the seed's ``max(1, int(...))`` could over- or undershoot).
3. Candidates: each task's ``top_k_archs`` best architectures (direction-aware), kept only if
   valid in the current space (same space id, or accepted by ``validate``), de-duplicated by
   canonical hash; a task with fewer candidates than its share passes the rest to the
   other tasks; what no task can fill is filled randomly, and the log says so.
4. Diversity: within each task, members are chosen by score and architecture similarity
   (maximal marginal relevance or greedy max-min, `metanas.similarity.select_diverse`), so
   the transferred part is not a set of near-copies.
5. Random fill: distinct samples of the space (not equal to a transferred member by key or
   canonical hash), so that exactly ``population_size`` distinct valid architectures return.

Deterministic for a given seed; no global random state.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from metanas.exceptions import CheckpointError, ConfigError, InvalidArchitectureError, MetanasError
from metanas.graph import ModelGraph
from metanas.resources import read_yaml_mapping, resolve_path
from metanas.spaces import SearchSpace
from metanas.tasks import TaskMetadata

__all__ = ["PopulationMember", "WarmStartConfig", "WarmStartPlan", "WarmStarter", "allocate"]

logger = logging.getLogger(__name__)

SIMILARITY_METRICS = ("dataset_meta", "task_embedding")
DIVERSITY_METHODS = ("mmr", "maxmin", "none")
ARCH_METRICS = ("ged", "path", "opdist")


@dataclass(frozen=True)
class WarmStartConfig:
    """Validated warm-start settings (the keys of the YAML files in ``configs/``).

    Attributes:
        transfer_ratio: share of the population transferred from past tasks, in [0, 1].
        min_similarity: least task similarity for a past task to count, in [0, 1].
        similarity_metric: ``dataset_meta`` or ``task_embedding``.
        top_k_tasks: most similar past tasks used (>= 1).
        top_k_archs: best architectures considered per past task (>= 1).
        diversity: ``mmr`` (maximal marginal relevance), ``maxmin`` or ``none``.
        diversity_metric: architecture similarity for diversity: ``ged``, ``path``, ``opdist``.
        diversity_lambda: MMR weight of score against novelty, in [0, 1] (``mmr`` only).
        max_arch_similarity: candidates more similar than this to a chosen one are skipped
            while others remain, in (0, 1].
        checkpoint: meta-learner checkpoint folder for ``task_embedding`` (``None``: none).
        model_share: share of the transfer quota given to architectures that the
            meta-learner ranks best for the new task (``task_embedding`` only), in [0, 1].
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
    seed: int = 0

    def __post_init__(self) -> None:
        for key in ("transfer_ratio", "min_similarity", "diversity_lambda", "model_share"):
            _check_unit(key, getattr(self, key))
        v = self.max_arch_similarity
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 < v <= 1.0:
            raise ConfigError(f"'max_arch_similarity' must be a number in (0, 1], got {v!r}")
        for key in ("top_k_tasks", "top_k_archs"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"'{key}' must be an integer >= 1, got {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"'seed' must be an integer >= 0, got {self.seed!r}")
        _check_choice("similarity_metric", self.similarity_metric, SIMILARITY_METRICS)
        _check_choice("diversity", self.diversity, DIVERSITY_METHODS)
        _check_choice("diversity_metric", self.diversity_metric, ARCH_METRICS)
        if self.checkpoint is not None and not isinstance(self.checkpoint, (str, Path)):
            raise ConfigError(f"'checkpoint' must be a path or null, got {self.checkpoint!r}")

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any] | None) -> WarmStartConfig:
        """Build from a dict; unknown keys raise `ConfigError` listing the known ones."""
        config = dict(config or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ConfigError(f"unknown warm-start config key(s) {unknown}; known keys: {sorted(known)}")
        return cls(**config)

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


def _check_unit(key: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
        raise ConfigError(f"'{key}' must be a number in [0, 1], got {v!r}")


def _check_choice(key: str, v: Any, allowed: Sequence[str]) -> None:
    if v not in allowed:
        raise ConfigError(f"'{key}' must be one of {list(allowed)}, got {v!r}")


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
    """

    graph: ModelGraph
    source: str
    task_id: str | None = None
    score: float | None = None
    similarity: float | None = None


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


def allocate(total: int, weights: Sequence[float], capacity: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` into integer shares proportional to ``weights`` (largest remainder).

    With ``capacity``, no share exceeds its capacity; the excess goes to the others in
    proportion to their weights, and the sum is ``min(total, sum(capacity))``.

    Raises:
        ConfigError: negative total or weights, or mismatched lengths.
    """
    n = len(weights)
    if total < 0 or any(w < 0 or not math.isfinite(w) for w in weights):
        raise ConfigError(f"allocate needs total >= 0 and finite weights >= 0, got {total}, {list(weights)}")
    cap = list(capacity) if capacity is not None else [total] * n
    if len(cap) != n:
        raise ConfigError("allocate: weights and capacity must have the same length")
    shares = [0] * n
    remaining = min(total, sum(cap))
    open_ = [i for i in range(n) if cap[i] > 0]
    while remaining > 0 and open_:
        w = np.array([weights[i] for i in open_], dtype=float)
        if w.sum() <= 0:
            w = np.ones_like(w)
        exact = remaining * w / w.sum()
        base = np.floor(exact).astype(int)
        rest = remaining - int(base.sum())
        # Largest remainder; ties go to the larger weight, then the earlier index.
        order = sorted(range(len(open_)), key=lambda j: (-(exact[j] - base[j]), -w[j], j))
        for j in order[:rest]:
            base[j] += 1
        placed = 0
        for j, i in enumerate(open_):
            give = min(int(base[j]), cap[i] - shares[i])
            shares[i] += give
            placed += give
        remaining -= placed
        open_ = [i for i in open_ if shares[i] < cap[i]]
        if placed == 0:  # pragma: no cover - every round places at least one when capacity remains
            break
    return shares


class WarmStarter:
    """Initial populations from similar past tasks (see the module docstring).

    Args:
        knowledge_base: an `ExperimentDatabase` (or a path/URL to open one).
        config: a `WarmStartConfig` or a mapping of its keys (validated; unknown keys raise).
        task_embedder: a loaded meta-learner (`metanas.similarity.TaskEmbedder`); when
            ``None`` and ``similarity_metric`` is ``task_embedding``, ``config.checkpoint`` is
            loaded; without a usable one the starter falls back to ``dataset_meta``.

    Raises:
        ConfigError: a config value is invalid; the message names the key and the range.
    """

    def __init__(self, knowledge_base: Any, config: Mapping[str, Any] | WarmStartConfig | None = None,
                 *, task_embedder: Any = None) -> None:
        if isinstance(knowledge_base, (str, Path)):
            from metanas.db import ExperimentDatabase

            knowledge_base = ExperimentDatabase(knowledge_base)
        self.kb = knowledge_base
        self.config = config if isinstance(config, WarmStartConfig) else WarmStartConfig.from_mapping(config)
        self._embedder = task_embedder
        self._embedder_error: str | None = None

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
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 1:
            raise ConfigError(f"'population_size' must be an integer >= 1, got {population_size!r}")
        if not isinstance(current_task, TaskMetadata):
            raise ConfigError(f"'current_task' must be a TaskMetadata, got {type(current_task).__name__}")
        if not isinstance(search_space, SearchSpace):
            raise ConfigError(f"'search_space' must be a SearchSpace (metanas.spaces.get_space), got {search_space!r}")
        rng = rng if rng is not None else np.random.default_rng(self.config.seed)
        cfg = self.config
        metric, similar = self.find_similar_tasks(current_task, search_space)
        notes: list[str] = []
        quota = int(round(cfg.transfer_ratio * population_size))
        members: list[PopulationMember] = []
        taken: set[str] = set()

        if not similar:
            msg = (f"no past task reaches min_similarity={cfg.min_similarity} ({metric}); "
                   f"using {population_size} random architectures")
            logger.info(msg)
            notes.append(msg)
            quota = 0

        if quota and metric == "task_embedding" and cfg.model_share > 0:
            members += self._model_members(current_task, search_space, int(round(cfg.model_share * quota)), taken)
        transfer_quota = quota - len(members)

        if transfer_quota > 0:
            members += self._transfer(similar, transfer_quota, search_space, taken)
        shortfall = quota - len(members)
        if shortfall > 0:
            msg = f"only {len(members)} of {quota} transfer slots could be filled; {shortfall} more are random"
            logger.info(msg)
            notes.append(msg)

        n_random = population_size - len(members)
        members += [PopulationMember(g, "random") for g in self._random_fill(search_space, n_random, taken, rng)]
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
                           search_space: SearchSpace | None = None) -> tuple[str, list[tuple[str, float]]]:
        """Past tasks with similarity >= ``min_similarity`` (and > 0), best first (at most ``top_k_tasks``).

        Returns:
            The metric actually used (after any fallback) and ``[(task_id, similarity)]``.
        """
        metric = self.config.similarity_metric
        space_id = search_space.id if search_space is not None else None
        past = [t for t in self.kb.get_all_tasks() if t.task_id != current_task.task_id]
        sims: list[tuple[str, float]] = []
        if metric == "task_embedding":
            embedder = self._usable_embedder(current_task, space_id)
            if embedder is None:
                logger.warning("similarity_metric 'task_embedding' unavailable (%s); falling back to 'dataset_meta'",
                               self._embedder_error)
                metric = "dataset_meta"
            else:
                from metanas.similarity import TaskEmbeddingSimilarity

                similarity = TaskEmbeddingSimilarity(embedder)
                sims = [(t.task_id, float(similarity(current_task, t))) for t in past]
        if metric == "dataset_meta":
            from metanas.similarity import dataset_meta

            sims = [(t.task_id, float(dataset_meta(current_task, t))) for t in past]
        # Similarity 0 means unrelated (other modality or problem type): never transferred from.
        kept = [(tid, s) for tid, s in sims if s > 0.0 and s >= self.config.min_similarity]
        kept.sort(key=lambda x: (-x[1], x[0]))
        return metric, kept[: self.config.top_k_tasks]

    # ------------------------------------------------------------------ internals
    def _usable_embedder(self, task: TaskMetadata, space_id: str | None):
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

    def _candidates(self, task_id: str, space: SearchSpace) -> list[tuple[ModelGraph, float, float]]:
        """The ``top_k_archs`` best distinct (by canonical hash) architectures of a past task that
        are valid in ``space``: ``(graph, value, higher-is-better value)``, best first."""
        k = self.config.top_k_archs
        sign = 1.0 if self.kb.task_objective(task_id)[1] == "maximize" else -1.0
        fetch = 3 * k
        while True:
            tops = self.kb.top_evaluations(task_id, fetch)
            out: list[tuple[ModelGraph, float, float]] = []
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
                out.append((g, float(top.value), sign * float(top.value)))
                if len(out) == k:
                    break
            if len(out) == k or len(tops) < fetch or fetch >= 100 * k:
                break
            fetch *= 4
        if dropped:
            logger.info("%d top architecture(s) of %s are not valid in space %r; skipped", dropped, task_id, space.id)
        return out

    def _transfer(self, similar: list[tuple[str, float]], quota: int, space: SearchSpace,
                  taken: set[str]) -> list[PopulationMember]:
        # The same architecture may top several tasks: it counts for the most similar one.
        seen: set[str] = set(taken)
        cands: dict[str, list[tuple[ModelGraph, float, float]]] = {}
        for tid, _ in similar:
            cands[tid] = []
            for c in self._candidates(tid, space):
                h = space.canonical_hash(c[0])
                if h not in seen:
                    seen.add(h)
                    cands[tid].append(c)
        shares = allocate(quota, [s for _, s in similar], [len(cands[tid]) for tid, _ in similar])
        members: list[PopulationMember] = []
        for (tid, sim), share in zip(similar, shares):
            if share == 0:
                continue
            chosen = self._select([c[0] for c in cands[tid]], [c[2] for c in cands[tid]], share)
            for i in chosen:
                g, value, _ = cands[tid][i]
                members.append(PopulationMember(g, "transfer", tid, value, sim))
                taken.add(space.canonical_hash(g))
        return members

    def _select(self, graphs: list[ModelGraph], scores: list[float], k: int) -> list[int]:
        if k >= len(graphs) or self.config.diversity == "none":
            order = sorted(range(len(graphs)), key=lambda i: (-scores[i], i))
            return order[:k]
        from metanas.similarity import select_diverse

        extra = {"lambda_": self.config.diversity_lambda} if self.config.diversity == "mmr" else {}
        return list(select_diverse(graphs, scores, k, metric=self.config.diversity_metric,
                                   method=self.config.diversity,
                                   max_similarity=self.config.max_arch_similarity, **extra))

    def _model_members(self, task: TaskMetadata, space: SearchSpace, k: int, taken: set[str]) -> list[PopulationMember]:
        scorer = getattr(self._embedder, "score_architectures", None)
        if scorer is None or k <= 0:
            return []
        try:
            pool = list(space.enumerate())
        except NotImplementedError:
            logger.info("space %r cannot be enumerated; no model-ranked members", space.id)
            return []
        scores = np.asarray(scorer(task, pool), dtype=float)
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

    @staticmethod
    def _random_fill(space: SearchSpace, n: int, taken: set[str], rng: np.random.Generator) -> list[ModelGraph]:
        out: list[ModelGraph] = []
        tries = 0
        while len(out) < n:
            g = space.sample(rng)
            h = space.canonical_hash(g)
            tries += 1
            if h in taken:
                if tries > 1000 * max(n, 1):
                    raise MetanasError(
                        f"space {space.id!r} has too few distinct architectures for a population of this size"
                    )
                continue
            taken.add(h)
            out.append(g)
        return out
