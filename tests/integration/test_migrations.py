"""The schema is built by the migrations on both backends, and the audit trail is append-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.kit import audit
from arrears.kit.db import Base
from arrears.migrations import runner


def test_migrations_build_every_table(engine: sa.Engine) -> None:
    tables = set(sa.inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_no_drift_between_models_and_migrations(engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_audit_event_is_append_only(session: Session) -> None:
    event = audit.record(
        session, actor="ops", action="test", entity="x", entity_id=1, at=datetime.now(UTC)
    )
    session.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        session.execute(
            sa.text("UPDATE audit_event SET actor = 'someone' WHERE id = :i"), {"i": event.id}
        )
    session.rollback()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        session.execute(sa.text("DELETE FROM audit_event"))
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEvent)) == 1


def test_audit_event_cannot_be_truncated(session: Session, db_url: str) -> None:
    """PostgreSQL: a statement trigger refuses TRUNCATE (row triggers never see it). SQLite has no
    TRUNCATE statement at all; its DELETE is refused above."""
    audit.record(session, actor="ops", action="test", entity="x", entity_id=1, at=datetime.now(UTC))
    session.commit()
    refusal = "append-only" if db_url.startswith("postgresql") else "syntax error"
    with pytest.raises(sa.exc.DatabaseError, match=refusal):
        session.execute(sa.text("TRUNCATE audit_event"))
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEvent)) == 1


def test_the_portfolio_and_audit_branches_go_down_and_up_again(db_url: str) -> None:
    # portfolio: i001 (statement itemisation) on p001 (import batch state); audit: a001.
    for branch, steps in (("portfolio", 2), ("audit", 1)):
        runner.downgrade(db_url, f"{branch}@-{steps}")
    assert not {"i001", "p001", "a001"} & set(runner.current(db_url))
    assert "h002" in runner.current(db_url)  # the other branches stay where they were (auth: h002)
    runner.upgrade(db_url)
    assert {"i001", "a001"} <= set(runner.current(db_url))


def test_cli_upgrade_is_idempotent(db_url: str, cli: object) -> None:
    assert cli("db", "upgrade").exit_code == 0  # type: ignore[operator]
    assert runner.current(db_url)
