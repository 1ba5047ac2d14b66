"""Work orders: one collection case per customer, opened, updated and closed by the daily cycle.

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
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arrears.kit.db import Base, BigId, Money, UTCDateTime, Versioned

WORK_ORDER_STATUSES = (
    "open",
    "assigned",
    "in_progress",
    "promised",
    "kept",
    "broken",
    "escalated",
    "placed",
    "on_hold",
    "closed",
)
# Every status but ``closed`` is a live case: the cycle keeps at most one live case per customer.
OPEN_STATUSES = tuple(s for s in WORK_ORDER_STATUSES if s != "closed")
CLOSE_REASONS = ("cured", "paid", "settled", "written_off", "recalled")
LEVELS = ("junior", "intermediate", "advanced", "legal", "outsource", "write_off_review")
TREATMENTS = (
    "sms_reminder",
    "call",
    "letter",
    "contact_person_enquiry",
    "field_visit",
    "legal_notice",
    "agency_placement",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


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
        CheckConstraint(_in("status", WORK_ORDER_STATUSES), name="status"),
        CheckConstraint(
            "close_reason IS NULL OR " + _in("close_reason", CLOSE_REASONS), name="close_reason"
        ),
        CheckConstraint(_in("level", LEVELS), name="level"),
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
