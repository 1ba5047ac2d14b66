"""The portfolio as the card system reports it: cardholders, accounts, statements, payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
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

from arrears.delinquency.aging import StatementFact
from arrears.kit.db import Base, BigId, Money, UTCDateTime, one_of

IDENTITY_CATEGORIES = (
    "civil_servant",
    "soe_employee",
    "private_employee",
    "self_employed",
    "student",
    "retiree",
    "unemployed",
    "unknown",
)
CONTACT_RELATIONS = ("spouse", "parent", "sibling", "colleague", "friend", "guarantor", "other")
PHONE_TYPES = ("mobile", "home", "work", "other")
ACCOUNT_STATUSES = ("active", "blocked", "closed", "charged_off")
PAYMENT_CHANNELS = ("bank_transfer", "autodebit", "counter", "online", "mobile_app", "other")
# An import's way through the two stores (docs/data-formats.md, "Import batches and recovery").
IMPORT_STATES = ("loading", "store_done", "complete")


class Cardholder(Base):
    """A customer of the card center. ``external_ref`` is the card system's customer number."""

    __tablename__ = "cardholder"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_ref: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    id_number: Mapped[str | None] = mapped_column(String(40))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))  # male / female / unknown
    education: Mapped[str | None] = mapped_column(String(32))
    marital_status: Mapped[str | None] = mapped_column(String(16))
    occupation: Mapped[str | None] = mapped_column(String(64))
    employer: Mapped[str | None] = mapped_column(String(120))
    identity_category: Mapped[str] = mapped_column(String(32), nullable=False, default="unknown")
    province: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="zh-CN")
    time_zones: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    flags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    phones: Mapped[list[Phone]] = relationship(back_populates="cardholder", lazy="raise")
    contact_persons: Mapped[list[ContactPerson]] = relationship(
        back_populates="cardholder", lazy="raise"
    )
    accounts: Mapped[list[CardAccount]] = relationship(back_populates="cardholder", lazy="raise")

    __table_args__ = (
        CheckConstraint(
            one_of("identity_category", IDENTITY_CATEGORIES),
            name="identity_category",
        ),
    )


class Phone(Base):
    __tablename__ = "phone"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id", ondelete="CASCADE"), index=True, nullable=False
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False, default="mobile")

    cardholder: Mapped[Cardholder] = relationship(back_populates="phones", lazy="raise")

    __table_args__ = (UniqueConstraint("cardholder_id", "number"),)


class ContactPerson(Base):
    """Someone the cardholder named: reachable for a call-back request or location only."""

    __tablename__ = "contact_person"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    relation: Mapped[str] = mapped_column(String(16), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32))

    cardholder: Mapped[Cardholder] = relationship(back_populates="contact_persons", lazy="raise")

    __table_args__ = (
        UniqueConstraint("cardholder_id", "name", "relation"),
        CheckConstraint(
            one_of("relation", CONTACT_RELATIONS),
            name="relation",
        ),
    )


class CardAccount(Base):
    """One card account and the contract terms aging and fees need."""

    __tablename__ = "card_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_ref: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    cardholder_id: Mapped[int] = mapped_column(
        ForeignKey("cardholder.id"), index=True, nullable=False
    )
    product: Mapped[str] = mapped_column(String(64), nullable=False)
    credit_limit: Mapped[Decimal] = mapped_column(Money, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    open_date: Mapped[date | None] = mapped_column(Date)
    statement_day: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    due_days: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    min_payment_ratio: Mapped[Decimal] = mapped_column(Numeric(6, 4), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")

    cardholder: Mapped[Cardholder] = relationship(back_populates="accounts", lazy="raise")
    statements: Mapped[list[Statement]] = relationship(back_populates="account", lazy="raise")
    payments: Mapped[list[Payment]] = relationship(back_populates="account", lazy="raise")

    __table_args__ = (
        CheckConstraint("credit_limit >= 0", name="credit_limit_non_negative"),
        CheckConstraint("statement_day BETWEEN 1 AND 28", name="statement_day"),
        CheckConstraint("due_days BETWEEN 0 AND 60", name="due_days"),
        CheckConstraint("min_payment_ratio > 0 AND min_payment_ratio <= 1", name="min_ratio"),
    )


class Statement(Base):
    """One billing cycle: what was billed and the minimum that had to be paid by the due date."""

    __tablename__ = "statement"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("card_account.id", ondelete="CASCADE"), nullable=False
    )
    cycle_date: Mapped[date] = mapped_column(Date, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    closing_balance: Mapped[Decimal] = mapped_column(Money, nullable=False)
    minimum_due: Mapped[Decimal] = mapped_column(Money, nullable=False)
    # The itemisation, all four or none: what the closing balance holds (docs/delinquency.md).
    previous_balance: Mapped[Decimal | None] = mapped_column(Money)
    principal_billed: Mapped[Decimal | None] = mapped_column(Money)
    interest_billed: Mapped[Decimal | None] = mapped_column(Money)
    fees_billed: Mapped[Decimal | None] = mapped_column(Money)

    account: Mapped[CardAccount] = relationship(back_populates="statements", lazy="raise")

    __table_args__ = (
        UniqueConstraint("account_id", "cycle_date"),
        CheckConstraint("due_date >= cycle_date", name="due_after_cycle"),
        CheckConstraint("minimum_due >= 0", name="minimum_due_non_negative"),
        CheckConstraint(
            "(previous_balance IS NULL AND principal_billed IS NULL AND interest_billed IS NULL"
            " AND fees_billed IS NULL) OR (previous_balance IS NOT NULL AND principal_billed IS"
            " NOT NULL AND interest_billed IS NOT NULL AND fees_billed IS NOT NULL)",
            name="itemisation_whole",
        ),
        CheckConstraint(
            "interest_billed >= 0 AND fees_billed >= 0", name="billed_charges_non_negative"
        ),
    )

    def fact(self) -> StatementFact:
        """The statement as the pure rules read it."""
        return StatementFact(
            self.cycle_date,
            self.due_date,
            self.closing_balance,
            self.minimum_due,
            self.previous_balance,
            self.principal_billed,
            self.interest_billed,
            self.fees_billed,
        )


class ReportedDelinquency(Base):
    """The card system's own monthly repayment status (cycles delinquent) as of ``reported_on``.

    Kept as reported: -2 no consumption, -1 paid in full, 0 revolving, k >= 1 k cycles late. Where
    a report exists it is the system of record for aging at that date (docs/delinquency.md).
    """

    __tablename__ = "reported_delinquency"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("card_account.id", ondelete="CASCADE"), nullable=False
    )
    reported_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[int] = mapped_column(SmallInteger, nullable=False)

    __table_args__ = (
        UniqueConstraint("account_id", "reported_on"),
        CheckConstraint("status BETWEEN -2 AND 9", name="status_range"),
    )


class Payment(Base):
    """Money received. The card system's reference is unique per account (idempotent imports)."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("card_account.id", ondelete="CASCADE"), nullable=False
    )
    paid_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="other")
    reference: Mapped[str] = mapped_column(String(64), nullable=False)

    account: Mapped[CardAccount] = relationship(back_populates="payments", lazy="raise")

    __table_args__ = (
        UniqueConstraint("account_id", "reference"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class ImportBatch(Base):
    """One file loaded: what, when, how many rows, and the file's hash (re-imports are no-ops).

    ``state`` follows the import through both stores: ``loading`` (committed before the store
    load starts, so a killed load is visible), ``store_done`` (the operational store committed,
    the warehouse not yet), ``complete``. A rerun of the same bytes finishes an unfinished batch.
    """

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="loading")

    __table_args__ = (
        CheckConstraint(one_of("state", IMPORT_STATES), name="state"),
        # At most one unfinished batch per file: two processes cannot both start the same import.
        Index(
            "uq_import_batch_unfinished",
            "kind",
            "sha256",
            unique=True,
            sqlite_where=text("state <> 'complete'"),
            postgresql_where=text("state <> 'complete'"),
        ),
    )
