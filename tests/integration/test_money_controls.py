"""Money controls on a real store (SQLite and PostgreSQL), issue 14 §4: amounts come from what the
case owes, one live arrangement per case (supersede is explicit and audited)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.cases.models import WorkOrder
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import ArrearsError, NotPermitted, RuleRefused
from arrears.portfolio.models import CardAccount, Statement
from arrears.promises import arrangements, plan_service
from arrears.promises import service as promise_service
from arrears.promises.models import Promise, RepaymentPlan
from tests.integration import test_cases_api, test_web_case_actions
from tests.integration.test_cases_api import _as
from tests.integration.test_cases_workflow import MORNING, count, seed
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import NOW, Seeded


@pytest.fixture
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


pytestmark = pytest.mark.usefixtures("frozen")
# The HTTP fixtures of the API and case-page suites: a seeded store and a signed-in client.
api = test_cases_api.api
ctx = test_web_case_actions.ctx


def owed(session: Session, wo_id: int) -> D:
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    return arrangements.owed(session=session, work_order=wo)


def test_a_settlement_is_on_what_the_case_owes_not_on_a_typed_balance(session: Session) -> None:
    wo_id = seed(session)
    owes = owed(session, wo_id)
    assert owes > D("5200.00")  # the last statement plus interest and fees to today
    offer = plan_service.propose_settlement(
        session=session, work_order_id=wo_id, discount="0.20", due_on=date(2026, 3, 20), actor="u:a"
    )
    assert offer.balance == owes
    assert offer.total == (owes * D("0.80")).quantize(D("0.01"))
    with pytest.raises(TypeError):
        plan_service.propose_settlement(  # type: ignore[call-arg]
            session=session,
            work_order_id=wo_id,
            balance="1000000.00",
            discount="0.20",
            due_on=date(2026, 3, 20),
            actor="u:a",
        )


def test_a_plan_covers_what_the_case_owes_and_a_typed_total_below_it_is_refused(
    session: Session,
) -> None:
    wo_id = seed(session)
    owes = owed(session, wo_id)
    with pytest.raises(RuleRefused, match=f"at least {owes} of the {owes} CNY"):
        plan_service.propose_plan(
            session=session,
            work_order_id=wo_id,
            total="100.00",
            instalments=3,
            first_due_on=date(2026, 3, 10),
            actor="u:lee",
        )
    session.rollback()
    assert count(session, RepaymentPlan) == 0
    with pytest.raises(RuleRefused, match="more than case"):
        plan_service.propose_plan(
            session=session,
            work_order_id=wo_id,
            total=str(owes + 1),
            instalments=3,
            first_due_on=date(2026, 3, 10),
            actor="u:lee",
        )
    session.rollback()
    plan = plan_service.propose_plan(
        session=session,
        work_order_id=wo_id,
        instalments=3,
        first_due_on=date(2026, 3, 10),
        actor="u:lee",
    )
    assert (plan.total, plan.balance, plan.status) == (owes, owes, "active")


def test_a_partial_plan_only_where_the_policy_allows_and_never_approved_at_once(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    wo_id = seed(session)
    rules = promise_service.policy()
    partial = rules.model_copy(
        update={"plan": rules.plan.model_copy(update={"min_cover": D("0.25")})}
    )
    monkeypatch.setattr(promise_service, "policy", lambda name="default": partial)
    plan = plan_service.propose_plan(
        session=session,
        work_order_id=wo_id,
        total="2000.00",
        instalments=2,
        first_due_on=date(2026, 3, 10),
        actor="u:lee",
    )
    assert plan.total == D("2000.00")
    assert (plan.status, plan.needs_checker) == ("proposed", True)  # below 20,000, but partial


def test_a_promise_above_what_is_owed_is_refused_and_nothing_is_written(session: Session) -> None:
    wo_id = seed(session)
    with pytest.raises(RuleRefused, match="more than case"):
        promise_service.take_promise(
            session=session,
            work_order_id=wo_id,
            amount="999999999.00",
            due_on=date(2026, 3, 5),
            channel="call",
            actor="u:lee",
        )
    session.rollback()
    assert count(session, Promise) == 0
    exact = promise_service.take_promise(
        session=session,
        work_order_id=wo_id,
        amount=str(owed(session, wo_id)),
        due_on=date(2026, 3, 5),
        channel="call",
        actor="u:lee",
    )
    assert exact.status == "pending"


def _promise(session: Session, wo_id: int, *, supersede: bool = False) -> Promise:
    return promise_service.take_promise(
        session=session,
        work_order_id=wo_id,
        amount="500.00",
        due_on=date(2026, 3, 6),
        channel="call",
        actor="u:lee",
        supersede=supersede,
    )


def test_one_live_arrangement_per_case_a_new_one_supersedes_only_when_told(
    session: Session,
) -> None:
    wo_id = seed(session)
    first = _promise(session, wo_id)
    session.commit()
    with pytest.raises(RuleRefused, match=rf"promise {first.id} \(pending\).*supersede"):
        _promise(session, wo_id)
    session.rollback()
    with pytest.raises(RuleRefused, match="already has a live arrangement"):
        plan_service.propose_plan(
            session=session,
            work_order_id=wo_id,
            instalments=3,
            first_due_on=date(2026, 3, 10),
            actor="u:a",
        )
    session.rollback()
    with pytest.raises(RuleRefused, match="already has a live arrangement"):
        plan_service.propose_settlement(
            session=session,
            work_order_id=wo_id,
            discount="0.1",
            due_on=date(2026, 3, 20),
            actor="u:a",
        )
    session.rollback()
    assert count(session, Promise) == 1
    assert count(session, RepaymentPlan) == 0

    plan = plan_service.propose_plan(
        session=session,
        work_order_id=wo_id,
        instalments=3,
        first_due_on=date(2026, 3, 10),
        actor="u:a",
        supersede=True,
    )
    offer = plan_service.propose_settlement(
        session=session,
        work_order_id=wo_id,
        discount="0.1",
        due_on=date(2026, 3, 20),
        actor="u:a",
        supersede=True,
    )
    session.commit()
    session.expire_all()
    assert session.get(Promise, first.id).status == "cancelled"  # type: ignore[union-attr]
    assert session.get(RepaymentPlan, plan.id).status == "cancelled"  # type: ignore[union-attr]
    assert [a.kind for a in arrangements.live(session=session, work_order_id=wo_id)] == [
        "settlement"
    ]
    assert offer.status == "proposed"
    events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("%.supersede")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.entity_id, e.actor) for e in events] == [
        ("promise.supersede", str(first.id), "u:a"),
        ("plan.supersede", str(plan.id), "u:a"),
    ]
    proposed = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "settlement.propose")
    ).one()
    assert proposed.after is not None
    assert proposed.after["supersedes"] == [f"plan:{plan.id}"]


# --- over HTTP: typed bodies, 409 for a second arrangement, idempotency keys ----------------------


def test_the_api_takes_no_balance_and_refuses_a_second_arrangement_without_supersede(
    api: tuple[TestClient, dict[str, str], int],
) -> None:
    client, tokens, wo_id = api
    h = _as(tokens, "collector")
    typed = client.post(
        f"/api/v1/cases/{wo_id}/settlements",
        headers=h,
        json={"balance": "1000000.00", "discount": "0.20", "due_on": "2026-03-20"},
    )
    assert typed.status_code == 422, typed.text
    assert "balance" in typed.text
    body = {"amount": "500.00", "due_on": "2026-03-06"}
    assert client.post(f"/api/v1/cases/{wo_id}/promises", headers=h, json=body).status_code == 201
    second = client.post(f"/api/v1/cases/{wo_id}/promises", headers=h, json=body)
    assert second.status_code == 409, second.text
    assert "supersede" in second.text
    replaced = client.post(
        f"/api/v1/cases/{wo_id}/promises", headers=h, json={**body, "supersede": True}
    )
    assert replaced.status_code == 201, replaced.text


def test_an_api_double_submit_with_one_idempotency_key_is_one_record(
    api: tuple[TestClient, dict[str, str], int], session: Session
) -> None:
    client, tokens, wo_id = api
    h = {**_as(tokens, "collector"), "Idempotency-Key": "7f1c-promise-1"}
    body = {"amount": "500.00", "due_on": "2026-03-06"}
    first = client.post(f"/api/v1/cases/{wo_id}/promises", headers=h, json=body)
    again = client.post(f"/api/v1/cases/{wo_id}/promises", headers=h, json=body)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    other = client.post(
        f"/api/v1/cases/{wo_id}/promises", headers=h, json={**body, "amount": "600.00"}
    )
    assert other.status_code == 422, other.text
    assert "Idempotency-Key '7f1c-promise-1' was already used for a different request" in other.text
    plan = {"instalments": 3, "first_due_on": "2026-03-10", "supersede": True}
    plan_key = {**_as(tokens, "collector"), "Idempotency-Key": "7f1c-plan-1"}
    one = client.post(f"/api/v1/cases/{wo_id}/plans", headers=plan_key, json=plan)
    two = client.post(f"/api/v1/cases/{wo_id}/plans", headers=plan_key, json=plan)
    assert (one.status_code, two.status_code) == (201, 201), two.text
    assert two.json()["id"] == one.json()["id"]
    session.expire_all()
    assert count(session, Promise) == 1
    assert count(session, RepaymentPlan) == 1


def test_a_form_submitted_twice_is_one_promise(
    ctx: tuple[TestClient, Seeded], session: Session
) -> None:
    client, seeded = ctx
    clock.freeze(NOW + timedelta(hours=2))
    sign_in(client, "collector")
    case_id = seeded.work_orders[0]
    page = client.get(f"/cases/{case_id}")
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page.text)
    assert key is not None
    form = {"amount": "1900.00", "due_on": "2026-11-25", "idempotency_key": key.group(1)}
    first = client.post(f"/cases/{case_id}/promise", data={**form, "csrf_token": csrf(client)})
    again = client.post(f"/cases/{case_id}/promise", data={**form, "csrf_token": csrf(client)})
    assert 'id="action-done"' in first.text
    assert 'id="action-done"' in again.text  # the same outcome, not a refusal
    session.expire_all()
    assert count(session, Promise) == 1


# --- the approval chain --------------------------------------------------------------------------


def _owing(session: Session, amount: str, ref: str) -> int:
    """A seeded case whose statements are raised so that it owes a little over ``amount``."""
    wo_id = seed(session, ref=ref)
    account = sa.select(CardAccount.id).where(CardAccount.external_ref == f"A-{ref}")
    session.execute(
        sa.update(Statement)
        .where(Statement.account_id.in_(account.scalar_subquery()))
        .values(closing_balance=D(amount), minimum_due=D("500"))
    )
    session.commit()
    return wo_id


def test_a_team_leads_own_plan_and_a_plan_over_200000_have_someone_to_approve_them(
    session: Session,
) -> None:
    session.add(
        User(
            username="hc",
            display_name="Head of collections",
            password_hash="x",
            role="head_of_collections",
            locale="en",
            active=True,
            created_at=MORNING,
            password_changed_at=MORNING,
        )
    )
    session.commit()  # the role is one the store accepts
    own = plan_service.propose_plan(
        session=session,
        work_order_id=_owing(session, "30000.00", "C1"),
        instalments=6,
        first_due_on=date(2026, 3, 10),
        actor="user:lead",
    )
    assert own.status == "proposed"
    with pytest.raises(NotPermitted, match="maker"):
        plan_service.decide_plan(
            session=session, plan_id=own.id, approve=True, actor="user:lead", role="team_lead"
        )
    plan_service.decide_plan(
        session=session, plan_id=own.id, approve=True, actor="user:hc", role="head_of_collections"
    )
    assert own.status == "active"
    session.commit()

    big = plan_service.propose_plan(
        session=session,
        work_order_id=_owing(session, "250000.00", "C2"),
        instalments=24,
        first_due_on=date(2026, 3, 10),
        actor="user:ann",
    )
    with pytest.raises(NotPermitted, match="head of collections must approve"):
        plan_service.decide_plan(
            session=session, plan_id=big.id, approve=True, actor="user:lead", role="team_lead"
        )
    plan_service.decide_plan(
        session=session, plan_id=big.id, approve=True, actor="user:hc", role="head_of_collections"
    )
    assert (big.status, big.checker) == ("active", "user:hc")


def test_the_cli_refuses_to_start_without_a_top_approver(
    cli: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arrears.auth import policy as roles

    monkeypatch.setitem(roles.CASE_SCOPE, "head_of_collections", "none")
    result = cli("cases", "list")  # type: ignore[operator]
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "approval.chain: head_of_collections sees no case" in lines[0]


def test_the_app_refuses_to_start_without_a_top_approver(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arrears.auth import policy as roles
    from arrears.config import Settings
    from arrears.kit.errors import BadInput
    from arrears.web.app import create_app

    monkeypatch.setitem(
        roles.POLICY, "head_of_collections", roles.POLICY["head_of_collections"] - {"plan.approve"}
    )
    with pytest.raises(BadInput, match="head_of_collections lacks plan.approve"):
        create_app(Settings(database_url=db_url))


BURST = 6  # collectors proposing a plan on one case at the same moment


def test_a_burst_of_plans_on_one_case_leaves_one_live_arrangement(engine: Engine) -> None:
    """A plan does not touch the case row, so its version cannot serialize proposals: the case
    lock does. Without it, collectors proposing at once all made a live plan."""
    with Session(engine) as setup:
        wo_id = seed(setup)
    start = threading.Barrier(BURST)
    outcomes: list[str] = []

    def one(n: int) -> None:
        with Session(engine) as s:
            start.wait()
            try:
                plan_service.propose_plan(
                    session=s,
                    work_order_id=wo_id,
                    instalments=3,
                    first_due_on=date(2026, 3, 10),
                    actor=f"u:c{n}",
                )
                s.commit()
                outcomes.append("made")
            except ArrearsError as exc:
                s.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        live = arrangements.live(session=s, work_order_id=wo_id)
    assert len(live) == 1, outcomes
    assert sorted(outcomes) == ["RuleRefused"] * (BURST - 1) + ["made"]


def test_a_burst_of_one_idempotent_request_makes_one_promise(engine: Engine) -> None:
    """The same request (one key) sent by a nervous client six times at once makes one promise.
    PostgreSQL: the others wait on the key's unique index and replay the first response. SQLite
    may instead answer a duplicate that arrived while the first was in flight with the 409 the
    Idempotency-Key draft names for that case ("still being processed"): nothing doubled."""
    from arrears.kit import idempotency

    with Session(engine) as setup:
        wo_id = seed(setup)
    start = threading.Barrier(BURST)
    responses: list[object] = []

    def one(_: int) -> None:
        with Session(engine) as s:
            start.wait()
            try:
                response = idempotency.once(
                    s,
                    actor="user:lee",
                    key="burst-1",
                    scope=f"POST /cases/{wo_id}/promises",
                    payload={"amount": "500.00"},
                    run=lambda: {"id": _promise(s, wo_id).id},
                )
                s.commit()
                responses.append(response)
            except ArrearsError as exc:
                s.rollback()
                responses.append(f"{type(exc).__name__}: {exc.message}")

    threads = [threading.Thread(target=one, args=(n,)) for n in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        assert count(s, Promise) == 1
        promise_id = s.scalars(sa.select(Promise.id)).one()
    replay = {"id": promise_id}
    busy = "Conflict: the request with Idempotency-Key 'burst-1' is still being processed"
    assert replay in responses
    if engine.dialect.name == "postgresql":
        assert responses == [replay] * BURST
    assert set(map(str, responses)) <= {str(replay), busy}


def test_a_superseded_promise_leaves_the_case_no_longer_promised(session: Session) -> None:
    """A plan replacing the pending promise returns the case to work (in_progress, audited):
    `promised` with no pending promise is what the simulation's invariant 9 reports."""
    wo_id = seed(session)
    session.get(WorkOrder, wo_id).status = "in_progress"  # type: ignore[union-attr]
    _promise(session, wo_id)
    assert session.get(WorkOrder, wo_id).status == "promised"  # type: ignore[union-attr]
    plan_service.propose_plan(
        session=session,
        work_order_id=wo_id,
        instalments=3,
        first_due_on=date(2026, 3, 10),
        actor="u:a",
        supersede=True,
    )
    session.commit()
    session.expire_all()
    assert session.get(WorkOrder, wo_id).status == "in_progress"  # type: ignore[union-attr]
    # A new promise replacing the old one leaves the case promised.
    _promise(session, wo_id, supersede=True)
    assert session.get(WorkOrder, wo_id).status == "promised"  # type: ignore[union-attr]
