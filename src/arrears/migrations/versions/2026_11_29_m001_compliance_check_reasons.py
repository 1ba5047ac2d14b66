"""Compliance checks keep their reasons as rule ids and parameters, so each reader sees them in
their own language (the English ``reason`` text stays for rows written before).

Revision ID: m001
Revises: c001
Create Date: 2026-11-29 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "m001"
down_revision: str | Sequence[str] | None = "c001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("compliance_check", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasons", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compliance_check", schema=None) as batch_op:
        batch_op.drop_column("reasons")
