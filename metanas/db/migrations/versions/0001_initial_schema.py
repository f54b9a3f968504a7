"""Initial schema: tasks, search runs, architectures, evaluations and their metric values.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=200), nullable=False),
        sa.Column("dataset_name", sa.String(length=200), nullable=False),
        sa.Column("num_samples", sa.BigInteger(), nullable=False),
        sa.Column("num_classes", sa.Integer(), nullable=False),
        sa.Column("input_size", sa.Text(), nullable=True),
        sa.Column("problem_type", sa.String(length=64), nullable=False),
        sa.Column("meta_features", sa.Text(), nullable=False),
        sa.Column("objective", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("direction IN ('maximize', 'minimize')", name=op.f("ck_tasks_direction")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("task_id", name=op.f("uq_tasks_task_id")),
    )
    op.create_table(
        "architectures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("space_id", sa.String(length=100), nullable=False),
        sa.Column("identity", sa.String(length=64), nullable=False),
        sa.Column("canonical_hash", sa.String(length=64), nullable=False),
        sa.Column("graph", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_architectures")),
        sa.UniqueConstraint("space_id", "identity", name="uq_architectures_space_identity"),
    )
    op.create_index("ix_architectures_space_canonical", "architectures", ["space_id", "canonical_hash"])
    op.create_table(
        "search_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_pk", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=100), nullable=False),
        sa.Column("space_id", sa.String(length=100), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'failed', 'cancelled')", name=op.f("ck_search_runs_status")
        ),
        sa.ForeignKeyConstraint(["task_pk"], ["tasks.id"], name=op.f("fk_search_runs_task_pk_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_runs")),
    )
    op.create_index(op.f("ix_search_runs_task_pk"), "search_runs", ["task_pk"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("task_pk", sa.Integer(), nullable=False),
        sa.Column("architecture_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Double(), nullable=True),
        sa.Column("cost_unit", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost_unit IN ('seconds', 'epochs')", name=op.f("ck_evaluations_cost_unit")),
        sa.ForeignKeyConstraint(
            ["architecture_id"], ["architectures.id"], name=op.f("fk_evaluations_architecture_id_architectures")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["search_runs.id"], name=op.f("fk_evaluations_run_id_search_runs")),
        sa.ForeignKeyConstraint(["task_pk"], ["tasks.id"], name=op.f("fk_evaluations_task_pk_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("run_id", "step", name="uq_evaluations_run_step"),
    )
    op.create_index("ix_evaluations_task_architecture", "evaluations", ["task_pk", "architecture_id"])
    op.create_table(
        "evaluation_metrics",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("task_pk", sa.Integer(), nullable=False),
        sa.Column("architecture_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["architecture_id"],
            ["architectures.id"],
            name=op.f("fk_evaluation_metrics_architecture_id_architectures"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluations.id"], name=op.f("fk_evaluation_metrics_evaluation_id_evaluations")
        ),
        sa.ForeignKeyConstraint(["task_pk"], ["tasks.id"], name=op.f("fk_evaluation_metrics_task_pk_tasks")),
        sa.PrimaryKeyConstraint("evaluation_id", "name", name=op.f("pk_evaluation_metrics")),
    )


def downgrade() -> None:
    op.drop_table("evaluation_metrics")
    op.drop_index("ix_evaluations_task_architecture", table_name="evaluations")
    op.drop_table("evaluations")
    op.drop_index(op.f("ix_search_runs_task_pk"), table_name="search_runs")
    op.drop_table("search_runs")
    op.drop_index("ix_architectures_space_canonical", table_name="architectures")
    op.drop_table("architectures")
    op.drop_table("tasks")
