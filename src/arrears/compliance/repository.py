"""Every query the compliance domain runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from arrears.compliance.models import ComplianceCheck, ContactConsent
from arrears.kit.schema_types import DB_BIGINT_MAX


def add(session: Session, check: ComplianceCheck) -> ComplianceCheck:
    session.add(check)
    session.flush()
    return check


def get(session: Session, check_id: int) -> ComplianceCheck | None:
    return session.get(ComplianceCheck, check_id)


def blocked_between(
    session: Session, *, start: datetime | None, end: datetime | None
) -> Sequence[tuple[int, datetime, str, str, list[str], str | None]]:
    """Refused actions (overridden or not) whose contact time (``action_at``) falls in the
    period, with only the columns the report groups by: id, contact time, real actor (the
    audit name for checks recorded before it was kept), stage, rules, overrider."""
    query = select(
        ComplianceCheck.id,
        ComplianceCheck.action_at,
        func.coalesce(ComplianceCheck.acted_by, ComplianceCheck.actor),
        ComplianceCheck.stage,
        ComplianceCheck.rules,
        ComplianceCheck.overridden_by,
    ).where(ComplianceCheck.allowed.is_(False))
    if start is not None:
        query = query.where(ComplianceCheck.action_at >= start)
    if end is not None:
        query = query.where(ComplianceCheck.action_at < end)
    return (
        session.execute(query.order_by(ComplianceCheck.action_at, ComplianceCheck.id))
        .tuples()
        .all()
    )


def blocked_checks(
    session: Session,
    *,
    rule: str | None = None,
    actor: str | None = None,
    stage: str | None = None,
    overridden: bool | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    ids: Sequence[int] | None = None,
    limit: int = 200,
) -> Sequence[ComplianceCheck]:
    """Refused actions, newest contact first, with the officer's filters (the drill-down)."""
    query = select(ComplianceCheck).where(ComplianceCheck.allowed.is_(False))
    if actor:
        query = query.where(func.coalesce(ComplianceCheck.acted_by, ComplianceCheck.actor) == actor)
    if stage:
        query = query.where(ComplianceCheck.stage == stage)
    if start is not None:
        query = query.where(ComplianceCheck.action_at >= start)
    if end is not None:
        query = query.where(ComplianceCheck.action_at < end)
    if ids is not None:
        query = query.where(ComplianceCheck.id.in_(list(ids)))
    if overridden is not None:
        query = query.where(
            ComplianceCheck.overridden_by.is_not(None)
            if overridden
            else ComplianceCheck.overridden_by.is_(None)
        )
    query = query.order_by(ComplianceCheck.action_at.desc(), ComplianceCheck.id.desc())
    if not rule:
        return session.scalars(query.limit(limit)).all()
    # Rules are a JSON list: filtered here, portable across SQLite and PostgreSQL; read in pages
    # so a rare rule is found however many other blocks come first.
    found: list[ComplianceCheck] = []
    offset = 0
    while len(found) < limit:
        page = session.scalars(query.offset(offset).limit(limit * 4)).all()
        found += [r for r in page if rule in (r.rules or [])]
        if len(page) < limit * 4:
            break
        offset += len(page)
    return found[:limit]


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


def consents_of(
    session: Session, *, cardholder_id: int, ending_after: datetime, withdrawn: bool = False
) -> Sequence[ContactConsent]:
    """The customer's consents not withdrawn whose window ends after ``ending_after``, in the
    order given; with ``withdrawn``, also those withdrawn after their window opened (they
    covered it until then)."""
    kept = (
        or_(
            ContactConsent.withdrawn_at.is_(None),
            ContactConsent.withdrawn_at > ContactConsent.window_start,
        )
        if withdrawn
        else ContactConsent.withdrawn_at.is_(None)
    )
    return session.scalars(
        select(ContactConsent)
        .where(
            ContactConsent.cardholder_id == cardholder_id,
            ContactConsent.window_end > ending_after,
            kept,
        )
        .order_by(ContactConsent.given_at, ContactConsent.id)
    ).all()


def consent(session: Session, consent_id: int) -> ContactConsent | None:
    if not 0 < consent_id <= DB_BIGINT_MAX:  # names no row; must not reach the database
        return None
    return session.get(ContactConsent, consent_id)


def withdraw_consent(session: Session, consent_id: int, *, at: datetime, by: str) -> bool:
    """Mark the consent withdrawn if it is not yet: False when another request did first (a
    conditional update, so two submits at once withdraw it once)."""
    done = session.execute(
        update(ContactConsent)
        .where(ContactConsent.id == consent_id, ContactConsent.withdrawn_at.is_(None))
        .values(withdrawn_at=at, withdrawn_by=by)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))
