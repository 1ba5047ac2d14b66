"""The record of every compliance decision the service made, and its override if any."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, UTCDateTime, Versioned, one_of
from arrears.vocabulary import CHANNELS

# Who refused: the engine asked by the contact flow, a workflow gate after it (step by step,
# contact-person purpose, late entry), or the engine asked again by the outbox relay.
STAGES = ("engine", "workflow", "relay")
# Where a consent came from: the customer in the self-service portal, or told to a collector.
CONSENT_SOURCES = ("portal", "collector")


class ComplianceCheck(Versioned, Base):
    """One decision: what was proposed, what the engine (or a workflow gate) said, and who
    overrode it and why. Every refused action has one, whichever stage refused it."""

    __tablename__ = "compliance_check"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    action_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    profile: Mapped[str] = mapped_column(String(120), nullable=False)
    collector: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    person_ref: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    allowed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    rules: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Rule id + parameters per reason (reasons.yaml renders them in the reader's language).
    reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    overridden_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stage: Mapped[str] = mapped_column(
        String(16), nullable=False, default="engine", server_default="engine"
    )
    # The real actor: the staff member's code, the agency's code, or the job (``system``);
    # ``collector`` is whom the rules count against (the bank or an agency).
    acted_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # The zones the debtor may be in, as the engine found them: next-allowed times are shown in
    # them and in the center's zone.
    debtor_zones: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (CheckConstraint(one_of("stage", STAGES), name="stage"),)

    @property
    def permitted(self) -> bool:
        """May the action go ahead: allowed by the engine, or overridden by compliance."""
        return self.allowed or self.overridden_by is not None


class ContactConsent(Base):
    """The customer's own consent to be contacted in a time window he chose (a call back
    between 18:00 and 19:00 on Tuesday): prior consent given directly (Reg F 1006.6(b)(1),
    1006.14(b)(3)). The contact flow hands it to the engine as a ``Consent`` with that window;
    what it then allows is the profile's to say (``time_window.consent_overrides``,
    ``frequency.consent_excludes``)."""

    __tablename__ = "contact_consent"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id", ondelete="CASCADE"), nullable=False
    )
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_order.id", ondelete="SET NULL"), nullable=True
    )
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    given_by: Mapped[str] = mapped_column(String(120), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    # Withdrawn by the customer (the portal): the consent covered the window until then only.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(120), nullable=True)

    __table_args__ = (
        CheckConstraint(one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(one_of("source", CONSENT_SOURCES), name="source"),
        CheckConstraint("window_end > window_start", name="window_order"),
        Index("ix_contact_consent_cardholder_window", "cardholder_id", "window_end"),
    )
