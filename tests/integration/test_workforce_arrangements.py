"""Allocation's rules for people and arrangements on the real stores (SQLite and PostgreSQL):
a plan keeps its collector (invariant 5), nobody works before the hire date or after leaving
(invariant 6), every unassigned case has a reason (invariant 3), mentors for probation only
(invariant 7)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import RuleRefused
from arrears.promises.models import RepaymentPlan
from arrears.workforce import allocation_service, schemas, staff_service, training_service
from arrears.workforce.models import Staff
from tests.integration.test_workforce_store import (
    AS_OF,
    NOW,
    D,
    grades,
    live,
    make_work_orders,
)
from tests.integration.test_workforce_store import world as world  # noqa: F401 (fixture)


@pytest.fixture(autouse=True)
def _after_the_test_days() -> Iterator[None]:
    """The tests allocate up to a week after AS_OF: the center's today is later than that."""
    with clock.frozen(datetime(2026, 12, 31, 2, 0, tzinfo=UTC)):
        yield


def officer_holding(session: Session, wo_id: int) -> int:
    staff_id = live(session)[wo_id].staff_id
    assert staff_id is not None
    return int(staff_id)


def test_a_case_with_an_active_plan_keeps_its_collector_when_its_level_changes(
    world: Session,
) -> None:
    """Invariant 5: the plan keeps the officer who agreed it, though the case rolled to a level
    that seniors work; without a plan the same roll moves the case (control)."""
    session = world
    with_plan, without = make_work_orders(session, ["junior", "junior"])
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    holders = {i: officer_holding(session, i) for i in (with_plan, without)}
    session.add(
        RepaymentPlan(
            work_order_id=with_plan,
            kind="plan",
            balance=D("1000.00"),
            total=D("1000.00"),
            currency="CNY",
            frequency="monthly",
            instalment_count=3,
            first_due_on=AS_OF,
            status="active",
            maker="officer",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    session.execute(
        sa.update(WorkOrder).where(WorkOrder.id.in_([with_plan, without])).values(level="advanced")
    )
    session.commit()
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    assert officer_holding(session, with_plan) == holders[with_plan]
    assert grades(session)[officer_holding(session, without)] == "senior_collection_specialist"


def test_nobody_gets_cases_before_the_hire_date_and_a_leavers_held_cases_move(
    world: Session,
) -> None:
    """Invariant 6 (dates) and 3 (every unassigned case has a reason)."""
    session = world
    staff_service.add_staff(
        session=session,
        data=schemas.StaffCreate(
            code="N1",
            name="Next month",
            employment_type="establishment",
            grade="collection_officer",
            levels=["junior", "intermediate"],
            capacity=50,
            hire_date=AS_OF + timedelta(days=5),
        ),
        mentor=False,
    )
    for course in ("credit_education", "three_stops", "negotiation", "legal_compliance"):
        training_service.record_completion(
            session=session,
            data=schemas.CompletionCreate(
                staff="N1", course=course, score=D(100), completed_on=AS_OF + timedelta(days=9)
            ),
        )
    summary = allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    n1 = session.scalar(sa.select(Staff.id).where(Staff.code == "N1"))
    assert n1 not in {r.staff_id for r in live(session).values()}
    assert summary.load["collection_officer"]["staff"] == 4  # the load figures leave N1 out too
    unassigned = set(session.scalars(sa.select(WorkOrder.id))) - set(live(session))
    assert set(summary.unassigned_reasons) == unassigned
    held = next(i for i, r in live(session).items() if grades(session)[r.staff_id] != "team_lead")
    leaver = officer_holding(session, held)
    session.execute(sa.update(WorkOrder).where(WorkOrder.id == held).values(status="on_hold"))
    code = session.scalar(sa.select(Staff.code).where(Staff.id == leaver))
    assert code is not None
    staff_service.leave(session=session, code=code, on=AS_OF)
    session.commit()
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    assert officer_holding(session, held) != leaver  # the held case did not stay with a leaver
    assert session.get(WorkOrder, held).status == "on_hold"  # type: ignore[union-attr]


def _person(session: Session, code: str, grade: str, hired: date) -> None:
    staff_service.add_staff(
        session=session,
        data=schemas.StaffCreate(
            code=code,
            name=code,
            employment_type="establishment",
            grade=grade,
            levels=["junior"],
            capacity=10,
            hire_date=hired,
        ),
    )


def mentor_of(session: Session, code: str) -> str | None:
    return staff_service.get_staff(session=session, code=code).mentor


def test_mentors_go_to_staff_in_probation_and_end_with_it(session: Session) -> None:
    """Invariant 7: a veteran gets no mentor; a hire entered early gets one from the hire date;
    the cap counts current mentees only; probation's end and the command end a mentorship."""
    with clock.frozen(NOW):
        _person(session, "S1", "senior_collection_specialist", date(2020, 1, 1))
        _person(session, "VET", "collection_officer", date(2022, 3, 1))
        _person(session, "EARLY", "collection_officer", AS_OF + timedelta(days=7))
        session.commit()
        assert mentor_of(session, "VET") is None  # hired years ago
        assert mentor_of(session, "EARLY") is None  # not started yet
        # Three old mentorships nobody ended (as before): they must not fill the seats.
        session.execute(
            sa.update(Staff)
            .where(Staff.code == "VET")
            .values(mentor_id=sa.select(Staff.id).where(Staff.code == "S1").scalar_subquery())
        )
        _person(session, "NEW", "collection_officer", AS_OF - timedelta(days=10))
        session.commit()
        assert mentor_of(session, "NEW") == "S1"
        with pytest.raises(RuleRefused, match="not in probation"):
            staff_service.assign_mentor(session=session, code="VET")
        session.rollback()
    first_day = AS_OF + timedelta(days=7)
    allocation_service.allocate(session=session, as_of=first_day)  # the nightly run
    session.commit()
    assert mentor_of(session, "VET") is None  # out of probation: ended
    assert mentor_of(session, "EARLY") == "S1"  # in probation from the hire date
    ends = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "staff.mentor_end"))
    assert [e.reason for e in ends] == ["probation of 90 days ended"]
    loads = staff_service.mentor_loads(session=session)
    assert [(m.mentor, sorted(m.mentees)) for m in loads] == [("S1", ["EARLY", "NEW"])]

    out = staff_service.end_mentoring(session=session, code="NEW", reason="ready early")
    session.commit()
    assert out.mentor is None
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "staff.mentor_end").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.reason == "ready early"
    with pytest.raises(RuleRefused, match="no mentor"):
        staff_service.end_mentoring(session=session, code="NEW", reason="again")
    session.rollback()
    # Probation over for everyone: the nightly run ends the rest.
    later = AS_OF + timedelta(days=100)
    with clock.frozen(datetime(2027, 3, 9, 2, 0, tzinfo=UTC)):
        allocation_service.allocate(session=session, as_of=later)
    session.commit()
    assert mentor_of(session, "EARLY") is None


def test_end_mentoring_from_the_cli(cli: Any) -> None:
    assert cli("staff", "seed", "--officers", "5", "--seniors", "2", "--leads", "0").exit_code == 0
    mentored = [
        s["code"]
        for s in json.loads(cli("staff", "list", "--json").stdout)
        if s.get("mentor") is not None
    ]
    assert mentored  # the seed's recent hires
    assert cli("users", "add", "ops", "admin").exit_code == 0  # the first admin
    end = ("training", "end-mentoring", mentored[0], "--as", "ops", "--reason")
    res = cli(*end, "moved team", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["mentor"] is None
    again = cli(*end, "again")
    assert again.exit_code == 1
    assert "has no mentor" in again.stderr
