"""Queries of the contacts domain that the workflow's repository does not already make."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.contacts.models import OutboxMessage


def claim_outbox(session: Session, *, due_on: date, limit: int) -> Sequence[OutboxMessage]:
    """Queued messages due on or before ``due_on``, oldest first, locked for this transaction
    (another relay skips them) where the database can lock rows."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "queued", OutboxMessage.send_on <= due_on)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()
