"""Every query on the outbox, the debtors' channels and the delivery receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from arrears.channels.models import ChannelOptOut, DebtorChannel, MessageReceipt, OutboxMessage
from arrears.channels.states import PENDING

# The largest id a BIGINT holds: a larger one names no row, and must not reach the database.
_MAX_ID = 2**63 - 1


def key_taken(session: Session, dedupe_key: str) -> bool:
    return (
        session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        is not None
    )


def message(session: Session, message_id: int) -> OutboxMessage | None:
    if not 0 < message_id <= _MAX_ID:
        return None
    return session.get(OutboxMessage, message_id)


def message_by_key(session: Session, dedupe_key: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


def messages(
    session: Session,
    *,
    work_order_id: int | None = None,
    cardholder_id: int | None = None,
    work_order_ids: Sequence[int] | None = None,
    status: str | None = None,
    limit: int = 200,
) -> Sequence[OutboxMessage]:
    """Messages, newest first, narrowed by case, customer, the cases a caller may read, status.
    ``work_order_ids`` is the caller's scope: a message outside it is not returned."""
    query = select(OutboxMessage)
    if work_order_id is not None:
        query = query.where(OutboxMessage.work_order_id == work_order_id)
    if cardholder_id is not None:
        query = query.where(OutboxMessage.cardholder_id == cardholder_id)
    if work_order_ids is not None:
        query = query.where(OutboxMessage.work_order_id.in_(work_order_ids))
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)).all()


def claim_pending(
    session: Session, *, due_on: date, now: datetime, channels: Sequence[str], limit: int
) -> Sequence[OutboxMessage]:
    """Pending messages due on or before ``due_on`` on ``channels``, oldest first: queued ones,
    and held ones whose next allowed time has come. Locked for this transaction (another relay
    skips them) where the database can lock rows."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(PENDING),
            OutboxMessage.send_on <= due_on,
            OutboxMessage.channel.in_(channels),
            or_(
                OutboxMessage.status == "queued",
                OutboxMessage.next_allowed_at.is_(None),
                OutboxMessage.next_allowed_at <= now,
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


def pending_on(session: Session, *, cardholder_id: int, channel: str) -> Sequence[OutboxMessage]:
    """The debtor's messages on ``channel`` not yet handed over."""
    return session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.cardholder_id == cardholder_id,
            OutboxMessage.channel == channel,
            OutboxMessage.status.in_(PENDING),
        )
    ).all()


def debtor_channels(session: Session, cardholder_id: int) -> Sequence[DebtorChannel]:
    return session.scalars(
        select(DebtorChannel)
        .where(DebtorChannel.cardholder_id == cardholder_id)
        .order_by(DebtorChannel.channel)
    ).all()


def debtor_channel(session: Session, cardholder_id: int, channel: str) -> DebtorChannel | None:
    return session.scalar(
        select(DebtorChannel).where(
            DebtorChannel.cardholder_id == cardholder_id, DebtorChannel.channel == channel
        )
    )


def clear_opt_out(session: Session, row_id: int, *, at: datetime) -> bool:
    """Clear the channel's opt-out if it is still set: False when another request did first
    (a conditional update, so two submits at once end it once)."""
    done = session.execute(
        update(DebtorChannel)
        .where(DebtorChannel.id == row_id, DebtorChannel.opted_out_at.is_not(None))
        .values(opted_out_at=None, opted_out_via=None, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def end_opt_outs(
    session: Session, cardholder_id: int, channel: str, *, at: datetime, via: str, by: str
) -> int:
    """End the channel's open opt-out rows (there is one): they stay, with when, how and by
    whom they ended."""
    done = session.execute(
        update(ChannelOptOut)
        .where(
            ChannelOptOut.cardholder_id == cardholder_id,
            ChannelOptOut.channel == channel,
            ChannelOptOut.ended_at.is_(None),
        )
        .values(ended_at=at, ended_via=via, ended_by=by)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0))


def receipt(session: Session, receipt_id: str) -> MessageReceipt | None:
    return session.scalar(select(MessageReceipt).where(MessageReceipt.receipt_id == receipt_id))
