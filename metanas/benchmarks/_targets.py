"""Search targets of a benchmark table: ``best`` or ``topP`` (the top-P% quantile of the objective).

A user benchmark reaches the same values as the LOTO protocol through `target_value`::

    target_value(table, "top1")    # the objective value of the task's top 1% (ties included)
    target_value(table, "best")    # the task's best objective value

``topP`` is the quantile at ``1 - P/100`` of the objective when it is maximised (``P/100``
when minimised) with numpy's ``higher`` (``lower``) method, so the target is always a value
of the table: the ``floor((n - 1) * P/100) + 1``-th best of ``n`` architectures.
"""

from __future__ import annotations

import re
from fractions import Fraction

from metanas.benchmarks._suites import BenchmarkTable
from metanas.exceptions import ConfigError

__all__ = ["parse_target", "target_value"]

_TOP = re.compile(r"top(\d+(?:\.\d+)?)")


def parse_target(target: str) -> float | None:
    """The top fraction of a target name: ``"top0.1"`` -> ``0.001``, ``"best"`` -> ``None``.

    The percentage is read as an exact decimal, so ``top0.1`` gives the float ``0.001``.

    Raises:
        ConfigError: not ``best`` and not ``top`` followed by a percentage strictly between 0
            and 100 (written as digits with an optional decimal point).
    """
    if target == "best":
        return None
    match = _TOP.fullmatch(target) if isinstance(target, str) else None
    percent = Fraction(match.group(1)) if match else None
    if percent is None or not 0 < percent < 100:
        raise ConfigError(
            f"'target' must be 'best' or 'topP' with P a percentage strictly between 0 and 100 "
            f"(e.g. top1, top0.1, top2.5), got {target!r}"
        )
    return float(percent / 100)


def target_value(table: BenchmarkTable, target: str) -> float:
    """The objective value a search of ``table`` must reach for ``target`` (``best`` or ``topP``).

    Raises:
        ConfigError: ``target`` is malformed (see `parse_target`).
    """
    fraction = parse_target(target)
    return table.best_value() if fraction is None else table.quantile_target(fraction)
