"""Each simulation invariant on a small hand-made store state: held, then broken (SQLite and
PostgreSQL). The states are built with the models directly: the point is the check, not the
services that should (or should not) produce them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy.orm import Session

from arrears.cases.models import ThreeStop, WorkOrder
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.portfolio.models import Cardholder
from arrears.promises.models import Promise, RepaymentPlan
from arrears.simulation import invariants as inv
from arrears.workforce.models import Assignment, Staff

DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
_refs = count(1)


def holder(s: Session) -> Cardholder:
    ch = Cardholder(external_ref=f"C{next(_refs):05d}", name="Test", created_at=NOON)
    s.add(ch)
    s.flush()
    return ch


def case(s: Session, **kw: Any) -> WorkOrder:
    ch = holder(s)
    values: dict[str, Any] = {
        "cardholder_id": ch.id,
        "customer_ref": ch.external_ref,
        "status": "assigned",
        "bucket": "M1",
        "dpd": 10,
        "amount_due": Decimal("100.00"),
        "balance": Decimal("1000.00"),
        "level": "junior",
        "queue": "early_call",
        "opened_on": DAY - timedelta(days=10),
        "created_at": NOON,
        "updated_at": NOON,
    }
    values.update(kw)
    if values["status"] == "closed":
        values.setdefault("closed_on", DAY)
        values.setdefault("close_reason", "cured")
    wo = WorkOrder(**values)
    s.add(wo)
    s.flush()
    return wo


def person(s: Session, code: str, **kw: Any) -> Staff:
    values: dict[str, Any] = {
        "code": code,
        "name": code,
        "employment_type": "labor_dispatch",
        "grade": "collection_officer",
        "levels": ["junior", "intermediate"],
        "capacity": 100,
        "hire_date": DAY - timedelta(days=700),
        "status": "active",
        "created_at": NOON,
        "updated_at": NOON,
    }
    values.update(kw)
    member = Staff(**values)
    s.add(member)
    s.flush()
    return member


def assign(
    s: Session, wo: WorkOrder, member: Staff, *, on: date = DAY, ended: datetime | None = None
) -> Assignment:
    row = Assignment(
        work_order_id=wo.id,
        staff_id=member.id,
        level=wo.level,
        reason="new",
        as_of=on,
        assigned_at=datetime.combine(on, datetime.min.time(), UTC) + timedelta(hours=13),
        ended_at=ended,
        ended_reason="rebalanced" if ended else None,
    )
    s.add(row)
    s.flush()
    return row


def facts(**kw: Any) -> inv.DayFacts:
    return inv.DayFacts(day=DAY, **kw)


def keys(found: list[inv.Violation]) -> list[str]:
    return sorted(v.key for v in found)


# 1


def test_closed_case_holds_no_assignment(session: Session) -> None:
    officer = person(session, "O1")
    closed = case(session, status="closed")
    row = assign(session, closed, officer, on=DAY - timedelta(days=3))
    found = inv.closed_case_unassigned(session, facts())
    assert keys(found) == [f"case {closed.id}"]
    assert found[0].example["holder"] == "O1"
    row.ended_at = NOON
    session.flush()
    assert inv.closed_case_unassigned(session, facts()) == []


# 2


def test_no_open_case_without_arrears(session: Session) -> None:
    case(session, dpd=12, amount_due=Decimal("80.00"))
    assert inv.no_case_without_arrears(session, facts()) == []
    empty = case(session, dpd=0, amount_due=Decimal("0.00"))
    tiny = case(session, dpd=5, amount_due=Decimal("3.00"))
    assert keys(inv.no_case_without_arrears(session, facts())) == [f"case {empty.id}"]
    # A small-balance threshold from the profile keeps tiny amounts out too.
    found = inv.no_case_without_arrears(session, facts(policy={"small_balance": "5.00"}))
    assert keys(found) == sorted([f"case {empty.id}", f"case {tiny.id}"])


# 3


def test_unassigned_cases_within_capacity(session: Session) -> None:
    officer = person(session, "O1", capacity=10)
    first, second = case(session), case(session)
    assign(session, first, officer)
    assign(session, second, officer)
    assert inv.unassigned_within_capacity(session, facts()) == []
    lost = case(session)
    found = inv.unassigned_within_capacity(session, facts())
    assert f"case {lost.id}" in keys(found)
    assert f"no reason {DAY.isoformat()}" in keys(found)  # the allocation gave it no reason
    with_reason = inv.unassigned_within_capacity(
        session, facts(allocation_reasons={"unallocatable_no_capacity": 1})
    )
    assert keys(with_reason) == [f"case {lost.id}"]


def test_unassigned_cases_without_capacity_are_not_a_violation(session: Session) -> None:
    person(session, "O1", capacity=1)
    assign(session, case(session), session.query(Staff).one())
    case(session)
    found = inv.unassigned_within_capacity(
        session, facts(allocation_reasons={"unallocatable_no_capacity": 1})
    )
    assert found == []


LEVEL_GRADES = {
    "junior": ["collection_officer"],
    "intermediate": ["collection_officer"],
    "advanced": ["senior_collection_specialist"],
    "legal": ["senior_collection_specialist"],
    "outsource": [],
    "write_off_review": ["team_lead", "manager"],
}
SENIOR_LEVELS = ["junior", "intermediate", "advanced", "legal"]


def test_seniors_full_is_no_capacity_for_advanced_cases(session: Session) -> None:
    """Capacity is compared per level: free officers do not make room for an advanced case."""
    officer = person(session, "O1", capacity=100)
    senior = person(
        session, "S1", grade="senior_collection_specialist", levels=SENIOR_LEVELS, capacity=1
    )
    assign(session, case(session), officer)
    assign(session, case(session, level="advanced", bucket="M3"), senior)
    waiting = case(session, level="advanced", bucket="M3")
    policy = {"level_grades": LEVEL_GRADES}
    reasons = {"unallocatable_no_capacity": 1}
    found = inv.unassigned_within_capacity(
        session, facts(policy=policy, allocation_reasons=reasons)
    )
    assert found == []
    # With a free senior seat the same case is the allocator's miss.
    senior.capacity = 2
    session.flush()
    found = inv.unassigned_within_capacity(
        session, facts(policy=policy, allocation_reasons=reasons)
    )
    assert keys(found) == [f"case {waiting.id}"]
    assert found[0].example["capacity"] == 2


def test_a_new_hire_counts_with_the_probation_cap(session: Session) -> None:
    """A new hire in probation counts at ``load_share`` of a veteran's capacity, lowest level."""
    veteran = person(session, "O1", capacity=10)
    person(session, "N1", capacity=10, hire_date=DAY - timedelta(days=5))
    for _ in range(10):
        assign(session, case(session), veteran)
    for _ in range(8):
        case(session)
    policy = {"level_grades": LEVEL_GRADES, "probation_days": 90, "probation_load_share": 0.5}
    reasons = {"unallocatable_no_capacity": 8}
    # 18 junior cases for 10 + 5 seats: not within capacity.
    found = inv.unassigned_within_capacity(
        session, facts(policy=policy, allocation_reasons=reasons)
    )
    assert found == []
    # Without the cap (a share of 1.0) the hire's 10 seats make 20: the 8 are the allocator's.
    assert (
        inv.unassigned_within_capacity(
            session,
            facts(policy={**policy, "probation_load_share": 1.0}, allocation_reasons=reasons),
        )
        != []
    )


# 4


def test_a_roll_is_not_an_escalation(session: Session) -> None:
    problem = case(session, status="escalated", level="advanced", escalated_at=NOON)
    session.add(
        ThreeStop(
            work_order_id=problem.id, stop=3, given_at=NOON, given_by="x", locale="en", wording="."
        )
    )
    session.flush()
    lenient = {"escalated_share": 1.0}
    assert inv.roll_is_not_escalation(session, facts(policy=lenient)) == []
    rolled = case(session, status="escalated", level="intermediate", escalated_at=NOON)
    session.add(
        AuditEvent(
            at=NOON,
            actor="cycle",
            action="work_order.escalated",
            entity="work_order",
            entity_id=str(rolled.id),
            before={"level": "junior"},
            after={"level": "intermediate", "queue": "mid_call"},
        )
    )
    session.flush()
    found = inv.roll_is_not_escalation(session, facts(policy=lenient))
    assert keys(found) == [f"case {rolled.id}"]
    assert found[0].example["from_level"] == "junior"
    # Two escalations in a book of two cases is no small share.
    assert "escalated share" in keys(inv.roll_is_not_escalation(session, facts()))


# 5


def test_an_active_plan_keeps_its_collector(session: Session) -> None:
    first, second = person(session, "O1"), person(session, "O2")
    wo = case(session, status="in_progress")
    agreed = NOON + timedelta(days=1)
    held = assign(session, wo, first, on=DAY)
    session.add(
        RepaymentPlan(
            work_order_id=wo.id,
            kind="plan",
            balance=Decimal("300.00"),
            total=Decimal("300.00"),
            currency="CNY",
            frequency="monthly",
            instalment_count=3,
            first_due_on=DAY + timedelta(days=7),
            status="active",
            maker="O1",
            created_at=agreed,
            updated_at=agreed,
        )
    )
    session.flush()
    assert inv.plan_keeps_collector(session, facts()) == []
    held.ended_at = agreed + timedelta(days=2)
    held.ended_reason = "level_changed"
    session.flush()
    assign(session, wo, second, on=DAY + timedelta(days=3))
    found = inv.plan_keeps_collector(session, facts())
    assert len(found) == 1
    assert found[0].example["agreed_with"] == "O1"
    assert found[0].example["now_with"] == "O2"
    assert found[0].example["moved_because"] == "level_changed"
    # A collector who has left the bank has no plan to keep: the case moves on.
    first.status, first.left_on = "left", DAY
    held.ended_reason = "assignee_left"
    session.flush()
    assert inv.plan_keeps_collector(session, facts()) == []


# 6


def test_new_hires_are_eased_in(session: Session) -> None:
    veteran = person(session, "O1")
    new = person(session, "N1", hire_date=DAY - timedelta(days=10))
    for balance in ("5000.00", "6000.00", "7000.00", "8000.00"):
        assign(session, case(session, balance=Decimal(balance)), veteran)
    assign(session, case(session, balance=Decimal("900.00")), new)
    assert inv.new_hires_eased_in(session, facts()) == []
    biggest = case(session, balance=Decimal("90000.00"), level="intermediate")
    assign(session, biggest, new)
    # The only intermediate case is not "the largest" of its level: nothing to compare it with.
    assert keys(inv.new_hires_eased_in(session, facts())) == ["N1 balance", "N1 level"]
    assign(session, case(session, balance=Decimal("7000.00"), level="intermediate"), veteran)
    assign(session, case(session, balance=Decimal("800.00")), new)  # 3 cases: over half of 5
    found = keys(inv.new_hires_eased_in(session, facts()))
    assert found == ["N1 balance", "N1 largest", "N1 level", "N1 load"]


def test_nobody_gets_cases_before_the_hire_date_or_after_leaving(session: Session) -> None:
    future = person(session, "N2", hire_date=DAY + timedelta(days=5))
    gone = person(session, "O9", status="left", left_on=DAY - timedelta(days=1))
    early = assign(session, case(session), future, on=DAY)
    late = assign(session, case(session), gone, on=DAY)
    found = inv.new_hires_eased_in(session, facts())
    assert {f"assignment {early.id}", f"assignment {late.id}"} <= set(keys(found))


# 7


def test_mentors_go_to_staff_in_probation_only(session: Session) -> None:
    senior = person(session, "S1", grade="senior_collection_specialist")
    new = person(session, "N1", hire_date=DAY - timedelta(days=20), mentor_id=senior.id)
    assert inv.mentors_for_probation_only(session, facts()) == []
    veteran = person(session, "O1", mentor_id=senior.id)
    lonely = person(session, "N2", hire_date=DAY - timedelta(days=3))
    found = keys(inv.mentors_for_probation_only(session, facts()))
    assert found == sorted([f"{veteran.code} mentored", f"{lonely.code} without mentor"])
    assert new.code not in " ".join(found)


# 8


def test_accrual_stops_at_the_non_accrual_day(session: Session) -> None:
    yesterday = {"A1": (181, Decimal("1000.00"), Decimal("50.00"), Decimal("90.00"))}
    still = {"A1": (182, Decimal("1000.00"), Decimal("50.00"), Decimal("90.00"))}
    assert (
        inv.accrual_stops(session, facts(accounts_yesterday=yesterday, accounts_today=still)) == []
    )
    grew = {"A1": (182, Decimal("1000.00"), Decimal("50.00"), Decimal("90.50"))}
    found = inv.accrual_stops(session, facts(accounts_yesterday=yesterday, accounts_today=grew))
    assert keys(found) == ["account A1 accrues"]
    capped = {"A2": (120, Decimal("100.00"), Decimal("40.00"), Decimal("70.00"))}
    assert keys(inv.accrual_stops(session, facts(accounts_today=capped))) == ["account A2 over cap"]


# 9


def test_a_partial_payment_leaves_a_status_that_says_so(session: Session) -> None:
    wo = case(session, status="promised")
    promise = Promise(
        work_order_id=wo.id,
        amount=Decimal("500.00"),
        currency="CNY",
        due_on=DAY,
        made_on=DAY - timedelta(days=5),
        channel="call",
        status="pending",
        paid=Decimal("0.00"),
        taken_by="O1",
        created_at=NOON,
        updated_at=NOON,
    )
    session.add(promise)
    session.flush()
    assert inv.promise_status_truthful(session, facts()) == []
    promise.status, promise.paid = "partially_kept", Decimal("300.00")
    session.flush()
    found = inv.promise_status_truthful(session, facts())
    assert keys(found) == [f"case {wo.id} promised"]
    assert found[0].example["latest_promise"] == "partially_kept"


def test_statuses_move_only_by_the_state_machine(session: Session) -> None:
    legal = {"allocation": [(1, "open", "assigned")], "cycle": [(2, "promised", "closed")]}
    assert inv.promise_status_truthful(session, facts(status_moves=legal)) == []
    illegal = {"allocation": [(3, "placed", "assigned")]}
    found = inv.promise_status_truthful(session, facts(status_moves=illegal))
    assert keys(found) == ["case 3 placed->assigned"]


# 10


def test_nothing_is_dated_in_the_future(session: Session) -> None:
    session.add(
        CycleRun(
            as_of=DAY,
            engine="duckdb",
            strategy_name="default",
            strategy_hash="x",
            status="succeeded",
            started_at=NOON,
        )
    )
    session.flush()
    refused = {"allocation": None, "reconciliation": None}
    assert inv.nothing_in_the_future(session, facts(future_probes=refused)) == []
    ahead = CycleRun(
        as_of=DAY + timedelta(days=1),
        engine="duckdb",
        strategy_name="default",
        strategy_hash="x",
        status="failed",
        started_at=NOON,
    )
    session.add(ahead)
    session.flush()
    accepted = {"allocation": "allocation for 2026-03-03 was accepted", "reconciliation": None}
    found = keys(inv.nothing_in_the_future(session, facts(future_probes=accepted)))
    assert found == ["allocation for a future day", f"cycle run {ahead.id}"]


@pytest.mark.parametrize("name", sorted(inv.CHECKS))
def test_every_check_reads_an_empty_store(session: Session, name: str) -> None:
    assert inv.CHECKS[name](session, facts()) == []
