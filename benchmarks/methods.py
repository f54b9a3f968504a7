"""The experiment variants of the LOTO methods, registered on import.

``metanas bench --plugin benchmarks.methods`` (run from the repository root) makes them
visible to the command; the committed result folders under ``benchmarks/results/`` use
these names.

* ``transfer-bo-cold``: `TransferBO` without any history (what the model-based search alone
  gives; the transfer's own contribution is the ratio to it).
The knobs that issue 23 pruned from `TransferBO` (``stack_past``, ``weight_focus``, ``inform_share``,
``design_order``) are options of `benchmarks.variants.TransferBOVariant`.

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
* Issue 23's surrogates: ``transfer-bo-trees`` (the tree rankers and target forests, today's
  default), ``transfer-bo-learned`` (a library method since: the Bayesian surrogate over the fold's
  meta-learner, GNN embedding, past heads as the prior), ``transfer-bo-both`` (that surrogate as one more member of
  the trees' RGPE ensemble), ``transfer-bo-ridge`` (the Bayesian surrogate over a ridge embedding
  of the space's own features: no meta-learner) and ``transfer-bo-learned-cold`` (the Bayesian
  surrogate with a flat prior and no history).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks import nested
from benchmarks.variants import TransferBOVariant
from metanas.benchmarks.loto import Fold, LotoMethod, TransferBOMethod, register_method
from metanas.graph import ModelGraph

__all__ = ["TransferInit", "register"]


class TransferInit(LotoMethod):
    """The strategy (regularized evolution) from `TransferBO`'s designed first population, no model.

    Args:
        inform_share: `TransferBO`'s share of the informative half of the design (each past
            task's best, most disagreeing architectures; the rest: the past tasks' consensus).
        strategy: as `LotoMethod`.
        strategy_options: as `LotoMethod`.
    """

    def __init__(self, inform_share: float = 0.5, *, strategy: str = "regularized_evolution",
                 strategy_options: Mapping[str, Any] | None = None) -> None:
        super().__init__(strategy=strategy, strategy_options=strategy_options)
        self.inform_share = inform_share

    def start_label(self) -> str:
        return f"from TransferBO's designed population (inform_share {self.inform_share})"

    def prepare(self, fold: Fold) -> None:
        fold.rankers()

    def initial_population(self, fold: Fold, seed: int) -> list[ModelGraph]:
        from metanas.search import TransferBO
        from metanas.transfer import InformativeDesign

        s = fold.settings
        design = InformativeDesign(fold.rankers(), inform_share=self.inform_share)
        strategy = TransferBO(fold.space, seed, history=fold.rankers(), population_size=s.population_size,
                              tournament_size=s.tournament_size, initial_design=design)
        return list(strategy.design)


def register() -> None:
    """Register every variant (idempotent: the same name, factory and options again are a no-op)."""
    register_method("transfer-bo-cold", TransferBOMethod, cold=True)
    register_method("transfer-bo-hedge", TransferBOVariant, stack_past="both")
    register_method("transfer-bo-plain", TransferBOVariant, stack_past=False)
    register_method("transfer-init", TransferInit, inform_share=0.5)
    register_method("transfer-init-inform", TransferInit, inform_share=1.0)
    register_method("transfer-init-exploit", TransferInit, inform_share=0.0)
    for name, options in nested.NESTED_GRID[1:]:  # the first is transfer-bo itself
        register_method(name, TransferBOVariant, **options)
    register_method("transfer-bo-nested", nested.NestedTransferBO)
    # issue 23: the surrogates side by side (the same TransferBO otherwise)
    register_method("transfer-bo-trees", TransferBOMethod, surrogate="trees")
    register_method("transfer-bo-ridge", TransferBOMethod, surrogate="learned")
    register_method("transfer-bo-both", TransferBOMethod, surrogate="both", embedding="learned")
    register_method("transfer-bo-learned-cold", TransferBOMethod, surrogate="learned", cold=True)


register()
