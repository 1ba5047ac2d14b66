"""Agency exchange files: the fields a contract lets the agency see, and which are masked.

Revision ID: s002
Revises: s001
Create Date: 2026-11-30 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s002"
down_revision: str | Sequence[str] | None = "s001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agency_contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exchange_fields", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("masked_fields", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agency_contract", schema=None) as batch_op:
        batch_op.drop_column("masked_fields")
        batch_op.drop_column("exchange_fields")
