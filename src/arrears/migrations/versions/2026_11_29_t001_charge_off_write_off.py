"""The charged-off book: charged-off accounts, write-offs (maker-checker), recoveries.

Revision ID: t001
Revises: e003
Create Date: 2026-11-29 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "t001"
down_revision: str | Sequence[str] | None = "e003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = arrears.kit.db.Money
At = arrears.kit.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "write_off",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("work_order_id", BigId, nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("maker", sa.String(120), nullable=False),
        sa.Column("maker_role", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_at", At(timezone=True), nullable=False),
        sa.Column("checker", sa.String(120)),
        sa.Column("checker_role", sa.String(40)),
        sa.Column("decided_at", At(timezone=True)),
        sa.Column("decision_note", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["work_order.id"], name="fk_write_off_work_order_id_work_order"
        ),
        sa.CheckConstraint(
            "status IN ('proposed','approved','rejected')", name="ck_write_off_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_write_off"),
    )
    op.create_index("ix_write_off_work_order_id", "write_off", ["work_order_id"])
    op.create_table(
        "charged_off_account",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("account_ref", sa.String(64), nullable=False),
        sa.Column("account_id", BigId),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("charged_off_on", sa.Date(), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("principal", Money(), nullable=False),
        sa.Column("interest", Money(), nullable=False),
        sa.Column("fees", Money(), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.Integer()),
        sa.Column("write_off_id", BigId),
        sa.Column("written_off_on", sa.Date()),
        sa.Column("created_at", At(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["card_account.id"],
            name="fk_charged_off_account_account_id_card_account",
        ),
        sa.ForeignKeyConstraint(
            ["write_off_id"], ["write_off.id"], name="fk_charged_off_account_write_off_id_write_off"
        ),
        sa.CheckConstraint(
            "status IN ('charged_off','written_off')", name="ck_charged_off_account_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_charged_off_account"),
        sa.UniqueConstraint("account_ref", name="uq_charged_off_account_account_ref"),
    )
    for col in ("account_id", "customer_ref", "charged_off_on", "write_off_id"):
        op.create_index(f"ix_charged_off_account_{col}", "charged_off_account", [col])
    op.create_table(
        "recovery",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("charged_off_id", BigId, nullable=False),
        sa.Column("payment_id", BigId, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("agency_commission", Money(), nullable=False),
        sa.Column("legal_costs", Money(), nullable=False),
        sa.Column("recorded_at", At(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["charged_off_id"],
            ["charged_off_account.id"],
            name="fk_recovery_charged_off_id_charged_off_account",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name="fk_recovery_payment_id_payment"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recovery"),
        sa.UniqueConstraint("payment_id", name="uq_recovery_payment_id"),
    )
    op.create_index("ix_recovery_charged_off_id", "recovery", ["charged_off_id"])


def downgrade() -> None:
    op.drop_table("recovery")
    op.drop_table("charged_off_account")
    op.drop_table("write_off")
