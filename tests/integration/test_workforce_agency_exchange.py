"""Agency exchange files on the real stores (SQLite and PostgreSQL): the day's placement file
shows only the contract's fields, masked where it says, with a manifest whose checksums match;
the agency's activity comes back through compliance (a call at 23:30 is blocked) and its
payments land in the store, where the commission statement finds them (round trip). A file
whose checksum does not match, or an account not placed with the agency: one error line,
exit 2, nothing written."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.contacts.models import ContactAttempt
from arrears.kit.clock import clock
from arrears.portfolio.models import Payment, Phone
from arrears.workforce import agency_service, allocation_service, exchange, schemas
from tests.integration.test_workforce_agency_commission import account_for
from tests.integration.test_workforce_store import AS_OF, make_work_orders
from tests.integration.test_workforce_store import world as world  # noqa: F401 (fixture)

D = Decimal
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 on 30 November in Shanghai


@pytest.fixture(autouse=True)
def _next_morning() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def placed(world: Session, cli: Any) -> Session:  # noqa: F811
    session = world
    wos = make_work_orders(session, ["outsource", "outsource"], bucket="M5")
    for i, wo_id in enumerate(wos):
        wo = session.get(WorkOrder, wo_id)
        assert wo is not None
        session.add(Phone(cardholder_id=wo.cardholder_id, number=f"1381234567{i}"))
        account_for(session, wo_id, f"ACC{i}")
    agency_service.add_agency(session=session, data=schemas.AgencyCreate(code="AG1", name="One"))
    agency_service.add_contract(
        session=session,
        data=schemas.AgencyContractCreate(
            agency="AG1",
            code="AG1-X",
            buckets=["M5"],
            levels=["outsource"],
            commission_pct=D("10"),
            start_date=date(2026, 1, 1),
            exchange_fields=["account_ref", "name", "phone", "bucket", "balance"],
            masked_fields=["phone"],
        ),
    )
    session.commit()
    allocation_service.allocate(session=session, as_of=AS_OF)
    session.commit()
    assert cli("users", "add", "ops", "admin").exit_code == 0
    return session


def deliver(directory: Path, activity: list[list[str]], payments: list[list[str]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, header, rows in (
        (exchange.ACTIVITY, ["account_ref", "made_at", "channel", "outcome", "notes"], activity),
        (exchange.PAYMENTS, ["account_ref", "paid_on", "amount", "reference"], payments),
    ):
        buf = io.StringIO()
        csv.writer(buf).writerows([header, *rows])
        files[name] = buf.getvalue().encode()
        (directory / name).write_bytes(files[name])
    (directory / exchange.MANIFEST).write_bytes(exchange.manifest(files))


def counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.scalar(sa.select(sa.func.count()).select_from(ContactAttempt)) or 0,
        session.scalar(sa.select(sa.func.count()).select_from(Payment)) or 0,
    )


ACTIVITY = [
    ["ACC0", "2026-11-29T15:00:00+08:00", "call", "promise_to_pay", "will pay today"],
    ["ACC1", "2026-11-29T23:30:00+08:00", "call", "no_answer", "late call"],
]


def test_round_trip(placed: Session, cli: Any, tmp_path: Path) -> None:
    session = placed
    res = cli(
        "agencies",
        "export",
        "AG1",
        "--day",
        AS_OF.isoformat(),
        "--out",
        str(tmp_path / "out"),
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    name = f"placements-AG1-{AS_OF.isoformat()}.csv"
    assert {r["file"]: r["rows"] for r in json.loads(res.stdout)}[name] == 2
    data = (tmp_path / "out" / name).read_bytes()
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(rows[0]) == ["account_ref", "name", "phone", "bucket", "balance"]  # no id_number
    assert {r["phone"] for r in rows} == {"138****5670", "138****5671"}
    manifest = {
        r["file"]: r
        for r in csv.DictReader(io.StringIO((tmp_path / "out" / "manifest.csv").read_text()))
    }
    assert manifest[name]["sha256"] == hashlib.sha256(data).hexdigest()

    deliver(tmp_path / "in", ACTIVITY, [["ACC0", "2026-11-29", "1234.50", "AG-P1"]])
    res = cli("agencies", "import-activity", "AG1", str(tmp_path / "in"), "--as", "ops", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == {"contacts": 1, "blocked": 1, "payments": 1, "duplicates": 0}
    attempts = session.execute(
        sa.select(ContactAttempt.collector_ref, ContactAttempt.status, ContactAttempt.late_entry)
    ).all()
    assert sorted(attempts) == [("AG1", "blocked", True), ("AG1", "made", True)]
    # The same delivery again is refused (its contacts would be logged twice): nothing written.
    before = counts(session)
    again = cli("agencies", "import-activity", "AG1", str(tmp_path / "in"), "--as", "ops")
    assert again.exit_code == 1
    assert "already imported" in again.stderr
    assert counts(session) == before
    # Reconciliation: the agency's payment is in November's commission.
    with clock.frozen(datetime(2026, 12, 2, 2, 0, tzinfo=UTC)):
        statement = agency_service.commission_statement(
            session=session, agency="AG1", month=date(2026, 11, 1)
        )
    assert statement.recovered == D("1234.50")
    assert statement.total == D("123.45")


@pytest.mark.parametrize("fault", ["checksum", "unknown account", "bad amount"])
def test_a_bad_delivery_is_one_error_and_nothing_written(
    placed: Session, cli: Any, tmp_path: Path, fault: str
) -> None:
    payments = [["ACC0", "2026-11-29", "100.00", "AG-P1"]]
    if fault == "unknown account":
        payments.append(["NOPE9", "2026-11-29", "5.00", "AG-P2"])
    if fault == "bad amount":
        payments.append(["ACC1", "2026-11-29", "-5", "AG-P3"])
    deliver(tmp_path, ACTIVITY, payments)
    if fault == "checksum":
        with (tmp_path / exchange.PAYMENTS).open("a") as fh:
            fh.write("ACC0,2026-11-29,99999.00,AG-P9\n")
    before = counts(placed)
    res = cli("agencies", "import-activity", "AG1", str(tmp_path), "--as", "ops")
    assert res.exit_code == 2, res.stdout
    assert len(res.stderr.strip().splitlines()) == 1
    expected = {
        "checksum": "payments.csv: checksum does not match manifest.csv",
        "unknown account": "accounts not placed with AG1: NOPE9",
        "bad amount": "payments.csv line 3: amount",
    }[fault]
    assert expected in res.stderr
    assert counts(placed) == before


def test_a_case_closed_while_placed_is_in_the_day_s_recall_file(
    placed: Session, tmp_path: Path
) -> None:
    """The agency must stop working a case that closed (cured, paid): the day's recall file
    lists it with the recalls, else the agency goes on calling a closed case."""
    from arrears.workbench import agency_exchange
    from arrears.workforce import closing
    from arrears.workforce.models import Assignment

    session = placed
    wo_id = session.scalar(
        sa.select(sa.func.min(Assignment.work_order_id)).where(Assignment.agency_id.is_not(None))
    )
    first = session.get(WorkOrder, wo_id)
    assert first is not None
    first.status, first.close_reason, first.closed_on = "closed", "paid", NOW.date()
    session.flush()
    assert closing.end_assignments_of_closed(session=session, actor="cycle", work_order_ids=[wo_id])
    agency_exchange.export_day(session=session, agency="AG1", day=NOW.date(), out=tmp_path)
    name = f"recalls-AG1-{NOW.date().isoformat()}.csv"
    rows = list(csv.DictReader(io.StringIO((tmp_path / name).read_text("utf-8"))))
    assert [r["account_ref"] for r in rows] == ["ACC0"]
