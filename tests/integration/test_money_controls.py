"""Money controls on a real store (SQLite and PostgreSQL), issue 14 §4: amounts come from what the
case owes, one live arrangement per case (supersede is explicit and audited)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import RuleRefused
from arrears.promises import arrangements, plan_service
from arrears.promises import service as promise_service
from arrears.promises.models import Promise, RepaymentPlan
from tests.integration.test_cases_workflow import MORNING, count, seed


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


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
