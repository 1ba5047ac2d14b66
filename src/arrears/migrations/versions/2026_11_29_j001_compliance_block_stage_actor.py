"""compliance_check: which stage refused (engine, workflow, relay), the real actor (staff code
or agency), and the debtor's zones, for the compliance report (issue 20)

Revision ID: j001
Revises: c001
Create Date: 2026-11-29 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "j001"
down_revision: str | Sequence[str] | None = "c001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("compliance_check") as batch:
        # Every check recorded before this revision was the engine's.
        batch.add_column(sa.Column("stage", sa.String(16), nullable=False, server_default="engine"))
        batch.add_column(sa.Column("acted_by", sa.String(120), nullable=True))
        batch.add_column(sa.Column("debtor_zones", sa.JSON(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_compliance_check_stage"), "stage IN ('engine', 'workflow', 'relay')"
        )


def downgrade() -> None:
    with op.batch_alter_table("compliance_check") as batch:
        batch.drop_constraint(op.f("ck_compliance_check_stage"), type_="check")
        batch.drop_column("debtor_zones")
        batch.drop_column("acted_by")
        batch.drop_column("stage")
