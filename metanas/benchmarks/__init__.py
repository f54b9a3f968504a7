"""Benchmark suites (NAS-Bench-201, NAS-Bench-Graph) and the leave-one-task-out protocol."""

from __future__ import annotations

from metanas.benchmarks import _nb201_pypi  # noqa: F401  (registers the suite 'nb201-pypi')
from metanas.benchmarks._import import IMPORT_STRATEGY, ImportResult, import_suite
from metanas.benchmarks._suites import (
    SUITES,
    BenchmarkSuite,
    BenchmarkTable,
    NasBenchGraphSuite,
    NB201Suite,
    default_nb201_dir,
    get_suite,
    register_suite,
    suite_names,
    suite_of_task,
)
from metanas.benchmarks._synthetic import build_synthetic_db
from metanas.benchmarks._targets import parse_target, target_value

__all__ = [
    "IMPORT_STRATEGY",
    "SUITES",
    "BenchmarkSuite",
    "BenchmarkTable",
    "ImportResult",
    "NB201Suite",
    "NasBenchGraphSuite",
    "build_synthetic_db",
    "default_nb201_dir",
    "get_suite",
    "import_suite",
    "parse_target",
    "register_suite",
    "suite_names",
    "suite_of_task",
    "target_value",
]
