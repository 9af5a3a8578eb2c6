"""Uniqueness rules in the database, association chains, and versions that consents and approvals bind to.

- one PENDING benchmark per owner, and one OPERATION dataset per prepared-data hash (partial unique indexes);
- association rows of a pair form a chain (`previous_id`, unique; one first row per pair), so concurrent
  requests cannot add two rows after the same one; dataset rows record the release policy version they
  are about, model rows the model's container;
- benchmarks carry `policy_version`; standing consents the policy version and the model containers they
  were granted under.

Existing rows: chains are rebuilt from the ids, association rows get policy version 1 and the model's
current container, consents granted before this revision cover no model (the data owner grants again).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUPLICATES = {
    "benchmarks": (
        "SELECT owner_id FROM benchmarks WHERE approval_status = 'PENDING' GROUP BY owner_id HAVING count(*) > 1",
        "users with more than one PENDING benchmark: the admin rejects all but one of each, then upgrades again",
    ),
    "datasets": (
        "SELECT prepared_data_hash FROM datasets WHERE state = 'OPERATION' "
        "GROUP BY prepared_data_hash HAVING count(*) > 1",
        "prepared-data hashes shared by OPERATION datasets: keep one per hash in OPERATION, then upgrade again",
    ),
}


def _refuse_duplicates(table: str) -> None:
    query, what = _DUPLICATES[table]
    found = [str(row[0]) for row in op.get_bind().execute(sa.text(query))]
    if found:
        raise RuntimeError(f"{table}: {what} (found: {', '.join(found[:10])})")


def _partial_unique(name: str, table: str, columns: list[str], condition: str) -> None:
    where = sa.text(condition)
    op.create_index(name, table, columns, unique=True, sqlite_where=where, postgresql_where=where)


def _chain(table: str, entity: str) -> None:
    """Add `previous_id` and link each row to the one before it in its pair."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("previous_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(f"{table}_previous_id_key", ["previous_id"])
        batch.create_foreign_key(f"fk_{table}_previous_id", table, ["previous_id"], ["id"])
    op.execute(
        f"UPDATE {table} SET previous_id = (SELECT max(p.id) FROM {table} p "
        f"WHERE p.benchmark_id = {table}.benchmark_id AND p.{entity} = {table}.{entity} AND p.id < {table}.id)"
    )
    _partial_unique(f"uq_{table}_first", table, ["benchmark_id", entity], "previous_id IS NULL")


def upgrade() -> None:
    """Apply this revision."""
    _refuse_duplicates("benchmarks")
    _refuse_duplicates("datasets")
    with op.batch_alter_table("benchmarks") as batch:
        batch.add_column(sa.Column("policy_version", sa.Integer(), server_default="1", nullable=False))
    _partial_unique("uq_benchmarks_one_pending_per_owner", "benchmarks", ["owner_id"], "approval_status = 'PENDING'")
    _partial_unique("uq_datasets_operation_prepared_hash", "datasets", ["prepared_data_hash"], "state = 'OPERATION'")

    _chain("dataset_associations", "dataset_id")
    with op.batch_alter_table("dataset_associations") as batch:
        batch.add_column(sa.Column("policy_version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("dataset_associations") as batch:
        batch.alter_column("policy_version", server_default=None)

    _chain("model_associations", "model_id")
    with op.batch_alter_table("model_associations") as batch:
        batch.add_column(sa.Column("model_container_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE model_associations SET model_container_id = "
        "(SELECT container_id FROM models WHERE models.id = model_associations.model_id)"
    )
    with op.batch_alter_table("model_associations") as batch:
        batch.alter_column("model_container_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_model_associations_model_container_id", "containers", ["model_container_id"], ["id"]
        )

    with op.batch_alter_table("standing_consents") as batch:
        batch.add_column(sa.Column("policy_version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("models", sa.JSON(), nullable=True))
    op.execute("UPDATE standing_consents SET models = '[]'")
    with op.batch_alter_table("standing_consents") as batch:
        batch.alter_column("models", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("standing_consents") as batch:
        batch.drop_column("models")
        batch.drop_column("policy_version")
    for table, entity in (("model_associations", "model_id"), ("dataset_associations", "dataset_id")):
        op.drop_index(f"uq_{table}_first", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_previous_id", type_="foreignkey")
            batch.drop_constraint(f"{table}_previous_id_key", type_="unique")
            batch.drop_column("previous_id")
            if entity == "model_id":
                batch.drop_constraint("fk_model_associations_model_container_id", type_="foreignkey")
                batch.drop_column("model_container_id")
            else:
                batch.drop_column("policy_version")
    op.drop_index("uq_datasets_operation_prepared_hash", table_name="datasets")
    op.drop_index("uq_benchmarks_one_pending_per_owner", table_name="benchmarks")
    with op.batch_alter_table("benchmarks") as batch:
        batch.drop_column("policy_version")
