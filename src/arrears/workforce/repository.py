"""Every query the workforce makes. Bulk where the cycle needs it: no row-by-row round trips."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row, Select, func, insert, or_, select, update
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.portfolio.models import Cardholder
from arrears.workforce.models import (
    Agency,
    AgencyContract,
    Assignment,
    Staff,
    StaffMetricMonth,
    Team,
    TrainingCompletion,
)

CHUNK = 5_000


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- staff, teams, agencies -------------------------------------------------------------------


def staff_by_code(session: Session, code: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.code == code))


def staff_by_id(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def list_staff(
    session: Session, *, status: str | None = None, grade: str | None = None
) -> list[Staff]:
    query = select(Staff).order_by(Staff.code)
    if status:
        query = query.where(Staff.status == status)
    if grade:
        query = query.where(Staff.grade == grade)
    return list(session.scalars(query))


def existing_codes(session: Session, codes: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(codes):
        found |= set(session.scalars(select(Staff.code).where(Staff.code.in_(part))))
    return found


def team_by_code(session: Session, code: str) -> Team | None:
    return session.scalar(select(Team).where(Team.code == code))


def code_maps(session: Session) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Team, agency and staff ids to codes (small tables; one query each)."""
    teams = dict(session.execute(select(Team.id, Team.code)).tuples().all())
    agencies = dict(session.execute(select(Agency.id, Agency.code)).tuples().all())
    staff = dict(session.execute(select(Staff.id, Staff.code)).tuples().all())
    return teams, agencies, staff


def agency_by_code(session: Session, code: str) -> Agency | None:
    return session.scalar(select(Agency).where(Agency.code == code))


def agency_by_id(session: Session, agency_id: int) -> Agency | None:
    return session.get(Agency, agency_id)


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.code)))


def contract_by_code(session: Session, code: str) -> AgencyContract | None:
    return session.scalar(select(AgencyContract).where(AgencyContract.code == code))


def list_contracts(session: Session) -> list[tuple[AgencyContract, Agency]]:
    rows = session.execute(
        select(AgencyContract, Agency)
        .join(Agency, Agency.id == AgencyContract.agency_id)
        .order_by(AgencyContract.id)
    ).tuples()
    return list(rows)


def agency_counts(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """Live placements and users per agency."""
    placements = dict(
        session.execute(
            select(Assignment.agency_id, func.count())
            .where(Assignment.agency_id.is_not(None), Assignment.ended_at.is_(None))
            .group_by(Assignment.agency_id)
        )
        .tuples()
        .all()
    )
    users = dict(
        session.execute(
            select(Staff.agency_id, func.count())
            .where(Staff.agency_id.is_not(None))
            .group_by(Staff.agency_id)
        )
        .tuples()
        .all()
    )
    return {int(k): int(v) for k, v in placements.items() if k is not None}, {
        int(k): int(v) for k, v in users.items() if k is not None
    }


# --- allocation inputs and outputs ----------------------------------------------------------


def _allocation_inputs() -> Select[*tuple[Any, ...]]:
    """A work order's columns the allocator's eligibility rules read, with its customer's."""
    return select(
        WorkOrder.id,
        WorkOrder.level,
        WorkOrder.bucket,
        WorkOrder.balance,
        WorkOrder.status,
        WorkOrder.problem_customer,
        WorkOrder.escalated_at,
        Cardholder.language,
        Cardholder.province,
    ).join(Cardholder, Cardholder.id == WorkOrder.cardholder_id)


def live_work_orders(session: Session) -> list[Row[Any]]:
    """Every live work order with what allocation needs, in id order (cases on hold too: they
    stay with their collector, but a leaver's must move)."""
    query = _allocation_inputs().where(WorkOrder.status != "closed").order_by(WorkOrder.id)
    return list(session.execute(query))


# A plan or settlement in these states keeps the case with the collector who agreed it.
PLAN_HOLDS = ("proposed", "approved", "active")


def plan_work_orders(session: Session) -> set[int]:
    """Live work orders with a plan or settlement being agreed or paid."""
    from arrears.promises.models import RepaymentPlan

    query = (
        select(RepaymentPlan.work_order_id)
        .join(WorkOrder, WorkOrder.id == RepaymentPlan.work_order_id)
        .where(RepaymentPlan.status.in_(PLAN_HOLDS), WorkOrder.status != "closed")
    )
    return {int(w) for w in session.scalars(query)}


def live_assignments(session: Session) -> dict[int, Any]:
    """Live assignment per work order id."""
    query = select(
        Assignment.id,
        Assignment.work_order_id,
        Assignment.staff_id,
        Assignment.agency_id,
        Assignment.contract_id,
        Assignment.level,
        Assignment.as_of,
    ).where(Assignment.ended_at.is_(None))
    return {row.work_order_id: row for row in session.execute(query)}


def recalled_from(session: Session) -> dict[int, int]:
    """Work order id -> the agency that last gave it back (it is not placed there again)."""
    query = (
        select(Assignment.work_order_id, Assignment.agency_id)
        .where(Assignment.agency_id.is_not(None), Assignment.ended_reason.like("recalled%"))
        .order_by(Assignment.id)
    )
    return {int(w): int(a) for w, a in session.execute(query).tuples() if a is not None}


def allocatable_staff(session: Session) -> list[Staff]:
    """The bank's own collectors (agency users work their agency's placements)."""
    return list(
        session.scalars(select(Staff).where(Staff.employment_type != "agency").order_by(Staff.id))
    )


def end_assignments(session: Session, ids_by_reason: dict[str, list[int]], at: datetime) -> None:
    for reason, ids in ids_by_reason.items():
        for part in chunks(ids):
            session.execute(
                update(Assignment)
                .where(Assignment.id.in_(part))
                .values(ended_at=at, ended_reason=reason)
                .execution_options(synchronize_session=False)
            )


def insert_assignments(session: Session, rows: list[dict[str, Any]]) -> None:
    for part in chunks(rows):
        session.execute(insert(Assignment), list(part))


def set_work_order_status(
    session: Session, ids_by_status: dict[str, list[int]], at: datetime
) -> None:
    """Bulk status change; bumps the version so concurrent editors see a conflict."""
    for status, ids in ids_by_status.items():
        for part in chunks(ids):
            session.execute(
                update(WorkOrder)
                .where(WorkOrder.id.in_(part))
                .values(status=status, version=WorkOrder.version + 1, updated_at=at)
                .execution_options(synchronize_session=False)
            )


def open_case_counts(session: Session) -> dict[int, int]:
    query = (
        select(Assignment.staff_id, func.count())
        .where(Assignment.ended_at.is_(None), Assignment.staff_id.is_not(None))
        .group_by(Assignment.staff_id)
    )
    return {int(s): int(n) for s, n in session.execute(query).tuples() if s is not None}


def assignment_history(session: Session, work_order_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.work_order_id == work_order_id)
            .order_by(Assignment.id)
        )
    )


# --- training, mentoring, metrics ------------------------------------------------------------


def passed_courses(session: Session, staff_id: int | None = None) -> dict[int, set[str]]:
    query = select(TrainingCompletion.staff_id, TrainingCompletion.course).where(
        TrainingCompletion.passed.is_(True)
    )
    if staff_id is not None:
        query = query.where(TrainingCompletion.staff_id == staff_id)
    out: dict[int, set[str]] = defaultdict(set)
    for sid, course in session.execute(query).tuples():
        out[int(sid)].add(course)
    return out


def mentees(session: Session) -> list[Row[Any]]:
    """Everyone with a mentor: id, mentor, hire date, status (small: one row per mentee)."""
    query = select(Staff.id, Staff.mentor_id, Staff.hire_date, Staff.status).where(
        Staff.mentor_id.is_not(None)
    )
    return list(session.execute(query))


def mentees_of(session: Session, mentor_id: int) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .where(Staff.mentor_id == mentor_id, Staff.status != "left")
            .order_by(Staff.code)
        )
    )


def mentoring_candidates(session: Session, grades: Sequence[str]) -> list[Staff]:
    """The bank's own active staff of the mentee grades (who may need a mentor)."""
    return list(
        session.scalars(
            select(Staff)
            .where(
                Staff.grade.in_(grades), Staff.employment_type != "agency", Staff.status == "active"
            )
            .order_by(Staff.id)
        )
    )


def staff_with_mentor(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.mentor_id.is_not(None))))


def mentor_candidates(session: Session, grades: Sequence[str]) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .where(Staff.grade.in_(grades), Staff.employment_type != "agency")
            .order_by(Staff.id)
        )
    )


def metric_months(
    session: Session, staff_ids: Sequence[int] | None, first: date, end: date
) -> list[StaffMetricMonth]:
    query = select(StaffMetricMonth).where(
        StaffMetricMonth.month >= first, StaffMetricMonth.month < end
    )
    if staff_ids is not None:
        if not staff_ids:
            return []
        query = query.where(
            or_(*(StaffMetricMonth.staff_id.in_(part) for part in chunks(list(staff_ids))))
        )
    return list(session.scalars(query.order_by(StaffMetricMonth.staff_id, StaffMetricMonth.month)))


def metric_month(session: Session, staff_id: int, month: date) -> StaffMetricMonth | None:
    return session.scalar(
        select(StaffMetricMonth).where(
            StaffMetricMonth.staff_id == staff_id, StaffMetricMonth.month == month
        )
    )


# --- metrics derived from the workbench (promises, contacts, payments) -------------------------


def assignment_intervals(session: Session, first: date, end: date) -> list[Row[Any]]:
    """Collector assignments that may overlap [first, end)."""
    start_of = datetime(first.year, first.month, first.day, tzinfo=UTC)
    query = (
        select(
            Assignment.work_order_id,
            Assignment.staff_id,
            Assignment.as_of,
            Assignment.ended_at,
        )
        .where(
            Assignment.staff_id.is_not(None),
            Assignment.as_of < end,
            or_(Assignment.ended_at.is_(None), Assignment.ended_at >= start_of),
        )
        .order_by(Assignment.work_order_id, Assignment.id)
    )
    return list(session.execute(query))


def promises_made(session: Session, first: date, end: date) -> list[Row[Any]]:
    from arrears.promises.models import Promise

    return list(
        session.execute(
            select(Promise.work_order_id, Promise.made_on, Promise.status).where(
                Promise.made_on >= first, Promise.made_on < end
            )
        )
    )


def contact_attempts(session: Session, first: date, end: date) -> list[Row[Any]]:
    """Attempts with their compliance outcome: blocked, or made under an override."""
    from arrears.compliance.models import ComplianceCheck
    from arrears.contacts.models import ContactAttempt

    lo = datetime(first.year, first.month, first.day, tzinfo=UTC)
    hi = datetime(end.year, end.month, end.day, tzinfo=UTC)
    return list(
        session.execute(
            select(
                ContactAttempt.work_order_id,
                ContactAttempt.at,
                ContactAttempt.compliance_allowed,
                ComplianceCheck.overridden_by,
            )
            .outerjoin(ComplianceCheck, ComplianceCheck.id == ContactAttempt.compliance_check_id)
            .where(ContactAttempt.at >= lo, ContactAttempt.at < hi)
        )
    )


def payments_on_work_orders(session: Session, first: date, end: date) -> list[Row[Any]]:
    """Payments in the window on accounts a work order covers."""
    from arrears.cases.models import WorkOrderAccount
    from arrears.portfolio.models import Payment

    return list(
        session.execute(
            select(WorkOrderAccount.work_order_id, Payment.paid_on, Payment.amount)
            .join(Payment, Payment.account_id == WorkOrderAccount.account_id)
            .where(Payment.paid_on >= first, Payment.paid_on < end)
        )
    )


# --- single-case reassignment ----------------------------------------------------------------


def work_order_for_reassign(session: Session, work_order_id: int) -> Any:
    """One work order with what the eligibility rules need (any status)."""
    return session.execute(_allocation_inputs().where(WorkOrder.id == work_order_id)).first()


def live_assignment_of(session: Session, work_order_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(
            Assignment.work_order_id == work_order_id, Assignment.ended_at.is_(None)
        )
    )


def live_assignments_of_closed(
    session: Session, work_order_ids: Sequence[int] | None = None
) -> list[Any]:
    """Live assignments (collector or agency) of closed cases: every one, or these cases'."""
    query = (
        select(
            Assignment.id,
            Assignment.work_order_id,
            Assignment.staff_id,
            Staff.code.label("staff"),
            Assignment.agency_id,
            WorkOrder.close_reason,
        )
        .join(WorkOrder, WorkOrder.id == Assignment.work_order_id)
        .outerjoin(Staff, Staff.id == Assignment.staff_id)
        .where(Assignment.ended_at.is_(None), WorkOrder.status == "closed")
        .order_by(Assignment.work_order_id)
    )
    if work_order_ids is None:
        return list(session.execute(query))
    return [
        row
        for part in chunks(list(work_order_ids))
        for row in session.execute(query.where(Assignment.work_order_id.in_(part)))
    ]


def live_count_of(session: Session, staff_id: int) -> int:
    """Open cases a collector holds now (any live assignment, held cases included)."""
    query = select(func.count()).where(
        Assignment.staff_id == staff_id, Assignment.ended_at.is_(None)
    )
    return int(session.scalar(query) or 0)


# --- the demo users' links -------------------------------------------------------------------


def busiest_staff(session: Session, grade: str) -> int | None:
    """The active staff member of ``grade`` holding the most live cases (lowest id on ties)."""
    live = func.count(Assignment.id)
    return session.scalar(
        select(Staff.id)
        .outerjoin(Assignment, (Assignment.staff_id == Staff.id) & Assignment.ended_at.is_(None))
        .where(Staff.grade == grade, Staff.status == "active", Staff.agency_id.is_(None))
        .group_by(Staff.id)
        .order_by(live.desc(), Staff.id)
        .limit(1)
    )


def busiest_agency(session: Session) -> int | None:
    """The agency holding the most live placements (lowest id on ties)."""
    live = func.count(Assignment.id)
    return session.scalar(
        select(Agency.id)
        .outerjoin(Assignment, (Assignment.agency_id == Agency.id) & Assignment.ended_at.is_(None))
        .group_by(Agency.id)
        .order_by(live.desc(), Agency.id)
        .limit(1)
    )
