"""Every query the workflow makes on work orders and what hangs off them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.cases.workflow_models import CustomerProfile, FollowUp
from arrears.contacts.models import ContactAttempt, ThreeStop
from arrears.portfolio.models import (
    CardAccount,
    Cardholder,
    ContactPerson,
    Payment,
    Phone,
    ReportedDelinquency,
    Statement,
)

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


def card_accounts(session: Session, refs: Sequence[str]) -> Sequence[CardAccount]:
    if not refs:
        return []
    return session.scalars(
        select(CardAccount).where(CardAccount.external_ref.in_(refs)).order_by(CardAccount.id)
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


def statements(session: Session, account_ids: Sequence[int]) -> Sequence[Statement]:
    if not account_ids:
        return []
    return session.scalars(
        select(Statement)
        .where(Statement.account_id.in_(account_ids))
        .order_by(Statement.account_id, Statement.cycle_date)
    ).all()


def payments(
    session: Session, account_ids: Sequence[int], *, since: date | None = None
) -> Sequence[Payment]:
    if not account_ids:
        return []
    query = select(Payment).where(Payment.account_id.in_(account_ids))
    if since is not None:
        query = query.where(Payment.paid_on >= since)
    return session.scalars(query.order_by(Payment.paid_on, Payment.reference)).all()


def reports(session: Session, account_ids: Sequence[int]) -> Sequence[ReportedDelinquency]:
    if not account_ids:
        return []
    return session.scalars(
        select(ReportedDelinquency)
        .where(ReportedDelinquency.account_id.in_(account_ids))
        .order_by(ReportedDelinquency.account_id, ReportedDelinquency.reported_on)
    ).all()


def cardholder(session: Session, cardholder_id: int) -> Cardholder | None:
    return session.get(Cardholder, cardholder_id)


def phones(session: Session, cardholder_id: int) -> Sequence[Phone]:
    return session.scalars(
        select(Phone).where(Phone.cardholder_id == cardholder_id).order_by(Phone.id)
    ).all()


def contact_persons(session: Session, cardholder_id: int) -> Sequence[ContactPerson]:
    return session.scalars(
        select(ContactPerson)
        .where(ContactPerson.cardholder_id == cardholder_id)
        .order_by(ContactPerson.id)
    ).all()


def stops_given(session: Session, work_order_id: int) -> Sequence[ThreeStop]:
    return session.scalars(
        select(ThreeStop).where(ThreeStop.work_order_id == work_order_id).order_by(ThreeStop.stop)
    ).all()


def attempts(
    session: Session, *, work_order_id: int | None = None, cardholder_id: int | None = None
) -> Sequence[ContactAttempt]:
    query = select(ContactAttempt)
    if work_order_id is not None:
        query = query.where(ContactAttempt.work_order_id == work_order_id)
    if cardholder_id is not None:
        query = query.where(ContactAttempt.cardholder_id == cardholder_id)
    return session.scalars(query.order_by(ContactAttempt.at, ContactAttempt.id)).all()


def made_attempts_since(session: Session, *, cardholder_id: int, since: datetime) -> Sequence[Any]:
    """Attempts that actually happened since ``since``: the compliance history of a customer.

    Plain rows of the columns compliance needs, not ORM objects: this runs before every call.
    """
    a = ContactAttempt
    return session.execute(
        select(
            a.at,
            a.channel,
            a.collector_ref,
            a.contact_person_id,
            a.party,
            a.purpose,
            a.address_used,
            a.outcome,
            a.direction,
        )
        .where(
            ContactAttempt.cardholder_id == cardholder_id,
            ContactAttempt.status == "made",
            ContactAttempt.at >= since,
        )
        .order_by(ContactAttempt.at, ContactAttempt.id)
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


def live_work_orders(session: Session) -> Sequence[WorkOrder]:
    return session.scalars(
        select(WorkOrder).where(WorkOrder.status != "closed").order_by(WorkOrder.id)
    ).all()
