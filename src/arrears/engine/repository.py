"""Every query the cycle makes on the operational store (the warehouse side is in ``service``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyarrow as pa
from sqlalchemy import select
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


def get_run(session: Session, run_id: int) -> CycleRun | None:
    return session.get(CycleRun, run_id)


def history(session: Session, *, as_of: date | None = None, limit: int = 20) -> Sequence[CycleRun]:
    stmt = select(CycleRun).order_by(CycleRun.id.desc()).limit(limit)
    if as_of is not None:
        stmt = stmt.where(CycleRun.as_of == as_of)
    return session.execute(stmt).scalars().all()
