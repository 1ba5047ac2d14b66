"""statement: the optional itemisation (previous balance, principal, interest, fees billed)

The owed breakdown explains what a statement balance already holds (docs/delinquency.md). All
four or none; statements loaded before this revision have none (the UCI data never has them).

Revision ID: i001
Revises: p001
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i001"
down_revision: str | Sequence[str] | None = "p001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("previous_balance", "principal_billed", "interest_billed", "fees_billed")


def upgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Numeric(18, 2), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_statement_itemisation_whole"),
            "(previous_balance IS NULL AND principal_billed IS NULL AND interest_billed IS NULL"
            " AND fees_billed IS NULL) OR (previous_balance IS NOT NULL AND principal_billed IS"
            " NOT NULL AND interest_billed IS NOT NULL AND fees_billed IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            op.f("ck_statement_billed_charges_non_negative"),
            "interest_billed >= 0 AND fees_billed >= 0",
        )


def downgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_statement_billed_charges_non_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_statement_itemisation_whole"), type_="check")
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
