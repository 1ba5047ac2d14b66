"""Cycle run heartbeat, stage and actor: a dead run is told from a live one within minutes.

Revision ID: e003
Revises: e002
Create Date: 2026-11-29 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "e003"
down_revision: str | Sequence[str] | None = "e002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cycle_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("actor", sa.String(length=120), nullable=False, server_default="system")
        )
        batch_op.add_column(
            sa.Column("heartbeat_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("stage", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cycle_run", schema=None) as batch_op:
        batch_op.drop_column("stage")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("actor")
