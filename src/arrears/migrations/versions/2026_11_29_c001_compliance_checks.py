"""compliance_check: every compliance decision and its override (branch compliance)

Revision ID: c001
Revises: 0001
Create Date: 2026-11-29 01:41:28.569537
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "c001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("compliance",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Generated against the models, then checked by hand.
    op.create_table(
        "compliance_check",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("profile", sa.String(length=120), nullable=False),
        sa.Column("collector", sa.String(length=120), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("person_ref", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("next_allowed_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overridden_by", sa.String(length=120), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("overridden_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_check")),
    )
    with op.batch_alter_table("compliance_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compliance_check_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_compliance_check_collector"), ["collector"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compliance_check_person_ref"), ["person_ref"], unique=False
        )


def downgrade() -> None:
    # Generated against the models, then checked by hand.
    with op.batch_alter_table("compliance_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_check_person_ref"))
        batch_op.drop_index(batch_op.f("ix_compliance_check_collector"))
        batch_op.drop_index(batch_op.f("ix_compliance_check_at"))

    op.drop_table("compliance_check")
