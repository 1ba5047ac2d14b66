"""Agency commission: contract tiers and cap, payment reversals (clawback).

Revision ID: s001
Revises: f001
Create Date: 2026-11-30 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "s001"
down_revision: str | Sequence[str] | None = "f001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agency_contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commission_tiers", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("commission_cap", arrears.kit.db.Money(), nullable=True))
    op.create_table(
        "payment_reversal",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reversed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_payment_reversal_payment_id_payment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_reversal")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_reversal_payment_id")),
    )
    op.create_index(
        op.f("ix_payment_reversal_reversed_on"), "payment_reversal", ["reversed_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_reversal_reversed_on"), table_name="payment_reversal")
    op.drop_table("payment_reversal")
    with op.batch_alter_table("agency_contract", schema=None) as batch_op:
        batch_op.drop_column("commission_cap")
        batch_op.drop_column("commission_tiers")
