"""The workflow on a real store (SQLite and PostgreSQL): cases, contacts, stops, promises, plans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import FollowUp, ThreeStop, WorkOrder, WorkOrderAccount
from arrears.channels import transports as outbox
from arrears.channels.models import OutboxMessage
from arrears.contacts import outbox_service
from arrears.contacts.models import ContactAttempt
from arrears.contacts.schemas import ContactIn
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import (
    BadInput,
    Conflict,
    IllegalTransition,
    NotFound,
    NotPermitted,
    RuleRefused,
)
from arrears.portfolio.models import (
    CardAccount,
    Cardholder,
    ContactPerson,
    Payment,
    Phone,
    Statement,
)
from arrears.promises import nightly as promise_nightly
from arrears.promises import plan_service
from arrears.promises import service as promise_service
from arrears.promises.models import Promise, RepaymentPlan
from arrears.workbench import contact, three_stops
from arrears.workbench.script import case_script

# Monday 2026-03-02 10:00 in Shanghai.
MORNING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def log_attempt(
    *,
    session: Session,
    work_order_id: int,
    actor: str,
    role: str | None = None,
    collector: str = "bank",
    now: datetime | None = None,
    **fields: object,
) -> ContactAttempt:
    """The contact flow with the request's fields as keywords, the server's clock at ``now``."""
    with clock.frozen(now or clock.now()):
        return contact.log_attempt(
            session=session,
            work_order_id=work_order_id,
            body=ContactIn(**fields),  # type: ignore[arg-type]
            actor=actor,
            role=role,
            collector=collector,
        )


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


def seed(session: Session, *, ref: str = "C1") -> int:
    """One customer with one delinquent account and a live work order; returns its id."""
    now = clock.now()
    holder = Cardholder(
        external_ref=ref,
        name="Li Wei",
        identity_category="private_employee",
        created_at=now,
        language="zh-CN",
        time_zones=["Asia/Shanghai"],
        flags=[],
    )
    session.add(holder)
    session.flush()
    session.add(Phone(cardholder_id=holder.id, number="+8613800138000", type="mobile"))
    session.add(
        ContactPerson(
            cardholder_id=holder.id, name="Li Na", relation="sibling", phone="+8613900139000"
        )
    )
    account = CardAccount(
        external_ref=f"A-{ref}",
        cardholder_id=holder.id,
        product="classic",
        credit_limit=D("20000.00"),
        currency="CNY",
        statement_day=5,
        due_days=20,
        min_payment_ratio=D("0.1000"),
        status="active",
    )
    session.add(account)
    session.flush()
    session.add(
        Statement(
            account_id=account.id,
            cycle_date=date(2026, 1, 5),
            due_date=date(2026, 1, 25),
            closing_balance=D("5000.00"),
            minimum_due=D("500.00"),
        )
    )
    session.add(
        Statement(
            account_id=account.id,
            cycle_date=date(2026, 2, 5),
            due_date=date(2026, 2, 25),
            closing_balance=D("5200.00"),
            minimum_due=D("520.00"),
        )
    )
    wo = WorkOrder(
        cardholder_id=holder.id,
        customer_ref=ref,
        status="open",
        bucket="M2",
        dpd=36,
        amount_due=D("1020.00"),
        balance=D("5200.00"),
        level="junior",
        queue="early",
        opened_on=date(2026, 3, 2),
        created_at=now,
        updated_at=now,
    )
    session.add(wo)
    session.flush()
    session.add(
        WorkOrderAccount(
            work_order_id=wo.id,
            account_ref=f"A-{ref}",
            account_id=account.id,
            bucket="M2",
            dpd=36,
            amount_due=D("1020.00"),
        )
    )
    session.commit()
    return wo.id


def count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# --- state machine, audit, locking ---------------------------------------------------------------


def test_transition_is_audited_with_before_and_after(session: Session) -> None:
    wo_id = seed(session)
    case_service.transition(
        session=session, work_order_id=wo_id, to="assigned", actor="u:lee", reason="allocated"
    )
    session.commit()
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "work_order.transition")
    ).one()
    assert event.actor == "u:lee"
    assert event.reason == "allocated"
    assert event.before is not None
    assert event.before["status"] == "open"
    assert event.after is not None
    assert event.after["status"] == "assigned"


def test_illegal_transition_is_refused_and_changes_nothing(session: Session) -> None:
    wo_id = seed(session)
    with pytest.raises(IllegalTransition, match="from open to kept"):
        case_service.transition(session=session, work_order_id=wo_id, to="kept", actor="u:lee")
    session.rollback()
    assert session.get(WorkOrder, wo_id).status == "open"  # type: ignore[union-attr]
    assert count(session, AuditEvent) == 0


def test_unknown_case_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="no case 999"):
        case_service.transition(session=session, work_order_id=999, to="assigned", actor="x")
    with pytest.raises(NotFound):
        promise_service.take_promise(
            session=session,
            work_order_id=999,
            amount="10",
            due_on=date(2026, 3, 5),
            channel="call",
            actor="x",
        )


def test_two_collectors_saving_the_same_case_conflict_not_overwrite(engine: Engine) -> None:
    with Session(engine) as setup:
        wo_id = seed(setup)
    with Session(engine) as first, Session(engine) as second:
        a = first.get(WorkOrder, wo_id)
        b = second.get(WorkOrder, wo_id)
        assert a is not None
        assert b is not None
        assert a.version == b.version == 1
        case_service.transition(session=first, work_order_id=wo_id, to="in_progress", actor="u:ann")
        first.commit()
        with pytest.raises(Conflict, match="changed by someone else"):
            case_service.transition(
                session=second,
                work_order_id=wo_id,
                to="on_hold",
                hold_reason="dispute",
                actor="u:bob",
            )
        second.rollback()
    with Session(engine) as check:
        stored = check.get(WorkOrder, wo_id)
        assert stored is not None
        assert (stored.status, stored.version) == ("in_progress", 2)
        actors = check.scalars(sa.select(AuditEvent.actor)).all()
        assert actors == ["u:ann"]


def test_a_stale_version_from_the_client_is_a_conflict(session: Session) -> None:
    wo_id = seed(session)
    case_service.transition(
        session=session, work_order_id=wo_id, to="assigned", actor="a", expected_version=1
    )
    session.commit()
    with pytest.raises(Conflict, match="version 2, you had 1"):
        case_service.transition(
            session=session, work_order_id=wo_id, to="in_progress", actor="b", expected_version=1
        )


# --- contacts through compliance -----------------------------------------------------------------


def test_allowed_call_is_logged_as_made_and_starts_work(session: Session) -> None:
    wo_id = seed(session)
    attempt = log_attempt(
        session=session,
        work_order_id=wo_id,
        channel="call",
        party="debtor",
        outcome="right_party_contact",
        actor="u:lee",
        duration_seconds=120,
        notes="will pay",
    )
    session.commit()
    assert attempt.status == "made"
    assert attempt.outcome == "right_party_contact"
    assert attempt.compliance_allowed
    assert attempt.compliance_check_id is not None
    assert attempt.address_used == "+8613800138000"
    assert session.get(WorkOrder, wo_id).status == "in_progress"  # type: ignore[union-attr]


def test_a_call_at_night_is_stored_blocked_with_rule_and_next_time(session: Session) -> None:
    wo_id = seed(session)
    night = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    attempt = log_attempt(
        session=session,
        work_order_id=wo_id,
        channel="call",
        party="debtor",
        outcome="no_answer",
        actor="u:lee",
        now=night,
    )
    session.commit()
    assert attempt.status == "blocked"
    assert attempt.outcome is None
    assert "time_window" in attempt.compliance_rules
    assert attempt.compliance_reason
    assert attempt.compliance_next_allowed_at == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    # A blocked attempt never happened: the case did not start moving.
    assert session.get(WorkOrder, wo_id).status == "open"  # type: ignore[union-attr]


def test_the_daily_cap_blocks_the_fourth_call(session: Session) -> None:
    wo_id = seed(session)
    results = []
    for minutes in (0, 60, 120, 180):
        results.append(
            log_attempt(
                session=session,
                work_order_id=wo_id,
                channel="call",
                party="debtor",
                outcome="no_answer",
                actor="u:lee",
                now=MORNING + timedelta(minutes=minutes),
            ).status
        )
    assert results == ["made", "made", "made", "blocked"]


def test_a_wrong_number_counts_as_a_dial_and_later_calls_are_still_decided(
    session: Session,
) -> None:
    wo_id = seed(session)
    statuses = [
        log_attempt(
            session=session,
            work_order_id=wo_id,
            channel="call",
            party="debtor",
            outcome=outcome,
            actor="u:lee",
            now=MORNING + timedelta(minutes=minutes),
        ).status
        for minutes, outcome in ((0, "wrong_number"), (60, "no_answer"), (120, "no_answer"))
    ]
    # The wrong number is in the history the next decisions read, and counts toward the cap.
    assert statuses == ["made", "made", "made"]
    fourth = log_attempt(
        session=session,
        work_order_id=wo_id,
        channel="call",
        party="debtor",
        outcome="no_answer",
        actor="u:lee",
        now=MORNING + timedelta(minutes=180),
    )
    assert fourth.status == "blocked"


def test_contact_persons_unlock_only_after_debtor_only_days(session: Session) -> None:
    wo_id = seed(session)
    person_id = session.scalars(sa.select(ContactPerson.id)).one()
    early = log_attempt(
        session=session,
        work_order_id=wo_id,
        channel="call",
        party="contact_person",
        contact_person_id=person_id,
        purpose="callback_request",
        outcome="third_party_contact",
        actor="u:lee",
    )
    assert early.status == "blocked"
    assert "workflow.step_by_step" in early.compliance_rules
    assert "unlock on 2026-03-07" in early.compliance_reason
    assert early.compliance_next_allowed_at == datetime(2026, 3, 7, 0, 0, tzinfo=UTC)
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    for day in range(3):
        log_attempt(
            session=session,
            work_order_id=wo_id,
            channel="call",
            party="debtor",
            outcome="no_answer",
            actor="u:lee",
            now=MORNING + timedelta(days=day),
        )
    later = log_attempt(
        session=session,
        work_order_id=wo_id,
        channel="call",
        party="contact_person",
        contact_person_id=person_id,
        purpose="callback_request",
        outcome="third_party_contact",
        actor="u:lee",
        now=MORNING + timedelta(days=5),
    )
    assert later.status == "made"
    with pytest.raises(BadInput, match="never told of the debt"):
        log_attempt(
            session=session,
            work_order_id=wo_id,
            channel="call",
            party="contact_person",
            contact_person_id=person_id,
            outcome="third_party_contact",
            actor="u:lee",
        )


def test_a_debt_mentioning_sms_to_a_contact_person_is_blocked(session: Session) -> None:
    wo_id = seed(session)
    person_id = session.scalars(sa.select(ContactPerson.id)).one()
    for day in range(3):
        log_attempt(
            session=session,
            work_order_id=wo_id,
            channel="call",
            party="debtor",
            outcome="no_answer",
            actor="u:lee",
            now=MORNING + timedelta(days=day),
        )
    attempt = log_attempt(
        session=session,
        work_order_id=wo_id,
        channel="sms",
        party="contact_person",
        contact_person_id=person_id,
        purpose="callback_request",
        outcome="third_party_contact",
        actor="u:lee",
        now=MORNING + timedelta(days=6),
        content="请转告李伟尽快还款，他的信用卡已逾期欠款",
    )
    assert attempt.status == "blocked"
    assert "third_party.disclosure" in attempt.compliance_rules


def test_a_dispute_puts_the_case_on_hold_and_blocks_the_next_call(session: Session) -> None:
    wo_id = seed(session)
    disputed = log_attempt(
        session=session,
        work_order_id=wo_id,
        channel="call",
        party="debtor",
        outcome="dispute",
        actor="u:lee",
    )
    assert disputed.status == "made"
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    assert (wo.status, wo.hold_reason) == ("on_hold", "dispute")
    assert session.scalars(sa.select(FollowUp.kind)).all() == ["review"]
    later = log_attempt(
        session=session,
        work_order_id=wo_id,
        channel="call",
        party="debtor",
        outcome="no_answer",
        actor="u:lee",
        now=MORNING + timedelta(days=1),
    )
    assert later.status == "blocked"
    assert any(rule.startswith("hold.dispute") for rule in later.compliance_rules)


# --- three stops ---------------------------------------------------------------------------------


def test_stop_two_without_stop_one_is_refused_and_nothing_written(session: Session) -> None:
    wo_id = seed(session)
    with pytest.raises(RuleRefused, match="stop 2 cannot be given before stop 1"):
        three_stops.give_stop(session=session, work_order_id=wo_id, stop=2, actor="u:lee")
    session.rollback()
    assert count(session, ThreeStop) == 0
    assert count(session, AuditEvent) == 0


def test_a_stop_with_no_conversation_logged_today_is_refused(session: Session) -> None:
    wo_id = seed(session)
    log_attempt(
        session=session,
        work_order_id=wo_id,
        actor="u:lee",
        channel="call",
        party="debtor",
        outcome="no_answer",
    )
    with pytest.raises(RuleRefused, match="said to the debtor in a conversation"):
        three_stops.give_stop(session=session, work_order_id=wo_id, stop=1, actor="u:lee")
    session.rollback()
    assert count(session, ThreeStop) == 0


def test_three_stops_in_order_escalate_and_flag_the_customer(session: Session) -> None:
    wo_id = seed(session)
    case_service.transition(session=session, work_order_id=wo_id, to="in_progress", actor="a")
    abusive = log_attempt(
        session=session,
        work_order_id=wo_id,
        actor="u:lee",
        channel="call",
        party="debtor",
        outcome="abusive",
    )
    for stop in (1, 2, 3):
        record = three_stops.give_stop(
            session=session, work_order_id=wo_id, stop=stop, actor="u:lee"
        )
        assert record.wording
    session.commit()
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    assert wo.status == "escalated"
    assert wo.problem_customer is True
    assert wo.extra["escalated_to"] == "senior_specialist"
    assert "平等" in session.scalars(sa.select(ThreeStop.wording).where(ThreeStop.stop == 2)).one()
    # Each stop is linked to the conversation it was said in.
    linked = set(session.scalars(sa.select(ThreeStop.contact_attempt_id)))
    assert linked == {abusive.id}
    tasks = session.scalars(sa.select(FollowUp.kind)).all()
    assert tasks == ["escalation"]
    with pytest.raises(RuleRefused, match="all three stops"):
        three_stops.give_stop(session=session, work_order_id=wo_id, stop=1, actor="u:lee")


# --- promises and reconciliation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "due_on", "message"),
    [
        ("-5", date(2026, 3, 5), "must be positive"),
        ("0", date(2026, 3, 5), "must be positive"),
        ("abc", date(2026, 3, 5), "not an amount"),
        ("100.001", date(2026, 3, 5), "decimals"),
        ("100", date(2026, 3, 1), "in the past"),
    ],
)
def test_bad_promises_are_refused_and_nothing_is_written(
    session: Session, amount: str, due_on: date, message: str
) -> None:
    wo_id = seed(session)
    with pytest.raises(BadInput, match=message):
        promise_service.take_promise(
            session=session,
            work_order_id=wo_id,
            amount=amount,
            due_on=due_on,
            channel="call",
            actor="u:lee",
        )
    session.rollback()
    assert count(session, Promise) == 0


def _pay(session: Session, wo_id: int, on: date, amount: str, ref: str) -> None:
    account_id = session.scalars(
        sa.select(WorkOrderAccount.account_id).where(WorkOrderAccount.work_order_id == wo_id)
    ).one()
    session.add(Payment(account_id=account_id, paid_on=on, amount=D(amount), reference=ref))
    session.flush()


def test_a_kept_promise_moves_the_case_to_kept(session: Session) -> None:
    wo_id = seed(session)
    case_service.transition(session=session, work_order_id=wo_id, to="in_progress", actor="a")
    promise_service.take_promise(
        session=session,
        work_order_id=wo_id,
        amount="1020.00",
        due_on=date(2026, 3, 6),
        channel="call",
        actor="u:lee",
    )
    session.commit()
    assert session.get(WorkOrder, wo_id).status == "promised"  # type: ignore[union-attr]
    _pay(session, wo_id, date(2026, 3, 5), "1020.00", "P1")
    with clock.frozen(datetime(2026, 3, 5, 12, tzinfo=UTC)):
        result = promise_nightly.reconcile_case(
            session=session, work_order_id=wo_id, actor="system:reconcile"
        )
    session.commit()
    assert result["changed"] == [{"promise_id": 1, "status": "kept"}]
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    assert wo.status == "kept"
    assert wo.broken_promises == 0


def test_a_broken_promise_counts_and_creates_a_follow_up(session: Session) -> None:
    wo_id = seed(session)
    case_service.transition(session=session, work_order_id=wo_id, to="in_progress", actor="a")
    promise_service.take_promise(
        session=session,
        work_order_id=wo_id,
        amount="1000.00",
        due_on=date(2026, 3, 6),
        channel="call",
        actor="u:lee",
    )
    _pay(session, wo_id, date(2026, 3, 6), "100.00", "P1")
    session.commit()
    with clock.frozen(datetime(2026, 3, 12, 2, tzinfo=UTC)):
        promise_nightly.reconcile_all(session=session, actor="system:reconcile")
        session.commit()
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    assert wo.status == "broken"
    assert wo.broken_promises == 1
    task = session.scalars(sa.select(FollowUp)).one()
    assert task.kind == "broken_promise"
    assert task.due_on == date(2026, 3, 13)
    assert session.scalars(sa.select(Promise.paid)).one() == D("100.00")
    # Reconciling again changes nothing: the verdict stands and the count does not grow.
    with clock.frozen(datetime(2026, 3, 13, 2, tzinfo=UTC)):
        promise_nightly.reconcile_all(session=session, actor="system:reconcile")
    assert wo.broken_promises == 1


# --- plans, settlements, maker-checker -----------------------------------------------------------


def test_a_plan_that_does_not_sum_is_refused_and_nothing_is_written(session: Session) -> None:
    wo_id = seed(session)
    with pytest.raises(BadInput, match="must match to the cent"):
        plan_service.propose_plan(  # the case owes 5,291.00 today
            session=session,
            work_order_id=wo_id,
            first_due_on=date(2026, 3, 10),
            amounts=["1800.00", "1800.00", "1690.99"],
            actor="u:lee",
        )
    session.rollback()
    assert count(session, RepaymentPlan) == 0


def test_a_small_plan_is_active_at_once_and_tracked(session: Session) -> None:
    wo_id = seed(session)
    plan = plan_service.propose_plan(
        session=session,
        work_order_id=wo_id,
        instalments=3,
        first_due_on=date(2026, 3, 10),
        actor="u:lee",
    )
    # What the case owes today (2026-03-02): the 02-05 balance 5,200.00 + 25 days of interest
    # after it (65.00) + February's breach fee (26.00). It was 5,344.60: 36 days of interest
    # counted back from 01-25 and January's fee, both inside the 02-05 balance.
    assert (plan.status, plan.total) == ("active", D("5291.00"))
    _pay(session, wo_id, date(2026, 3, 9), "1763.67", "I1")
    session.commit()
    with clock.frozen(datetime(2026, 5, 20, 2, tzinfo=UTC)):
        promise_nightly.reconcile_case(session=session, work_order_id=wo_id, actor="sys")
    session.commit()
    detail = promise_service.plan_dict(session=session, plan=plan)
    assert [i["status"] for i in detail["instalments"]] == ["kept", "missed", "missed"]
    assert plan.status == "broken"
    assert session.scalars(sa.select(FollowUp.kind)).all() == ["plan_missed"]


def test_a_settlement_needs_a_checker_whose_role_covers_it(session: Session) -> None:
    wo_id = seed(session)
    offer = plan_service.propose_settlement(
        session=session,
        work_order_id=wo_id,
        discount="0.20",
        due_on=date(2026, 3, 20),
        actor="u:ann",
    )
    assert (offer.status, offer.total) == ("proposed", D("4232.80"))  # 80 % of 5,291.00
    with pytest.raises(NotPermitted, match="collector cannot approve"):
        plan_service.decide_plan(
            session=session, plan_id=offer.id, approve=True, actor="u:bob", role="collector"
        )
    with pytest.raises(NotPermitted, match="maker"):
        plan_service.decide_plan(
            session=session, plan_id=offer.id, approve=True, actor="u:ann", role="team_lead"
        )
    plan_service.decide_plan(
        session=session,
        plan_id=offer.id,
        approve=True,
        actor="u:tl",
        role="team_lead",
        note="hardship verified",
    )
    session.commit()
    assert (offer.status, offer.checker) == ("active", "u:tl")
    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity == "repayment_plan")
    ).all()
    assert actions == ["settlement.propose", "settlement.approve"]


# --- follow-up, outbox, profile ------------------------------------------------------------------


def test_courtesy_greetings_are_queued_in_the_transaction_and_rolled_back_with_it(
    engine: Engine,
) -> None:
    with Session(engine) as setup:
        seed(setup)
    spring_eve = datetime(2026, 2, 16, 1, tzinfo=UTC)
    with clock.frozen(spring_eve), Session(engine) as s:
        queued = outbox_service.queue_courtesy_greetings(
            session=s, on=date(2026, 2, 16), actor="system:courtesy"
        ).queued
        assert len(queued) == 1
        assert "春节快乐" in queued[0].body
        s.rollback()
    with Session(engine) as s:
        assert count(s, OutboxMessage) == 0
    with clock.frozen(spring_eve), Session(engine) as s:
        outbox_service.queue_courtesy_greetings(session=s, on=date(2026, 2, 16), actor="sys")
        s.commit()
        again = outbox_service.queue_courtesy_greetings(
            session=s, on=date(2026, 2, 16), actor="sys"
        ).queued
        s.commit()
        assert again == []
        assert count(s, OutboxMessage) == 1
        none_today = outbox_service.queue_courtesy_greetings(
            session=s, on=date(2026, 2, 18), actor="sys"
        ).queued
        assert none_today == []


def test_follow_ups_move_the_next_action_date(session: Session) -> None:
    wo_id = seed(session)
    case_service.schedule_follow_up(
        session=session,
        work_order_id=wo_id,
        due_on=date(2026, 3, 9),
        kind="call_back",
        actor="u:lee",
    )
    case_service.schedule_follow_up(
        session=session, work_order_id=wo_id, due_on=date(2026, 3, 4), kind="review", actor="u:lee"
    )
    assert session.get(WorkOrder, wo_id).next_action_on == date(2026, 3, 4)  # type: ignore[union-attr]
    with pytest.raises(BadInput, match="past"):
        case_service.schedule_follow_up(
            session=session,
            work_order_id=wo_id,
            due_on=date(2026, 3, 1),
            kind="review",
            actor="u:lee",
        )


def test_the_customer_profile_records_listen_ask_check(session: Session) -> None:
    wo_id = seed(session)
    found = case_service.update_profile(
        session=session,
        work_order_id=wo_id,
        actor="u:lee",
        pain_points=["credit record"],
        stated_reason="job_loss",
        facts=[
            {"fact": "laid off in January", "status": "claimed"},
            {"fact": "salary stopped (bank statement)", "status": "verified"},
        ],
    )
    session.commit()
    assert found.stated_reason == "job_loss"
    assert [f["status"] for f in found.facts] == ["claimed", "verified"]
    case_service.update_profile(
        session=session,
        work_order_id=wo_id,
        actor="u:lee",
        agreed_solution="6-month plan",
        expected_version=1,
    )
    session.commit()
    assert (found.agreed_solution, found.stated_reason, found.version) == (
        "6-month plan",
        "job_loss",
        2,
    )
    with pytest.raises(BadInput, match="stated_reason"):
        case_service.update_profile(
            session=session, work_order_id=wo_id, actor="u:lee", stated_reason="laziness"
        )


def test_case_script_renders_the_real_breakdown(session: Session) -> None:
    wo_id = seed(session)
    junior = case_script(session=session, work_order_id=wo_id, locale="en", collector_name="Chen")
    assert junior["name"] == "credit_education"
    assert "Total due" in junior["text"]
    assert any(i["label"] == "principal" for i in junior["items"])
    letter = case_script(
        session=session,
        work_order_id=wo_id,
        name="formal_notice",
        locale="zh-CN",
        collector_name="Chen",
    )
    assert set(letter["fields"]) >= {"name", "amount", "seal", "reason_legal_basis"}
    assert "盖章" in letter["text"]
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    wo.level = "intermediate"
    session.flush()
    talk = case_script(session=session, work_order_id=wo_id, locale="en", collector_name="Chen")
    assert talk["name"] == "negotiation"
    kinds = [o["kind"] for o in talk["plan_options"]]
    # 36 days late: instalments yes, a settlement discount not yet (from 91 days).
    assert kinds[0] == "pay_now"
    assert "instalments" in kinds
    assert "settlement" not in kinds
    assert "monthly instalments" in talk["text"]


def test_a_case_with_several_accounts_computes_each_from_its_own_facts(session: Session) -> None:
    # The ledger loads statements, payments and reports for all accounts in one query each;
    # every account's breakdown must still equal the one computed for it alone.
    first = seed(session, ref="C1")
    alone = seed(session, ref="C2")
    second = session.scalars(select_account("A-C2")).one()
    session.add(
        Statement(
            account_id=second.id,
            cycle_date=date(2025, 12, 5),
            due_date=date(2025, 12, 25),
            closing_balance=D("3000.00"),
            minimum_due=D("300.00"),
        )
    )
    _pay(session, alone, date(2026, 1, 20), "120.00", "P-C2")
    _pay(session, first, date(2026, 2, 20), "80.00", "P-C1")
    session.add_all(
        WorkOrderAccount(
            work_order_id=first,
            account_ref=ref,
            account_id=account_id,
            bucket="M2",
            dpd=36,
            amount_due=D("1.00"),
        )
        for ref, account_id in (("A-C2", second.id), ("A-GONE", None))
    )
    session.commit()

    both = case_service.ledger(session=session, work_order_id=first)
    own = {p.account_ref: p.breakdown for p in both.breakdowns}
    assert [link.account_ref for link, _ in both.accounts] == ["A-C1", "A-C2", "A-GONE"]
    assert [account is None for _, account in both.accounts] == [False, False, True]
    assert sorted(p.reference for p in both.payments) == ["P-C1", "P-C2"]
    assert set(own) == {"A-C1", "A-C2"}
    (solo,) = case_service.breakdowns(session=session, work_order_id=alone)
    assert own["A-C2"] == solo.breakdown
    assert own["A-C1"] != solo.breakdown
    # C1's payment came after its last statement; C2's before, so its statement holds it.
    assert own["A-C1"].payments == D("-80.00")
    assert own["A-C2"].payments == D("0")


def select_account(ref: str) -> sa.Select[tuple[CardAccount]]:
    return sa.select(CardAccount).where(CardAccount.external_ref == ref)


class FlakyGateway:
    """A transport that refuses ``refusals`` times, then takes messages (an in-memory gateway)."""

    name = "flaky"

    def __init__(self, refusals: int = 0) -> None:
        self.refusals = refusals
        self.taken: list[outbox.Outgoing] = []

    def handed(self, message: outbox.Outgoing) -> str | None:
        taken = any(m.dedupe_key == message.dedupe_key for m in self.taken)
        return f"gw-{message.id}" if taken else None

    def send(self, message: outbox.Outgoing) -> str:
        if self.refusals > 0:
            self.refusals -= 1
            raise outbox.TransportError("503 from the gateway")
        self.taken.append(message)
        return f"gw-{message.id}"


SPRING_EVE = datetime(2026, 2, 16, 1, tzinfo=UTC)  # 09:00 in Shanghai


def _queue_greeting(engine: Engine) -> None:
    with Session(engine) as setup:
        seed(setup)
    with clock.frozen(SPRING_EVE), Session(engine) as s:
        assert (
            len(
                outbox_service.queue_courtesy_greetings(
                    session=s, on=date(2026, 2, 16), actor="sys"
                ).queued
            )
            == 1
        )
        s.commit()


def _relay(engine: Engine, at: datetime, transport: outbox.Transport) -> outbox_service.OutboxRun:
    with clock.frozen(at), Session(engine) as s:
        run = outbox_service.send_outbox(session=s, transport=transport, actor="system:relay")
        s.commit()
        return run


def test_the_outbox_relay_sends_once_through_the_spool(engine: Engine, tmp_path: Path) -> None:
    _queue_greeting(engine)
    spool = outbox.SpoolTransport(tmp_path / "spool")
    ten = datetime(2026, 2, 16, 2, tzinfo=UTC)  # 10:00 in Shanghai
    assert _relay(engine, ten, spool).as_dict() == {
        "sent": 1, "held": 0, "expired": 0, "retrying": 0, "failed": 0, "recovered": 0,
        "refused": 0}  # fmt: skip
    assert _relay(engine, ten, spool).sent == 0  # sent is sent
    (line,) = (tmp_path / "spool" / "sms-20260216.jsonl").read_text("utf-8").splitlines()
    handed = json.loads(line)
    assert handed["to"] == "+8613800138000"
    assert "春节快乐" in handed["body"]
    with Session(engine) as s:
        message = s.scalars(sa.select(OutboxMessage)).one()
        assert (message.status, message.attempts) == ("sent", 1)
        assert message.provider_ref == f"sms-20260216.jsonl#{handed['dedupe_key']}"
        assert message.sent_at is not None
        assert s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "outbox.send")).one()


def test_compliance_holds_a_late_message_and_its_day_passing_cancels_it(engine: Engine) -> None:
    _queue_greeting(engine)
    gateway = FlakyGateway()
    night = datetime(2026, 2, 16, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai: quiet hours
    assert _relay(engine, night, gateway).held == 1
    with Session(engine) as s:
        message = s.scalars(sa.select(OutboxMessage)).one()
        assert message.status == "held"
        assert message.held_rule is not None
        assert message.next_allowed_at is not None
        assert message.last_error is not None
        assert message.last_error.startswith("held:")
        assert "allowed from" in message.last_error
    next_morning = datetime(2026, 2, 17, 2, tzinfo=UTC)
    assert _relay(engine, next_morning, gateway).expired == 1
    assert gateway.taken == []
    with Session(engine) as s:
        assert s.scalars(sa.select(OutboxMessage.status)).one() == "cancelled"


def test_a_refusing_gateway_is_retried_then_the_message_fails(engine: Engine) -> None:
    _queue_greeting(engine)
    ten = datetime(2026, 2, 16, 2, tzinfo=UTC)
    gateway = FlakyGateway(refusals=outbox.MAX_ATTEMPTS)
    assert _relay(engine, ten, gateway).retrying == 1
    assert _relay(engine, ten, gateway).retrying == 1
    assert _relay(engine, ten, gateway).failed == 1
    assert _relay(engine, ten, gateway).as_dict() == {
        "sent": 0, "held": 0, "expired": 0, "retrying": 0, "failed": 0, "recovered": 0,
        "refused": 0}  # fmt: skip
    with Session(engine) as s:
        message = s.scalars(sa.select(OutboxMessage)).one()
        assert (message.status, message.attempts) == ("failed", 3)
        assert message.last_error == "flaky: 503 from the gateway"


def test_two_relays_never_take_the_same_message(engine: Engine, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks: SQLite has one writer, so two relays cannot overlap there")
    _queue_greeting(engine)
    ten = datetime(2026, 2, 16, 2, tzinfo=UTC)
    seen_by_second: list[dict[str, int]] = []

    class SecondRelayMidSend(FlakyGateway):
        def send(self, message: outbox.Outgoing) -> str:
            # While the first relay holds its batch, a second one runs to completion.
            seen_by_second.append(_relay(engine, ten, FlakyGateway()).as_dict())
            return super().send(message)

    first = SecondRelayMidSend()
    assert _relay(engine, ten, first).sent == 1
    assert seen_by_second == [
        {
            "sent": 0,
            "held": 0,
            "expired": 0,
            "retrying": 0,
            "failed": 0,
            "recovered": 0,
            "refused": 0,
        }
    ]
    assert len(first.taken) == 1
