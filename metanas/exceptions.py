"""Exception hierarchy of metanas: every error the library raises derives from `MetanasError`.

Messages name the thing, what must hold, what was received and the fix, so that the CLI can
print them as they are (without a traceback).
"""

from __future__ import annotations

__all__ = [
    "BenchmarkDataError",
    "CheckpointError",
    "ConfigError",
    "DatabaseError",
    "DatabaseOpenError",
    "EvaluationFailedError",
    "InvalidArchitectureError",
    "InvalidTaskError",
    "MetanasError",
    "SchemaVersionError",
    "UnknownNameError",
    "UnknownOperationError",
    "UnknownSuiteError",
    "UnknownTaskError",
]


class MetanasError(Exception):
    """Root of every error raised by metanas."""


class InvalidArchitectureError(MetanasError, ValueError):
    """An architecture is malformed or not valid in a search space."""


class UnknownOperationError(InvalidArchitectureError):
    """An architecture uses an operation outside the search space's vocabulary."""


class InvalidTaskError(MetanasError, ValueError):
    """Task metadata has a missing or out-of-range value."""


class UnknownTaskError(MetanasError, KeyError):
    """A task id that the suite or database does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


class UnknownNameError(MetanasError, KeyError):
    """A registry name (space, strategy, metric, method...) that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownSuiteError(UnknownNameError):
    """A benchmark suite name that is not registered."""


class ConfigError(MetanasError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


class DatabaseError(MetanasError):
    """The experiment database failed; the transaction was rolled back."""


class DatabaseOpenError(DatabaseError):
    """The experiment database could not be opened (bad path or URL, server down)."""


class SchemaVersionError(DatabaseError):
    """The database schema is older or newer than this version of metanas understands."""


class BenchmarkDataError(MetanasError, FileNotFoundError):
    """Benchmark tables are missing or malformed."""


class CheckpointError(MetanasError):
    """A meta-learner checkpoint is missing, malformed or does not fit the task."""


class EvaluationFailedError(MetanasError):
    """Evaluating an architecture failed (it did not build, a NaN loss, out of memory) inside an engine's
    trial; the engine marks the trial failed and metanas records it as failed, never as a score."""
