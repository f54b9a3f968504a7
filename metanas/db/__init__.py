"""The experiment database: tasks, search runs, architectures and their evaluations.

`ExperimentDatabase` stores past searches on SQLAlchemy 2 (an SQLite file by default, or
any SQLAlchemy URL such as PostgreSQL) with an Alembic-versioned schema; `Evaluation`,
`TopEvaluation` and `RunInfo` are the records it returns. `import_suite` fills a database
with whole benchmark tables; `build_synthetic_db` with synthetic tasks over real
architectures (for scale tests).
"""

from __future__ import annotations

from metanas.db._database import ExperimentDatabase, schema_head
from metanas.db._history import IMPORT_STRATEGY, ImportResult, import_suite
from metanas.db._records import Evaluation, RunInfo, TopEvaluation
from metanas.db._synthetic import build_synthetic_db

__all__ = [
    "IMPORT_STRATEGY",
    "Evaluation",
    "ExperimentDatabase",
    "ImportResult",
    "RunInfo",
    "TopEvaluation",
    "build_synthetic_db",
    "import_suite",
    "schema_head",
]
