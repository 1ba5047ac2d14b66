"""The append-only audit trail: who, when, what, before and after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, String, Table, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from arrears.kit import bulk
from arrears.kit.clock import clock
from arrears.kit.db import Base, BigId, UTCDateTime


class AuditEvent(Base):
    """One state change. Triggers in the migration refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    entity: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(80), nullable=False)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an audit event to the session (flushed with the change it describes)."""
    event = AuditEvent(
        at=at or clock.now(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
        reason=reason,
    )
    session.add(event)
    return event


def record_many(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Bulk insert of audit events (dicts of the columns; ``at`` defaults to the clock): one
    row per case for batch work, without an ORM object each."""
    if not events:
        return
    now = clock.now()
    rows = [{"at": now, "before": None, "after": None, "reason": None, **e} for e in events]
    bulk.insert_rows(session, cast(Table, AuditEvent.__table__), rows)


def search(
    session: Session,
    *,
    actor: str | None,
    action: str | None,
    entity: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> Sequence[AuditEvent]:
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.like(f"{action}%"))
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    ).all()
