"""Single-case reassignment on the real stores (SQLite and PostgreSQL): a legal move ends the
old assignment and opens a new one, the allocator's eligibility and capacity rules refuse bad
targets, closed and placed cases are conflicts, and every move is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, NotFound, RuleRefused
from arrears.workforce import allocation_service, schemas, staff_service, training_service
from arrears.workforce.models import AgencyContract, Assignment, Staff
from tests.web_seed import NOW, Seeded, seed

JUNIOR_COURSES = ("credit_education", "three_stops")


def add_collector(
    session: Session, code: str, *, capacity: int = 10, trained: bool = True, team: str = "T1"
) -> None:
    """A collection officer cleared for junior cases, trained for them unless told otherwise."""
    staff_service.add_staff(
        session=session,
        data=schemas.StaffCreate(
            code=code,
            name=code,
            employment_type="establishment",
            grade="collection_officer",
            team=team,
            levels=["junior"],
            capacity=capacity,
            hire_date=date(2025, 1, 1),
        ),
        mentor=False,
    )
    for course in JUNIOR_COURSES if trained else ():
        training_service.record_completion(
            session=session,
            data=schemas.CompletionCreate(
                staff=code, course=course, score=Decimal(100), completed_on=date(2025, 2, 1)
            ),
        )


@pytest.fixture
def world(session: Session) -> Iterator[tuple[Session, Seeded]]:
    """Three cases: 1 held by S-collector, 2 placed with an agency, 3 unassigned."""
    with clock.frozen(NOW):
        seeded = seed(session, customers=3)
        add_collector(session, "C2", capacity=1)
        add_collector(session, "UNTRAINED", trained=False)
        session.commit()
    clock.freeze(NOW)
    yield session, seeded
    clock.unfreeze()


def holder(session: Session, work_order_id: int) -> int | None:
    session.expire_all()
    return session.scalar(
        sa.select(Assignment.staff_id).where(
            Assignment.work_order_id == work_order_id, Assignment.ended_at.is_(None)
        )
    )


def test_legal_move_ends_old_row_opens_new_and_audits(world: tuple[Session, Seeded]) -> None:
    session, seeded = world
    case = seeded.work_orders[0]
    out = allocation_service.reassign(
        session=session, work_order_id=case, to_staff="C2", reason="holiday cover", actor="user:tl"
    )
    session.commit()
    assert out.from_staff == "S-collector"
    assert out.to_staff == "C2"
    assert out.to_staff_open_cases == 1
    assert out.to_staff_capacity == 1
    rows = session.scalars(
        sa.select(Assignment).where(Assignment.work_order_id == case).order_by(Assignment.id)
    ).all()
    assert len(rows) == 2
    old, new = rows
    assert old.staff_id == seeded.staff["collector"]
    assert old.ended_at is not None
    assert old.ended_reason == "reassigned"
    assert new.ended_at is None
    assert new.id == out.assignment_id
    assert new.reason == "reassigned"
    assert new.detail == "reassigned by user:tl: holiday cover"
    assert holder(session, case) == session.scalar(sa.select(Staff.id).where(Staff.code == "C2"))
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.reassign")).one()
    assert event.actor == "user:tl"
    assert event.entity_id == str(case)
    assert event.before is not None
    assert event.before["staff"] == "S-collector"
    assert event.after is not None
    assert event.after["staff"] == "C2"
    assert event.reason == "holiday cover"
    # The next allocation run keeps the case with its new holder (continuity), once the
    # agency's contract no longer takes junior cases (else allocation would place it).
    session.execute(sa.update(AgencyContract).values(levels=["advanced"]))
    allocation_service.allocate(session=session, as_of=date(2026, 11, 20))  # the center's today
    session.commit()
    assert holder(session, case) == new.staff_id


def test_unassigned_open_case_gets_a_holder_and_status(world: tuple[Session, Seeded]) -> None:
    session, seeded = world
    case = seeded.work_orders[2]
    out = allocation_service.reassign(
        session=session, work_order_id=case, to_staff="C2", reason="pick up"
    )
    session.commit()
    assert out.from_staff is None
    session.expire_all()
    assert session.get(WorkOrder, case).status == "assigned"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("to_staff", "message"),
    [
        ("S-senior_specialist", "grade senior_collection_specialist may not work junior"),
        ("UNTRAINED", "has not passed the training for junior"),
    ],
)
def test_ineligible_target_is_refused_and_nothing_changes(
    world: tuple[Session, Seeded], to_staff: str, message: str
) -> None:
    session, seeded = world
    case = seeded.work_orders[0]
    with pytest.raises(RuleRefused, match=message):
        allocation_service.reassign(
            session=session, work_order_id=case, to_staff=to_staff, reason="x"
        )
    session.rollback()
    assert holder(session, case) == seeded.staff["collector"]


def test_capacity_is_enforced(world: tuple[Session, Seeded]) -> None:
    session, seeded = world
    allocation_service.reassign(
        session=session, work_order_id=seeded.work_orders[0], to_staff="C2", reason="a"
    )
    session.commit()
    with pytest.raises(RuleRefused, match=r"at capacity \(1 of 1"):
        allocation_service.reassign(
            session=session, work_order_id=seeded.work_orders[2], to_staff="C2", reason="b"
        )
    session.rollback()
    assert holder(session, seeded.work_orders[2]) is None


def test_refusals(world: tuple[Session, Seeded]) -> None:
    session, seeded = world
    first, placed, _ = seeded.work_orders
    with pytest.raises(BadInput, match="reason"):
        allocation_service.reassign(
            session=session, work_order_id=first, to_staff="C2", reason="  "
        )
    with pytest.raises(NotFound, match="no case"):
        allocation_service.reassign(
            session=session, work_order_id=10_000, to_staff="C2", reason="x"
        )
    with pytest.raises(NotFound, match="no collector"):
        allocation_service.reassign(
            session=session, work_order_id=first, to_staff="NOPE", reason="x"
        )
    with pytest.raises(Conflict, match="placed with an agency"):
        allocation_service.reassign(
            session=session, work_order_id=placed, to_staff="C2", reason="x"
        )
    with pytest.raises(RuleRefused, match="already holds"):
        allocation_service.reassign(
            session=session, work_order_id=first, to_staff="S-collector", reason="x"
        )
    add_collector(session, "OTHER", team="T2")
    with pytest.raises(RuleRefused, match="not in your team"):
        allocation_service.reassign(
            session=session,
            work_order_id=first,
            to_staff="OTHER",
            reason="x",
            within_team_of=seeded.staff["team_lead"],
        )
    wo = session.get(WorkOrder, first)
    assert wo is not None
    wo.status, wo.closed_on = "closed", date(2026, 11, 20)
    session.flush()
    with pytest.raises(Conflict, match="closed"):
        allocation_service.reassign(session=session, work_order_id=first, to_staff="C2", reason="x")
    session.rollback()
    assert holder(session, first) == seeded.staff["collector"]
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "case.reassign")
        )
        == 0
    )
