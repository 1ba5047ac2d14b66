"""The charged-off book: accounts off the active book, their write-offs and recoveries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, Money, UTCDateTime, Versioned, one_of

CHARGE_OFF_STATUSES = ("charged_off", "written_off")
WRITE_OFF_STATUSES = ("proposed", "approved", "rejected")


class ChargedOffAccount(Base):
    """One account charged off by the cycle on the fee profile's day, with its balance then."""

    __tablename__ = "charged_off_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # One charge-off per account, ever: the cycle's rerun finds it and writes nothing.
    account_ref: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("card_account.id"), index=True)
    customer_ref: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    charged_off_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    dpd: Mapped[int] = mapped_column(Integer, nullable=False)
    principal: Mapped[Decimal] = mapped_column(Money, nullable=False)
    interest: Mapped[Decimal] = mapped_column(Money, nullable=False)
    fees: Mapped[Decimal] = mapped_column(Money, nullable=False)
    total: Mapped[Decimal] = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="charged_off")
    run_id: Mapped[int | None] = mapped_column(Integer)
    write_off_id: Mapped[int | None] = mapped_column(ForeignKey("write_off.id"), index=True)
    written_off_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (CheckConstraint(one_of("status", CHARGE_OFF_STATUSES), name="status"),)


class WriteOff(Versioned, Base):
    """A write-off of a case's charged-off accounts: proposed by a maker, decided by a checker."""

    __tablename__ = "write_off"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id"), index=True, nullable=False
    )
    # The store's figure at proposal (the sum of the accounts' charge-off totals), never a caller's.
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="proposed")
    maker: Mapped[str] = mapped_column(String(120), nullable=False)
    maker_role: Mapped[str] = mapped_column(String(40), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    checker: Mapped[str | None] = mapped_column(String(120))
    checker_role: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint(one_of("status", WRITE_OFF_STATUSES), name="status"),)


class Recovery(Base):
    """A payment received on a written-off account: a recovery, never a cure.

    ``agency_commission`` and ``legal_costs`` stay 0 here: a payment's commission is its share of
    a month's tiered statement, known once the month closes, so the write-off report computes
    both from the agencies' statements and the legal costs (``service.write_off_report``).
    """

    __tablename__ = "recovery"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charged_off_id: Mapped[int] = mapped_column(
        ForeignKey("charged_off_account.id"), index=True, nullable=False
    )
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True, nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    agency_commission: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    legal_costs: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
