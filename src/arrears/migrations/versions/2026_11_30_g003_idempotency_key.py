"""Idempotency keys of creating requests (issue 14 §4): one record per double submit.

Revision ID: g003
Revises: g002
Create Date: 2026-11-30 17:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "g003"
down_revision: str | Sequence[str] | None = "g002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
        sa.UniqueConstraint("actor", "key", name=op.f("uq_idempotency_key_actor_key")),
    )


def downgrade() -> None:
    op.drop_table("idempotency_key")
