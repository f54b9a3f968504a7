"""Benchmark suites (NAS-Bench-201, NAS-Bench-Graph) and the leave-one-task-out protocol."""

from __future__ import annotations

from metanas.benchmarks._suites import (
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

__all__ = [
    "BenchmarkSuite",
    "BenchmarkTable",
    "NB201Suite",
    "NasBenchGraphSuite",
    "default_nb201_dir",
    "get_suite",
    "register_suite",
    "suite_names",
    "suite_of_task",
]
