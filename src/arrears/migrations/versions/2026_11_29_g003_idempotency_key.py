"""Idempotency keys of creating requests (issue 14 §4): one record per double submit; the
head of collections, the top of the approval chain, may be a user's role.

Revision ID: g003
Revises: g002
Create Date: 2026-11-30 17:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arrears.kit.db

revision: str = "g003"
down_revision: str | Sequence[str] | None = "g002"
branch_labels: str | Sequence[str] | None = None
# app_user comes from the auth branch (h001), which alembic applies before this one on a fresh
# store (the upgrade refuses in one line otherwise). Not a depends_on: one on the auth branch
# broke alembic's head bookkeeping here (KeyError '0001' on an upgrade from scratch).
depends_on: str | Sequence[str] | None = None

_ROLES_BEFORE = (
    "'collector','senior_specialist','team_lead','compliance_officer','analyst','admin',"
    "'agency_user'"
)
_ROLES_AFTER = _ROLES_BEFORE + ",'head_of_collections'"


def _role_check(roles: str) -> None:
    if "app_user" not in sa.inspect(op.get_bind()).get_table_names():
        raise RuntimeError("migration g003 needs app_user: upgrade the auth branch (h001) first")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_app_user_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_app_user_role"), f"role IN ({roles})")


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", arrears.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
        sa.UniqueConstraint("actor", "key", name=op.f("uq_idempotency_key_actor_key")),
    )
    _role_check(_ROLES_AFTER)


def downgrade() -> None:
    _role_check(_ROLES_BEFORE)
    op.drop_table("idempotency_key")
