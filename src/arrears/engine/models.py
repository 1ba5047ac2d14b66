"""The run record of the daily cycle: one row per ``arrears cycle run``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from arrears.kit.db import Base, BigId, UTCDateTime, one_of

RUN_STATUSES = ("running", "succeeded", "failed")


class CycleRun(Base):
    """As-of date, engine, strategy hash, counts and per-stage durations of one cycle run."""

    __tablename__ = "cycle_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    engine: Mapped[str] = mapped_column(String(16), nullable=False)
    strategy_name: Mapped[str] = mapped_column(String(120), nullable=False)
    strategy_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    durations: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # Who started the run: ``user:NAME`` (the admin page, ``cycle run --as``) or ``system`` (a
    # scheduler). The audit trail names the same actor.
    actor: Mapped[str] = mapped_column(
        String(120), nullable=False, default="system", server_default="system"
    )
    # Written at each stage and every few seconds while the run is alive; a run whose heartbeat
    # stopped died with its process (kill -9, a power cut), and the next start marks it failed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stage: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint(one_of("status", RUN_STATUSES), name="status"),
        # One run at a time (two would write the same warehouse tables): a second "running" row
        # is refused by the database itself, whoever starts it (CLI, the admin page, a scheduler).
        Index(
            "uq_cycle_run_one_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )
