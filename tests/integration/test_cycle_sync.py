"""The cycle end to end on a small portfolio, on SQLite and PostgreSQL: open, update, raise
levels (not escalate), close and end the closed cases' assignments, idempotent reruns, a crash
mid-sync leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.config import get_settings
from arrears.engine import service, sync
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.portfolio.layout import arrow_schema
from arrears.portfolio.models import Cardholder
from arrears.portfolio.warehouse import ensure_tables
from arrears.workforce.models import Agency, AgencyContract, Assignment, Staff

AS_OF = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _holder(ref: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": ref,
        "name": f"customer {ref}",
        "identity_category": "private_employee",
        "birth_date": date(1985, 6, 1),
        "city": "Shanghai",
        "flags": None,
    }
    row.update(kw)
    return row


def portfolio() -> dict[str, list[dict[str, Any]]]:
    """C1 current; C2 M1; C3 M2 (two accounts, one current); C4 deceased M1; C5 M4."""
    holders = [
        _holder("C1"),
        _holder("C2"),
        _holder("C3", identity_category="civil_servant"),
        _holder("C4", flags="deceased"),
        _holder("C5"),
    ]
    accounts = [
        {"account_id": a, "customer_id": c, "product": "classic", "credit_limit": Decimal("50000"),
         "currency": "CNY", "statement_day": 5, "due_days": 20, "min_payment_ratio": Decimal("0.1")}
        for a, c in [("A1", "C1"), ("A2", "C2"), ("A3", "C3"), ("A3b", "C3"), ("A4", "C4"),
                     ("A5", "C5")]
    ]  # fmt: skip
    reports = [
        {"account_id": "A1", "reported_on": AS_OF, "status": 0},
        {"account_id": "A2", "reported_on": AS_OF, "status": 1},
        {"account_id": "A3", "reported_on": AS_OF, "status": 2},
        {"account_id": "A3b", "reported_on": AS_OF, "status": -1},
        {"account_id": "A4", "reported_on": AS_OF, "status": 1},
        {"account_id": "A5", "reported_on": AS_OF, "status": 4},
    ]
    statements = [
        {"account_id": a, "cycle_date": date(2026, m, 5), "due_date": date(2026, m, 25),
         "closing_balance": Decimal("1000.00"), "minimum_due": Decimal("100.00")}
        for a in ("A1", "A2", "A3", "A3b", "A4", "A5") for m in (1, 2)
    ]  # fmt: skip
    return {
        "cardholders": holders,
        "accounts": accounts,
        "statements": statements,
        "payments": [],
        "delinquency": reports,
    }


def write_warehouse(path: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    con = duckdb.connect(str(path))
    try:
        ensure_tables(con)
        for table, data in rows.items():
            schema = arrow_schema(table)
            full = [{f.name: r.get(f.name) for f in schema} for r in data]
            con.register("incoming", pa.Table.from_pylist(full, schema=schema))
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            con.unregister("incoming")
    finally:
        con.close()


def add_cardholders(engine: Engine, refs: list[str]) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Cardholder),
            [{"external_ref": r, "name": r, "identity_category": "unknown", "language": "zh-CN",
              "time_zones": [], "flags": [], "created_at": now} for r in refs],
        )  # fmt: skip


@pytest.fixture
def cycle_env(env: Path, engine: Engine) -> Path:
    rows = portfolio()
    write_warehouse(get_settings().warehouse, rows)
    add_cardholders(engine, [h["customer_id"] for h in rows["cardholders"]])
    return env


def run(engine: Engine, as_of: date = AS_OF, **kw: Any) -> service.CycleResult:
    return service.run_cycle(as_of=as_of, settings=get_settings(), store=engine, **kw)


def cases(engine: Engine) -> dict[str, WorkOrder]:
    with sa.orm.Session(engine) as s:
        return {w.customer_ref: w for w in s.scalars(sa.select(WorkOrder))}


def test_first_run_opens_one_case_per_delinquent_customer(cycle_env: Path, engine: Engine) -> None:
    result = run(engine, out=cycle_env / "out")
    assert result.cases == {"opened": 4, "updated": 0, "closed": 0, "unchanged": 0,
                            "level_raised": 0, "skipped": 0}  # fmt: skip
    assert result.buckets == {"M0": 2, "M1": 2, "M2": 1, "M4": 1}
    wo = cases(engine)
    assert set(wo) == {"C2", "C3", "C4", "C5"}
    assert (wo["C2"].level, wo["C2"].queue, wo["C2"].bucket, wo["C2"].dpd) == (
        "junior", "early_sms", "M1", 30)  # fmt: skip
    assert (wo["C4"].level, wo["C4"].queue) == ("write_off_review", "write_off_review")
    assert (wo["C5"].level, wo["C5"].queue, wo["C5"].treatments) == (
        "legal", "legal", ["legal_notice", "field_visit", "call"])  # fmt: skip
    # C3: two accounts, one delinquent; the case covers the delinquent one and sums amounts.
    assert wo["C3"].account_count == 1
    assert wo["C3"].amount_due == Decimal("200.00")
    # 5% breach fee on February's unpaid 100.00 (due 02-25, after the 02-05 itemization date);
    # January's, due 01-25, is inside the February statement's balance (was 10.00, counted twice).
    assert wo["C3"].fees == Decimal("5.00")
    with sa.orm.Session(engine) as s:
        refs = s.scalars(sa.select(WorkOrderAccount.account_ref)).all()
        assert sorted(refs) == ["A2", "A3", "A4", "A5"]
        opened = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "work_order.opened"))
        assert len(opened.all()) == 4
        run_row = s.scalars(sa.select(CycleRun)).one()
        assert run_row.status == "succeeded"
        assert run_row.counts["cases"]["opened"] == 4
        assert set(run_row.durations) == set(service.STAGES)
    table = pq.read_table(cycle_env / "out" / "decisions.parquet")
    assert table.num_rows == 6
    for col in ("account_id", "customer_id", "as_of", "dpd", "bucket", "amount_due", "fees",
                "interest", "segment", "tier", "score", "level", "treatments", "queue",
                "priority", "arm"):  # fmt: skip
        assert col in table.column_names
    a5 = [r for r in table.to_pylist() if r["account_id"] == "A5"][0]
    assert a5["treatments"] == ["legal_notice", "field_visit", "call"]


def test_second_run_for_the_same_date_changes_nothing(cycle_env: Path, engine: Engine) -> None:
    run(engine)
    before = {k: (w.version, w.updated_at) for k, w in cases(engine).items()}
    again = run(engine)
    assert again.cases["opened"] == again.cases["updated"] == again.cases["closed"] == 0
    assert again.cases["unchanged"] == 4
    assert {k: (w.version, w.updated_at) for k, w in cases(engine).items()} == before


def _later_rows(later: date) -> dict[str, list[dict[str, Any]]]:
    """A month on: C2 pays everything (cured); C3 rolls to M3, C4 to M2, C5 to M5."""
    rows = portfolio()
    rows["payments"] = [{"account_id": "A2", "paid_on": date(2026, 3, 10),
                         "amount": Decimal("1000.00"), "reference": "P1"}]  # fmt: skip
    rows["delinquency"] += [
        {"account_id": "A3", "reported_on": later, "status": 3},
        {"account_id": "A4", "reported_on": later, "status": 2},
        {"account_id": "A5", "reported_on": later, "status": 5},
    ]
    return rows


def test_next_cycle_updates_raises_levels_and_closes_the_cured(
    cycle_env: Path, engine: Engine
) -> None:
    run(engine)
    later = date(2026, 4, 1)
    write_warehouse(get_settings().warehouse, _later_rows(later))
    result = run(engine, as_of=later)
    assert result.cases["closed"] == 1
    assert result.cases["opened"] == 0
    assert result.cases["updated"] == 3
    assert result.cases["level_raised"] == 2
    wo = cases(engine)
    assert (wo["C2"].status, wo["C2"].close_reason, wo["C2"].closed_on) == (
        "closed", "cured", later)  # fmt: skip
    # A roll to a higher level changes the level only: the case is not escalated.
    assert (wo["C3"].level, wo["C3"].status, wo["C3"].bucket) == ("advanced", "open", "M3")
    assert wo["C3"].escalated_at is None
    assert wo["C3"].version == 2
    assert (wo["C5"].level, wo["C5"].queue) == ("outsource", "agency")
    with sa.orm.Session(engine) as s:
        events = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "work_order.level_changed")
        ).all()
        assert {(e.entity_id, e.before["level"], e.after["level"], e.reason) for e in events} == {
            (str(wo["C3"].id), "intermediate", "advanced", "level raised"),
            (str(wo["C5"].id), "legal", "outsource", "level raised"),
        }
        assert not s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "work_order.escalated")
        ).all()
    with sa.orm.Session(engine) as s:
        rows = s.execute(sa.select(WorkOrderAccount.account_ref, WorkOrderAccount.dpd)).all()
        # Replaced for the changed cases (no duplicates); the closed case keeps its last figures.
        assert sorted(rows) == [("A2", 30), ("A3", 90), ("A4", 60), ("A5", 150)]
    assert run(engine, as_of=later).cases["unchanged"] == 3


def _hold(engine: Engine, holders: dict[str, str]) -> dict[str, int]:
    """Give the live case of each customer to a collector (``"staff"``) or an agency
    (``"agency"``), as allocation would; returns the assignment id per customer."""
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    out: dict[str, int] = {}
    with sa.orm.Session(engine) as s:
        officer = Staff(code="O01", name="O01", employment_type="establishment",
                        grade="collection_officer", levels=["junior", "intermediate"],
                        languages=[], regions=[], capacity=50, hire_date=date(2025, 1, 1),
                        status="active", created_at=now, updated_at=now)  # fmt: skip
        agency = Agency(code="AG1", name="AG1", status="active", created_at=now)
        s.add_all([officer, agency])
        s.flush()
        contract = AgencyContract(agency_id=agency.id, code="AG1-1", buckets=["M1", "M2", "M4"],
                                  levels=["outsource", "write_off_review", "junior"],
                                  commission_pct=Decimal("18"), start_date=date(2026, 1, 1),
                                  created_at=now)  # fmt: skip
        s.add(contract)
        s.flush()
        for ref, who in holders.items():
            wo = s.scalars(
                sa.select(WorkOrder).where(
                    WorkOrder.customer_ref == ref, WorkOrder.status != "closed"
                )
            ).one()
            row = Assignment(work_order_id=wo.id, level=wo.level, reason="new", as_of=AS_OF,
                             assigned_at=now)  # fmt: skip
            if who == "staff":
                row.staff_id, wo.status = officer.id, "in_progress"
            else:
                row.agency_id, row.contract_id, wo.status = agency.id, contract.id, "placed"
            s.add(row)
            s.flush()
            out[ref] = row.id
        s.commit()
    return out


def test_a_roll_keeps_the_status_and_the_collector(cycle_env: Path, engine: Engine) -> None:
    """Issue 13, invariant 4: M2 -> M3 while a collector works the case is a level change."""
    run(engine)
    _hold(engine, {"C3": "staff"})
    later = date(2026, 4, 1)
    write_warehouse(get_settings().warehouse, _later_rows(later))
    run(engine, as_of=later)
    c3 = cases(engine)["C3"]
    assert (c3.level, c3.status, c3.escalated_at) == ("advanced", "in_progress", None)
    with sa.orm.Session(engine) as s:
        live = s.scalars(
            sa.select(Assignment).where(
                Assignment.work_order_id == c3.id, Assignment.ended_at.is_(None)
            )
        ).one()
        assert live.staff_id is not None  # the sync leaves who holds it to allocation
        change = s.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "work_order.level_changed",
                AuditEvent.entity_id == str(c3.id),
            )
        ).one()
        assert (change.actor, change.before, change.after) == (
            "cycle",
            {"level": "intermediate"},
            {"level": "advanced", "queue": c3.queue},
        )


def test_the_close_step_ends_the_assignment_and_placement(cycle_env: Path, engine: Engine) -> None:
    """Issue 13, invariant 1: a closed case holds no assignment, ended and audited per case."""
    run(engine)
    held = _hold(engine, {"C2": "staff", "C4": "agency", "C3": "staff"})
    later = date(2026, 4, 1)
    rows = _later_rows(later)
    # C4 (placed with the agency) pays everything too.
    rows["delinquency"] = [r for r in rows["delinquency"] if r["account_id"] != "A4"]
    rows["payments"].append(
        {"account_id": "A4", "paid_on": date(2026, 3, 12), "amount": Decimal("1000.00"),
         "reference": "P2"}
    )  # fmt: skip
    write_warehouse(get_settings().warehouse, rows)
    result = run(engine, as_of=later)
    assert result.cases["closed"] == 2
    wo = cases(engine)
    with sa.orm.Session(engine) as s:
        ended = {
            a.id: (a.ended_at is not None, a.ended_reason) for a in s.scalars(sa.select(Assignment))
        }
        assert ended == {
            held["C2"]: (True, "case_closed"),
            held["C4"]: (True, "case_closed"),
            held["C3"]: (False, None),  # still delinquent, still held
        }
        events = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "assignment.ended")
        ).all()
        assert {(e.entity_id, e.actor, e.before["staff"], e.before["agency_id"] is not None,
                 e.reason) for e in events} == {
            (str(wo["C2"].id), "cycle", "O01", False, "case closed (cured)"),
            (str(wo["C4"].id), "cycle", None, True, "case closed (cured)"),
        }  # fmt: skip
    # Rerun: nothing more to end, nothing audited twice.
    run(engine, as_of=later)
    with sa.orm.Session(engine) as s:
        assert (
            len(
                s.scalars(
                    sa.select(AuditEvent).where(AuditEvent.action == "assignment.ended")
                ).all()
            )
            == 2
        )


def test_a_case_closed_before_the_rule_is_released_by_the_next_cycle(
    cycle_env: Path, engine: Engine
) -> None:
    run(engine)
    held = _hold(engine, {"C5": "staff"})
    with engine.begin() as conn:  # closed the old way: the assignment stayed live
        conn.execute(
            sa.update(WorkOrder)
            .where(WorkOrder.customer_ref == "C5")
            .values(status="closed", close_reason="written_off", closed_on=AS_OF)
        )
    run(engine)
    with sa.orm.Session(engine) as s:
        row = s.get(Assignment, held["C5"])
        assert row is not None
        assert (row.ended_at is not None, row.ended_reason) == (True, "case_closed")


def test_broken_promises_from_the_workflow_feed_the_rules(cycle_env: Path, engine: Engine) -> None:
    run(engine)
    with engine.begin() as conn:
        conn.execute(sa.update(WorkOrder).where(WorkOrder.customer_ref == "C3")
                     .values(broken_promises=2))  # fmt: skip
    result = run(engine)
    assert result.cases["updated"] == 1
    wo = cases(engine)["C3"]
    assert (wo.level, wo.queue) == ("advanced", "field")  # rule repeat-breakers


def test_a_crash_during_sync_leaves_nothing_and_a_rerun_finishes(
    cycle_env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sync._load
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:  # after staging both tables, mid-way through the sync
            raise RuntimeError("power cut")

    monkeypatch.setattr(sync, "_load", failing)
    with pytest.raises(RuntimeError, match="power cut"):
        run(engine)
    assert cases(engine) == {}
    with sa.orm.Session(engine) as s:
        assert s.scalars(sa.select(CycleRun.status)).all() == ["failed"]
        # The start is audited when the record opens; the sync's events rolled back with it.
        assert s.scalars(sa.select(AuditEvent.action)).all() == ["cycle.run"]
    monkeypatch.setattr(sync, "_load", real)
    assert run(engine).cases["opened"] == 4
    assert len(cases(engine)) == 4


def test_unknown_engine_and_missing_warehouse_are_clear_errors(
    env: Path, engine: Engine, cli: Any
) -> None:
    res = cli("cycle", "run", "--as-of", "2026-03-01")
    assert res.exit_code != 0
    assert "import a portfolio first" in res.stderr
    assert "Traceback" not in res.stderr
    res = cli("cycle", "run", "--as-of", "not-a-date")
    assert res.exit_code == 2
    assert "--as-of" in res.stderr
    write_warehouse(get_settings().warehouse, portfolio())
    res = cli("cycle", "run", "--as-of", "2026-03-01", "--engine", "oracle")
    assert res.exit_code == 2
    assert "unknown engine" in res.stderr


def test_cli_json_and_history(cycle_env: Path, cli: Any) -> None:
    import json

    res = cli("cycle", "run", "--as-of", "2026-03-01", "--json")
    assert res.exit_code == 0, res.stderr
    payload = json.loads(res.stdout)
    assert payload["as_of"] == "2026-03-01"
    assert payload["engine"] == "duckdb"
    assert payload["cases"]["opened"] == 4
    assert payload["levels"] == {"junior": 1, "intermediate": 1, "legal": 1,
                                 "write_off_review": 1}  # fmt: skip
    assert payload["arms"] == {"champion": 6}
    hist = cli("cycle", "history", "--json")
    assert hist.exit_code == 0
    runs = json.loads(hist.stdout)
    assert runs[0]["status"] == "succeeded"
    assert runs[0]["counts"]["cases"]["opened"] == 4
    assert len(runs[0]["strategy_hash"]) == 64


def test_the_cycle_reconciles_promises_first_so_todays_decisions_see_a_broken_one(
    cycle_env: Path, engine: Engine
) -> None:
    from arrears.kit.clock import clock
    from arrears.promises import service as promise_service
    from arrears.promises.models import Promise

    run(engine)
    c2 = cases(engine)["C2"].id
    with clock.frozen(NOW), sa.orm.Session(engine) as s:
        promise_service.take_promise(
            session=s,
            work_order_id=c2,
            amount="100.00",
            due_on=date(2026, 3, 3),
            channel="call",
            actor="officer-1",
        )
        s.commit()
    # Before the due date and its three days' grace nothing is decided.
    early = run(engine, as_of=date(2026, 3, 5))
    assert early.promises == {"cases": 1, "kept": 0, "partially_kept": 0, "broken": 0, "skipped": 0}
    # No payment came: broken, counted on the case the decisions read the same night.
    late = run(engine, as_of=date(2026, 3, 10))
    assert late.promises == {"cases": 1, "kept": 0, "partially_kept": 0, "broken": 1, "skipped": 0}
    with sa.orm.Session(engine) as s:
        assert s.scalars(sa.select(Promise.status)).one() == "broken"
        assert s.get(WorkOrder, c2).broken_promises == 1
        record = s.scalars(sa.select(CycleRun).order_by(CycleRun.id.desc())).first()
        assert record is not None
        assert record.counts["promises"]["broken"] == 1
        assert set(record.durations) == set(service.STAGES)
    # A verdict is final: the rerun finds nothing more to decide.
    again = run(engine, as_of=date(2026, 3, 10))
    assert again.promises == {"cases": 0, "kept": 0, "partially_kept": 0, "broken": 0, "skipped": 0}
