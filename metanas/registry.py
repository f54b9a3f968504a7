"""One generic registry for every extension point (spaces, strategies, evaluators, metrics, ...).

Each extension point owns one `Registry` instance; adding an implementation is one module plus
one ``registry.register("name", Factory)`` line (or an entry point in another distribution's
metadata, in the registry's group, e.g. ``metanas.strategies``)::

    from metanas.search import STRATEGIES
    STRATEGIES.register("my-search", MySearch)
    strategy = STRATEGIES.create("my-search", space=space, seed=0)

`Registry.resolve` accepts a name or an instance of the registry's base class, like PyTorch
Geometric's resolvers, and an unknown name raises `UnknownNameError` listing the valid ones.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from metanas.exceptions import ConfigError, UnknownNameError

__all__ = ["Registry", "check_kwargs"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Registry(Generic[T]):
    """Names -> factories of one extension point.

    Args:
        kind: what the entries are, for messages (e.g. ``"search strategy"``).
        base: the class (or protocol with ``runtime_checkable``) of built objects; `resolve`
            passes instances of it through. ``None``: anything that is not a string passes.
        entry_point_group: the ``importlib.metadata`` entry-point group of plugins (e.g.
            ``"metanas.strategies"``); loaded once, on the first lookup or listing.
        error: the `UnknownNameError` subclass raised for an unknown name.
    """

    def __init__(
        self,
        kind: str,
        *,
        base: type | None = None,
        entry_point_group: str | None = None,
        error: type[UnknownNameError] = UnknownNameError,
    ) -> None:
        self.kind = kind
        self.base = base
        self.entry_point_group = entry_point_group
        self.error = error
        self._factories: dict[str, Callable[..., T]] = {}
        self._plugins_loaded = entry_point_group is None

    # ------------------------------------------------------------------ registration
    def register(self, name: str, factory: Callable[..., T] | None = None, *, replace: bool = False) -> Any:
        """Register ``factory`` under ``name``; without a factory, return a class/function decorator.

        Args:
            name: the registry name (a non-empty string without surrounding blanks).
            factory: a callable building the object (usually the class itself).
            replace: allow replacing an existing entry (otherwise a duplicate name is refused).

        Returns:
            The factory (so it can be used as a decorator).

        Raises:
            ConfigError: the name is empty or not a string, the factory is not callable, or the
                name is taken and ``replace`` is false.
        """
        if not isinstance(name, str) or not name or name != name.strip():
            raise ConfigError(f"a {self.kind} name must be a non-empty string without surrounding blanks, got {name!r}")
        if factory is None:
            return lambda f: self.register(name, f, replace=replace)
        if not callable(factory):
            raise ConfigError(f"{self.kind} {name!r}: the factory must be callable, got {type(factory).__name__}")
        if name in self._factories and not replace and self._factories[name] is not factory:
            raise ConfigError(
                f"{self.kind} {name!r} is already registered ({_describe(self._factories[name])}); "
                "pick another name or pass replace=True"
            )
        self._factories[name] = factory
        return factory

    def unregister(self, name: str) -> None:
        """Remove an entry (a no-op for unknown names); meant for tests and plugin reloads."""
        self._factories.pop(name, None)

    # ------------------------------------------------------------------ lookup
    def names(self) -> list[str]:
        """The registered names, sorted (plugins included)."""
        self._load_plugins()
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return isinstance(name, str) and name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def factory(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name``.

        Raises:
            UnknownNameError: (or the registry's subclass of it) naming the valid choices.
        """
        self._load_plugins()
        try:
            return self._factories[name]
        except (KeyError, TypeError):
            raise self.error(f"unknown {self.kind} {name!r}; choose one of {self.names()}") from None

    def create(self, name: str, **kwargs: Any) -> T:
        """Build the entry ``name`` with keyword arguments, checked against the factory's signature.

        Raises:
            UnknownNameError: the name is not registered.
            ConfigError: an argument the factory does not accept, or a required one missing.
        """
        factory = self.factory(name)
        check_kwargs(factory, kwargs, f"{self.kind} {name!r}")
        return factory(**kwargs)

    def resolve(self, obj: str | T, **kwargs: Any) -> T:
        """A name is built with ``kwargs``; an instance is passed through (then no ``kwargs`` allowed).

        Raises:
            UnknownNameError: an unknown name.
            ConfigError: an instance together with arguments, an object of the wrong type, or
                arguments the factory does not take.
        """
        if isinstance(obj, str):
            return self.create(obj, **kwargs)
        if self.base is not None and not isinstance(obj, self.base):
            raise ConfigError(
                f"expected a {self.kind} name (one of {self.names()}) or a {self.base.__name__}, "
                f"got {type(obj).__name__}"
            )
        if kwargs:
            raise ConfigError(
                f"got a {type(obj).__name__} instance and arguments {sorted(kwargs)}; pass a {self.kind} name "
                "to build one with arguments"
            )
        return obj

    # ------------------------------------------------------------------ plugins
    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name in self._factories:
                logger.warning("%s plugin %r (%s) ignored: the name is already registered", self.kind, ep.name, ep.value)
                continue
            try:
                factory = ep.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the registry
                logger.warning("%s plugin %r (%s) could not be loaded: %s", self.kind, ep.name, ep.value, exc)
                continue
            self.register(ep.name, factory)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._factories)} entries)"


def _describe(factory: Callable[..., Any]) -> str:
    module = getattr(factory, "__module__", "?")
    return f"{module}.{getattr(factory, '__qualname__', repr(factory))}"


def check_kwargs(factory: Callable[..., Any], kwargs: dict[str, Any], what: str) -> None:
    """Raise `ConfigError` if ``kwargs`` has a name ``factory`` does not accept (or lacks a required one)."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    names = [n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    unknown = sorted(set(kwargs) - set(names))
    if unknown:
        raise ConfigError(f"{what} got unknown argument(s) {unknown}; it accepts {names}")
    missing = [n for n in names if params[n].default is inspect.Parameter.empty and n not in kwargs]
    if missing:
        raise ConfigError(f"{what} needs the argument(s) {missing}; it accepts {names}")
