"""Every portal query. Links, attempts and sessions are looked up by a token's digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.portal.models import PortalAttempt, PortalLink, PortalSession
from arrears.portfolio.models import Cardholder
from arrears.vocabulary import OPEN_STATUSES


def link_by_hash(session: Session, token_hash: str) -> PortalLink | None:
    return session.scalar(select(PortalLink).where(PortalLink.token_hash == token_hash))


def consume(session: Session, *, link_id: int, now: datetime) -> bool:
    """Mark the link used if nobody has yet; False if another request used it first (two
    browsers racing on one link get one session between them)."""
    done = session.execute(
        update(PortalLink)
        .where(PortalLink.id == link_id, PortalLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0) == 1)


def count_failure(session: Session, *, link_id: int, lock_at: int) -> int:
    """Add one wrong answer to the link (in the database, so concurrent tries all count) and
    lock it at ``lock_at``; returns the new count."""
    session.execute(
        update(PortalLink)
        .where(PortalLink.id == link_id)
        .values(failed_attempts=PortalLink.failed_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(PortalLink)
        .where(PortalLink.id == link_id, PortalLink.failed_attempts >= lock_at)
        .values(locked=True)
        .execution_options(synchronize_session=False)
    )
    return int(
        session.scalar(select(PortalLink.failed_attempts).where(PortalLink.id == link_id)) or 0
    )


def failures_from_address(session: Session, *, ip: str, since: datetime) -> int:
    """Wrong answers (on any link, or unknown links) from ``ip`` since ``since``."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(PortalAttempt)
            .where(
                PortalAttempt.ip == ip,
                PortalAttempt.at >= since,
                PortalAttempt.succeeded.is_(False),
            )
        )
        or 0
    )


def session_by_hash(session: Session, token_hash: str) -> PortalSession | None:
    return session.scalar(select(PortalSession).where(PortalSession.token_hash == token_hash))


def cardholder(session: Session, cardholder_id: int) -> Cardholder | None:
    return session.get(Cardholder, cardholder_id)


def open_work_orders(session: Session, cardholder_id: int) -> Sequence[WorkOrder]:
    """The customer's live cases (what the portal shows): never another customer's."""
    return session.scalars(
        select(WorkOrder)
        .where(WorkOrder.cardholder_id == cardholder_id, WorkOrder.status.in_(OPEN_STATUSES))
        .order_by(WorkOrder.id)
    ).all()


def work_orders(session: Session, cardholder_id: int) -> Sequence[WorkOrder]:
    """All of the customer's cases, newest first (the promise and plan history spans them)."""
    return session.scalars(
        select(WorkOrder)
        .where(WorkOrder.cardholder_id == cardholder_id)
        .order_by(WorkOrder.id.desc())
    ).all()


def open_case_of_account(session: Session, account_ref: str) -> WorkOrder | None:
    """The open case covering card account ``account_ref`` (the latest, if several)."""
    return session.scalar(
        select(WorkOrder)
        .join(WorkOrderAccount, WorkOrderAccount.work_order_id == WorkOrder.id)
        .where(WorkOrderAccount.account_ref == account_ref, WorkOrder.status.in_(OPEN_STATUSES))
        .order_by(WorkOrder.id.desc())
        .limit(1)
    )
