"""Performance: each collector's monthly metrics (loaded from the bank's CSV or derived from the
workbench) and what they decide: pay statements and the promotion report. Keyword-only, flush
never commit, return schemas; every change audited."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from arrears.kit import audit
from arrears.kit.clock import center_today
from arrears.kit.errors import BadInput, NotFound
from arrears.kit.money import round_money
from arrears.kit.textfile import not_utf8
from arrears.workforce import repository as repo
from arrears.workforce import schemas
from arrears.workforce.compensation import Payee, month_statement, year_statement
from arrears.workforce.metrics import MonthMetrics, holder_on
from arrears.workforce.models import Staff, StaffMetricMonth
from arrears.workforce.policies import pay_plan, promotion_policy
from arrears.workforce.promotion import Candidate, TrackResult, window
from arrears.workforce.promotion import report as promotion_report_rows

ACTOR = "system"


def record_metrics(
    *, session: Session, data: schemas.MetricMonthCreate, actor: str = ACTOR
) -> None:
    """Insert or replace one staff member's month."""
    member = repo.staff_by_code(session, data.staff)
    if member is None:
        raise NotFound(f"no staff member {data.staff!r}")
    if data.promises_kept > data.promises_made:
        raise BadInput("promises_kept: more than promises_made")
    month = not_a_future_month(data.month.replace(day=1))
    if _month_end(month) <= member.hire_date:
        raise BadInput(
            f"month: {month:%Y-%m} ends before {member.code}'s hire date ({member.hire_date})"
        )
    row = repo.metric_month(session, member.id, month)
    values = data.model_dump(exclude={"staff", "month"})
    values["recovered"] = round_money(values["recovered"])
    before = None
    if row is None:
        row = StaffMetricMonth(staff_id=member.id, month=month, **values)
        session.add(row)
    else:
        before = {k: str(getattr(row, k)) for k in values}
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.metrics",
        entity="staff",
        entity_id=member.id,
        before=before,
        after={"month": month.isoformat(), **{k: str(v) for k, v in values.items()}},
    )


def _month_end(first: date) -> date:
    """The first day of the next month."""
    return (first + timedelta(days=32)).replace(day=1)


def not_a_future_month(first: date) -> date:
    """Refuse a month that has not started in the center's zone (``BadInput``)."""
    today = center_today()
    if first > today:
        raise BadInput(f"month: {first:%Y-%m} has not started (today is {today})")
    return first


def last_closed_month(today: date) -> date:
    """The first day of the last month that ended before ``today``."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def import_metrics(*, session: Session, path: Path, actor: str = ACTOR) -> int:
    """Monthly metrics CSV (staff, month YYYY-MM, recovered, ...); all rows or none."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    items = []
    for number, row in enumerate(rows, start=2):
        raw: dict[str, Any] = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
        if "month" in raw and len(raw["month"]) == 7:
            raw["month"] += "-01"
        try:
            items.append(schemas.MetricMonthCreate.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            column = ".".join(str(p) for p in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise BadInput(f"{path.name} row {number}, column {column}: {message}") from None
    for number, item in enumerate(items, start=2):
        try:
            record_metrics(session=session, data=item, actor=actor)
        except (BadInput, NotFound) as exc:
            raise BadInput(f"{path.name} row {number}: {exc.message}") from None
    return len(items)


def derive_metrics(*, session: Session, month: date, actor: str = ACTOR) -> int:
    """Fill the workbench half of ``staff_metric_month`` for a month: recovered (payments on the
    accounts of the collector's work orders), promises made and kept, blocked attempts and
    attempts made under an override. Each event counts for whoever held the work order that day.
    Complaints, violations and QA scores come from the bank's own records and are left as loaded.
    Returns the number of staff months written."""
    first = not_a_future_month(month.replace(day=1))
    end = _month_end(first)
    holders: dict[int, list[tuple[date, date | None, int]]] = defaultdict(list)
    for row in repo.assignment_intervals(session, first, end):
        ended = row.ended_at.date() if row.ended_at is not None else None
        holders[row.work_order_id].append((row.as_of, ended, row.staff_id))

    def holder(work_order_id: int, on: date) -> int | None:
        return holder_on(holders.get(work_order_id, ()), on)

    totals: dict[int, Counter[str]] = defaultdict(Counter)
    recovered: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for p in repo.promises_made(session, first, end):
        staff_id = holder(p.work_order_id, p.made_on)
        if staff_id is not None:
            totals[staff_id]["promises_made"] += 1
            totals[staff_id]["promises_kept"] += p.status == "kept"
    for a in repo.contact_attempts(session, first, end):
        staff_id = holder(a.work_order_id, a.at.date())
        if staff_id is None:
            continue
        if not a.compliance_allowed:
            totals[staff_id]["blocked_attempts"] += 1
        elif a.overridden_by is not None:  # made only because compliance overrode a block
            totals[staff_id]["overrides"] += 1
    for pay in repo.payments_on_work_orders(session, first, end):
        staff_id = holder(pay.work_order_id, pay.paid_on)
        if staff_id is not None:
            recovered[staff_id] += pay.amount
    written = 0
    for staff_id in sorted(set(totals) | set(recovered)):
        stored = repo.metric_month(session, staff_id, first)
        values = {
            "recovered": round_money(recovered.get(staff_id, Decimal("0.00"))),
            "promises_made": totals[staff_id]["promises_made"],
            "promises_kept": totals[staff_id]["promises_kept"],
            "blocked_attempts": totals[staff_id]["blocked_attempts"],
            "overrides": totals[staff_id]["overrides"],
        }
        if stored is None:
            session.add(StaffMetricMonth(staff_id=staff_id, month=first, **values))
        else:
            for key, value in values.items():
                setattr(stored, key, value)
        written += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.metrics_derived",
        entity="staff_metric_month",
        entity_id=f"{first:%Y-%m}",
        after={"staff_months": written},
    )
    return written


def _metrics(rows: list[StaffMetricMonth]) -> dict[int, list[MonthMetrics]]:
    out: dict[int, list[MonthMetrics]] = defaultdict(list)
    for r in rows:
        out[r.staff_id].append(
            MonthMetrics(
                month=r.month,
                recovered=r.recovered,
                promises_made=r.promises_made,
                promises_kept=r.promises_kept,
                blocked_attempts=r.blocked_attempts,
                overrides=r.overrides,
                complaints=r.complaints,
                violations=r.violations,
                qa_score=r.qa_score,
            )
        )
    return out


def _payee(member: Staff) -> Payee:
    return Payee(
        id=member.id,
        name=member.name,
        grade=member.grade,
        employment_type=member.employment_type,
        hire_date=member.hire_date,
        left_on=member.left_on,
    )


def pay_statement(
    *,
    session: Session,
    code: str,
    month: date | None = None,
    year: int | None = None,
    plan: str = "default",
) -> schemas.PayStatement:
    """A month's or a year's pay for one person, line by line, from the stored metrics."""
    if (month is None) == (year is None):
        raise BadInput("give either a month or a year")
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    pay = pay_plan(plan)
    if month is not None:
        first = not_a_future_month(month.replace(day=1))
        end = _month_end(first)
        rows = _metrics(repo.metric_months(session, [member.id], first, end)).get(member.id, [])
        return month_statement(
            pay, payee=_payee(member), month=first, metrics=rows[0] if rows else None
        )
    assert year is not None
    # A year in progress stops at its last closed month: the month still running (and the
    # ones to come) have no pay yet.
    through = min(date(year, 12, 1), last_closed_month(center_today()))
    if through.year < year:
        raise BadInput(f"year: no month of {year} has closed yet (today is {center_today()})")
    rows = _metrics(
        repo.metric_months(session, [member.id], date(year, 1, 1), _month_end(through))
    ).get(member.id, [])
    return year_statement(pay, payee=_payee(member), year=year, metrics=rows, through=through)


def promotion_report(
    *, session: Session, as_of: date, track: str | None = None, policy: str = "promotion"
) -> list[TrackResult]:
    rules = promotion_policy(policy)
    if track is not None and track not in rules.tracks:
        raise BadInput(f"track: unknown {track!r}; one of {sorted(rules.tracks)}")
    members = [
        m for m in repo.list_staff(session, status="active") if m.employment_type != "agency"
    ]
    passed = repo.passed_courses(session)
    longest = max(t.criteria.window_months for t in rules.tracks.values())
    first, end = window(as_of, longest)
    metrics = _metrics(repo.metric_months(session, [m.id for m in members], first, end))
    candidates = [
        Candidate(
            id=m.id,
            code=m.code,
            name=m.name,
            grade=m.grade,
            employment_type=m.employment_type,
            hire_date=m.hire_date,
            passed_courses=frozenset(passed.get(m.id, set())),
        )
        for m in members
    ]
    return promotion_report_rows(candidates, dict(metrics), rules, as_of=as_of, track=track)
