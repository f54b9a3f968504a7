"""ORM rows of the experiment database (storage only; the domain objects live elsewhere).

Tables:

* ``tasks`` — one row per task: the `TaskMetadata` fields (``input_size`` and
  ``meta_features`` as JSON text) plus the objective metric and its direction.
* ``search_runs`` — one search (or benchmark import) on a task in one search space.
* ``architectures`` — one row per distinct architecture of a search space, unique by exact
  identity (`ModelGraph.identity`), indexed by canonical hash, with the graph as JSON text.
* ``evaluations`` — one evaluation of an architecture in a run at a step, with its cost.
  ``task_pk`` is copied from the run so per-task queries need no join.
* ``evaluation_metrics`` — the measured values of an evaluation (name, value). ``task_pk``
  and ``architecture_id`` are copied from the evaluation so that the ranking index
  ``(task_pk, name, value, architecture_id, evaluation_id)`` answers top-k queries alone.

JSON is stored as text and decoded explicitly by `metanas.db._codec`, so that a malformed
row is reported as such rather than misread. The schema is created and upgraded only by the
Alembic migrations in ``metanas/db/migrations``; a test checks that they match this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from metanas.validation import DIRECTIONS

__all__ = [
    "COST_UNITS",
    "DIRECTIONS",
    "RUN_STATUSES",
    "VERSION_TABLE",
    "ArchitectureRow",
    "Base",
    "EvaluationRow",
    "MetricRow",
    "RunRow",
    "TaskRow",
]

#: Alembic's version table; its presence marks a metanas database.
VERSION_TABLE = "metanas_schema_version"
#: Units of an evaluation's cost.
COST_UNITS: tuple[str, ...] = ("seconds", "epochs")
#: Statuses of a run; ``running`` is the only one that accepts evaluations.
RUN_STATUSES: tuple[str, ...] = ("running", "finished", "failed", "cancelled")

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base with a naming convention (stable constraint names for migrations)."""

    metadata = MetaData(naming_convention=_NAMING)


class TaskRow(Base):
    """A task and its objective."""

    __tablename__ = "tasks"
    __table_args__ = (CheckConstraint(_in("direction", DIRECTIONS), name="direction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    dataset_name: Mapped[str] = mapped_column(String(200), nullable=False)
    num_samples: Mapped[int] = mapped_column(BigInteger, nullable=False)
    num_classes: Mapped[int] = mapped_column(Integer, nullable=False)
    input_size: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON [C, H, W] or NULL
    problem_type: Mapped[str] = mapped_column(String(64), nullable=False)
    meta_features: Mapped[str] = mapped_column(Text, nullable=False)  # JSON object name -> number
    objective: Mapped[str] = mapped_column(String(64), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class RunRow(Base):
    """One search run (or benchmark import) on a task."""

    __tablename__ = "search_runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_pk: Mapped[int] = mapped_column(ForeignKey("tasks.id"), nullable=False, index=True)
    strategy: Mapped[str] = mapped_column(String(100), nullable=False)
    space_id: Mapped[str] = mapped_column(String(100), nullable=False)
    config: Mapped[str] = mapped_column(Text, nullable=False)  # JSON object
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ArchitectureRow(Base):
    """A distinct architecture of a search space."""

    __tablename__ = "architectures"
    __table_args__ = (
        UniqueConstraint("space_id", "identity", name="uq_architectures_space_identity"),
        Index("ix_architectures_space_canonical", "space_id", "canonical_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    space_id: Mapped[str] = mapped_column(String(100), nullable=False)
    identity: Mapped[str] = mapped_column(String(64), nullable=False)
    canonical_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    graph: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of ModelGraph.to_dict()


class EvaluationRow(Base):
    """One evaluation of an architecture in a run."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("run_id", "step", name="uq_evaluations_run_step"),
        Index("ix_evaluations_task_architecture", "task_pk", "architecture_id"),
        CheckConstraint(_in("cost_unit", COST_UNITS), name="cost_unit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("search_runs.id"), nullable=False)
    task_pk: Mapped[int] = mapped_column(ForeignKey("tasks.id"), nullable=False)
    architecture_id: Mapped[int] = mapped_column(ForeignKey("architectures.id"), nullable=False)
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    cost: Mapped[float | None] = mapped_column(Double, nullable=True)
    cost_unit: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class MetricRow(Base):
    """One measured value of an evaluation (the direction lives on the task's objective)."""

    __tablename__ = "evaluation_metrics"
    __table_args__ = (
        Index(
            "ix_evaluation_metrics_rank",
            "task_pk",
            "name",
            "value",
            "architecture_id",
            "evaluation_id",
        ),
    )

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Double, nullable=False)
    task_pk: Mapped[int] = mapped_column(ForeignKey("tasks.id"), nullable=False)
    architecture_id: Mapped[int] = mapped_column(ForeignKey("architectures.id"), nullable=False)
