"""Workforce on the real stores (SQLite and PostgreSQL): allocation persisted, continuity across
runs, rebalancing when someone leaves, placement and recall, pay from the store, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotFound, RuleRefused
from arrears.portfolio.models import Cardholder
from arrears.workforce import (
    agency_service,
    allocation_service,
    demo_roster,
    performance_service,
    schemas,
    staff_service,
)
from arrears.workforce.models import Assignment, Staff, StaffMetricMonth

AS_OF = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
D = Decimal
LEVELS = ["junior"] * 12 + ["intermediate"] * 8 + ["advanced"] * 4 + ["legal"] * 2


def make_work_orders(session: Session, levels: list[str], bucket: str = "M2") -> list[int]:
    ids = []
    start = session.scalar(sa.select(sa.func.count()).select_from(Cardholder)) or 0
    for i, level in enumerate(levels, start=start):
        holder = Cardholder(external_ref=f"C{i:05d}", name=f"Customer {i}", created_at=NOW)
        session.add(holder)
        session.flush()
        wo = WorkOrder(
            cardholder_id=holder.id,
            customer_ref=holder.external_ref,
            status="open",
            bucket=bucket,
            dpd=40,
            amount_due=D("500.00"),
            balance=D(1000 + 137 * i).quantize(D("0.01")),
            level=level,
            queue="default",
            opened_on=AS_OF,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(wo)
        session.flush()
        ids.append(wo.id)
    return ids


@pytest.fixture(autouse=True)
def _after_the_test_days() -> Iterator[None]:
    """The tests allocate up to mid-December 2026: the center's today is later than that."""
    with clock.frozen(datetime(2026, 12, 31, 2, 0, tzinfo=UTC)):
        yield


@pytest.fixture
def world(session: Session) -> Session:
    demo_roster.seed_roster(
        session=session,
        officers=4,
        seniors=2,
        leads=1,
        seed=3,
        agencies=0,
        hire_before=date(2026, 11, 1),
    )
    make_work_orders(session, LEVELS)
    session.commit()
    return session


def live(session: Session) -> dict[int, Any]:
    rows = session.execute(
        sa.select(Assignment.work_order_id, Assignment.staff_id, Assignment.agency_id).where(
            Assignment.ended_at.is_(None)
        )
    )
    return {r.work_order_id: r for r in rows}


def grades(session: Session) -> dict[int, str]:
    return dict(session.execute(sa.select(Staff.id, Staff.grade)).tuples().all())


def test_allocation_is_persisted_and_continuity_holds_across_runs(world: Session) -> None:
    session = world
    first = allocation_service.allocate(session=session, as_of=AS_OF, actor="test")
    session.commit()
    assert first.cases == len(LEVELS)
    assert first.changed == first.assigned_to_staff == len(LEVELS)
    current = live(session)
    assert len(current) == len(LEVELS)
    by_grade = grades(session)
    levels = dict(session.execute(sa.select(WorkOrder.id, WorkOrder.level)).tuples().all())
    for wo_id, row in current.items():
        expected = (
            "collection_officer"
            if levels[wo_id] in ("junior", "intermediate")
            else "senior_collection_specialist"
        )
        assert by_grade[row.staff_id] == expected
    statuses = set(session.scalars(sa.select(WorkOrder.status)))
    assert statuses == {"assigned"}
    versions = set(session.scalars(sa.select(WorkOrder.version)))
    assert versions == {2}  # the bulk update bumped the optimistic-lock version

    second = allocation_service.allocate(session=session, as_of=AS_OF, actor="test")
    session.commit()
    assert second.changed == 0
    assert second.reasons == {"kept": len(LEVELS)}
    assert live(session) == current
    total = session.scalar(sa.select(sa.func.count()).select_from(Assignment))
    assert total == len(LEVELS)  # nothing inserted the second time
    runs = session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "allocation.run"))
    assert runs == 2


def test_rebalancing_when_someone_leaves(world: Session) -> None:
    session = world
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    before = live(session)
    leaver = next(
        row.staff_id
        for row in before.values()
        if grades(session)[row.staff_id] == "collection_officer"
    )
    leaver_code = session.scalar(sa.select(Staff.code).where(Staff.id == leaver))
    assert leaver_code is not None
    staff_service.leave(session=session, code=leaver_code, on=AS_OF)
    session.commit()
    summary = allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    after = live(session)
    moved = [wo for wo, row in before.items() if row.staff_id == leaver]
    assert moved
    assert summary.reasons["assignee_left"] == len(moved)
    for wo, row in after.items():
        assert row.staff_id != leaver
        if wo not in moved:
            assert row.staff_id == before[wo].staff_id  # everyone else keeps their cases
    ended = session.execute(
        sa.select(Assignment.ended_reason).where(
            Assignment.staff_id == leaver, Assignment.ended_at.is_not(None)
        )
    ).scalars()
    assert set(ended) == {"assignee_left"}


def test_capacity_cut_rebalances(world: Session) -> None:
    session = world
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    busiest = max(staff_service.list_staff(session=session), key=lambda s: s.open_cases)
    staff_service.update_staff(
        session=session, code=busiest.code, changes=schemas.StaffUpdate(capacity=1)
    )
    session.commit()
    summary = allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    assert summary.reasons["rebalanced"] == busiest.open_cases - 1
    assert staff_service.get_staff(session=session, code=busiest.code).open_cases == 1


def test_placement_and_recall_on_contract_end(world: Session) -> None:
    session = world
    placed_ids = make_work_orders(session, ["legal", "legal", "outsource"], bucket="M5")
    agency_service.add_agency(
        session=session, data=schemas.AgencyCreate(code="AG1", name="Agency One")
    )
    agency_service.add_contract(
        session=session,
        data=schemas.AgencyContractCreate(
            agency="AG1",
            code="AG1-2026",
            buckets=["M5", "M6"],
            levels=["legal", "outsource"],
            commission_pct=D("18.50"),
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
        ),
    )
    session.commit()
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    current = live(session)
    agency_id = agency_service.list_agencies(session=session)[0].id
    assert {current[i].agency_id for i in placed_ids} == {agency_id}
    statuses = dict(session.execute(sa.select(WorkOrder.id, WorkOrder.status)).tuples().all())
    assert {statuses[i] for i in placed_ids} == {"placed"}
    assert agency_service.list_agencies(session=session)[0].placements == 3

    agency_service.end_contract(session=session, code="AG1-2026", on=date(2026, 12, 10))
    # The same agency's next contract would take the outsource case; a recall must not hand it
    # straight back, on the run that recalls it or on any later one.
    agency_service.add_contract(
        session=session,
        data=schemas.AgencyContractCreate(
            agency="AG1",
            code="AG1-2027",
            buckets=["M5"],
            levels=["outsource"],
            commission_pct=D("15.00"),
            start_date=date(2026, 12, 11),  # the day after: no overlap,
        ),
    )
    session.commit()
    later = date(2026, 12, 11)
    summary = allocation_service.allocate(session=session, as_of=later)
    session.commit()
    assert summary.reasons["recalled_contract_end"] == 2  # the legal cases, now with seniors
    assert summary.reasons["unallocatable_no_eligible_staff"] == 1  # outsource: nobody in house
    # placed -> open when recalled (one legal move; placed -> assigned is none), then assigned
    # on the next run once the collector holds it.
    for day, expected in (
        (later, ["open", "open", "open"]),
        (later + timedelta(days=1), ["assigned", "assigned", "open"]),
    ):
        current = live(session)
        statuses = dict(session.execute(sa.select(WorkOrder.id, WorkOrder.status)).tuples().all())
        assert [statuses[i] for i in placed_ids] == expected
        assert placed_ids[2] not in current
        assert grades(session)[current[placed_ids[0]].staff_id] == "senior_collection_specialist"
        allocation_service.allocate(session=session, as_of=day + timedelta(days=1))
        session.commit()


def test_status_moves_follow_the_state_machine_one_audit_event_per_case(world: Session) -> None:
    """Issue 12: a promised case placed with an agency keeps ``promised`` (promised -> placed
    is no move); every status the allocator changes is one ``work_order.transition`` event."""
    session = world
    promised, fresh = make_work_orders(session, ["legal", "legal"], bucket="M5")
    session.execute(sa.update(WorkOrder).where(WorkOrder.id == promised).values(status="promised"))
    agency_service.add_agency(session=session, data=schemas.AgencyCreate(code="AG1", name="One"))
    agency_service.add_contract(
        session=session,
        data=schemas.AgencyContractCreate(
            agency="AG1",
            code="AG1-2026",
            buckets=["M5"],
            levels=["legal"],
            commission_pct=D("18.00"),
            start_date=date(2026, 1, 1),
        ),
    )
    session.commit()
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    current = live(session)
    assert current[promised].agency_id is not None
    assert current[fresh].agency_id is not None
    statuses = dict(session.execute(sa.select(WorkOrder.id, WorkOrder.status)).tuples().all())
    assert statuses[promised] == "promised"
    assert statuses[fresh] == "placed"
    events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "work_order.transition")
    ).all()
    moved = {int(e.entity_id): (e.before, e.after) for e in events}
    assert len(events) == len(moved) == len(LEVELS) + 1  # every open case once; not the promise
    assert moved[fresh] == ({"status": "open"}, {"status": "placed"})
    assert promised not in moved


def test_pay_statement_from_the_store(world: Session) -> None:
    session = world
    performance_service.record_metrics(
        session=session,
        data=schemas.MetricMonthCreate(
            staff="S001",
            month=date(2026, 10, 1),
            recovered=D("260000.00"),
            qa_score=D("85"),
            violations=1,
            complaints=2,
        ),
    )
    session.commit()
    statement = performance_service.pay_statement(
        session=session, code="S001", month=date(2026, 10, 1)
    )
    assert statement.total == D("5680.00")  # 4600 base + 1580 tiers - 300 - 200
    with clock.frozen(datetime(2027, 1, 4, 2, tzinfo=UTC)):  # December 2026 has closed
        year = performance_service.pay_statement(session=session, code="S001", year=2026)
    lines = {line.label: line.amount for line in year.lines}
    assert lines["2026-10 pay"] == D("5680.00")
    assert lines["year-end bonus: compliance violations"] == D("-500.00")
    assert lines["year-end bonus: complaints"] == D("-400.00")
    assert year.total == D("4600.00") * 11 + D("5680.00") + D("6500.00") - D("900.00")
    with pytest.raises(NotFound):
        performance_service.pay_statement(session=session, code="NOPE", month=date(2026, 10, 1))


def test_cli_end_to_end(
    cli: Any, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("staff", "seed", "--officers", "3", "--seniors", "2", "--leads", "0").exit_code == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "code,name,employment_type,grade,team,levels,capacity,hire_date\n"
        "N001,New One,labor_dispatch,collection_officer,T01,junior;intermediate,30,2026-11-01\n"
        "N002,New Two,labor_dispatch,collection_officer,T01,junior,thirty,2026-11-01\n",
        encoding="utf-8",
    )
    bad = cli("staff", "import", str(roster))
    assert bad.exit_code == 2
    assert "row 3, column capacity" in bad.stderr
    listed = json.loads(cli("staff", "list", "--json").stdout)
    assert "N001" not in {s["code"] for s in listed}  # the good row was not loaded either
    roster.write_text(roster.read_text().replace("thirty", "30"), encoding="utf-8")
    assert cli("staff", "import", str(roster)).exit_code == 0
    new = json.loads(cli("staff", "show", "N001", "--json").stdout)
    assert new["mentor"] in {"S001", "S002"}  # a new officer gets a senior mentor
    assert new["trained_levels"] == []  # and works nothing until the gates are passed
    result = cli("allocate", "--as-of", "2026-11-29", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["cases"] == 0
    pay = cli("compensation", "statement", "S001", "--month", "2026-10", "--json")
    assert pay.exit_code == 0, pay.stderr
    assert json.loads(pay.stdout)["total"] == "4600.00"
    assert cli("compensation", "statement", "S001", "--month", "2026-13").exit_code == 2
    old_name = cli("pay", "statement", "S001", "--month", "2026-10", "--json")  # for one release
    assert old_name.exit_code == 0, old_name.stderr
    assert json.loads(old_name.stdout) == json.loads(pay.stdout)
    assert "`arrears compensation`" in old_name.stderr
    report = json.loads(cli("promotion", "report", "--json", "--as-of", "2026-11-29").stdout)
    assert {r["track"] for r in report} == {"officer_to_senior", "dispatch_to_establishment"}
    assert all(r["criteria"] for r in report)
    completion = ("N001", "--course", "credit_education", "--score", "75", "--on", "2026-11-20")
    nobody = cli("training", "record", *completion)  # a person's act: a stored user records it
    assert nobody.exit_code == 2
    assert "--as USERNAME (or ARREARS_USER) is required" in nobody.stderr
    assert cli("users", "add", "ops", "admin").exit_code == 0  # the first admin
    monkeypatch.setenv("ARREARS_USER", "ops")
    record = cli("training", "record", *completion, "--json")
    assert json.loads(record.stdout)["passed"] is True
    bad_update = cli("staff", "update", "N001", "--levels", "junior,bogus")
    assert bad_update.exit_code == 2
    assert "bogus" in bad_update.stderr
    assert cli("staff", "leave", "S001", "--on", "2026-11-28").exit_code == 0
    assert json.loads(cli("staff", "show", "N001", "--json").stdout)["mentor"] == "S002"


def test_allocation_for_a_day_after_the_centers_today_is_refused(world: Session) -> None:
    """The service itself refuses a future as-of (CLI, API and simulator alike); nothing written."""
    session = world
    with clock.frozen(NOW), pytest.raises(RuleRefused, match="after today"):
        allocation_service.allocate(session=session, as_of=AS_OF + timedelta(days=1))
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    assert not session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "allocation.run"))


def test_bad_input_changes_nothing(world: Session) -> None:
    session = world
    with pytest.raises(BadInput, match="agency"):
        staff_service.add_staff(
            session=session,
            data=schemas.StaffCreate(
                code="X1",
                name="X",
                employment_type="agency",
                grade="collection_officer",
                capacity=5,
                hire_date=AS_OF,
            ),
        )
    session.rollback()
    assert staff_service.list_staff(session=session, grade="collection_officer")
    assert session.scalar(sa.select(Staff.id).where(Staff.code == "X1")) is None


def test_metrics_derived_from_the_workbench(world: Session) -> None:
    """Promises, blocked attempts and payments count for whoever held the work order that day."""
    from arrears.cases.models import WorkOrderAccount
    from arrears.contacts.models import ContactAttempt
    from arrears.portfolio.models import CardAccount, Payment
    from arrears.promises.models import Promise

    session = world
    allocation_service.allocate(session=session, as_of=date(2026, 10, 1))
    session.commit()
    wo_id = session.scalar(
        sa.select(WorkOrder.id).where(WorkOrder.level == "junior").order_by(WorkOrder.id)
    )
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    holder = live(session)[wo_id].staff_id
    account = CardAccount(
        external_ref="A-1",
        cardholder_id=wo.cardholder_id,
        product="classic",
        credit_limit=D("10000.00"),
        currency="CNY",
        statement_day=5,
        due_days=20,
        min_payment_ratio=D("0.1000"),
    )
    session.add(account)
    session.flush()
    session.add(
        WorkOrderAccount(work_order_id=wo_id, account_ref="A-1", account_id=account.id, bucket="M2")
    )
    at = datetime(2026, 10, 12, 3, 0, tzinfo=UTC)
    for paid_on, amount, ref in (
        (date(2026, 10, 15), "1200.50", "P1"),
        (date(2026, 11, 2), "9", "P2"),
    ):
        session.add(
            Payment(account_id=account.id, paid_on=paid_on, amount=D(amount), reference=ref)
        )
    for status in ("kept", "broken", "pending"):
        session.add(
            Promise(
                work_order_id=wo_id,
                amount=D("500.00"),
                currency="CNY",
                due_on=date(2026, 10, 20),
                made_on=date(2026, 10, 12),
                channel="call",
                status=status,
                taken_by="someone",
                created_at=at,
                updated_at=at,
            )
        )
    for allowed, status, outcome in ((False, "blocked", None), (True, "made", "no_answer")):
        session.add(
            ContactAttempt(
                work_order_id=wo_id,
                cardholder_id=wo.cardholder_id,
                at=at,
                collector="someone",
                channel="call",
                party="debtor",
                status=status,
                outcome=outcome,
                compliance_allowed=allowed,
                created_at=at,
            )
        )
    session.commit()
    assert performance_service.derive_metrics(session=session, month=date(2026, 10, 1)) == 1
    session.commit()
    row = session.scalar(sa.select(StaffMetricMonth).where(StaffMetricMonth.staff_id == holder))
    assert row is not None
    assert (row.recovered, row.promises_made, row.promises_kept, row.blocked_attempts) == (
        D("1200.50"),
        3,
        1,
        1,
    )


def test_a_zh_tw_customer_goes_to_a_zh_speaker_and_a_french_one_waits(world: Session) -> None:
    session = world
    taiwan, paris = make_work_orders(session, ["junior", "junior"])
    for wo_id, language in ((taiwan, "zh-TW"), (paris, "fr")):
        holder_id = session.get(WorkOrder, wo_id).cardholder_id
        session.get(Cardholder, holder_id).language = language
    session.commit()
    spoken = {
        s.id: set(s.languages) for s in session.scalars(sa.select(Staff)) if s.status == "active"
    }
    assert not any("zh-TW" in v or "fr" in v for v in spoken.values())  # the premise
    summary = allocation_service.allocate(session=session, as_of=AS_OF, actor="test")
    session.commit()
    current = live(session)
    assert "zh-CN" in spoken[current[taiwan].staff_id]
    assert paris not in current
    assert summary.reasons["unallocatable_no_eligible_staff"] == 1
