"""Online payments: the intents customers start and the provider's webhook events (a provider
event id is unique: a replay is a no-op).

Revision ID: v001
Revises: 0001
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "v001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("payments",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_intent",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "cardholder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("amount", arrears.kit.db.Money(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=False),
        sa.Column("redirect_url", sa.Text(), nullable=False),
        sa.Column("qr_payload", sa.Text(), nullable=False),
        sa.Column("return_url", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "provider IN ('sandbox','generic')", name=op.f("ck_payment_intent_provider")
        ),
        sa.CheckConstraint(
            "status IN ('created','pending','succeeded','failed','cancelled','expired')",
            name=op.f("ck_payment_intent_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_intent_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["card_account.id"],
            name=op.f("fk_payment_intent_account_id_card_account"),
        ),
        sa.ForeignKeyConstraint(
            ["cardholder_id"],
            ["cardholder.id"],
            name=op.f("fk_payment_intent_cardholder_id_cardholder"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_payment_intent_payment_id_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_intent")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_intent_payment_id")),
        sa.UniqueConstraint(
            "provider", "provider_ref", name=op.f("uq_payment_intent_provider_provider_ref")
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_payment_intent_public_id")),
    )
    with op.batch_alter_table("payment_intent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_intent_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_intent_cardholder_id"), ["cardholder_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_intent_status"), ["status"], unique=False)

    op.create_table(
        "payment_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_event_id", sa.String(length=128), nullable=False),
        sa.Column("intent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("provider_ref", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount", arrears.kit.db.Money(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("occurred_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('applied','ignored','mismatch','unknown_intent')",
            name=op.f("ck_payment_event_outcome"),
        ),
        sa.CheckConstraint(
            "type IN ('pending','succeeded','failed','cancelled','expired')",
            name=op.f("ck_payment_event_type"),
        ),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["payment_intent.id"],
            name=op.f("fk_payment_event_intent_id_payment_intent"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_event")),
        sa.UniqueConstraint(
            "provider",
            "provider_event_id",
            name=op.f("uq_payment_event_provider_provider_event_id"),
        ),
    )
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_event_intent_id"), ["intent_id"], unique=False)
        batch_op.create_index(
            "ix_payment_event_outcome_received", ["outcome", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_event_outcome_received")
        batch_op.drop_index(batch_op.f("ix_payment_event_intent_id"))

    op.drop_table("payment_event")
    with op.batch_alter_table("payment_intent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_intent_status"))
        batch_op.drop_index(batch_op.f("ix_payment_intent_cardholder_id"))
        batch_op.drop_index(batch_op.f("ix_payment_intent_account_id"))

    op.drop_table("payment_intent")
