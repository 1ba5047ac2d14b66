"""Legal cases: stage, court, reference, dates; costs and who bears them; documents.

Revision ID: s003
Revises: 0001
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "s003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("legal",)
depends_on: str | Sequence[str] | None = ("e001",)

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAGES = "stage IN ('pre_litigation_review','filed','hearing','judgment','enforcement','closed')"
KINDS = "kind IN ('court_fee','lawyer_fee','enforcement_fee','service_fee','other')"


def upgrade() -> None:
    op.create_table(
        "legal_case",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("work_order_id", BIG, nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("court", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("stage_dates", sa.JSON(), nullable=False),
        sa.Column("hearing_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("opened_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(STAGES, name=op.f("ck_legal_case_stage")),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_legal_case_work_order_id_work_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_case")),
        sa.UniqueConstraint("work_order_id", name=op.f("uq_legal_case_work_order_id")),
    )
    op.create_table(
        "legal_cost",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("legal_case_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("amount", arrears.kit.db.Money(), nullable=False),
        sa.Column("borne_by", sa.String(length=16), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_legal_cost_amount_positive")),
        sa.CheckConstraint("borne_by IN ('bank','customer')", name=op.f("ck_legal_cost_borne_by")),
        sa.CheckConstraint(KINDS, name=op.f("ck_legal_cost_kind")),
        sa.ForeignKeyConstraint(
            ["legal_case_id"],
            ["legal_case.id"],
            name=op.f("fk_legal_cost_legal_case_id_legal_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_cost")),
    )
    op.create_index(op.f("ix_legal_cost_legal_case_id"), "legal_cost", ["legal_case_id"])
    op.create_table(
        "legal_document",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("legal_case_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_case_id"],
            ["legal_case.id"],
            name=op.f("fk_legal_document_legal_case_id_legal_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_document")),
    )
    op.create_index(op.f("ix_legal_document_legal_case_id"), "legal_document", ["legal_case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_legal_document_legal_case_id"), table_name="legal_document")
    op.drop_table("legal_document")
    op.drop_index(op.f("ix_legal_cost_legal_case_id"), table_name="legal_cost")
    op.drop_table("legal_cost")
    op.drop_table("legal_case")
