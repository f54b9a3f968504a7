"""The experiment variants of the LOTO methods, registered on import.

``metanas bench --plugin benchmarks.methods`` (run from the repository root) makes them
visible to the command; the committed result folders under ``benchmarks/results/`` use
these names.

* ``transfer-bo-cold``: `TransferBO` without any history (what the model-based search alone
  gives; the transfer's own contribution is the ratio to it).
* ``transfer-bo-hedge``: `TransferBO` with ``stack_past="both"`` named explicitly (the plain
  and the stacked target forest side by side in the RGPE ensemble, so that the new task's
  observations decide whether reading the past rankers helps); the strategy's default since
  it was measured, so ``transfer-bo`` runs the same searches.
* ``transfer-bo-plain``: `TransferBO` with ``stack_past=False``, the plain target forest
  alone (the strategy's default before).
* ``transfer-init``, ``transfer-init-inform``, ``transfer-init-exploit``: regularized
  evolution from `TransferBO`'s designed first population (both halves, only the
  informative half, only the exploit half): the two halves of the first population measured
  without the model.
* ``transfer-bo-nested`` and its grid (``benchmarks.nested``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from benchmarks import nested
from metanas.benchmarks.loto import LotoMethod, register_method
from metanas.benchmarks.loto._transfer import TRANSFER_CONFIG, TransferBOMethod, _rankers
from metanas.graph import ModelGraph


class ColdTransferBO(TransferBOMethod):
    """The same model-based search from a cold start (no history)."""

    name = "transfer-bo-cold"
    cold = True
    uses_history = False


class HedgedTransferBO(TransferBOMethod):
    """`TransferBO` whose ensemble holds both target forests, plain and stacked (``stack_past="both"``)."""

    name = "transfer-bo-hedge"
    options: ClassVar[dict[str, Any]] = {"stack_past": "both"}


class PlainTransferBO(TransferBOMethod):
    """`TransferBO` with the plain target forest alone (``stack_past=False``)."""

    name = "transfer-bo-plain"
    options: ClassVar[dict[str, Any]] = {"stack_past": False}


class TransferInit(LotoMethod):
    """Regularized evolution from `TransferBO`'s designed first population (no model)."""

    name = "transfer-init"
    inform_share: ClassVar[float] = TRANSFER_CONFIG.get("inform_share", 0.5)

    def prepare(self, fold) -> None:
        _rankers(fold)

    def initial_population(self, fold, seed: int) -> list[ModelGraph]:
        from metanas.search import TransferBO

        s = fold.settings
        strategy = TransferBO(fold.space, seed, history=_rankers(fold), population_size=s.population_size,
                              tournament_size=s.tournament_size, inform_share=self.inform_share)
        return list(strategy.design)


class TransferInitInform(TransferInit):
    """Only the informative half: each past task's best, most disagreeing architectures."""

    name = "transfer-init-inform"
    inform_share = 1.0


class TransferInitExploit(TransferInit):
    """Only the exploit half: the past tasks' consensus (mean standardised score)."""

    name = "transfer-init-exploit"
    inform_share = 0.0


for _method in (ColdTransferBO, HedgedTransferBO, PlainTransferBO, TransferInit, TransferInitInform,
                TransferInitExploit):
    register_method(_method.name, _method)
for _name, _options in nested.NESTED_GRID[1:]:
    register_method(_name, nested.grid_method(_name, _options))
register_method(nested.NestedTransferBO.name, nested.NestedTransferBO)
