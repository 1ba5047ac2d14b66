"""Every query on the contact log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arrears.contacts.models import ContactAttempt
from arrears.portfolio.models import Cardholder


def lock_debtor(session: Session, cardholder_id: int) -> None:
    """Take the customer's lock for the rest of this transaction: every decision that counts
    his contact history (daily caps, 7 in 7, a third party once) waits here, so two collectors
    never count the same history and both insert (issue 14).

    PostgreSQL: a row lock on the cardholder (``SELECT ... FOR UPDATE``), released at commit or
    rollback. SQLite has one writer, but pysqlite opens the transaction only at the first write,
    so reads before it see a state another writer is about to change: a no-op ``UPDATE`` of the
    row takes the write lock now (``BEGIN IMMEDIATE`` semantics from this point), and the count
    read after it is the latest.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Cardholder.id).where(Cardholder.id == cardholder_id).with_for_update()
        )
    else:
        session.execute(
            update(Cardholder)
            .where(Cardholder.id == cardholder_id)
            .values(id=Cardholder.id)
            .execution_options(synchronize_session=False)
        )


def attempts(
    session: Session, *, work_order_id: int | None = None, cardholder_id: int | None = None
) -> Sequence[ContactAttempt]:
    query = select(ContactAttempt)
    if work_order_id is not None:
        query = query.where(ContactAttempt.work_order_id == work_order_id)
    if cardholder_id is not None:
        query = query.where(ContactAttempt.cardholder_id == cardholder_id)
    return session.scalars(query.order_by(ContactAttempt.at, ContactAttempt.id)).all()


# The largest id a BIGINT holds: a larger one names no row, and must not reach the database.
_MAX_ID = 2**63 - 1


def attempt(session: Session, attempt_id: int) -> ContactAttempt | None:
    if not 0 < attempt_id <= _MAX_ID:
        return None
    return session.get(ContactAttempt, attempt_id)


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


def attempts_by_actor_since(
    session: Session, *, actors: Sequence[str], since: datetime
) -> dict[str, dict[str, int]]:
    """Per actor: attempts made and blocked since ``since`` (the supervisor's team view)."""
    if not actors:
        return {}
    rows = session.execute(
        select(ContactAttempt.collector, ContactAttempt.status, func.count())
        .where(ContactAttempt.collector.in_(actors), ContactAttempt.at >= since)
        .group_by(ContactAttempt.collector, ContactAttempt.status)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for actor, status, n in rows:
        counts.setdefault(actor, {})[status] = int(n)
    return counts


def calls_made_by_actor_since(
    session: Session, *, actors: Sequence[str], since: datetime
) -> dict[str, int]:
    """Per actor: telephone calls made since ``since`` (the team view's "calls today", apart from
    SMS, e-mail, letters and visits)."""
    if not actors:
        return {}
    rows = session.execute(
        select(ContactAttempt.collector, func.count())
        .where(
            ContactAttempt.collector.in_(actors),
            ContactAttempt.at >= since,
            ContactAttempt.channel == "call",
            ContactAttempt.status == "made",
        )
        .group_by(ContactAttempt.collector)
    ).all()
    return {actor: int(n) for actor, n in rows}


def latest_case_by_actor_since(
    session: Session, *, actors: Sequence[str], since: datetime
) -> dict[str, int]:
    """Per actor: the case of their latest contact attempt since ``since`` (who is on which
    case)."""
    if not actors:
        return {}
    rows = session.execute(
        select(ContactAttempt.collector, ContactAttempt.work_order_id)
        .where(ContactAttempt.collector.in_(actors), ContactAttempt.at >= since)
        .order_by(ContactAttempt.at, ContactAttempt.id)
    ).all()
    return {actor: int(work_order_id) for actor, work_order_id in rows}  # the latest wins


def last_made_at(session: Session, work_order_ids: Sequence[int]) -> dict[int, datetime]:
    """When each case's latest contact was made (blocked attempts never happened), one query
    for a page of cases."""
    if not work_order_ids:
        return {}
    rows = session.execute(
        select(ContactAttempt.work_order_id, func.max(ContactAttempt.at))
        .where(
            ContactAttempt.work_order_id.in_(list(work_order_ids)),
            ContactAttempt.status == "made",
        )
        .group_by(ContactAttempt.work_order_id)
    ).all()
    return {int(wo_id): at for wo_id, at in rows if at is not None}
