"""The contact log (the outbox of messages lives in ``arrears.channels``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
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
