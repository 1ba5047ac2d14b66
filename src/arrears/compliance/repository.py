"""Every query the compliance domain runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.compliance.models import ComplianceCheck


def add(session: Session, check: ComplianceCheck) -> ComplianceCheck:
    session.add(check)
    session.flush()
    return check


def get(session: Session, check_id: int) -> ComplianceCheck | None:
    return session.get(ComplianceCheck, check_id)


def blocked_between(
    session: Session, *, start: datetime | None, end: datetime | None
) -> Sequence[tuple[datetime, str, list[str], str | None]]:
    """Blocked decisions (overridden or not) with only the columns the report groups by."""
    query = select(
        ComplianceCheck.at,
        ComplianceCheck.collector,
        ComplianceCheck.rules,
        ComplianceCheck.overridden_by,
    ).where(ComplianceCheck.allowed.is_(False))
    if start is not None:
        query = query.where(ComplianceCheck.at >= start)
    if end is not None:
        query = query.where(ComplianceCheck.at < end)
    return session.execute(query.order_by(ComplianceCheck.at)).tuples().all()


def blocked_checks(
    session: Session,
    *,
    rule: str | None,
    collector: str | None,
    overridden: bool | None,
    limit: int,
) -> Sequence[ComplianceCheck]:
    """Blocked compliance decisions, newest first, with the officer's filters."""
    query = select(ComplianceCheck).where(ComplianceCheck.allowed.is_(False))
    if collector:
        query = query.where(ComplianceCheck.collector == collector)
    if overridden is not None:
        query = query.where(
            ComplianceCheck.overridden_by.is_not(None)
            if overridden
            else ComplianceCheck.overridden_by.is_(None)
        )
    rows = session.scalars(
        query.order_by(ComplianceCheck.at.desc(), ComplianceCheck.id.desc()).limit(limit * 4)
    ).all()
    # Rules are a JSON list: filtered here, portable across SQLite and PostgreSQL.
    return [r for r in rows if not rule or rule in (r.rules or [])][:limit]


def standing_override(
    session: Session, *, person_ref: str, channel: str, since: datetime, before_id: int
) -> ComplianceCheck | None:
    """The latest officer's override since ``since`` of a block on this person and channel."""
    return session.scalar(
        select(ComplianceCheck)
        .where(
            ComplianceCheck.person_ref == person_ref,
            ComplianceCheck.channel == channel,
            ComplianceCheck.allowed.is_(False),
            ComplianceCheck.overridden_at >= since,
            ComplianceCheck.id < before_id,
            ComplianceCheck.override_reason.is_not(None),
        )
        .order_by(ComplianceCheck.overridden_at.desc(), ComplianceCheck.id.desc())
        .limit(1)
    )
