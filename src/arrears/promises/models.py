"""Promises to pay, repayment plans and settlements, and plan instalments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, Money, UTCDateTime, Versioned, one_of
from arrears.promises.plans import FREQUENCIES, INSTALMENT_STATES, PLAN_STATES
from arrears.promises.reconcile import PROMISE_STATES
from arrears.vocabulary import CHANNELS

PLAN_KINDS = ("plan", "settlement")
# Where a promise was made: a contact channel, or the customer's own self-service portal.
PROMISE_CHANNELS: tuple[str, ...] = (*CHANNELS, "portal")


class Promise(Versioned, Base):
    """A promise to pay an amount by a date, marked by reconciliation against payments."""

    __tablename__ = "promise"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), nullable=False
    )
    contact_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempt.id"))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    made_on: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    paid: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    settled_on: Mapped[date | None] = mapped_column(Date)
    taken_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_promise_work_order_status", "work_order_id", "status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("due_on >= made_on", name="due_after_made"),
        CheckConstraint(one_of("status", PROMISE_STATES), name="status"),
        CheckConstraint(one_of("channel", PROMISE_CHANNELS), name="channel"),
    )


class RepaymentPlan(Versioned, Base):
    """An instalment plan or a settlement offer, proposed by a maker and checked by a checker."""

    __tablename__ = "repayment_plan"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    balance: Mapped[Decimal] = mapped_column(Money, nullable=False)
    discount: Mapped[Decimal] = mapped_column(Numeric(5, 4), nullable=False, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    frequency: Mapped[str] = mapped_column(String(10), nullable=False)
    instalment_count: Mapped[int] = mapped_column(Integer, nullable=False)
    first_due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    needs_checker: Mapped[bool] = mapped_column(nullable=False, default=False)
    maker: Mapped[str] = mapped_column(String(120), nullable=False)
    checker: Mapped[str | None] = mapped_column(String(120))
    checker_role: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    missed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("kind", PLAN_KINDS), name="kind"),
        CheckConstraint(one_of("status", PLAN_STATES), name="status"),
        CheckConstraint(one_of("frequency", FREQUENCIES), name="frequency"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("discount >= 0 AND discount < 1", name="discount_range"),
        CheckConstraint("instalment_count >= 1", name="instalment_count"),
    )


class PlanInstalment(Base):
    __tablename__ = "plan_instalment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("repayment_plan.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="pending")
    paid: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))

    __table_args__ = (
        UniqueConstraint("plan_id", "seq"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(one_of("status", INSTALMENT_STATES), name="status"),
    )
