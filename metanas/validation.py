"""One validation family for the whole library: the ``check_*`` functions and `Direction`.

Every check takes the value first and the argument's name second; everything else is
keyword-only, so that a call cannot swap a bound and a name. A refused value raises
`ConfigError` (`Direction.parse` takes another error class where the caller's layer has its
own, e.g. `DatabaseError`) with a message in scikit-learn's form, naming the argument, what
must hold and what came in::

    The 'population_size' parameter of RegularizedEvolution must be an int in the range [1, inf).
    Got 0 instead.

This module is on the lowest layer of the import rule: it imports only `metanas.exceptions`,
numpy and the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from numbers import Integral, Real
from typing import Any

from metanas.exceptions import ConfigError, MetanasError

__all__ = ["DIRECTIONS", "Direction", "check_choice", "check_int", "check_unit"]


class Direction(StrEnum):
    """Whether an objective is maximised or minimised.

    A `str` enum: ``Direction.MAXIMIZE == "maximize"``, and ``str()``/f-strings give the plain
    value, so stored directions (database rows, JSON, YAML) stay the strings ``"maximize"`` and
    ``"minimize"``; store ``.value`` where a plain `str` must be kept.
    """

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"

    @property
    def sign(self) -> float:
        """``+1.0`` for `MAXIMIZE`, ``-1.0`` for `MINIMIZE`: a raw score times the sign is higher-is-better."""
        return 1.0 if self is Direction.MAXIMIZE else -1.0

    @classmethod
    def parse(cls, value: Any, where: str, *, error: type[MetanasError] = ConfigError) -> Direction:
        """The `Direction` named by ``value`` (a member or its string value).

        Args:
            value: what came in.
            where: the field, for the message (e.g. ``"run_search: 'direction'"``).
            error: the exception class raised on a bad value.

        Returns:
            The member.

        Raises:
            ConfigError: (or ``error``) ``value`` is not ``"maximize"`` or ``"minimize"``.
        """
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        raise error(f"{where} must be one of {list(DIRECTIONS)}, got {value!r}")


#: The directions' string values, in the order of `Direction`.
DIRECTIONS: tuple[str, ...] = tuple(d.value for d in Direction)


def _subject(name: str, owner: str | None) -> str:
    return f"The {name!r} parameter" + ("" if owner is None else f" of {owner}")


def check_int(value: Any, name: str, *, low: int, high: int | None = None, owner: str | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (``high=None``: no upper bound); booleans are refused.

    Args:
        value: what came in (a Python or numpy integer).
        name: the argument's name, for the message.
        low: the least value accepted.
        high: the greatest value accepted (``None``: unbounded).
        owner: the class or function the argument belongs to, for the message.

    Returns:
        ``int(value)``.

    Raises:
        ConfigError: not an integer or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low \
            or (high is not None and value > high):
        bounds = f"[{low}, inf)" if high is None else f"[{low}, {high}]"
        raise ConfigError(f"{_subject(name, owner)} must be an int in the range {bounds}. Got {value!r} instead.")
    return int(value)


def check_unit(value: Any, name: str, *, allow_none: bool = False, open_low: bool = False,
               owner: str | None = None) -> float | None:
    """``value`` as a float in ``[0, 1]`` (``(0, 1]`` with ``open_low``); booleans and NaN are refused.

    Args:
        value: what came in (a Python or numpy number).
        name: the argument's name, for the message.
        allow_none: accept ``None`` (returned as is).
        open_low: exclude 0.
        owner: the class or function the argument belongs to, for the message.

    Returns:
        ``float(value)``, or ``None`` when allowed and given.

    Raises:
        ConfigError: not a number or out of range.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) \
            or not (0.0 < float(value) <= 1.0 if open_low else 0.0 <= float(value) <= 1.0):
        bounds = ("(0" if open_low else "[0") + ", 1]" + (" or None" if allow_none else "")
        raise ConfigError(f"{_subject(name, owner)} must be a float in the range {bounds}. Got {value!r} instead.")
    return float(value)


def check_choice(value: Any, name: str, allowed: Iterable[str], *, owner: str | None = None) -> str:
    """``value`` if it is one of ``allowed`` (a registry works too: it iterates over its names).

    Args:
        value: what came in.
        name: the argument's name, for the message.
        allowed: the accepted strings.
        owner: the class or function the argument belongs to, for the message.

    Returns:
        ``value``.

    Raises:
        ConfigError: not one of them; the message lists them.
    """
    choices = list(allowed)
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{_subject(name, owner)} must be one of {choices}. Got {value!r} instead.")
    return value
