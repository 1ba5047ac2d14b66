"""Every query of the payments domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.payments.models import PaymentEvent, PaymentIntent
from arrears.portfolio.models import CardAccount, Payment


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock_account(session: Session, account_id: int) -> None:
    """Hold the account until the transaction ends: payments started on it are checked against
    what it owes one at a time. PostgreSQL: ``FOR UPDATE``; SQLite: a no-op ``UPDATE`` takes
    the one write lock now (pysqlite would open the transaction only at the first write)."""
    if _pg(session):
        session.execute(
            select(CardAccount.id).where(CardAccount.id == account_id).with_for_update()
        )
    else:
        session.execute(
            update(CardAccount)
            .where(CardAccount.id == account_id)
            .values(status=CardAccount.status)
            .execution_options(synchronize_session=False)
        )


def intent_by_ref(
    session: Session, *, provider: str, provider_ref: str, lock: bool = False
) -> PaymentIntent | None:
    """The intent the provider knows by ``provider_ref``; ``lock``: held (and read afresh)
    until the transaction ends, so deliveries about one intent are applied one at a time."""
    if lock and not _pg(session):
        session.execute(
            update(PaymentIntent)
            .where(PaymentIntent.provider == provider, PaymentIntent.provider_ref == provider_ref)
            .values(status=PaymentIntent.status)
            .execution_options(synchronize_session=False)
        )
    query = select(PaymentIntent).where(
        PaymentIntent.provider == provider, PaymentIntent.provider_ref == provider_ref
    )
    if lock:
        query = query.execution_options(populate_existing=True)
        if _pg(session):
            query = query.with_for_update()
    return session.scalars(query).one_or_none()


def intent_by_public_id(session: Session, public_id: str) -> PaymentIntent | None:
    return session.scalars(
        select(PaymentIntent).where(PaymentIntent.public_id == public_id)
    ).one_or_none()


def intents_of(
    session: Session, *, cardholder_id: int, account_id: int | None = None, limit: int = 50
) -> Sequence[PaymentIntent]:
    query = select(PaymentIntent).where(PaymentIntent.cardholder_id == cardholder_id)
    if account_id is not None:
        query = query.where(PaymentIntent.account_id == account_id)
    return session.scalars(
        query.order_by(PaymentIntent.created_at.desc(), PaymentIntent.id.desc()).limit(limit)
    ).all()


def open_intents(session: Session, *, account_id: int) -> Sequence[PaymentIntent]:
    """The account's intents that may still take money (created or pending)."""
    return session.scalars(
        select(PaymentIntent)
        .where(
            PaymentIntent.account_id == account_id,
            PaymentIntent.status.in_(("created", "pending")),
        )
        .order_by(PaymentIntent.id)
    ).all()


def event(session: Session, *, provider: str, event_id: str) -> PaymentEvent | None:
    return session.scalars(
        select(PaymentEvent).where(
            PaymentEvent.provider == provider, PaymentEvent.provider_event_id == event_id
        )
    ).one_or_none()


def payment_by_reference(session: Session, *, account_id: int, reference: str) -> Payment | None:
    return session.scalars(
        select(Payment).where(Payment.account_id == account_id, Payment.reference == reference)
    ).one_or_none()


def live_cases_of_account(session: Session, account_id: int) -> Sequence[WorkOrder]:
    """The cases not closed that cover the account (normally one)."""
    return session.scalars(
        select(WorkOrder)
        .join(WorkOrderAccount, WorkOrderAccount.work_order_id == WorkOrder.id)
        .where(WorkOrderAccount.account_id == account_id, WorkOrder.status != "closed")
        .order_by(WorkOrder.id)
    ).all()


def list_intents(
    session: Session,
    *,
    statuses: Sequence[str] = (),
    problems: bool = False,
    stuck_before: datetime | None = None,
    limit: int = 200,
) -> Sequence[PaymentIntent]:
    """For operations, newest first: by status, those with a problem (a mismatch), or those
    pending and unchanged since before ``stuck_before`` (the provider never said how it
    ended)."""
    query = select(PaymentIntent)
    if statuses:
        query = query.where(PaymentIntent.status.in_(statuses))
    if problems:
        query = query.where(PaymentIntent.problem.is_not(None))
    if stuck_before is not None:
        query = query.where(
            PaymentIntent.status == "pending", PaymentIntent.updated_at < stuck_before
        )
    return session.scalars(
        query.order_by(PaymentIntent.created_at.desc(), PaymentIntent.id.desc()).limit(limit)
    ).all()


def list_events(
    session: Session, *, outcomes: Sequence[str] = (), limit: int = 200
) -> Sequence[PaymentEvent]:
    query = select(PaymentEvent)
    if outcomes:
        query = query.where(PaymentEvent.outcome.in_(outcomes))
    return session.scalars(
        query.order_by(PaymentEvent.received_at.desc(), PaymentEvent.id.desc()).limit(limit)
    ).all()


def account_refs(session: Session, account_ids: Sequence[int]) -> dict[int, str]:
    """The card system's account numbers of ``account_ids``, in one query."""
    if not account_ids:
        return {}
    rows = session.execute(
        select(CardAccount.id, CardAccount.external_ref).where(
            CardAccount.id.in_(sorted(set(account_ids)))
        )
    )
    return {row.id: row.external_ref for row in rows}
