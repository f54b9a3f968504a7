"""Search: strategies with an ask/tell interface, evaluators and the run loop.

Strategies (registry `STRATEGIES`, `get_strategy`): ``random`` (`RandomSearch`),
``regularized_evolution`` (`RegularizedEvolution`, aging evolution) and ``transfer-bo``
(`TransferBO`: a surrogate of the past tasks and the new one, weighted by RGPE and read by an
acquisition, `UpperConfidenceBound`, interleaved with evolution; its ``surrogate`` is the
past-task tree rankers with target forests (``"trees"``), the Bayesian surrogate over an
architecture embedding (``"learned"``, `metanas.transfer.BayesianSurrogate`) or both; its
first population comes from an `metanas.transfer.InitialDesign`; without a history it is the
same model-based search from a cold start). `start_search` builds a strategy for a task of an
experiment database and owns its first population (a warm start, or the strategy's own design).
Evaluators (registry `EVALUATORS`, `get_evaluator`): ``benchmark`` (`BenchmarkEvaluator`, a
table lookup), and the training evaluators ``image_classification`` and
``node_classification`` (`metanas.networks`: build the network, train it, validation accuracy as
the objective; torch imported when built). A new one is a module plus one line, e.g.
``STRATEGIES.register("my-search", MySearch)``, or an entry point in the group
``metanas.strategies`` / ``metanas.evaluators`` of another distribution. `run_search` runs
ask -> evaluate -> tell for a budget, with hooks and an optional `DatabaseRecorder`.

Example::

    table = get_suite("nb201").table("nb201/cifar10")
    strategy = get_strategy("regularized_evolution", space=table.space, seed=0)
    result = run_search(strategy, BenchmarkEvaluator(table), budget=300)
    result.best().metrics[result.test_metric]
"""

from __future__ import annotations

from metanas.search._base import (
    STRATEGIES,
    SearchError,
    SearchSpaceExhaustedError,
    SearchStrategy,
    get_strategy,
    register_strategy,
    strategy_for_task,
    strategy_names,
    uses_history,
)
from metanas.search._evaluators import (
    DIRECTIONS,
    EVALUATORS,
    FAILURE_REASONS,
    BenchmarkEvaluator,
    EvaluationResult,
    Evaluator,
    evaluator_names,
    get_evaluator,
    register_evaluator,
)
from metanas.search._evolution import RegularizedEvolution
from metanas.search._loop import (
    DatabaseRecorder,
    EvaluationEvent,
    EvaluationRecord,
    Recorder,
    SearchResult,
    failure_of,
    run_search,
)
from metanas.search._random import RandomSearch
from metanas.search._start import SearchStart, start_search
from metanas.search._transfer import SURROGATES, TransferBO, UpperConfidenceBound, informative_population
from metanas.transfer import (
    CandidatePool,
    PastTask,
    TargetSurrogate,
    TaskRankers,
    history_from_db,
    rgpe_weights,
)

__all__ = [
    "DIRECTIONS",
    "EVALUATORS",
    "FAILURE_REASONS",
    "STRATEGIES",
    "SURROGATES",
    "BenchmarkEvaluator",
    "CandidatePool",
    "DatabaseRecorder",
    "EvaluationEvent",
    "EvaluationRecord",
    "EvaluationResult",
    "Evaluator",
    "PastTask",
    "RandomSearch",
    "Recorder",
    "RegularizedEvolution",
    "SearchError",
    "SearchResult",
    "SearchSpaceExhaustedError",
    "SearchStart",
    "SearchStrategy",
    "TargetSurrogate",
    "TaskRankers",
    "TransferBO",
    "UpperConfidenceBound",
    "evaluator_names",
    "failure_of",
    "get_evaluator",
    "get_strategy",
    "history_from_db",
    "informative_population",
    "register_evaluator",
    "register_strategy",
    "rgpe_weights",
    "run_search",
    "start_search",
    "strategy_for_task",
    "strategy_names",
    "uses_history",
]

STRATEGIES.register("random", RandomSearch)
STRATEGIES.register("regularized_evolution", RegularizedEvolution)
STRATEGIES.register("transfer-bo", TransferBO)
EVALUATORS.register("benchmark", BenchmarkEvaluator)
# The training evaluators ``image_classification`` and ``node_classification`` live a layer above
# (`metanas.networks`, torch imported when one is built) and register through metanas's own
# entry points in the group ``metanas.evaluators`` (pyproject.toml), as any plugin would.
