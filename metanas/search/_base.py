"""The `SearchStrategy` base class (ask/tell), its errors and the registry of strategies.

A strategy proposes architectures (`ask`), receives their scores (`tell`, higher is better:
the run loop negates minimised objectives) and accepts extra candidates mid-run (`inject`).
The base class does the bookkeeping every strategy shares, so that a subclass implements
only `SearchStrategy._propose` (and `_on_tell` if it keeps state):

* **No re-evaluation.** An architecture is identified by the space's `SearchSpace.key` (the
  identity a benchmark table is keyed by; on NAS-Bench-Graph isomorphic graphs share it).
  Once asked, a key is never asked again in the run, whether its result is pending or told.
* **Initial population.** Validated at construction (a member outside the space raises),
  duplicates (same key) dropped with a log message; `_next_initial` hands them out in order.
* **Injection.** `inject` queues candidates; `ask` interleaves them with the strategy's own
  proposals: when the queue is not empty, every other ask takes the next queued candidate
  (the first ask after `inject` does, unless the previous ask already came from the queue), so
  at most every other ask is an injected one and the strategy's own proposals stay in the mix.
  Candidates whose key was already asked are skipped (at `inject` and again at `ask`).
* **Randomness** comes only from ``numpy.random.default_rng(seed)``, held by the strategy.
"""

from __future__ import annotations

import logging
import math
import weakref
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from metanas.exceptions import ConfigError, InvalidArchitectureError, MetanasError
from metanas.graph import ModelGraph
from metanas.protocols import HistoryReader
from metanas.registry import Registry
from metanas.spaces import SearchSpace, get_space

__all__ = [
    "STRATEGIES",
    "SearchError",
    "SearchSpaceExhaustedError",
    "SearchStrategy",
    "get_strategy",
    "register_strategy",
    "strategy_names",
]

logger = logging.getLogger(__name__)


class SearchError(MetanasError, RuntimeError):
    """A strategy was used out of order (e.g. `tell` for an architecture it did not ask)."""


class SearchSpaceExhaustedError(SearchError):
    """Every architecture of the search space has already been asked in this run."""


class _KeyCache(dict):
    """``graph -> space.key(graph)``, memoised for one space instance (see `key_cache`).

    Safe because a key depends only on the graph's labelled structure, which is also what
    `ModelGraph` equality and hashing use (``space_id`` is ignored by both). NAS-Bench-Graph
    keys call the package's ``Arch.valid_hash`` (~15 us), which the run loop would otherwise
    pay in the strategy and again in the evaluator, run after run.
    """

    __slots__ = ("__weakref__", "_space")
    #: Entries kept before the cache starts over (bounds memory for spaces without a table).
    MAX_SIZE: ClassVar[int] = 1 << 18

    def __init__(self, space: SearchSpace) -> None:
        super().__init__()
        self._space = weakref.ref(space)  # the registry below must not keep the space alive

    def __missing__(self, graph: ModelGraph) -> str:
        key = self._space().key(graph)
        if len(self) >= self.MAX_SIZE:
            self.clear()
        self[graph] = key
        return key


_KEY_CACHES: weakref.WeakKeyDictionary[SearchSpace, _KeyCache] = weakref.WeakKeyDictionary()


def key_cache(space: SearchSpace) -> _KeyCache:
    """The memo ``graph -> space.key(graph)`` shared by every strategy and evaluator of ``space``
    (the same instance, e.g. a table's ``space``); it lives as long as the space. Holders keep
    the space alive themselves. A space that cannot be weakly referenced or hashed gets a
    private memo."""
    try:
        cache = _KEY_CACHES.get(space)
        if cache is None:
            cache = _KEY_CACHES[space] = _KeyCache(space)
    except TypeError:
        return _KeyCache(space)
    return cache


class SearchStrategy(ABC):
    """Base class of search strategies with an ask/tell interface.

    Args:
        space: the search space (a `SearchSpace` or a registered space id).
        seed: seed of the strategy's ``numpy.random.default_rng``; the only source of randomness.
        initial_population: architectures to evaluate first, in this order (``None``: none).

    Raises:
        ConfigError: ``seed`` is not an int >= 0.
        InvalidArchitectureError: a member of ``initial_population`` is not in ``space``
            (the message gives its index).
    """

    #: Registry name of the strategy (what the experiment database records).
    name: ClassVar[str] = ""
    #: Whether the factory takes ``history=`` (past tasks' observations; `strategy_for_task`) and
    #: designs its own first population from it (`metanas.search.start_search`).
    uses_history: ClassVar[bool] = False
    #: The members the strategy designed for its first population, in order, and where each came
    #: from (a strategy that `uses_history` sets them; others are given theirs).
    design: tuple[ModelGraph, ...] = ()
    design_sources: tuple[str, ...] = ()
    #: Samples drawn to find an architecture not yet asked before enumerating the space.
    _SAMPLE_RETRIES: ClassVar[int] = 1000

    def __init__(
        self,
        space: SearchSpace | str,
        seed: int,
        initial_population: Sequence[ModelGraph] | None = None,
    ) -> None:
        self.space: SearchSpace = get_space(space)
        owner = type(self).__name__
        if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
            raise ConfigError(
                f"The 'seed' parameter of {owner} must be an int >= 0 (metanas uses no global RNG). "
                f"Got {seed!r} instead."
            )
        self.seed: int = int(seed)
        self._rng = np.random.default_rng(self.seed)
        self._keys = key_cache(self.space)
        self._pending: dict[str, ModelGraph] = {}
        self._evaluated: set[str] = set()
        self._injected: deque[ModelGraph] = deque()
        self._last_ask_injected = False
        self._num_asked = 0
        self._enumerated: list[ModelGraph] | None = None
        self.initial_population: tuple[ModelGraph, ...] = self._checked_population(initial_population, owner)
        self._initial: deque[ModelGraph] = deque(self.initial_population)

    # ------------------------------------------------------------------ public interface
    @property
    def config(self) -> dict[str, Any]:
        """The strategy's hyperparameters (JSON-safe; recorded with a run). Subclasses extend it."""
        return {}

    @property
    def num_asked(self) -> int:
        """Architectures asked so far (evaluated or pending)."""
        return self._num_asked

    @property
    def num_evaluated(self) -> int:
        """Architectures told so far."""
        return len(self._evaluated)

    @property
    def pending(self) -> tuple[ModelGraph, ...]:
        """Architectures asked but not yet told, oldest first."""
        return tuple(self._pending.values())

    def is_seen(self, graph: ModelGraph) -> bool:
        """Whether an architecture with ``graph``'s key was already asked in this run."""
        key = self._keys[graph]
        return key in self._evaluated or key in self._pending

    def ask(self) -> ModelGraph:
        """Propose the next architecture to evaluate; never one already asked in this run.

        Returns:
            A graph of the space whose key was not asked before.

        Raises:
            SearchSpaceExhaustedError: every architecture of the space has been asked.
            SearchError: the strategy cannot propose yet (see the subclass).
        """
        graph = None
        if not self._last_ask_injected:
            graph = self._pop_unseen(self._injected)
        from_queue = graph is not None
        if graph is None:
            graph = self._propose()
        key = self._keys[graph]
        if key in self._pending or key in self._evaluated:  # pragma: no cover - a subclass bug
            raise SearchError(f"{type(self).__name__} proposed {graph!r}, which was already asked in this run")
        self._pending[key] = graph
        self._last_ask_injected = from_queue
        self._num_asked += 1
        return graph

    def tell(self, graph: ModelGraph, value: float) -> None:
        """Report the score of an asked architecture.

        Args:
            graph: an architecture returned by `ask` (or one with the same key).
            value: its score, higher is better (negate minimised objectives); not NaN.

        Raises:
            SearchError: ``graph`` was not asked, or was already told.
            ConfigError: ``value`` is not a real number or is NaN.
        """
        if not isinstance(graph, ModelGraph):
            raise SearchError(f"tell expects the ModelGraph returned by ask, got {type(graph).__name__}")
        if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
            raise ConfigError(f"tell: value must be a real number (higher is better), not NaN; got {value!r}")
        key = self._keys[graph]
        asked = self._pending.pop(key, None)
        if asked is None:
            state = "was already told" if key in self._evaluated else "was not asked (or is not pending)"
            raise SearchError(f"tell: architecture {graph!r} {state}; tell each asked architecture exactly once")
        self._evaluated.add(key)
        self._on_tell(asked, float(value))

    def observe(self, graph: ModelGraph, value: float | None = None) -> bool:
        """Report an architecture evaluated outside this strategy's asks (e.g. by another worker).

        With ``value=None`` the architecture counts as asked and pending (being evaluated
        elsewhere, or failed there): it is never proposed. With a value it is told as by
        `tell` (asked first if needed). An architecture already told is ignored.

        Args:
            graph: an architecture of the space.
            value: its score, higher is better (``None``: not known).

        Returns:
            Whether the strategy's state changed.

        Raises:
            InvalidArchitectureError: ``graph`` is not in the space.
            ConfigError: ``value`` is not a real number or is NaN.
        """
        graph = self._validated([graph], "observe", type(self).__name__)[0]
        if value is not None and (isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value)):
            raise ConfigError(f"observe: value must be None or a real number (higher is better), not NaN; got {value!r}")
        key = self._keys[graph]
        if key in self._evaluated or (value is None and key in self._pending):
            return False
        if key not in self._pending:
            self._pending[key] = graph
            self._num_asked += 1
        if value is not None:
            self.tell(graph, value)
        return True

    def inject(self, graphs: Iterable[ModelGraph]) -> int:
        """Queue candidates to be asked soon (interleaved with the strategy's own proposals).

        The queue is asked in order, one candidate every other ask (see the module docs).
        Candidates already asked in this run, or already queued, are skipped.

        Args:
            graphs: architectures of this space.

        Returns:
            How many candidates were queued.

        Raises:
            InvalidArchitectureError: a candidate is not in the space (nothing is queued then).
        """
        checked = self._validated(graphs, "inject", type(self).__name__)
        queued = {self._keys[g] for g in self._injected}
        added = 0
        for graph in checked:
            key = self._keys[graph]
            if key in queued or key in self._pending or key in self._evaluated:
                continue
            queued.add(key)
            self._injected.append(graph)
            added += 1
        if added < len(checked):
            logger.debug("inject: skipped %d candidate(s) already asked or queued", len(checked) - added)
        return added

    @property
    def num_injected_pending(self) -> int:
        """Candidates still waiting in the injection queue (some may turn out already asked)."""
        return len(self._injected)

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _propose(self) -> ModelGraph:
        """The strategy's own next proposal; must not be `is_seen` (use the helpers below)."""

    def _on_tell(self, graph: ModelGraph, value: float) -> None:
        """Called after the bookkeeping of `tell` (``graph`` is the asked object)."""

    # ------------------------------------------------------------------ helpers
    def _next_initial(self) -> ModelGraph | None:
        """Next member of the initial population not yet asked, or ``None`` when none is left."""
        return self._pop_unseen(self._initial)

    def _sample_unseen(self) -> ModelGraph:
        """A sample of the space not yet asked.

        Resamples up to ``_SAMPLE_RETRIES`` times; when all were asked already the space is
        nearly exhausted, and from then on the strategy draws uniformly from the enumerated
        architectures not yet asked (logged once).

        Raises:
            SearchSpaceExhaustedError: no architecture is left (or the space cannot be
                enumerated and ``_SAMPLE_RETRIES`` samples were all seen).
        """
        if self._enumerated is None:
            for _ in range(self._SAMPLE_RETRIES):
                graph = self.space.sample(self._rng)
                key = self._keys[graph]
                if key not in self._evaluated and key not in self._pending:
                    return graph
            self._enumerate_space()
        unseen = [g for g in self._enumerated if not self.is_seen(g)]
        if not unseen:
            raise SearchSpaceExhaustedError(
                f"{type(self).__name__}: all {len(self._enumerated)} architectures of space {self.space.id!r} have "
                f"been asked in this run; the budget exceeds the space"
            )
        return unseen[int(self._rng.integers(0, len(unseen)))]

    def _enumerate_space(self) -> None:
        logger.info(
            "%s: %d samples of space %r were all asked already; drawing from the unseen architectures",
            type(self).__name__, self._SAMPLE_RETRIES, self.space.id,
        )
        try:
            self._enumerated = list(self.space.enumerate())
        except NotImplementedError:
            raise SearchSpaceExhaustedError(
                f"{type(self).__name__}: {self._SAMPLE_RETRIES} samples of space {self.space.id!r} were all "
                f"asked already ({self._num_asked} asked) and the space cannot be enumerated; it is probably "
                "exhausted: lower the budget"
            ) from None

    def _pop_unseen(self, queue: deque[ModelGraph]) -> ModelGraph | None:
        while queue:
            graph = queue.popleft()
            key = self._keys[graph]
            if key not in self._evaluated and key not in self._pending:
                return graph
        return None

    def _validated(self, graphs: Iterable[ModelGraph] | None, what: str, owner: str) -> list[ModelGraph]:
        if graphs is None:
            return []
        if isinstance(graphs, ModelGraph) or not isinstance(graphs, Iterable):
            raise ConfigError(f"{owner} {what} must be a sequence of ModelGraph, got {type(graphs).__name__}")
        out: list[ModelGraph] = []
        for i, graph in enumerate(graphs):
            try:
                out.append(self.space.validate(graph))
            except InvalidArchitectureError as exc:
                raise type(exc)(f"{owner} {what}[{i}] is not in space {self.space.id!r}: {exc}") from exc
        return out

    def _checked_population(self, graphs: Sequence[ModelGraph] | None, owner: str) -> tuple[ModelGraph, ...]:
        members = self._validated(graphs, "initial_population", owner)
        seen: set[str] = set()
        kept: list[ModelGraph] = []
        for graph in members:
            key = self._keys[graph]
            if key not in seen:
                seen.add(key)
                kept.append(graph)
        if len(kept) < len(members):
            logger.info(
                "%s: dropped %d duplicate(s) (same key in space %r) from the initial population of %d",
                owner, len(members) - len(kept), self.space.id, len(members),
            )
        return tuple(kept)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_keys"]  # the shared memo holds a weak reference; rebuilt on unpickling
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._keys = key_cache(self.space)

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.config.items())
        return f"{type(self).__name__}(space={self.space.id!r}, seed={self.seed}{extra})"


# ============================================================================ registry
#: The search strategies by name (entry-point group ``metanas.strategies``). A factory is called
#: as ``factory(space=..., seed=..., initial_population=..., **settings)``.
STRATEGIES: Registry[SearchStrategy] = Registry(
    "search strategy", base=SearchStrategy, entry_point_group="metanas.strategies"
)


def register_strategy(name: str, factory: Callable[..., SearchStrategy]) -> None:
    """Register ``factory(space, seed, initial_population=None, **config)`` under ``name``."""
    STRATEGIES.register(name, factory)


def strategy_names() -> list[str]:
    """Registered strategy names."""
    return STRATEGIES.names()


def uses_history(name: str) -> bool:
    """Whether the registered strategy ``name`` learns from past tasks (takes ``history=``).

    Raises:
        UnknownNameError: the name is not registered.
    """
    return bool(getattr(STRATEGIES.factory(name), "uses_history", False))


def strategy_for_task(name: str, *, space: SearchSpace, seed: int, db: HistoryReader, task_id: str,
                      initial_population: Sequence[ModelGraph] | None = None, **config: Any) -> SearchStrategy:
    """`get_strategy` for a search of ``task_id``: a strategy that `uses_history` gets the
    other tasks of ``db`` as its history (`history_from_db`, ``task_id`` excluded) unless
    ``config`` gives one.

    Raises:
        UnknownNameError / ConfigError: as `get_strategy`.
    """
    if uses_history(name) and "history" not in config:
        from metanas.transfer import history_from_db

        config["history"] = history_from_db(db, space, exclude=[task_id])
        logger.info("%s: history of %d past task(s) from the database", name, len(config["history"]))
    return get_strategy(name, space=space, seed=seed, initial_population=initial_population, **config)


def get_strategy(name: str | SearchStrategy, **kwargs: Any) -> SearchStrategy:
    """Build a strategy by name (an instance is passed through when no arguments are given).

    Args:
        name: a registered name (`strategy_names`) or a `SearchStrategy`.
        **kwargs: the factory's arguments: ``space``, ``seed``, ``initial_population`` and
            the strategy's own settings.

    Raises:
        UnknownNameError: the name is not registered; the message lists the valid ones.
        ConfigError: an instance was given together with arguments, or an argument the
            factory does not take.
    """
    return STRATEGIES.resolve(name, **kwargs)
