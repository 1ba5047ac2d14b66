"""audit_event refuses TRUNCATE too (branch audit)

The foundation's row trigger refuses UPDATE and DELETE; TRUNCATE fires no row trigger, so it
emptied the table. A statement-level BEFORE TRUNCATE trigger refuses it with the same message.
SQLite has no TRUNCATE statement (its ``DELETE FROM audit_event`` is refused by the row trigger).

Revision ID: a001
Revises: 0001
Create Date: 2026-11-29 12:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("audit",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
