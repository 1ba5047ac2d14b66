"""Contact preferences the customer can take back: each opt-out of a channel as a row of its
own (``channel_opt_out``: when it began, how and by whom, and when it ended, how and by whom),
never deleted, so opting back in keeps the history; and who withdrew a call-back consent
(``contact_consent.withdrawn_by``). The opt-outs already on ``debtor_channel`` become open rows
(by whom unknown).

Revision ID: d001
Revises: n001 (depends on u001)
Create Date: 2026-11-30 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "d001"
# On debtor_channel's branch (n001: its opt-outs are copied); contact_consent is u001's. (On
# u001 with depends_on n001, alembic's upgrade of a fresh store fails with KeyError '0001';
# without n001 the copy may run before debtor_channel exists.)
down_revision: str | Sequence[str] | None = "n001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("u001",)

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channel_opt_out",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("cardholder_id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("opted_out_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opted_out_via", sa.String(length=16), nullable=False),
        sa.Column("opted_out_by", sa.String(length=120), nullable=True),
        sa.Column("ended_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_via", sa.String(length=16), nullable=True),
        sa.Column("ended_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "channel IN ('call','sms','email','letter','visit')",
            name=op.f("ck_channel_opt_out_channel"),
        ),
        sa.CheckConstraint(
            "(ended_at IS NULL AND ended_via IS NULL AND ended_by IS NULL) OR "
            "(ended_at IS NOT NULL AND ended_via IS NOT NULL AND ended_by IS NOT NULL)",
            name=op.f("ck_channel_opt_out_ended_together"),
        ),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholder.id"],
            name=op.f("fk_channel_opt_out_cardholder_id_cardholder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_opt_out")),
    )
    op.create_index(
        "ix_channel_opt_out_cardholder_channel",
        "channel_opt_out",
        ["cardholder_id", "channel"],
        unique=False,
    )
    op.execute(
        "INSERT INTO channel_opt_out (cardholder_id, channel, opted_out_at, opted_out_via) "
        "SELECT cardholder_id, channel, opted_out_at, COALESCE(opted_out_via, 'unknown') "
        "FROM debtor_channel WHERE opted_out_at IS NOT NULL"
    )
    with op.batch_alter_table("contact_consent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_consent", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_by")
    op.drop_index("ix_channel_opt_out_cardholder_channel", table_name="channel_opt_out")
    op.drop_table("channel_opt_out")
