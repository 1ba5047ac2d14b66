"""The outbound message store (the transactional outbox), each debtor's channels and opt-outs,
and the delivery receipts the transports send back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.channels.states import MESSAGE_STATUSES
from arrears.kit.db import Base, BigId, UTCDateTime, one_of
from arrears.vocabulary import CHANNELS


class OutboxMessage(Base):
    """A message queued in the same transaction as the change that caused it, on any channel.

    ``status`` follows ``channels.states``. ``body`` is the full text (an SMS, the e-mail's text
    part, a letter's text); ``html`` the e-mail's HTML part; ``fields`` the named fields the
    compliance profile asks of the channel (the opt-out, a letter's seal...).
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_order.id", ondelete="SET NULL"), index=True
    )
    cardholder_id: Mapped[int] = mapped_column(ForeignKey("cardholder.id"), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    address: Mapped[str] = mapped_column(String(255), nullable=False)
    template: Mapped[str] = mapped_column(String(64), nullable=False)
    locale: Mapped[str] = mapped_column(String(8), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    html: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    # Who sends it for the compliance counts ("bank" or "agency:<id>") and who queued it.
    collector_ref: Mapped[str] = mapped_column(
        String(64), nullable=False, default="bank", server_default="bank"
    )
    queued_by: Mapped[str | None] = mapped_column(String(120))
    send_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    # The last day it may still go out (a greeting is for its day); None: until sent or cancelled.
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="queued")
    compliance: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # A held message: the rule that holds it and when compliance would next allow it.
    held_rule: Mapped[str | None] = mapped_column(String(64))
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The relay's bookkeeping: hand-overs tried, why it is held or failed, the gateway's reference.
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(128), index=True)

    __table_args__ = (
        CheckConstraint(one_of("status", MESSAGE_STATUSES), name="status"),
        CheckConstraint(one_of("channel", CHANNELS), name="channel"),
    )


class DebtorChannel(Base):
    """A debtor's address on one channel (the e-mail on file), whether he prefers it, and his
    opt-out (Reg F §1006.6(e)): once opted out, no later message goes out on that channel."""

    __tablename__ = "debtor_channel"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    address: Mapped[str | None] = mapped_column(String(255))
    preferred: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=sa.false()
    )
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the opt-out came: "link" (e-mail), "reply" (SMS STOP), "collector", "api".
    opted_out_via: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("cardholder_id", "channel"),
        CheckConstraint(one_of("channel", CHANNELS), name="channel"),
    )


class ChannelOptOut(Base):
    """One opt-out of a channel, from when it began until it ended: the debtor's record of
    refusing a channel and of taking the refusal back. Never deleted; ending it (the customer
    opting back in himself) fills ``ended_*``. ``debtor_channel.opted_out_at`` is the open
    one's start, the state every check reads; this table is its history."""

    __tablename__ = "channel_opt_out"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    opted_out_via: Mapped[str] = mapped_column(String(16), nullable=False)
    # Unknown for the opt-outs recorded before this table (migration d001).
    opted_out_by: Mapped[str | None] = mapped_column(String(120))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_via: Mapped[str | None] = mapped_column(String(16))
    ended_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        CheckConstraint(one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(
            "(ended_at IS NULL AND ended_via IS NULL AND ended_by IS NULL) OR "
            "(ended_at IS NOT NULL AND ended_via IS NOT NULL AND ended_by IS NOT NULL)",
            name="ended_together",
        ),
        sa.Index("ix_channel_opt_out_cardholder_channel", "cardholder_id", "channel"),
    )


class MessageReceipt(Base):
    """A delivery receipt (or bounce) as the transport reported it; its id makes a replay a
    no-op."""

    __tablename__ = "message_receipt"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    receipt_id: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
