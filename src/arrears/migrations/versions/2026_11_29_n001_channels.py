"""Channels: every channel's messages in the outbox (subject, HTML, fields, held rule and next
allowed time, delivery), each debtor's channels and opt-outs, delivery receipts.

Revision ID: n001
Revises: g004
Create Date: 2026-11-29 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "n001"
down_revision: str | Sequence[str] | None = "g004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OLD = "status IN ('queued','sent','failed','cancelled')"
_NEW = "status IN ('queued','held','sent','delivered','bounced','failed','cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("fields", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("collector_ref", sa.String(length=64), server_default="bank", nullable=False)
        )
        batch_op.add_column(sa.Column("queued_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("held_rule", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("next_allowed_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("delivered_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint(op.f("ck_outbox_message_status"), type_="check")
        batch_op.create_check_constraint("status", _NEW)
        batch_op.create_index(
            batch_op.f("ix_outbox_message_provider_ref"), ["provider_ref"], unique=False
        )
    # Greetings queued before this revision were meant for their day only.
    op.execute("UPDATE outbox_message SET fields = '{}', valid_until = send_on")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("fields", existing_type=sa.JSON(), nullable=False)

    op.create_table(
        "debtor_channel",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("cardholder_id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("preferred", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("opted_out_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("opted_out_via", sa.String(length=16), nullable=True),
        sa.Column("updated_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('call','sms','email','letter','visit')",
            name=op.f("ck_debtor_channel_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholder.id"],
            name=op.f("fk_debtor_channel_cardholder_id_cardholder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debtor_channel")),
        sa.UniqueConstraint(
            "cardholder_id", "channel", name=op.f("uq_debtor_channel_cardholder_id_channel")
        ),
    )
    op.create_table(
        "message_receipt",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("receipt_id", sa.String(length=128), nullable=False),
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("received_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_message.id"],
            name=op.f("fk_message_receipt_message_id_outbox_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_receipt")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_message_receipt_receipt_id")),
    )
    op.create_index(
        op.f("ix_message_receipt_message_id"), "message_receipt", ["message_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_receipt_message_id"), table_name="message_receipt")
    op.drop_table("message_receipt")
    op.drop_table("debtor_channel")
    op.execute(
        "UPDATE outbox_message SET status = 'cancelled' "
        "WHERE status NOT IN ('queued','sent','failed','cancelled')"
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_provider_ref"))
        batch_op.drop_constraint(op.f("ck_outbox_message_status"), type_="check")
        batch_op.create_check_constraint("status", _OLD)
        for column in (
            "delivered_at",
            "next_allowed_at",
            "held_rule",
            "valid_until",
            "queued_by",
            "collector_ref",
            "fields",
            "html",
            "subject",
        ):
            batch_op.drop_column(column)
