"""The experiment database: tasks, search runs, architectures and their evaluations.

`ExperimentDatabase` stores past searches on SQLAlchemy 2 (an SQLite file by default, or
any SQLAlchemy URL such as PostgreSQL) with an Alembic-versioned schema; `Evaluation`,
`TopEvaluation` and `RunInfo` are the records it returns. The database layer knows neither
the search spaces nor the benchmarks: filling a database from benchmark suites lives in
`metanas.benchmarks` (`import_suite`, `build_synthetic_db`; still importable from here).
"""

from __future__ import annotations

from typing import Any

from metanas.db._database import ExperimentDatabase, schema_head
from metanas.db._engine import safe_url
from metanas.db._lease import RunLease, RunLeaseError
from metanas.db._records import Evaluation, Objective, RunInfo, TopEvaluation

__all__ = [
    "IMPORT_STRATEGY",
    "Evaluation",
    "ExperimentDatabase",
    "ImportResult",
    "Objective",
    "RunInfo",
    "RunLease",
    "RunLeaseError",
    "TopEvaluation",
    "build_synthetic_db",
    "import_suite",
    "safe_url",
    "schema_head",
]

#: Names that moved to `metanas.benchmarks` (the module that defines each), re-exported lazily
#: so that importing the database layer never imports the benchmarks.
_MOVED = {
    "IMPORT_STRATEGY": "metanas.benchmarks._import",
    "ImportResult": "metanas.benchmarks._import",
    "import_suite": "metanas.benchmarks._import",
    "build_synthetic_db": "metanas.benchmarks._synthetic",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module 'metanas.db' has no attribute {name!r}")
