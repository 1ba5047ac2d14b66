"""The append-only audit trail: who, when, what, before and after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, String, Table, Text, func, select
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


def _filtered(
    *,
    actor: str | None,
    action: str | None,
    entity: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[Any]:
    where: list[Any] = []
    if actor:
        where.append(AuditEvent.actor == actor)
    if action:
        where.append(AuditEvent.action.like(f"{action}%"))
    if entity:
        where.append(AuditEvent.entity == entity)
    if entity_id:
        where.append(AuditEvent.entity_id == entity_id)
    if since:
        where.append(AuditEvent.at >= since)
    if until:
        where.append(AuditEvent.at < until)
    return where


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
    offset: int = 0,
) -> Sequence[AuditEvent]:
    """Events matching the filters, newest first, one page (``limit`` from ``offset``)."""
    where = _filtered(
        actor=actor, action=action, entity=entity, entity_id=entity_id, since=since, until=until
    )
    return session.scalars(
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def count(
    session: Session,
    *,
    actor: str | None,
    action: str | None,
    entity: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> int:
    """How many events match the filters (the audit page's total)."""
    where = _filtered(
        actor=actor, action=action, entity=entity, entity_id=entity_id, since=since, until=until
    )
    return int(session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0)
