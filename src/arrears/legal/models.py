"""A legal case attached to a work order: its stage, court and reference, the dates of each
stage, the costs and who bears them, and the documents (letters) filed with it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, Money, UTCDateTime, Versioned, one_of
from arrears.legal.stages import BEARERS, COST_KINDS, STAGES


class LegalCase(Versioned, Base):
    __tablename__ = "legal_case"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_order.id"), unique=True, nullable=False
    )
    stage: Mapped[str] = mapped_column(String(24), nullable=False)
    court: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(64))
    # {stage: the day it was reached}; the server's day, never the caller's.
    stage_dates: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    hearing_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(120), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (CheckConstraint(one_of("stage", STAGES), name="stage"),)


class LegalCost(Base):
    __tablename__ = "legal_cost"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    legal_case_id: Mapped[int] = mapped_column(
        ForeignKey("legal_case.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    borne_by: Mapped[str] = mapped_column(String(16), nullable=False)
    incurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("kind", COST_KINDS), name="kind"),
        CheckConstraint(one_of("borne_by", BEARERS), name="borne_by"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class LegalDocument(Base):
    """A document of the case: a letter of the letters module (by its kind) or a court paper."""

    __tablename__ = "legal_document"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    legal_case_id: Mapped[int] = mapped_column(
        ForeignKey("legal_case.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # letter kind or court paper
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(120), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
