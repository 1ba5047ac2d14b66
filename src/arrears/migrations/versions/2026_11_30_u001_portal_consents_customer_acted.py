"""Self-service actions: the customer's call-back consents (a window he chose); on the case,
when the customer last acted in the portal (the queue's "customer acted" flag); and "portal" as
the channel a promise was made on.

Revision ID: u001
Revises: m001
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "u001"
down_revision: str | Sequence[str] | None = "m001"
branch_labels: str | Sequence[str] | None = None
# The consent names a case and a customer; the flag is a column of the case; promises are the
# workflow's.
depends_on: str | Sequence[str] | None = ("g001",)

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CHANNELS = "channel IN ('call','sms','email','letter','visit')"
_PROMISE_CHANNELS = "channel IN ('call','sms','email','letter','visit','portal')"


def upgrade() -> None:
    op.create_table(
        "contact_consent",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("cardholder_id", _ID, nullable=False),
        sa.Column("work_order_id", _ID, nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("window_start", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("given_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("given_by", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("withdrawn_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('call','sms','email','letter','visit')",
            name=op.f("ck_contact_consent_channel"),
        ),
        sa.CheckConstraint(
            "source IN ('portal','collector')", name=op.f("ck_contact_consent_source")
        ),
        sa.CheckConstraint(
            "window_end > window_start", name=op.f("ck_contact_consent_window_order")
        ),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholder.id"],
            name=op.f("fk_contact_consent_cardholder_id_cardholder"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_contact_consent_work_order_id_work_order"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_consent")),
    )
    op.create_index(
        "ix_contact_consent_cardholder_window",
        "contact_consent",
        ["cardholder_id", "window_end"],
        unique=False,
    )
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_acted_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("promise", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_promise_channel"), type_="check")
        batch_op.create_check_constraint("channel", _PROMISE_CHANNELS)


def downgrade() -> None:
    op.execute("UPDATE promise SET channel = 'email' WHERE channel = 'portal'")
    with op.batch_alter_table("promise", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_promise_channel"), type_="check")
        batch_op.create_check_constraint("channel", _CHANNELS)
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_column("customer_acted_at")
    op.drop_index("ix_contact_consent_cardholder_window", table_name="contact_consent")
    op.drop_table("contact_consent")
