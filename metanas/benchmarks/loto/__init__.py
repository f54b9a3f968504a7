"""The leave-one-task-out (LOTO) speedup protocol.

For each task T of a suite (a *fold*) and each history seed h:

* History: the other tasks of the suite that share T's search space. ``random-1000``: 1,000
  table rows per past task drawn uniformly without replacement by a generator seeded by
  ``(h, past task)``, imported as one run (strategy ``random-1000``) per past task into a
  fresh database for the fold; ``full``: whole tables; ``trajectory``: one recorded
  regularized-evolution run of 1,000 evaluations per past task (seeded by ``(h, task)``).
  ``shuffle_history`` permutes the scores across the imported architectures (a control
  in which no warm start should help).
* Each method builds an initial population (``random``: none, so the strategy samples its
  own; ``dataset_meta``: the `WarmStarter`; later methods plug in through `LOTO_METHODS`),
  then the search runs with budget B on T's table: the method's own strategy (a registry
  name with options, default regularized evolution; `LotoMethod.build_strategy` lets a method
  bring its own) with the settings' ``evaluator`` (default the table lookup). Search seeds
  vary only the search; a method that reads no history (the random baseline) runs once per seed.
* The baseline (``LotoSettings.baseline``, default ``random``: regularized evolution from a
  random population) is named in ``summary.json`` and in the table caption, as is each
  method's strategy.
* Per run: evaluations-to-target (first evaluation whose best-so-far reaches the target,
  1-based; censored at B+1), best-so-far after every evaluation, regret to T's best after
  20, 50, 100 and B evaluations, the test metric of the returned architecture, and the
  time-to-target: the summed cost (`BenchmarkTable.cost`, e.g. ``nb201-pypi``'s training time)
  of the evaluations up to evaluations-to-target (all B when censored; empty for tables
  without costs), with its median per task and method in ``summary.json``.
* Noise (``noise="seed"``): each evaluation sees one draw of `BenchmarkTable.observe` (for
  ``nb201-pypi``, one training seed's accuracy) from a generator seeded by the held-out task
  and the search seed (`noise_seed`; the same for every method), and the search steers by the
  draws. The target, the curve, the regrets and the test metric stay on the true (seed-mean)
  values of the evaluated architectures: a run is credited once it has evaluated an
  architecture whose mean reaches the target.
* Speedup of a method on a task = median evaluations-to-target of the baseline / that of the
  method (medians over all its runs, censored values counted as B+1). When the random
  median is censored the speedup is a lower bound (flagged); when the method's median is
  censored the task does not meet the target. Reduction = 1 - 1/median speedup over tasks.
* Targets: ``best`` or ``topP``, the task's top-P% quantile of the objective for any P in
  (0, 100) (`target_value`).

Modules: ``_settings`` (`LotoSettings`), ``_methods`` (`LotoMethod`, `Fold`, the registry
`LOTO_METHODS`), ``_transfer`` (`MeanRankInit`, `TransferBOMethod`), ``_history`` (`build_history`), ``_runner`` (`run_loto`), ``_results``
(`LotoResult`, `summarise`, `evals_to_target`, `time_to_target`, `task_info`) and ``_report`` (`render_summary`,
the one table renderer).
"""

from __future__ import annotations

from metanas.benchmarks._targets import parse_target, target_value
from metanas.benchmarks.loto._history import build_history, past_tasks, pool_tasks
from metanas.benchmarks.loto._methods import (
    LOTO_METHODS,
    Fold,
    FoldCache,
    LotoMethod,
    MethodSpec,
    RandomInit,
    WarmStartMethod,
    create_method,
    method_names,
    register_method,
)
from metanas.benchmarks.loto._report import format_table, render_info, render_summary
from metanas.benchmarks.loto._results import LotoResult, evals_to_target, summarise, task_info, time_to_target
from metanas.benchmarks.loto._runner import history_key, noise_seed, run_loto, run_one
from metanas.benchmarks.loto._settings import HISTORIES, NOISES, REGRET_AT, LotoSettings
from metanas.benchmarks.loto._transfer import MeanRankInit, TransferBOMethod

__all__ = [
    "HISTORIES",
    "LOTO_METHODS",
    "NOISES",
    "REGRET_AT",
    "Fold",
    "FoldCache",
    "LotoMethod",
    "LotoResult",
    "LotoSettings",
    "MeanRankInit",
    "MethodSpec",
    "RandomInit",
    "TransferBOMethod",
    "WarmStartMethod",
    "build_history",
    "create_method",
    "evals_to_target",
    "format_table",
    "history_key",
    "method_names",
    "noise_seed",
    "parse_target",
    "past_tasks",
    "pool_tasks",
    "register_method",
    "render_info",
    "render_summary",
    "run_loto",
    "run_one",
    "summarise",
    "target_value",
    "task_info",
    "time_to_target",
]


def _register_library_methods() -> None:
    """The methods of the library, one line each (experiment variants: the repository's
    ``benchmarks/methods.py``, loaded with ``metanas bench --plugin benchmarks.methods``)."""
    register_method("random", RandomInit)
    register_method("dataset_meta", WarmStartMethod, metric="dataset_meta")
    register_method("task_embedding", WarmStartMethod, metric="task_embedding")
    register_method("task_embedding+refine", WarmStartMethod, metric="task_embedding", refine=True)
    register_method("naive_meanrank", MeanRankInit, top=10)
    register_method("transfer-bo", TransferBOMethod)
    # the transfer search with the learned Bayesian surrogate over the fold's meta-learner (issue 23)
    register_method("transfer-bo-learned", TransferBOMethod, surrogate="learned", embedding="learned")


_register_library_methods()
