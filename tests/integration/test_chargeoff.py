"""Charge-off through the cycle (DuckDB) and write-off by maker and checker, on SQLite and
PostgreSQL: charged off on the fee profile's day, routed to write-off review, idempotent,
off the active book; recoveries after write-off reported apart; bad input changes nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.chargeoff import service as chargeoff_service
from arrears.chargeoff.models import ChargedOffAccount, Recovery, WriteOff
from arrears.chargeoff.sale import write_sale_file
from arrears.config import get_settings
from arrears.engine import service
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import ArrearsError, NotFound, NotPermitted, RuleRefused
from arrears.portfolio.inspection import portfolio_summary
from arrears.portfolio.models import CardAccount, Cardholder, Payment
from arrears.workbench import write_off
from tests.integration.test_cycle_sync import _holder, write_warehouse

AS_OF = date(2026, 3, 1)
# status k = k cycles late = 30 k days past due on the report date.
STATUS = {"B1": 6, "B2": 7, "B3": 5, "B4": 0}
BALANCE = {"B1": "1000.00", "B2": "300000.00", "B3": "1000.00", "B4": "1000.00"}


def portfolio(as_of: date, status: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    refs = sorted(status)
    return {
        "cardholders": [_holder(f"C{r[1:]}") for r in refs],
        "accounts": [
            {
                "account_id": r,
                "customer_id": f"C{r[1:]}",
                "product": "classic",
                "credit_limit": Decimal("500000"),
                "currency": "USD",
                "statement_day": 5,
                "due_days": 20,
                "min_payment_ratio": Decimal("0.1"),
            }
            for r in refs
        ],  # fmt: skip
        "statements": [
            {
                "account_id": r,
                "cycle_date": date(2026, m, 5),
                "due_date": date(2026, m, 25),
                "closing_balance": Decimal(BALANCE[r]),
                "minimum_due": Decimal("100.00"),
            }
            for r in refs
            for m in (1, 2)
        ],  # fmt: skip
        "payments": [],
        "delinquency": [{"account_id": r, "reported_on": as_of, "status": status[r]} for r in refs],
    }


@pytest.fixture
def book(env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARREARS_FEE_SCHEDULE", "us-card")
    get_settings.cache_clear()
    write_warehouse(get_settings().warehouse, portfolio(AS_OF, STATUS))
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        for ref in sorted(STATUS):
            holder = Cardholder(
                external_ref=f"C{ref[1:]}", name=f"Holder {ref}", id_number="110101198506011234",
                identity_category="unknown", language="zh-CN", time_zones=[], flags=[],
                created_at=now,
            )  # fmt: skip
            s.add(holder)
            s.flush()
            s.add(
                CardAccount(
                    external_ref=ref,
                    cardholder_id=holder.id,
                    product="classic",
                    credit_limit=Decimal("500000"),
                    currency="USD",
                    statement_day=5,
                    due_days=20,
                    min_payment_ratio=Decimal("0.1"),
                    status="active",
                )  # fmt: skip
            )
    return env


def add_users(engine: Engine, roles: tuple[str, ...]) -> dict[str, str]:
    """One user per role, named after it; returns an API token each."""
    from arrears.auth.models import User
    from arrears.auth.service import issue_api_token

    tokens: dict[str, str] = {}
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        for role in roles:
            user = User(
                username=role,
                display_name=role,
                password_hash="x",
                role=role,
                locale="en",
                active=True,
                created_at=now,
                password_changed_at=now,
            )
            s.add(user)
            s.flush()
            _, tokens[role] = issue_api_token(
                session=s, user_id=user.id, name="t", days=None, actor="test"
            )
    return tokens


def run(engine: Engine, as_of: date = AS_OF) -> service.CycleResult:
    return service.run_cycle(as_of=as_of, settings=get_settings(), store=engine)


def charged(engine: Engine) -> dict[str, ChargedOffAccount]:
    with Session(engine) as s:
        return {c.account_ref: c for c in s.scalars(sa.select(ChargedOffAccount))}


def case_of(engine: Engine, customer: str) -> WorkOrder:
    with Session(engine) as s:
        return s.scalars(
            sa.select(WorkOrder).where(WorkOrder.customer_ref == customer).order_by(WorkOrder.id)
        ).all()[-1]


def counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(
            s.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in (ChargedOffAccount, WriteOff, Recovery, AuditEvent)
        )


def test_the_cycle_charges_off_on_the_policys_day(book: Path, engine: Engine) -> None:
    run(engine)
    off = charged(engine)
    # B1 reached 180 dpd today; B2 (210 dpd) reached it 30 days ago; B3 (150) not yet.
    assert set(off) == {"B1", "B2"}
    assert off["B1"].charged_off_on == AS_OF
    assert off["B2"].charged_off_on == AS_OF - timedelta(days=30)
    b1 = off["B1"]
    assert b1.total == b1.principal + b1.interest + b1.fees
    assert b1.principal == Decimal("1000.00")
    # Accrual stopped at the charge-off (the profile's stop). On the itemization-date model
    # (docs/delinquency.md) only what accrues after the latest statement (2026-02-05) is added to
    # its balance; B2 was charged off on 2026-01-30, before it, so nothing is added: the amount
    # charged off is the statement's 300,000.00 (whatever it billed is inside it), no interest
    # or fee on top, where 210 days of penalty interest would have been 51,763.56.
    b2 = off["B2"]
    assert (b2.principal, b2.interest, b2.fees, b2.total) == (
        Decimal("300000.00"), Decimal("0.00"), Decimal("0.00"), Decimal("300000.00"))  # fmt: skip
    assert b1.interest > 0
    assert b1.fees > 0
    for customer in ("C1", "C2"):
        wo = case_of(engine, customer)
        assert (wo.level, wo.queue) == ("write_off_review", "write_off_review")
    assert case_of(engine, "C3").level != "write_off_review"
    with Session(engine) as s:
        statuses = dict(s.execute(sa.select(CardAccount.external_ref, CardAccount.status)).all())
        assert statuses == {"B1": "charged_off", "B2": "charged_off", "B3": "active",
                            "B4": "active"}  # fmt: skip
        audited = s.scalars(
            sa.select(AuditEvent.entity_id).where(AuditEvent.action == "account.charged_off")
        ).all()
        assert sorted(audited) == ["B1", "B2"]
        # Off the active book: the portfolio summary counts only B3 and B4.
        assert portfolio_summary(session=s, as_of=AS_OF).accounts == 2


def test_a_rerun_and_the_next_day_charge_off_nothing_twice(book: Path, engine: Engine) -> None:
    run(engine)
    first = counts(engine)
    first_rows = {k: (v.charged_off_on, v.total) for k, v in charged(engine).items()}
    run(engine)
    assert counts(engine)[:3] == first[:3]
    # 30 days on, B3 reaches 180 dpd: charged off that day; B1 and B2 keep their first day.
    later = AS_OF + timedelta(days=30)
    write_warehouse(get_settings().warehouse, portfolio(later, {**STATUS, "B3": 6}))
    run(engine, later)
    off = charged(engine)
    assert off["B3"].charged_off_on == later
    assert {k: (off[k].charged_off_on, off[k].total) for k in first_rows} == first_rows


def test_write_off_by_maker_and_checker_then_recoveries_apart(
    book: Path, engine: Engine, tmp_path: Path
) -> None:
    run(engine)
    c1 = case_of(engine, "C1").id
    with Session(engine) as s, s.begin():
        made = chargeoff_service.propose(
            session=s, work_order_id=c1, actor="lead1", role="team_lead", reason="uncollectible"
        )
        proposal_id, amount = made.id, made.amount
    assert amount == charged(engine)["B1"].total  # the store's figure
    with Session(engine) as s, s.begin():
        write_off.decide(
            session=s, write_off_id=proposal_id, approve=True, actor="head1",
            role="head_of_collections",
        )  # fmt: skip
    wo = case_of(engine, "C1")
    assert (wo.status, wo.close_reason) == ("closed", "written_off")
    assert charged(engine)["B1"].status == "written_off"
    written_on = charged(engine)["B1"].written_off_on
    assert written_on is not None
    # A payment after the write-off is a recovery, not a cure: no case reopens for C1.
    with Session(engine) as s, s.begin():
        account = s.scalars(sa.select(CardAccount).where(CardAccount.external_ref == "B1")).one()
        s.add(Payment(account_id=account.id, paid_on=written_on + timedelta(days=1),
                      amount=Decimal("250.00"), channel="other", reference="R1"))  # fmt: skip
    run(engine, AS_OF + timedelta(days=1))
    with Session(engine) as s:
        rec = s.scalars(sa.select(Recovery)).one()
        assert rec.amount == Decimal("250.00")
        assert s.scalar(
            sa.select(sa.func.count()).select_from(WorkOrder).where(
                WorkOrder.customer_ref == "C1", WorkOrder.status != "closed"
            )
        ) == 0  # fmt: skip
        report = chargeoff_service.write_off_report(s)
    after = report["after_write_off"]
    assert after["recovered"] == Decimal("250.00")
    assert after["recovery_rate"] == round(float(Decimal("250.00") / amount), 4)
    assert after["net_recovered"] == Decimal("250.00")  # no commission or legal costs yet
    run(engine, AS_OF + timedelta(days=1))
    with Session(engine) as s, s.begin():
        assert s.scalar(sa.select(sa.func.count()).select_from(Recovery)) == 1
        # A name that a spreadsheet would run as a formula is written as text.
        s.execute(sa.update(Cardholder).where(Cardholder.external_ref == "C1").values(name="=1+2"))
    with Session(engine) as s:
        made_file = write_sale_file(session=s, folder=tmp_path, buyer="acme", now=clock.now())
    text = (tmp_path / made_file["file"]).read_text("utf-8")
    assert made_file["rows"] == 1
    assert "'=1+2" in text
    assert "110101198506011234" not in text
    assert "B1" in text
    assert (
        made_file["sha256"]
        == hashlib.sha256((tmp_path / made_file["file"]).read_bytes()).hexdigest()
    )


@pytest.mark.parametrize(
    ("case", "maker", "checker", "error"),
    [
        ("C3", "lead1", "head1", RuleRefused),  # not in write-off review
        ("C1", "lead1", "lead1", NotPermitted),  # the checker is the maker
        ("C2", "lead1", "lead2", NotPermitted),  # 300,000+ is above a team lead's limit
        ("unknown", "lead1", "head1", NotFound),
    ],
)
def test_bad_write_offs_are_one_clear_error_and_write_nothing(
    book: Path, engine: Engine, case: str, maker: str, checker: str, error: type[ArrearsError]
) -> None:
    run(engine)
    case_id = 999_999 if case == "unknown" else case_of(engine, case).id
    before = counts(engine)

    def attempt() -> None:
        with Session(engine) as s, s.begin():
            made = chargeoff_service.propose(
                session=s, work_order_id=case_id, actor=maker, role="team_lead", reason="gone"
            )
            write_off.decide(
                session=s, write_off_id=made.id, approve=True, actor=checker, role="team_lead"
            )

    with pytest.raises(error) as caught:
        attempt()
    assert "\n" not in caught.value.message
    assert counts(engine) == before
    with Session(engine) as s:
        assert s.scalar(
            sa.select(sa.func.count()).select_from(ChargedOffAccount).where(
                ChargedOffAccount.status == "written_off"
            )
        ) == 0  # fmt: skip
    with pytest.raises(NotFound), Session(engine) as s, s.begin():
        write_off.decide(session=s, write_off_id=424242, approve=True, actor="x", role="team_lead")


def test_write_off_over_http_the_store_owns_the_amount(
    book: Path, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from arrears.auth import policy
    from arrears.config import Settings
    from arrears.web.app import create_app

    run(engine)
    roles = ("team_lead", "head_of_collections", "collector")
    for role in roles:  # scoping by team is the web suite's; here every case is visible
        monkeypatch.setitem(policy.CASE_SCOPE, role, "all")
    tokens = add_users(engine, roles)
    c1, c3 = case_of(engine, "C1").id, case_of(engine, "C3").id
    app = create_app(Settings(database_url=db_url, fee_schedule="us-card"))

    def h(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    try:
        with TestClient(app) as client:
            before = counts(engine)
            forged = client.post(
                "/api/v1/write-offs",
                headers=h("team_lead"),
                json={"work_order_id": c1, "reason": "gone", "amount": "1.00"},
            )
            assert forged.status_code == 422  # an amount is the store's, never the caller's
            not_review = client.post(
                "/api/v1/write-offs",
                headers=h("team_lead"),
                json={"work_order_id": c3, "reason": "x"},
            )
            assert not_review.status_code == 409, not_review.text
            assert counts(engine) == before
            made = client.post(
                "/api/v1/write-offs",
                headers=h("team_lead"),
                json={"work_order_id": c1, "reason": "x"},
            )
            assert made.status_code == 201, made.text
            assert Decimal(made.json()["amount"]) == charged(engine)["B1"].total
            wid = made.json()["id"]
            own = client.post(
                f"/api/v1/write-offs/{wid}/decision", headers=h("team_lead"), json={"approve": True}
            )
            assert own.status_code == 403, own.text
            collector = client.post(
                f"/api/v1/write-offs/{wid}/decision", headers=h("collector"), json={"approve": True}
            )
            assert collector.status_code == 403
            missing = client.post(
                "/api/v1/write-offs/424242/decision",
                headers=h("head_of_collections"),
                json={"approve": True},
            )
            assert missing.status_code == 404
            ok = client.post(
                f"/api/v1/write-offs/{wid}/decision",
                headers=h("head_of_collections"),
                json={"approve": True},
            )
            assert ok.status_code == 200, ok.text
            assert ok.json()["status"] == "approved"
            assert ok.json()["checker"] == "user:head_of_collections"  # the server's identity
            book_ = client.get("/api/v1/write-offs/book", headers=h("head_of_collections"))
            assert book_.json()["after_write_off"]["accounts"] == 1
    finally:
        app.state.engine.dispose()


def test_cli_write_off_and_its_bad_input(
    book: Path, engine: Engine, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from arrears.auth import policy

    run(engine)
    add_users(engine, ("team_lead", "head_of_collections"))
    for role in ("team_lead", "head_of_collections"):
        monkeypatch.setitem(policy.CASE_SCOPE, role, "all")
    c1, c3 = case_of(engine, "C1").id, case_of(engine, "C3").id
    before = counts(engine)
    for args in (
        ("writeoff", "propose", str(c3), "--reason", "x", "--as", "team_lead"),
        ("writeoff", "propose", "999999", "--reason", "x", "--as", "team_lead"),
        ("writeoff", "approve", "424242", "--as", "head_of_collections"),
        ("writeoff", "sale-file", "--buyer", "acme", "--out", str(tmp_path), "--as",
         "head_of_collections"),  # nothing written off yet
    ):  # fmt: skip
        bad = cli(*args)
        assert bad.exit_code != 0, args
        # A refusal (1) or bad input (2), said in one line: never a traceback.
        assert bad.exit_code in (1, 2), bad.stderr
        assert bad.stderr.startswith("error:"), bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert counts(engine) == before
    made = cli("writeoff", "propose", str(c1), "--reason", "gone", "--as", "team_lead", "--json")
    assert made.exit_code == 0, made.stderr
    wid = json.loads(made.stdout)["id"]
    own = cli("writeoff", "approve", str(wid), "--as", "team_lead")
    assert own.exit_code != 0
    assert "maker" in own.stderr
    ok = cli("writeoff", "approve", str(wid), "--as", "head_of_collections", "--json")
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout)["status"] == "approved"
    sale = cli("writeoff", "sale-file", "--buyer", "acme", "--out", str(tmp_path), "--as",
               "head_of_collections", "--json")  # fmt: skip
    assert sale.exit_code == 0, sale.stderr
    manifest = json.loads(Path(json.loads(sale.stdout)["manifest"]).read_text("utf-8"))
    assert manifest["rows"] == 1
    assert manifest["totals"]["USD"]["written_off"] == str(charged(engine)["B1"].total)
    shown = cli("writeoff", "book", "--as", "head_of_collections", "--json")
    assert json.loads(shown.stdout)["after_write_off"]["accounts"] == 1


def test_recoveries_after_write_off_are_net_of_commission_and_legal_costs(
    book: Path, engine: Engine
) -> None:
    """The net figures come from the agency's real statement and the legal costs, to the cent:
    a statement's tiered commission is shared by its payments pro rata; a reversed recovery is
    taken off the gross and clawed back; only the bank's legal costs since the write-off count."""
    from arrears.legal import service as legal_service
    from arrears.workforce import agency_service, schemas
    from arrears.workforce import repository as workforce_repo
    from arrears.workforce.models import Assignment

    def on(day: date) -> Any:
        return clock.frozen(datetime(day.year, day.month, day.day, 4, tzinfo=UTC))

    d = Decimal
    with on(date(2026, 3, 5)):
        run(engine)
        c1, c3 = case_of(engine, "C1").id, case_of(engine, "C3").id
        with Session(engine) as s, s.begin():
            lc = legal_service.open_case(session=s, work_order_id=c1, actor="senior1")
            legal_id = lc.id
            # Before the write-off: a cost of the active book, not of the recovery.
            legal_service.add_cost(session=s, legal_case_id=legal_id, kind="court_fee",
                                   amount=d("80.00"), borne_by="bank", actor="senior1")  # fmt: skip
    with on(date(2026, 3, 10)), Session(engine) as s, s.begin():
        made = chargeoff_service.propose(
            session=s, work_order_id=c1, actor="lead1", role="team_lead", reason="uncollectible"
        )
        s.flush()
        write_off.decide(session=s, write_off_id=made.id, approve=True, actor="head1",
                         role="head_of_collections")  # fmt: skip
        agency_service.add_agency(session=s, data=schemas.AgencyCreate(code="AGR", name="R"))
        contract = agency_service.add_contract(
            session=s,
            data=schemas.AgencyContractCreate(
                agency="AGR", code="AGR-1", buckets=["M7+"], levels=["outsource"],
                commission_pct=d("20"), start_date=date(2026, 1, 1),
                commission_tiers=[{"up_to": d("1000"), "rate": d("0.20")},
                                  {"up_to": None, "rate": d("0.25")}],
            ),
        )  # fmt: skip
        agency = workforce_repo.agency_by_code(s, "AGR")
        assert agency is not None
        (placed_under,) = workforce_repo.contracts_of(s, agency.id)
        # The written-off debt (and C3's live case) are placed with the agency for recovery.
        for wo in (c1, c3):
            s.add(Assignment(work_order_id=wo, agency_id=agency.id, contract_id=placed_under.id,
                             level="outsource", reason="placed_with_agency",
                             as_of=date(2026, 3, 10), assigned_at=clock.now()))  # fmt: skip
        assert contract.code == "AGR-1"
        account = {
            ref: s.scalars(sa.select(CardAccount.id).where(CardAccount.external_ref == ref)).one()
            for ref in ("B1", "B3")
        }
        for ref, day, amount, reference in (
            ("B1", date(2026, 3, 12), "1000.00", "R1"),
            ("B1", date(2026, 3, 20), "500.00", "R2"),
            ("B3", date(2026, 3, 15), "500.00", "L1"),  # not a recovery: a live case's payment
        ):
            s.add(Payment(account_id=account[ref], paid_on=day, amount=d(amount),
                          channel="agency", reference=reference))  # fmt: skip
    with on(date(2026, 3, 11)), Session(engine) as s, s.begin():
        legal_service.add_cost(session=s, legal_case_id=legal_id, kind="lawyer_fee",
                               amount=d("120.50"), borne_by="bank", actor="senior1")  # fmt: skip
        legal_service.add_cost(session=s, legal_case_id=legal_id, kind="court_fee",
                               amount=d("50.00"), borne_by="customer", actor="senior1")  # fmt: skip
    with on(date(2026, 3, 25)):
        run(engine, date(2026, 3, 25))  # the cycle posts the recoveries
        with Session(engine) as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Recovery)) == 2
            march_open = chargeoff_service.write_off_report(s)["after_write_off"]
    # March is not closed: no statement yet, no commission; the legal cost counts already.
    assert march_open["recovered"] == d("1500.00")
    assert march_open["agency_commission"] == d("0")
    assert march_open["legal_costs"] == d("120.50")
    assert march_open["net_recovered"] == d("1379.50")
    with on(date(2026, 4, 2)), Session(engine) as s:
        march = agency_service.commission_statement(session=s, agency="AGR", month=date(2026, 3, 1))
        # 2,000.00 recovered while placed: 1,000 x 20% + 1,000 x 25%.
        assert (march.recovered, march.total) == (d("2000.00"), d("450.00"))
        after = chargeoff_service.write_off_report(s)["after_write_off"]
    # The recoveries are 1,500 of the 2,000: 450.00 x 1500 / 2000 = 337.50.
    assert after["agency_commission"] == d("337.50")
    assert after["net_recovered"] == d("1500.00") - d("337.50") - d("120.50") == d("1042.00")
    with on(date(2026, 4, 5)), Session(engine) as s, s.begin():
        agency_service.reverse_payment(session=s, account="B1", reference="R2", reason="returned")
    with on(date(2026, 5, 2)), Session(engine) as s:
        after = chargeoff_service.write_off_report(s)["after_write_off"]
    # R2 came back in April: off the gross, and April's statement claws back 500 x 20%.
    assert after["recovered"] == d("1000.00")
    assert after["agency_commission"] == d("337.50") - d("100.00") == d("237.50")
    assert after["net_recovered"] == d("1000.00") - d("237.50") - d("120.50") == d("642.00")
    assert after["net_recovery_rate"] == round(float(d("642.00") / made_amount(engine)), 4)


def made_amount(engine: Engine) -> Decimal:
    with Session(engine) as s:
        return s.scalars(sa.select(WriteOff.amount)).one()
