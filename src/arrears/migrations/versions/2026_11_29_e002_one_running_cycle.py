"""One cycle run at a time: a partial unique index on the running status.

Revision ID: e002
Revises: e001
Create Date: 2026-11-29 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e002"
down_revision: str | Sequence[str] | None = "e001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cycle_run", schema=None) as batch_op:
        batch_op.create_index(
            "uq_cycle_run_one_running",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("cycle_run", schema=None) as batch_op:
        batch_op.drop_index("uq_cycle_run_one_running")
