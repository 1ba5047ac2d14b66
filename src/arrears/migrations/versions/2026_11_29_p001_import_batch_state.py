"""import_batch.state: loading, store_done, complete (branch portfolio)

An import writes two stores; the state says how far a batch got, so a rerun after a crash
finishes it. Batches loaded before this revision count as complete.

Revision ID: p001
Revises: 0001
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("portfolio",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills the existing rows, then goes: new batches always say their state.
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="complete")
        )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.alter_column("state", server_default=None)
        batch_op.create_check_constraint(
            op.f("ck_import_batch_state"), "state IN ('loading','store_done','complete')"
        )
        batch_op.create_index(
            "uq_import_batch_unfinished",
            ["kind", "sha256"],
            unique=True,
            sqlite_where=sa.text("state <> 'complete'"),
            postgresql_where=sa.text("state <> 'complete'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_index("uq_import_batch_unfinished")
        batch_op.drop_constraint(op.f("ck_import_batch_state"), type_="check")
        batch_op.drop_column("state")
