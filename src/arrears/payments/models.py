"""Online payments: the intents a customer starts, and the provider's events about them.

An intent is one attempt to pay one account an amount the server checked (within what the
account owes); the provider's signed webhook events move it by the state machine
(``payments/states.py``). A succeeded intent is posted once as a ``portfolio.Payment``
(channel ``online``, reference ``portal:<public id>``), which the intent points to.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, Money, UTCDateTime, one_of
from arrears.payments.states import EVENT_OUTCOMES, INTENT_STATUSES, PROVIDER_EVENTS

PROVIDERS = ("sandbox", "generic")


class PaymentIntent(Base):
    """One payment the customer started: who, which account, how much, and where it stands."""

    __tablename__ = "payment_intent"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # What the customer's browser and the provider see (never the row id: not guessable).
    public_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("card_account.id"), nullable=False, index=True
    )
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id"), nullable=False, index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="created", index=True)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_ref: Mapped[str] = mapped_column(String(128), nullable=False)
    redirect_url: Mapped[str] = mapped_column(Text, nullable=False)
    qr_payload: Mapped[str] = mapped_column(Text, nullable=False)
    # A path on this server the checkout sends the customer back to.
    return_url: Mapped[str] = mapped_column(Text, nullable=False)
    started_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # After this a still-"created" intent no longer holds part of what is owed.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), unique=True)
    # An event operations must look at (amount or currency not the intent's): not posted.
    problem: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("provider", "provider_ref"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(one_of("status", INTENT_STATUSES), name="status"),
        CheckConstraint(one_of("provider", PROVIDERS), name="provider"),
    )


class PaymentEvent(Base):
    """One webhook event as received: the provider's event id is unique (a replay is a no-op).

    ``outcome``: ``applied`` (moved the intent), ``ignored`` (nothing to change: an earlier
    state after a later one), ``mismatch`` (amount or currency not the intent's: not posted),
    ``unknown_intent`` (no intent with that provider reference)."""

    __tablename__ = "payment_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    provider_event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    intent_id: Mapped[int | None] = mapped_column(ForeignKey("payment_intent.id"), index=True)
    provider_ref: Mapped[str] = mapped_column(String(128), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("provider", "provider_event_id"),
        CheckConstraint(one_of("type", PROVIDER_EVENTS), name="type"),
        CheckConstraint(one_of("outcome", EVENT_OUTCOMES), name="outcome"),
        Index("ix_payment_event_outcome_received", "outcome", "received_at"),
    )
