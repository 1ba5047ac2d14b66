"""Work orders: one collection case per customer, opened, updated and closed by the daily cycle;
and what the workflow adds around one: follow-ups, the customer profile, the three stops given.

The cycle (``arrears.engine.sync``) owns the columns it computes (bucket, dpd, amounts, level,
queue, treatments...). The workflow (state machine, contacts, promises) and the workforce
(assignments) extend the case in their own tables and migrations.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arrears.kit.db import Base, BigId, Money, UTCDateTime, Versioned, one_of
from arrears.vocabulary import (
    CLOSE_REASONS,
    LEVELS,
    WORK_ORDER_STATUSES,
)

FOLLOW_UP_KINDS = ("call_back", "broken_promise", "plan_missed", "review", "escalation")
FOLLOW_UP_STATUSES = ("open", "done", "cancelled")
STATED_REASONS = (
    "job_loss",
    "illness",
    "business_failure",
    "dispute",
    "fraud_claim",
    "over_indebtedness",
    "other",
)
FACT_STATUSES = ("verified", "claimed")


class WorkOrder(Versioned, Base):
    """One collection case for one customer; may cover several of the customer's accounts."""

    __tablename__ = "work_order"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id"), index=True, nullable=False
    )
    # The card system's customer number, denormalised: the cycle matches on it in bulk.
    customer_ref: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    close_reason: Mapped[str | None] = mapped_column(String(16))
    hold_reason: Mapped[str | None] = mapped_column(Text)

    # What the cycle last computed (the worst of the customer's accounts, amounts summed).
    bucket: Mapped[str] = mapped_column(String(8), nullable=False)
    dpd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount_due: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    balance: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    fees: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    interest: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="CNY")
    account_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    # The strategy's decision.
    level: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    queue: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    segment: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    arm: Mapped[str | None] = mapped_column(String(64))
    treatments: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    strategy_hash: Mapped[str | None] = mapped_column(String(64))

    # Fed by the workflow; the strategy reads them on the next cycle.
    problem_customer: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    broken_promises: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_action_on: Mapped[date | None] = mapped_column(Date)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last time the customer acted in the self-service portal (a promise, a plan, a
    # dispute...): the queue flags the case when this is later than the last contact made.
    customer_acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[date | None] = mapped_column(Date)
    last_cycle_as_of: Mapped[date | None] = mapped_column(Date, index=True)
    opened_by_run: Mapped[int | None] = mapped_column(Integer)
    updated_by_run: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    accounts: Mapped[list[WorkOrderAccount]] = relationship(
        back_populates="work_order", lazy="raise", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(one_of("status", WORK_ORDER_STATUSES), name="status"),
        CheckConstraint(
            "close_reason IS NULL OR " + one_of("close_reason", CLOSE_REASONS), name="close_reason"
        ),
        CheckConstraint(one_of("level", LEVELS), name="level"),
        CheckConstraint("broken_promises >= 0", name="broken_promises_non_negative"),
        CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL)", name="closed_on_iff_closed"
        ),
        # At most one live case per customer, enforced by the store itself (partial index).
        Index(
            "uq_work_order_live_customer",
            "customer_ref",
            unique=True,
            sqlite_where=text("status <> 'closed'"),
            postgresql_where=text("status <> 'closed'"),
        ),
    )


class WorkOrderAccount(Base):
    """An account a work order covers, with that account's own figures at the last cycle."""

    __tablename__ = "work_order_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), nullable=False, index=True
    )
    account_ref: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("card_account.id"), index=True)
    bucket: Mapped[str] = mapped_column(String(8), nullable=False)
    dpd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount_due: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    fees: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    interest: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))

    work_order: Mapped[WorkOrder] = relationship(back_populates="accounts", lazy="raise")

    __table_args__ = (UniqueConstraint("work_order_id", "account_ref"),)


class FollowUp(Base):
    """A scheduled follow-up task on a case."""

    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), nullable=False
    )
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(64))  # e.g. "promise:12"
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_follow_up_work_order_status", "work_order_id", "status"),
        Index("ix_follow_up_due_on", "due_on"),
        CheckConstraint(one_of("kind", FOLLOW_UP_KINDS), name="kind"),
        CheckConstraint(one_of("status", FOLLOW_UP_STATUSES), name="status"),
    )


class CustomerProfile(Versioned, Base):
    """Listen, ask, check: pain points, stated reason, facts verified vs claimed, the solution."""

    __tablename__ = "customer_profile"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    pain_points: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    stated_reason: Mapped[str | None] = mapped_column(String(20))
    reason_detail: Mapped[str | None] = mapped_column(Text)
    # [{"fact": ..., "status": "verified" | "claimed", "source": ...}]
    facts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    agreed_solution: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(120), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(
            "stated_reason IS NULL OR " + one_of("stated_reason", STATED_REASONS),
            name="stated_reason",
        ),
    )


class ThreeStop(Base):
    """A stop given to an abusive debtor. One row per stop per case; order is checked on insert."""

    __tablename__ = "three_stop"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), nullable=False, index=True
    )
    contact_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempt.id"))
    stop: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    given_by: Mapped[str] = mapped_column(String(120), nullable=False)
    locale: Mapped[str] = mapped_column(String(8), nullable=False)
    wording: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        # The store refuses a stop twice even if two requests race.
        UniqueConstraint("work_order_id", "stop"),
        CheckConstraint("stop BETWEEN 1 AND 3", name="stop_range"),
    )
