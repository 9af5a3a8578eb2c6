"""Benchmarks carry their declared task (kind, metrics with direction/range/CI keys, count key, label kind).

Existing benchmarks get no declaration (NULL): their leaderboards keep the binary-classification defaults.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("benchmarks") as batch:
        batch.add_column(sa.Column("task", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("benchmarks") as batch:
        batch.drop_column("task")
