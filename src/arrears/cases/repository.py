"""Every query on work orders and what hangs off them (accounts, follow-ups, profile, stops)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select
from sqlalchemy.orm import Session

from arrears.cases.models import CustomerProfile, FollowUp, ThreeStop, WorkOrder, WorkOrderAccount
from arrears.kit.audit import AuditEvent
from arrears.portfolio.models import CardAccount, Cardholder, Phone
from arrears.vocabulary import OPEN_STATUSES

# Cases a collector can pick up next: not closed, not parked with an agency or on hold.
WORKABLE = ("open", "assigned", "in_progress", "broken", "kept", "promised", "escalated")


def work_order(session: Session, work_order_id: int) -> WorkOrder | None:
    return session.get(WorkOrder, work_order_id)


def next_candidates(
    session: Session,
    *,
    base: Select[WorkOrder],
    today: date,
    queue: str | None,
    limit: int = 1,
) -> Sequence[WorkOrder]:
    """Due cases first (next action today or earlier, or none set), then priority and DPD."""
    query = base.where(
        WorkOrder.status.in_(WORKABLE),
        (WorkOrder.next_action_on.is_(None)) | (WorkOrder.next_action_on <= today),
    )
    # A case with a live promise waits for its promise unless a follow-up is due.
    query = query.where((WorkOrder.status != "promised") | (WorkOrder.next_action_on.is_not(None)))
    if queue:
        query = query.where(WorkOrder.queue == queue)
    fresh_first = case((WorkOrder.status.in_(("open", "assigned", "broken")), 0), else_=1)
    return session.scalars(
        query.order_by(
            fresh_first, WorkOrder.priority.desc(), WorkOrder.dpd.desc(), WorkOrder.id
        ).limit(limit)
    ).all()


def list_work_orders(
    session: Session,
    *,
    base: Select[WorkOrder],
    status: str | None = None,
    queue: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[WorkOrder]:
    query = base
    if status:
        query = query.where(WorkOrder.status == status)
    if queue:
        query = query.where(WorkOrder.queue == queue)
    return session.scalars(
        query.order_by(WorkOrder.priority.desc(), WorkOrder.dpd.desc(), WorkOrder.id)
        .limit(limit)
        .offset(offset)
    ).all()


def accounts_of(session: Session, work_order_id: int) -> Sequence[WorkOrderAccount]:
    return session.scalars(
        select(WorkOrderAccount)
        .where(WorkOrderAccount.work_order_id == work_order_id)
        .order_by(WorkOrderAccount.account_ref)
    ).all()


def case_accounts(
    session: Session, work_order_id: int
) -> Sequence[tuple[WorkOrderAccount, CardAccount | None]]:
    """The case's accounts with their card accounts (None for one the store does not hold)."""
    rows = session.execute(
        select(WorkOrderAccount, CardAccount)
        .outerjoin(CardAccount, CardAccount.external_ref == WorkOrderAccount.account_ref)
        .where(WorkOrderAccount.work_order_id == work_order_id)
        .order_by(WorkOrderAccount.account_ref)
    )
    return [(r[0], r[1]) for r in rows]


def stops_given(session: Session, work_order_id: int) -> Sequence[ThreeStop]:
    return session.scalars(
        select(ThreeStop).where(ThreeStop.work_order_id == work_order_id).order_by(ThreeStop.stop)
    ).all()


def follow_ups(
    session: Session, work_order_id: int, *, status: str | None = None
) -> Sequence[FollowUp]:
    query = select(FollowUp).where(FollowUp.work_order_id == work_order_id)
    if status:
        query = query.where(FollowUp.status == status)
    return session.scalars(query.order_by(FollowUp.due_on, FollowUp.id)).all()


def follow_up(session: Session, follow_up_id: int) -> FollowUp | None:
    return session.get(FollowUp, follow_up_id)


def profile(session: Session, cardholder_id: int) -> CustomerProfile | None:
    return session.scalar(
        select(CustomerProfile).where(CustomerProfile.cardholder_id == cardholder_id)
    )


def live_cases_of(session: Session, cardholder_id: int) -> Sequence[WorkOrder]:
    """The customer's cases not closed (the cycle keeps at most one, the store enforces it)."""
    return session.scalars(
        select(WorkOrder)
        .where(WorkOrder.cardholder_id == cardholder_id, WorkOrder.status != "closed")
        .order_by(WorkOrder.id)
    ).all()


def live_work_orders(session: Session) -> Sequence[WorkOrder]:
    return session.scalars(
        select(WorkOrder).where(WorkOrder.status != "closed").order_by(WorkOrder.id)
    ).all()


# --- the collector's queue (scoped by the caller: workforce.scoping) ---------------------------


@dataclass(frozen=True)
class QueueFilter:
    bucket: str | None = None
    level: str | None = None
    status: str | None = None
    search: str | None = None
    view: str | None = None  # None: my open cases; "escalated": escalated / problem customers


def _queue_where(scope: ColumnElement[bool], flt: QueueFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        scope,
        WorkOrder.status.in_(OPEN_STATUSES),
    ]
    if flt.bucket:
        where.append(WorkOrder.bucket == flt.bucket)
    if flt.level:
        where.append(WorkOrder.level == flt.level)
    if flt.status:
        where.append(WorkOrder.status == flt.status)
    if flt.search:
        where.append(_search(flt.search.strip()))
    if flt.view == "escalated":
        where.append(or_(WorkOrder.status == "escalated", WorkOrder.problem_customer.is_(True)))
    return where


def _search(text: str) -> ColumnElement[bool]:
    """What a caller may give: part of a name or customer number; or exactly a case number
    (``#12`` or ``12``), an account number, a phone or an ID number (exact, so personal data
    cannot be fished for by its fragments)."""
    like = f"%{text}%"
    exact = text.replace(" ", "").replace("-", "")
    found: list[ColumnElement[bool]] = [
        Cardholder.name.like(like),
        WorkOrder.customer_ref.like(like),
        Cardholder.id_number == exact.upper(),
        exists().where(
            WorkOrderAccount.work_order_id == WorkOrder.id, WorkOrderAccount.account_ref == exact
        ),
        exists().where(Phone.cardholder_id == WorkOrder.cardholder_id, Phone.number == exact),
    ]
    number = exact.removeprefix("#")
    if number.isdigit() and len(number) < 19:  # within BIGINT
        found.append(WorkOrder.id == int(number))
    return or_(*found)


# Highest priority first, then the deepest delinquency and the largest amount.
_QUEUE_ORDER = (
    WorkOrder.priority.desc(),
    WorkOrder.dpd.desc(),
    WorkOrder.amount_due.desc(),
    WorkOrder.id,
)


def queue(
    session: Session,
    *,
    scope: ColumnElement[bool],
    flt: QueueFilter,
    limit: int,
    offset: int,
) -> tuple[Sequence[tuple[WorkOrder, str]], int]:
    where = _queue_where(scope, flt)
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
