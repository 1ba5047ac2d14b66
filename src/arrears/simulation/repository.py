"""Every query the simulator's metrics and invariant checks make (reads only).

Plain rows, not ORM objects: the checks run every simulated day over the whole book.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases.models import ThreeStop, WorkOrder
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.promises.models import Promise, RepaymentPlan
from arrears.workforce.models import Assignment, Staff


def store_tables(engine: Engine) -> list[str]:
    """The tables the store holds (an empty list: a fresh store)."""
    return sorted(inspect(engine).get_table_names())


def case_states(session: Session) -> dict[int, tuple[str, str, str]]:
    """id -> (status, bucket, level) of every live work order."""
    rows = session.execute(
        select(WorkOrder.id, WorkOrder.status, WorkOrder.bucket, WorkOrder.level).where(
            WorkOrder.status != "closed"
        )
    )
    return {r.id: (r.status, r.bucket, r.level) for r in rows}


def statuses_of(session: Session, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in range(0, len(ids), 900):
        part = ids[chunk : chunk + 900]
        for r in session.execute(
            select(WorkOrder.id, WorkOrder.status).where(WorkOrder.id.in_(part))
        ):
            out[r.id] = r.status
    return out


def closed_with_live_assignment(session: Session) -> Sequence[Any]:
    return session.execute(
        select(
            WorkOrder.id,
            WorkOrder.closed_on,
            WorkOrder.close_reason,
            Staff.code.label("staff"),
            Assignment.agency_id,
            Assignment.as_of,
        )
        .join(Assignment, and_(Assignment.work_order_id == WorkOrder.id))
        .outerjoin(Staff, Staff.id == Assignment.staff_id)
        .where(WorkOrder.status == "closed", Assignment.ended_at.is_(None))
        .order_by(WorkOrder.id)
    ).all()


def open_without_arrears(session: Session, threshold: Any) -> Sequence[Any]:
    return session.execute(
        select(
            WorkOrder.id,
            WorkOrder.customer_ref,
            WorkOrder.bucket,
            WorkOrder.dpd,
            WorkOrder.amount_due,
            WorkOrder.opened_on,
        )
        .where(
            WorkOrder.status != "closed",
            or_(WorkOrder.dpd <= 0, WorkOrder.amount_due <= threshold),
        )
        .order_by(WorkOrder.id)
    ).all()


def open_cases(session: Session) -> Sequence[Any]:
    """Every live case with its live assignment (staff or agency), if any."""
    return session.execute(
        select(
            WorkOrder.id,
            WorkOrder.status,
            WorkOrder.level,
            WorkOrder.bucket,
            WorkOrder.balance,
            WorkOrder.problem_customer,
            WorkOrder.escalated_at,
            Assignment.staff_id,
            Assignment.agency_id,
            Assignment.as_of.label("assigned_on"),
        )
        .outerjoin(
            Assignment,
            and_(Assignment.work_order_id == WorkOrder.id, Assignment.ended_at.is_(None)),
        )
        .where(WorkOrder.status != "closed")
        .order_by(WorkOrder.id)
    ).all()


def staff(session: Session) -> Sequence[Any]:
    return session.execute(
        select(
            Staff.id,
            Staff.code,
            Staff.grade,
            Staff.employment_type,
            Staff.capacity,
            Staff.hire_date,
            Staff.status,
            Staff.left_on,
            Staff.mentor_id,
            Staff.levels,
        ).order_by(Staff.id)
    ).all()


def assignments_outside_employment(session: Session) -> Sequence[Any]:
    """Assignments to staff dated before their hire date or on/after the day they left."""
    return session.execute(
        select(
            Assignment.id,
            Assignment.work_order_id,
            Assignment.as_of,
            Assignment.ended_at,
            Staff.code,
            Staff.hire_date,
            Staff.left_on,
        )
        .join(Staff, Staff.id == Assignment.staff_id)
        .where(
            or_(
                Assignment.as_of < Staff.hire_date,
                and_(Staff.left_on.is_not(None), Assignment.as_of >= Staff.left_on),
                and_(Staff.left_on.is_not(None), Assignment.ended_at.is_(None)),
            )
        )
        .order_by(Assignment.id)
    ).all()


def escalation_causes(session: Session, ids: Sequence[int]) -> dict[int, set[str]]:
    """Per case, why it is escalated: three stops, a problem customer flag, a person's decision."""
    causes: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return causes
    for chunk in range(0, len(ids), 900):
        part = list(ids[chunk : chunk + 900])
        for r in session.execute(
            select(ThreeStop.work_order_id).where(
                ThreeStop.work_order_id.in_(part), ThreeStop.stop == 3
            )
        ):
            causes[r.work_order_id].add("three_stops")
        for r in session.execute(
            select(WorkOrder.id).where(WorkOrder.id.in_(part), WorkOrder.problem_customer)
        ):
            causes[r.id].add("problem_customer")
        for r in session.execute(
            select(AuditEvent.entity_id, AuditEvent.actor, AuditEvent.after).where(
                AuditEvent.entity == "work_order",
                AuditEvent.action == "work_order.transition",
                AuditEvent.entity_id.in_([str(i) for i in part]),
            )
        ):
            after = r.after or {}
            if after.get("status") == "escalated":
                causes[int(r.entity_id)].add(f"decision:{r.actor}")
    return causes


def cycle_escalations(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The cycle's own escalation events (level rises) per case: the latest one."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in range(0, len(ids), 900):
        part = [str(i) for i in ids[chunk : chunk + 900]]
        for r in session.execute(
            select(AuditEvent.entity_id, AuditEvent.at, AuditEvent.before, AuditEvent.after)
            .where(
                AuditEvent.entity == "work_order",
                AuditEvent.action == "work_order.escalated",
                AuditEvent.entity_id.in_(part),
            )
            .order_by(AuditEvent.id)
        ):
            out[int(r.entity_id)] = {
                "on": r.at.date().isoformat(),
                "from_level": (r.before or {}).get("level"),
                "to_level": (r.after or {}).get("level"),
            }
    return out


def active_plans(session: Session) -> Sequence[Any]:
    return session.execute(
        select(
            RepaymentPlan.id,
            RepaymentPlan.work_order_id,
            RepaymentPlan.kind,
            RepaymentPlan.created_at,
            RepaymentPlan.decided_at,
        )
        .join(WorkOrder, WorkOrder.id == RepaymentPlan.work_order_id)
        .where(RepaymentPlan.status == "active", WorkOrder.status != "closed")
        .order_by(RepaymentPlan.id)
    ).all()


def assignment_history(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in ids}
    for chunk in range(0, len(ids), 900):
        part = list(ids[chunk : chunk + 900])
        for r in session.execute(
            select(
                Assignment.work_order_id,
                Assignment.staff_id,
                Assignment.agency_id,
                Assignment.assigned_at,
                Assignment.ended_at,
                Assignment.ended_reason,
            )
            .where(Assignment.work_order_id.in_(part))
            .order_by(Assignment.assigned_at, Assignment.id)
        ):
            out[r.work_order_id].append(r)
    return out


def promised_without_pending(session: Session) -> Sequence[Any]:
    """Cases whose status says a promise is live while none is pending."""
    pending = select(Promise.id).where(
        Promise.work_order_id == WorkOrder.id, Promise.status == "pending"
    )
    latest = (
        select(Promise.status)
        .where(Promise.work_order_id == WorkOrder.id)
        .order_by(Promise.made_on.desc(), Promise.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return session.execute(
        select(WorkOrder.id, WorkOrder.status, latest.label("latest_promise"))
        .where(WorkOrder.status == "promised", ~pending.exists())
        .order_by(WorkOrder.id)
    ).all()


def kept_after_partial(session: Session) -> Sequence[Any]:
    """Cases marked kept whose latest promise was only partially kept."""
    latest = (
        select(Promise.status)
        .where(Promise.work_order_id == WorkOrder.id)
        .order_by(Promise.made_on.desc(), Promise.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return session.execute(
        select(WorkOrder.id, WorkOrder.status, latest.label("latest_promise"))
        .where(WorkOrder.status == "kept", latest == "partially_kept")
        .order_by(WorkOrder.id)
    ).all()


def cycle_runs(session: Session) -> Sequence[Any]:
    return session.execute(
        select(CycleRun.id, CycleRun.as_of, CycleRun.started_at, CycleRun.status).order_by(
            CycleRun.id
        )
    ).all()


def assignments_since(session: Session, since: date) -> Sequence[Any]:
    return session.execute(
        select(Assignment.id, Assignment.work_order_id, Assignment.as_of, Assignment.assigned_at)
        .where(Assignment.as_of >= since)
        .order_by(Assignment.id)
    ).all()


# --- the warehouse (DuckDB, read-only) --------------------------------------------------------


def decisions(warehouse: Path, as_of: date) -> list[tuple[Any, ...]]:
    """(account_id, customer_id, bucket, dpd, amount_due, balance, fees, interest) per account."""
    from arrears.portfolio import warehouse as wh

    con = wh.connect(warehouse, read_only=True)
    try:
        return con.execute(
            "SELECT account_id, customer_id, bucket, dpd, amount_due, balance, fees, interest "
            "FROM decisions WHERE as_of = $as_of ORDER BY account_id",
            {"as_of": as_of},
        ).fetchall()
    finally:
        con.close()
