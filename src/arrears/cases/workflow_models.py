"""What the workflow adds around a work order: follow-ups and the customer profile."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, UTCDateTime, Versioned

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


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


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
        CheckConstraint(_in("kind", FOLLOW_UP_KINDS), name="kind"),
        CheckConstraint(_in("status", FOLLOW_UP_STATUSES), name="status"),
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
            "stated_reason IS NULL OR " + _in("stated_reason", STATED_REASONS),
            name="stated_reason",
        ),
    )
