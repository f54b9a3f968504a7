"""Search: strategies with an ask/tell interface, evaluators and the run loop.

Strategies (registry `get_strategy`): ``random`` (`RandomSearch`) and
``regularized_evolution`` (`RegularizedEvolution`, aging evolution). Evaluators (registry
`get_evaluator`): ``benchmark`` (`BenchmarkEvaluator`, a table lookup). `run_search` runs
ask -> evaluate -> tell for a budget, with hooks and an optional `DatabaseRecorder`.

Example::

    table = get_suite("nb201").table("nb201/cifar10")
    strategy = get_strategy("regularized_evolution", space=table.space, seed=0)
    result = run_search(strategy, BenchmarkEvaluator(table), budget=300)
    result.best().metrics[result.test_metric]
"""

from __future__ import annotations

from metanas.search._base import (
    SearchError,
    SearchSpaceExhaustedError,
    SearchStrategy,
    get_strategy,
    register_strategy,
    strategy_names,
)
from metanas.search._evaluators import (
    DIRECTIONS,
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
    run_search,
)
from metanas.search._random import RandomSearch

__all__ = [
    "DIRECTIONS",
    "BenchmarkEvaluator",
    "DatabaseRecorder",
    "EvaluationEvent",
    "EvaluationRecord",
    "EvaluationResult",
    "Evaluator",
    "RandomSearch",
    "Recorder",
    "RegularizedEvolution",
    "SearchError",
    "SearchResult",
    "SearchSpaceExhaustedError",
    "SearchStrategy",
    "evaluator_names",
    "get_evaluator",
    "get_strategy",
    "register_evaluator",
    "register_strategy",
    "run_search",
    "strategy_names",
]

register_strategy("random", RandomSearch)
register_strategy("regularized_evolution", RegularizedEvolution)
register_evaluator("benchmark", BenchmarkEvaluator)
