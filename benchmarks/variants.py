"""`TransferBOVariant`: `TransferBO` with the fixed parts that were once options, for the experiments.

Issue 23 pruned `TransferBO`'s options to a frozen few; what the committed experiments varied
beyond them is now either a class constant of the strategy (``STACK_PAST``, ``WEIGHT_FOCUS``) or
a setting of its first population's `InformativeDesign` (``inform_share``, ``design_order``).
The experiment variants (``transfer-bo-plain``, the nested grid's members, ...) reach them
through this LOTO method, so that the library keeps one configuration and the experiments stay
reproducible.
"""

from __future__ import annotations

from typing import Any

from metanas.benchmarks.loto import TransferBOMethod
from metanas.exceptions import ConfigError
from metanas.transfer import DESIGN_ORDERS
from metanas.validation import check_choice, check_unit

__all__ = ["TransferBOVariant"]

#: The knobs of a variant: the strategy's class constants they set ...
CONSTANTS = {"stack_past": "STACK_PAST", "weight_focus": "WEIGHT_FOCUS"}
#: ... and the settings of the trees design (`InformativeDesign`) they set.
DESIGN = {"inform_share": "inform_share", "design_order": "order"}


def split_knobs(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``options`` split into the strategy's class constants, the trees design's settings and the
    rest (`TransferBO` options)."""
    rest = dict(options)
    constants = {CONSTANTS[k]: rest.pop(k) for k in list(rest) if k in CONSTANTS}
    design = {DESIGN[k]: rest.pop(k) for k in list(rest) if k in DESIGN}
    return constants, design, rest


class TransferBOVariant(TransferBOMethod):
    """`TransferBOMethod` with some fixed parts of `TransferBO` changed.

    Args:
        stack_past: the target forests of the trees surrogate (``TransferBO.STACK_PAST``): ``"both"``
            (the strategy's), ``False`` (the plain forest alone), ``True`` (the stacked one alone).
        weight_focus: RGPE's ``top_focus`` (``TransferBO.WEIGHT_FOCUS``; the strategy's is 0).
        inform_share: the informative share of the trees design (`InformativeDesign`; 0.5).
        design_order: ``"exploit-first"`` (the strategy's) or ``"inform-first"``.
        **options: as `TransferBOMethod` (``cold``, ``embedding`` and `TransferBO` options).

    Raises:
        ConfigError: a knob of the wrong type or out of range, or one a cold run cannot use.
    """

    def __init__(self, *, stack_past: bool | str | None = None, weight_focus: float | None = None,
                 inform_share: float | None = None, design_order: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        if stack_past is not None and not (isinstance(stack_past, bool) or stack_past == "both"):
            raise ConfigError(f"'stack_past' must be true, false or 'both', got {stack_past!r}")
        if weight_focus is not None and (isinstance(weight_focus, bool) or not isinstance(weight_focus, (int, float))
                                         or weight_focus < 0):
            raise ConfigError(f"'weight_focus' must be a number >= 0, got {weight_focus!r}")
        self.constants = {CONSTANTS[k]: v for k, v in (("stack_past", stack_past), ("weight_focus", weight_focus))
                          if v is not None}
        self.design = {k: v for k, v in (("inform_share", inform_share), ("order", design_order)) if v is not None}
        if self.design and (self.cold or self.options.get("surrogate", "trees") != "trees"):
            raise ConfigError("'inform_share' and 'design_order' set the trees design of a run with a history")
        if inform_share is not None:
            check_unit(inform_share, "inform_share", owner="TransferBOVariant")
        if design_order is not None:
            check_choice(design_order, "design_order", DESIGN_ORDERS, owner="TransferBOVariant")
        self.knobs = {k: v for k, v in (("stack_past", stack_past), ("weight_focus", weight_focus),
                                        ("inform_share", inform_share), ("design_order", design_order))
                      if v is not None}

    def describe(self, settings) -> str:
        knobs = "".join(f", {k} {v}" for k, v in sorted(self.knobs.items()))
        return super().describe(settings).replace("), ", f"{knobs}), ", 1)

    def transfer_class(self) -> type:
        """`TransferBO`, or a subclass with the constants that differ from its own."""
        base = super().transfer_class()
        changed = {k: v for k, v in self.constants.items() if getattr(base, k) != v}
        return type(f"{base.__name__}Variant", (base,), changed) if changed else base

    def options_for(self, fold) -> dict[str, Any]:
        options = dict(super().options_for(fold))
        constants, design, options = split_knobs(options)  # a subclass's options_for may carry knobs too
        self.constants, self.design = {**self.constants, **constants}, {**self.design, **design}
        if self.design:
            from metanas.transfer import InformativeDesign

            options["initial_design"] = InformativeDesign(fold.rankers(), **self.design)
        return options
