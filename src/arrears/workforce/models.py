"""Staff, teams, agencies and their contracts, assignments, training records, monthly metrics."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, Money, UTCDateTime, Versioned, one_of

EMPLOYMENT_TYPES = ("labor_dispatch", "establishment", "agency")
GRADES = ("collection_officer", "senior_collection_specialist", "team_lead", "manager")
STAFF_STATUSES = ("active", "on_leave", "left")
AGENCY_STATUSES = ("active", "suspended")


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Agency(Base):
    """An outside collection agency (委外). Its users are staff rows of employment type agency."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (CheckConstraint(one_of("status", AGENCY_STATUSES), name="status"),)


class AgencyContract(Base):
    """What an agency accepts (buckets, levels), what it earns, and when cases come back."""

    __tablename__ = "agency_contract"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    buckets: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    levels: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    commission_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(Date)
    recall_on_cure: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    recall_on_contract_end: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    recall_after_days: Mapped[int | None] = mapped_column(Integer)
    max_placements: Mapped[int | None] = mapped_column(Integer)
    # Marginal tiers [{"up_to": "50000.00" | null, "rate": "0.15"}]; null: one tier at the pct.
    commission_tiers: Mapped[list[dict[str, str | None]] | None] = mapped_column(JSON)
    commission_cap: Mapped[Decimal | None] = mapped_column(Money)
    # What the daily exchange files show the agency (null: exchange.DEFAULT_FIELDS), masked how.
    exchange_fields: Mapped[list[str] | None] = mapped_column(JSON)
    masked_fields: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint("commission_pct >= 0 AND commission_pct <= 100", name="commission_pct"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        CheckConstraint(
            "recall_after_days IS NULL OR recall_after_days > 0", name="recall_after_days"
        ),
    )


class PaymentReversal(Base):
    """A payment the card system took back (returned, charged back): commission paid on it is
    clawed back on the agency's statement of the month it was reversed in."""

    __tablename__ = "payment_reversal"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payment.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    reversed_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Staff(Versioned, Base):
    """A collector, lead or manager; agency users are staff rows with ``agency_id`` set."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    employment_type: Mapped[str] = mapped_column(String(16), nullable=False)
    grade: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    levels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    hire_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active", index=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("employment_type", EMPLOYMENT_TYPES), name="employment_type"),
        CheckConstraint(one_of("grade", GRADES), name="grade"),
        CheckConstraint(one_of("status", STAFF_STATUSES), name="status"),
        CheckConstraint("capacity >= 0", name="capacity"),
        CheckConstraint(
            "(employment_type = 'agency') = (agency_id IS NOT NULL)", name="agency_iff_agency"
        ),
        CheckConstraint("(status = 'left') = (left_on IS NOT NULL)", name="left_on_iff_left"),
    )


class Assignment(Base):
    """Who holds a work order: a collector or an agency (placement), from when, and why."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id"), nullable=False, index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("agency_contract.id"))
    level: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date, nullable=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        CheckConstraint("(staff_id IS NULL) <> (agency_id IS NULL)", name="staff_xor_agency"),
        CheckConstraint("(agency_id IS NULL) = (contract_id IS NULL)", name="contract_iff_agency"),
        # One live assignment per work order, enforced by the store.
        Index(
            "uq_assignment_live_work_order",
            "work_order_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_assignment_staff_live", "staff_id", "ended_at"),
        Index("ix_assignment_agency_live", "agency_id", "ended_at"),
    )


class TrainingCompletion(Base):
    __tablename__ = "training_completion"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), nullable=False, index=True)
    course: Mapped[str] = mapped_column(String(40), nullable=False)
    completed_on: Mapped[date] = mapped_column(Date, nullable=False)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("staff_id", "course", "completed_on"),
        CheckConstraint("score >= 0 AND score <= 100", name="score"),
    )


class StaffMetricMonth(Base):
    """A collector's month, as pay and promotion read it (loaded or derived from the workbench)."""

    __tablename__ = "staff_metric_month"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), nullable=False, index=True)
    month: Mapped[date] = mapped_column(Date, nullable=False)
    recovered: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    promises_made: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    promises_kept: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    blocked_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    overrides: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    complaints: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    violations: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    qa_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    __table_args__ = (
        UniqueConstraint("staff_id", "month"),
        CheckConstraint("promises_kept <= promises_made", name="kept_le_made"),
    )
