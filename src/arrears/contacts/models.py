"""The contact log and the transactional outbox."""

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
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.contacts.vocabulary import DIRECTIONS, OUTCOMES, PARTIES
from arrears.kit.db import Base, BigId, UTCDateTime, one_of
from arrears.vocabulary import CHANNELS

ATTEMPT_STATUSES = ("made", "blocked")
OUTBOX_STATUSES = ("queued", "sent", "failed", "cancelled")


class ContactAttempt(Base):
    """One contact attempt with its compliance decision. Blocked attempts are kept as blocked."""

    __tablename__ = "contact_attempt"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), nullable=False
    )
    cardholder_id: Mapped[int] = mapped_column(ForeignKey("cardholder.id"), nullable=False)
    contact_person_id: Mapped[int | None] = mapped_column(ForeignKey("contact_person.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    collector: Mapped[str] = mapped_column(String(120), nullable=False)
    # Who places the call for the compliance counts: "bank" or "agency:<id>".
    collector_ref: Mapped[str] = mapped_column(String(64), nullable=False, default="bank")
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False, default="outbound")
    party: Mapped[str] = mapped_column(String(16), nullable=False)
    relation: Mapped[str | None] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(String(32))
    address_used: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(8), nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    recording_ref: Mapped[str | None] = mapped_column(String(255))
    script: Mapped[str | None] = mapped_column(String(64))
    compliance_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    compliance_rules: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    compliance_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    compliance_next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compliance_profile: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    compliance_check_id: Mapped[int | None] = mapped_column(ForeignKey("compliance_check.id"))
    compliance_detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # When the server recorded it. ``at`` is when the contact was made: the same instant, except
    # for a late entry (made offline or on a visit, entered afterwards within the policy window).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    late_entry: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=sa.false()
    )

    __table_args__ = (
        Index("ix_contact_attempt_work_order_at", "work_order_id", "at"),
        Index("ix_contact_attempt_cardholder_at", "cardholder_id", "at"),
        CheckConstraint(one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(one_of("direction", DIRECTIONS), name="direction"),
        CheckConstraint(one_of("party", PARTIES), name="party"),
        CheckConstraint(one_of("status", ATTEMPT_STATUSES), name="status"),
        CheckConstraint("outcome IS NULL OR " + one_of("outcome", OUTCOMES), name="outcome"),
        # Blocked means blocked: a blocked attempt has no outcome and was never allowed.
        CheckConstraint(
            "(status = 'made' AND outcome IS NOT NULL AND compliance_allowed) OR "
            "(status = 'blocked' AND outcome IS NULL AND NOT compliance_allowed)",
            name="blocked_has_no_outcome",
        ),
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration"),
    )


class OutboxMessage(Base):
    """A message queued in the same transaction as the change that caused it."""

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
    body: Mapped[str] = mapped_column(Text, nullable=False)
    send_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="queued")
    compliance: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The relay's bookkeeping: hand-overs tried, why it is held or failed, the gateway's reference.
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        CheckConstraint(one_of("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint(one_of("channel", CHANNELS), name="channel"),
    )
