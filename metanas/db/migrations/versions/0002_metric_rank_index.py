"""Ranking index on metric values: top-k architectures of a task without scanning its rows.

``(task_pk, name, value, architecture_id, evaluation_id)`` covers the top-k query (walk the
index from the best value, skip repeated architectures), so its cost does not grow with the
number of evaluations stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_evaluation_metrics_rank",
        "evaluation_metrics",
        ["task_pk", "name", "value", "architecture_id", "evaluation_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_evaluation_metrics_rank", table_name="evaluation_metrics")
