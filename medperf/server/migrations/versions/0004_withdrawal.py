"""Entities can be withdrawn: `withdrawn_at` on containers, models, benchmarks and datasets.

A withdrawn entity stays (the audit log and results refer to it) but leaves the lists; the partial unique
indexes count only live rows, so a withdrawn PENDING benchmark frees its owner's one pending slot and a
withdrawn OPERATION dataset frees its prepared-data hash.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("containers", "models", "benchmarks", "datasets")
_INDEXES = {
    "uq_benchmarks_one_pending_per_owner": ("benchmarks", "owner_id", "approval_status = 'PENDING'"),
    "uq_datasets_operation_prepared_hash": ("datasets", "prepared_data_hash", "state = 'OPERATION'"),
}


def _partial_unique(name: str, live_only: bool) -> None:
    table, column, condition = _INDEXES[name]
    op.drop_index(name, table_name=table)
    where = sa.text(f"{condition} AND withdrawn_at IS NULL" if live_only else condition)
    op.create_index(name, table, [column], unique=True, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    """Apply this revision."""
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    for name in _INDEXES:
        _partial_unique(name, live_only=True)


def downgrade() -> None:
    """Revert this revision (refused by the indexes if withdrawn rows now collide with live ones)."""
    for name in _INDEXES:
        _partial_unique(name, live_only=False)
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("withdrawn_at")
