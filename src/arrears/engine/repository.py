"""Every query the cycle makes on the operational store (the warehouse side is in ``service``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.engine.models import CycleRun
from arrears.engine.stages import LIVE_CASES


def live_cases(session: Session) -> pa.Table:
    """What the strategy reads from each open work order, keyed by the customer's reference."""
    stmt = select(
        WorkOrder.customer_ref,
        WorkOrder.level,
        WorkOrder.queue,
        WorkOrder.treatments,
        WorkOrder.priority,
        WorkOrder.broken_promises,
        WorkOrder.problem_customer,
    ).where(WorkOrder.status != "closed")
    cols: list[list[object]] = [[] for _ in LIVE_CASES]
    for row in session.execute(stmt).yield_per(50_000):
        ref, level, queue, treatments, priority, broken, problem = row
        values = (ref, level, queue, ";".join(treatments or []), priority, broken, problem)
        for col, v in zip(cols, values, strict=True):
            col.append(v)
    return pa.table(
        [pa.array(c, type=f.type) for c, f in zip(cols, LIVE_CASES, strict=True)],
        schema=LIVE_CASES,
    )


def add_run(session: Session, run: CycleRun) -> CycleRun:
    session.add(run)
    session.flush()
    return run


def running_runs(session: Session) -> Sequence[CycleRun]:
    return session.scalars(select(CycleRun).where(CycleRun.status == "running")).all()


def beat(session: Session, run_id: int, *, now: datetime, stage: str | None = None) -> bool:
    """Write a running run's heartbeat (and the stage it entered); ``False`` when the run is no
    longer running (abandoned meanwhile), so the run knows to stop."""
    values: dict[str, Any] = {"heartbeat_at": now}
    if stage is not None:
        values["stage"] = stage
    stmt = (
        update(CycleRun)
        .where(CycleRun.id == run_id, CycleRun.status == "running")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]


def end_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    now: datetime,
    error: str | None = None,
    counts: dict[str, Any] | None = None,
    durations: dict[str, float] | None = None,
    beat_before: datetime | None = None,
) -> bool:
    """End a run that is still running; ``False`` if it had already ended (or, with
    ``beat_before``, if its last heartbeat is not older than that). One conditional UPDATE, so a
    run ending, a run's heartbeat and someone abandoning it cannot overwrite one another."""
    stmt = update(CycleRun).where(CycleRun.id == run_id, CycleRun.status == "running")
    if beat_before is not None:
        stmt = stmt.where(func.coalesce(CycleRun.heartbeat_at, CycleRun.started_at) < beat_before)
    values: dict[str, Any] = {"status": status, "finished_at": now}
    if error is not None:
        values["error"] = error
    if counts is not None:
        values["counts"] = counts
    if durations is not None:
        values["durations"] = durations
    result = session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def get_run(session: Session, run_id: int) -> CycleRun | None:
    return session.get(CycleRun, run_id)


def history(session: Session, *, as_of: date | None = None, limit: int = 20) -> Sequence[CycleRun]:
    stmt = select(CycleRun).order_by(CycleRun.id.desc()).limit(limit)
    if as_of is not None:
        stmt = stmt.where(CycleRun.as_of == as_of)
    return session.execute(stmt).scalars().all()
