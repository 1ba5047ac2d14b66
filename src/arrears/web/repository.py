"""Every query the workbench pages run. Work orders are always scoped by ``auth.scoping``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from arrears.auth.policy import Principal
from arrears.auth.scoping import work_order_filter
from arrears.cases.models import OPEN_STATUSES, WorkOrder
from arrears.compliance.models import ComplianceCheck
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.portfolio.models import (
    Cardholder,
    ContactPerson,
    ImportBatch,
    Phone,
)
from arrears.promises.models import RepaymentPlan


@dataclass(frozen=True)
class QueueFilter:
    bucket: str | None = None
    level: str | None = None
    status: str | None = None
    search: str | None = None
    view: str | None = None  # None: my open cases; "escalated": escalated / problem customers


def _queue_where(principal: Principal, flt: QueueFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        work_order_filter(principal),
        WorkOrder.status.in_(OPEN_STATUSES),
    ]
    if flt.bucket:
        where.append(WorkOrder.bucket == flt.bucket)
    if flt.level:
        where.append(WorkOrder.level == flt.level)
    if flt.status:
        where.append(WorkOrder.status == flt.status)
    if flt.search:
        like = f"%{flt.search.strip()}%"
        where.append(or_(Cardholder.name.like(like), WorkOrder.customer_ref.like(like)))
    if flt.view == "escalated":
        where.append(or_(WorkOrder.status == "escalated", WorkOrder.problem_customer.is_(True)))
    return where


# Highest priority first, then the deepest delinquency and the largest amount.
_QUEUE_ORDER = (
    WorkOrder.priority.desc(),
    WorkOrder.dpd.desc(),
    WorkOrder.amount_due.desc(),
    WorkOrder.id,
)


def queue(
    session: Session, principal: Principal, flt: QueueFilter, *, limit: int, offset: int
) -> tuple[Sequence[tuple[WorkOrder, str]], int]:
    where = _queue_where(principal, flt)
    base = select(WorkOrder, Cardholder.name).join(
        Cardholder, Cardholder.id == WorkOrder.cardholder_id
    )
    rows = session.execute(base.where(*where).order_by(*_QUEUE_ORDER).limit(limit).offset(offset))
    total = session.scalar(
        select(func.count())
        .select_from(WorkOrder)
        .join(Cardholder, Cardholder.id == WorkOrder.cardholder_id)
        .where(*where)
    )
    return [(r[0], r[1]) for r in rows], int(total or 0)


def next_case_id(session: Session, principal: Principal, *, today: date) -> int | None:
    """The first case of the queue that is due for action today (or has no date set)."""
    where = _queue_where(principal, QueueFilter())
    where.append(or_(WorkOrder.next_action_on.is_(None), WorkOrder.next_action_on <= today))
    return session.scalar(
        select(WorkOrder.id)
        .join(Cardholder, Cardholder.id == WorkOrder.cardholder_id)
        .where(*where)
        .order_by(*_QUEUE_ORDER)
        .limit(1)
    )


def cardholder(session: Session, cardholder_id: int) -> Cardholder | None:
    return session.get(Cardholder, cardholder_id)


def phones_of(session: Session, cardholder_id: int) -> Sequence[Phone]:
    return session.scalars(
        select(Phone).where(Phone.cardholder_id == cardholder_id).order_by(Phone.id)
    ).all()


def contact_persons_of(session: Session, cardholder_id: int) -> Sequence[ContactPerson]:
    return session.scalars(
        select(ContactPerson)
        .where(ContactPerson.cardholder_id == cardholder_id)
        .order_by(ContactPerson.id)
    ).all()


def work_order_audit(
    session: Session, work_order_id: int, *, limit: int = 200
) -> Sequence[AuditEvent]:
    """State changes the services recorded against this work order, newest first."""
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "work_order", AuditEvent.entity_id == str(work_order_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()


def pending_plans(session: Session, principal: Principal) -> Sequence[tuple[RepaymentPlan, str]]:
    """Plans and settlements waiting for a checker, on cases in the principal's scope."""
    rows = session.execute(
        select(RepaymentPlan, Cardholder.name)
        .join(WorkOrder, WorkOrder.id == RepaymentPlan.work_order_id)
        .join(Cardholder, Cardholder.id == WorkOrder.cardholder_id)
        .where(RepaymentPlan.status == "proposed", work_order_filter(principal))
        .order_by(RepaymentPlan.id)
    )
    return [(r[0], r[1]) for r in rows]


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


def audit_search(
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


def cycle_runs(session: Session, *, limit: int) -> Sequence[CycleRun]:
    return session.scalars(select(CycleRun).order_by(CycleRun.id.desc()).limit(limit)).all()


def import_batches(session: Session, *, limit: int) -> Sequence[ImportBatch]:
    return session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)).all()
