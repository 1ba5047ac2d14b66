"""The customer's own actions (the portal's "Act") on a real store, SQLite and PostgreSQL: each
goes through the workbench's service as the customer, refuses bad input in one translatable
sentence with nothing written, and shows on the case (timeline, ``customer_acted_at``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases.models import CustomerProfile, FollowUp, WorkOrder
from arrears.channels.models import DebtorChannel
from arrears.compliance.models import ContactConsent
from arrears.config import get_settings
from arrears.contacts.schemas import ContactIn
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.promises import plan_service
from arrears.promises import service as promise_service
from arrears.promises.models import Promise, RepaymentPlan
from arrears.workbench import contact
from arrears.workbench import portal_actions as actions
from arrears.workbench import portal_said as said
from arrears.workbench.case_view import build_case_view
from arrears.workbench.portal_actions import CustomerRef
from tests.web_seed import Seeded, seed

# The day after the seed's as-of date, 10:00 in Shanghai.
TODAY = date(2026, 11, 21)
MORNING = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _morning() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


@pytest.fixture
def world(session: Session) -> tuple[Session, Seeded]:
    seeded = seed(session)
    session.commit()
    return session, seeded


def me(seeded: Seeded, n: int = 0) -> CustomerRef:
    return CustomerRef(cardholder_id=seeded.cardholders[n], external_ref=f"C{n + 1:04d}")


def written(session: Session) -> dict[str, int]:
    """Counts of everything an action may write."""
    tables: list[Any] = [
        Promise,
        RepaymentPlan,
        AuditEvent,
        FollowUp,
        ContactConsent,
        DebtorChannel,
        CustomerProfile,
    ]
    counts = {
        t.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
        for t in tables
    }
    counts["acted"] = (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(WorkOrder)
            .where(WorkOrder.customer_acted_at.is_not(None))
        )
        or 0
    )
    return counts


def refused(
    session: Session, kind: type[said.Refusal], msgid: str, call: Any, **params: str
) -> said.Refusal:
    """``call`` is refused with ``msgid`` (in ``kind``) and writes nothing."""
    before = written(session)
    with pytest.raises(kind) as caught:
        call()
    session.rollback()
    assert caught.value.msgid == msgid
    assert caught.value.params == params
    assert written(session) == before
    return caught.value


def portal_events(session: Session, wo_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity == "work_order",
                AuditEvent.entity_id == str(wo_id),
                AuditEvent.action.like("portal.%"),
            )
            .order_by(AuditEvent.id)
        )
    )


def on_timeline(session: Session, wo_id: int, action: str, actor: str) -> bool:
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    view = build_case_view(session=session, work_order=wo)
    return any(
        e.kind == "portal" and e.summary.startswith(f"portal.{action}") and e.actor == actor
        for e in view.timeline
    )


# --- promise to pay ------------------------------------------------------------------------------


def test_a_promise_is_the_workbench_promise_made_by_the_customer(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    wo_id = seeded.work_orders[0]
    done = actions.promise_to_pay(
        session=session, customer=me(seeded), case_id=wo_id, amount="500.00", due_on="2026-12-01"
    )
    session.commit()
    promise = session.get(Promise, done.record_id)
    assert promise is not None
    assert (promise.amount, promise.due_on, promise.made_on) == (
        D("500.00"),
        date(2026, 12, 1),
        TODAY,  # the clock's today, not a date the caller gave
    )
    assert (promise.channel, promise.taken_by, promise.status) == (
        "portal",
        "customer:C0001",
        "pending",
    )
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    assert wo.status == "promised"
    assert wo.customer_acted_at == MORNING
    taken = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "promise.take")).one()
    assert taken.actor == "customer:C0001"
    assert on_timeline(session, wo_id, "promise", "customer:C0001")
    assert done.text(lambda s: s) == (
        "Thank you. We have noted your promise to pay 500.00 CNY by 2026-12-01."
    )


@pytest.mark.parametrize(
    ("amount", "due_on", "kind", "msgid", "params"),
    [
        ("-5", "2026-12-01", said.InputRefused, said.AMOUNT_NOT_POSITIVE, {}),
        ("0", "2026-12-01", said.InputRefused, said.AMOUNT_NOT_POSITIVE, {}),
        ("five", "2026-12-01", said.InputRefused, said.AMOUNT_NOT_NUMBER, {}),
        ("10.005", "2026-12-01", said.InputRefused, said.AMOUNT_DECIMALS, {}),
        ("500", "2026-11-20", said.InputRefused, said.DATE_PAST, {}),
        ("500", "2026-12-22", said.InputRefused, said.DATE_TOO_FAR, {"last": "2026-12-21"}),
        ("500", "1 Dec", said.InputRefused, said.DATE_NOT_DATE, {}),
        (
            "99999",
            "2026-12-01",
            said.PolicyRefused,
            said.AMOUNT_ABOVE_OWED,
            {"owed": "PLACEHOLDER"},
        ),
    ],
)
def test_a_promise_outside_the_policy_is_refused_in_one_sentence_and_writes_nothing(
    world: tuple[Session, Seeded],
    amount: str,
    due_on: str,
    kind: type[said.Refusal],
    msgid: str,
    params: dict[str, str],
) -> None:
    session, seeded = world
    if params.get("owed") == "PLACEHOLDER":
        owed = actions.offers(session=session, customer=me(seeded), case_id=seeded.work_orders[0])
        params = {"owed": f"{owed.owed:,.2f} CNY"}
    refused(
        session,
        kind,
        msgid,
        lambda: actions.promise_to_pay(
            session=session,
            customer=me(seeded),
            case_id=seeded.work_orders[0],
            amount=amount,
            due_on=due_on,
        ),
        **params,
    )


@pytest.mark.parametrize("case", ["other", "unknown", "junk"])
def test_someone_elses_case_reads_as_a_missing_one(
    world: tuple[Session, Seeded], case: str
) -> None:
    session, seeded = world
    case_id = {"other": seeded.work_orders[1], "unknown": 999_999, "junk": "1 OR 1=1"}[case]
    for call in (
        lambda: actions.promise_to_pay(
            session=session, customer=me(seeded), case_id=case_id, amount="5", due_on=TODAY
        ),
        lambda: actions.raise_dispute(
            session=session, customer=me(seeded), case_id=case_id, text="not mine"
        ),
        lambda: actions.offers(session=session, customer=me(seeded), case_id=case_id),
    ):
        refused(session, said.CaseNotFound, said.NO_CASE, call)


def test_a_promise_submitted_twice_makes_one_promise(world: tuple[Session, Seeded]) -> None:
    session, seeded = world

    def promise() -> said.Done:
        return actions.promise_to_pay(
            session=session,
            customer=me(seeded),
            case_id=seeded.work_orders[0],
            amount="500",
            due_on="2026-12-01",
        )

    promise()
    session.commit()
    refused(session, said.PolicyRefused, said.LIVE_ARRANGEMENT, promise)
    assert session.scalar(sa.select(sa.func.count()).select_from(Promise)) == 1


def test_a_form_read_before_someone_changed_the_case_is_refused(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    wo = session.get(WorkOrder, seeded.work_orders[0])
    assert wo is not None
    read = wo.version
    wo.notes = "a collector's note"
    session.commit()
    refused(
        session,
        said.ChangedMeanwhile,
        said.CHANGED_MEANWHILE,
        lambda: actions.promise_to_pay(
            session=session,
            customer=me(seeded),
            case_id=wo.id,
            amount="500",
            due_on="2026-12-01",
            version=read,
        ),
    )


def test_two_promises_at_once_make_one(world: tuple[Session, Seeded], engine: Engine) -> None:
    """The first holds the case until it commits; the second, taken after it, sees its promise
    and is refused (on SQLite the database's one writer does the same)."""
    session, seeded = world
    wo_id = seeded.work_orders[0]
    actions.promise_to_pay(
        session=session, customer=me(seeded), case_id=wo_id, amount="500", due_on="2026-12-01"
    )  # not committed: the case is held
    outcome: dict[str, object] = {}

    def second() -> None:
        with clock.frozen(MORNING), Session(engine) as other:
            try:
                actions.promise_to_pay(
                    session=other,
                    customer=me(seeded),
                    case_id=wo_id,
                    amount="600",
                    due_on="2026-12-02",
                )
                other.commit()
                outcome["second"] = "made"
            except said.Refusal as exc:
                outcome["second"] = exc.msgid

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(timeout=0.5)  # it waits on the lock (or runs after the commit: same outcome)
    session.commit()
    worker.join()
    assert outcome["second"] == said.LIVE_ARRANGEMENT
    assert session.scalars(sa.select(Promise.amount)).all() == [D("500.00")]


# --- plans and settlements ----------------------------------------------------------------------


def test_a_plan_among_the_offered_ones_is_active_inside_the_policy(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    wo_id = seeded.work_orders[0]
    found = actions.offers(session=session, customer=me(seeded), case_id=wo_id)
    assert [o.instalments for o in found.plans] == [3, 6, 12]
    done = actions.choose_plan(
        session=session,
        customer=me(seeded),
        case_id=wo_id,
        instalments="6",
        first_due_on="2026-12-05",
    )
    session.commit()
    plan = session.get(RepaymentPlan, done.record_id)
    assert plan is not None
    assert (plan.status, plan.maker, plan.instalment_count, plan.total) == (
        "active",
        "customer:C0001",
        6,
        found.owed,  # the store's figure: the form sends no amount
    )
    assert not done.waiting
    assert on_timeline(session, wo_id, "plan", "customer:C0001")


def test_a_plan_outside_the_auto_approval_waits_for_a_checker_and_the_customer_is_told(
    world: tuple[Session, Seeded], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, seeded = world
    strict = promise_service.policy().model_copy(
        update={
            "approval": promise_service.policy().approval.model_copy(
                update={"plan_auto_approve_up_to": D("1000")}
            )
        }
    )
    monkeypatch.setattr(promise_service, "policy", lambda name="default": strict)
    done = actions.choose_plan(
        session=session,
        customer=me(seeded),
        case_id=seeded.work_orders[0],
        instalments=3,
        first_due_on=date(2026, 12, 5),
    )
    session.commit()
    assert done.waiting
    assert done.msgid == said.PLAN_WAITING
    plan = session.get(RepaymentPlan, done.record_id)
    assert plan is not None
    assert (plan.status, plan.needs_checker) == ("proposed", True)
    # The checker is a person of the bank; the customer made it, so anyone else may check it.
    plan_service.decide_plan(
        session=session, plan_id=plan.id, approve=True, actor="user:lead", role="team_lead"
    )
    assert plan.status == "active"


@pytest.mark.parametrize(
    ("instalments", "first", "kind", "msgid", "params"),
    [
        ("5", "2026-12-05", said.PolicyRefused, said.PLAN_NOT_OFFERED, {}),
        ("36", "2026-12-05", said.PolicyRefused, said.PLAN_NOT_OFFERED, {}),
        ("-3", "2026-12-05", said.PolicyRefused, said.PLAN_NOT_OFFERED, {}),
        ("3", "2026-11-01", said.InputRefused, said.DATE_PAST, {}),
        ("3", "2027-01-05", said.InputRefused, said.DATE_TOO_FAR, {"last": "2026-12-21"}),
    ],
)
def test_a_plan_not_offered_or_badly_dated_is_refused(
    world: tuple[Session, Seeded],
    instalments: str,
    first: str,
    kind: type[said.Refusal],
    msgid: str,
    params: dict[str, str],
) -> None:
    session, seeded = world
    refused(
        session,
        kind,
        msgid,
        lambda: actions.choose_plan(
            session=session,
            customer=me(seeded),
            case_id=seeded.work_orders[0],
            instalments=instalments,
            first_due_on=first,
        ),
        **params,
    )


def test_no_settlement_is_offered_before_the_policy_offers_one(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    assert (
        actions.offers(
            session=session, customer=me(seeded), case_id=seeded.work_orders[0]
        ).settlement
        is None
    )
    refused(
        session,
        said.PolicyRefused,
        said.SETTLEMENT_NOT_OFFERED,
        lambda: actions.accept_settlement(
            session=session, customer=me(seeded), case_id=seeded.work_orders[0], shown_amount="1"
        ),
    )


def test_the_settlement_offered_is_accepted_at_the_servers_amount(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    wo_id = seeded.work_orders[0]
    later = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)  # over 91 days late: the policy offers one
    with clock.frozen(later):
        found = actions.offers(session=session, customer=me(seeded), case_id=wo_id)
        assert found.settlement is not None
        offer = found.settlement.amount
        refused(
            session,
            said.PolicyRefused,
            said.SETTLEMENT_CHANGED,
            lambda: actions.accept_settlement(
                session=session, customer=me(seeded), case_id=wo_id, shown_amount="1.00"
            ),
            amount=f"{offer:,.2f} CNY",
        )
        done = actions.accept_settlement(
            session=session, customer=me(seeded), case_id=wo_id, shown_amount=f"{offer}"
        )
        session.commit()
    plan = session.get(RepaymentPlan, done.record_id)
    assert plan is not None
    assert (plan.kind, plan.total, plan.maker) == ("settlement", offer, "customer:C0001")
    assert plan.first_due_on == date(2027, 1, 11)  # the policy's 14 days, from the clock
    # The shipped policy sends every settlement waiver to a checker.
    assert (plan.status, done.waiting, done.msgid) == (
        "proposed",
        True,
        said.SETTLEMENT_WAITING,
    )
    assert on_timeline(session, wo_id, "settlement", "customer:C0001")


# --- dispute, hardship ---------------------------------------------------------------------------


def test_a_dispute_holds_the_case_and_lists_its_check_like_the_workbench(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    wo_id = seeded.work_orders[0]
    refused(
        session,
        said.InputRefused,
        said.DISPUTE_TEXT,
        lambda: actions.raise_dispute(
            session=session, customer=me(seeded), case_id=wo_id, text="   "
        ),
        max="1000",
    )
    actions.raise_dispute(
        session=session, customer=me(seeded), case_id=wo_id, text="I never had this card"
    )
    session.commit()
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    assert (wo.status, wo.hold_reason) == ("on_hold", "dispute")
    task = session.scalars(sa.select(FollowUp).where(FollowUp.work_order_id == wo_id)).one()
    assert (task.kind, task.created_by, task.source) == (
        "review",
        "customer:C0001",
        "portal:dispute",
    )
    assert "I never had this card" in (task.note or "")
    assert on_timeline(session, wo_id, "dispute", "customer:C0001")
    refused(
        session,
        said.PolicyRefused,
        said.ALREADY_DISPUTED,
        lambda: actions.raise_dispute(
            session=session, customer=me(seeded), case_id=wo_id, text="again"
        ),
    )
    # Collection stops: a collector's call is now blocked by the dispute hold.
    attempt = contact.log_attempt(
        session=session,
        work_order_id=wo_id,
        body=ContactIn(channel="call", outcome="right_party_contact"),
        actor="user:collector",
    )
    assert attempt.status == "blocked"
    assert "hold.dispute" in (attempt.compliance_rules or [])


def test_hardship_is_the_profiles_stated_reason_with_a_review(
    world: tuple[Session, Seeded],
) -> None:
    session, seeded = world
    wo_id = seeded.work_orders[0]
    refused(
        session,
        said.InputRefused,
        said.HARDSHIP_REASON,
        lambda: actions.report_hardship(
            session=session, customer=me(seeded), case_id=wo_id, reason="lazy"
        ),
    )
    refused(
        session,
        said.InputRefused,
        said.TEXT_TOO_LONG,
        lambda: actions.report_hardship(
            session=session, customer=me(seeded), case_id=wo_id, reason="illness", detail="x" * 1001
        ),
        max="1000",
    )
    for _ in range(2):  # a double submit lists one review
        actions.report_hardship(
            session=session,
            customer=me(seeded),
            case_id=wo_id,
            reason="job_loss",
            detail="laid off in October",
        )
        session.commit()
    profile = session.scalars(sa.select(CustomerProfile)).one()
    assert (profile.stated_reason, profile.reason_detail, profile.updated_by) == (
        "job_loss",
        "laid off in October",
        "customer:C0001",
    )
    tasks = session.scalars(sa.select(FollowUp).where(FollowUp.work_order_id == wo_id)).all()
    assert [(t.kind, t.source) for t in tasks] == [("review", "portal:hardship")]
    assert on_timeline(session, wo_id, "hardship", "customer:C0001")


# --- call back -----------------------------------------------------------------------------------


def _call(session: Session, wo_id: int, at: datetime) -> Any:
    with clock.frozen(at):
        attempt = contact.log_attempt(
            session=session,
            work_order_id=wo_id,
            body=ContactIn(channel="call", outcome="no_answer"),
            actor="user:collector",
        )
    session.rollback()  # asked only: nothing kept
    return attempt


def test_a_call_back_window_is_a_consent_and_a_task_inside_the_calling_hours(
    world: tuple[Session, Seeded],
) -> None:
    """cn-card (the default): consent does not lift the hours, so a window must lie in them."""
    session, seeded = world
    wo_id = seeded.work_orders[0]
    refused(
        session,
        said.PolicyRefused,
        said.WINDOW_HOURS,
        lambda: actions.ask_call_back(
            session=session,
            customer=me(seeded),
            case_id=wo_id,
            day="2026-11-23",
            start="20:30",
            end="21:30",
        ),
        start="08:00",
        end="21:00",
    )
    for start, end, msgid in (
        ("11:00", "10:00", said.WINDOW_ORDER),
        ("09:00", "09:30", said.WINDOW_PAST),  # today, 09:00 in Shanghai has passed
        ("08:00", "21:00", said.WINDOW_TOO_LONG),
        ("", "10:00", said.WINDOW_NOT_TIME),
    ):
        refused(
            session,
            said.InputRefused,
            msgid,
            lambda start=start, end=end: actions.ask_call_back(
                session=session, customer=me(seeded), case_id=wo_id, day=TODAY, start=start, end=end
            ),
        )
    refused(
        session,
        said.PolicyRefused,
        said.WINDOW_TOO_FAR,
        lambda: actions.ask_call_back(
            session=session,
            customer=me(seeded),
            case_id=wo_id,
            day="2026-11-29",
            start="18:00",
            end="19:00",
        ),
        last="2026-11-28 10:00",
    )
    done = actions.ask_call_back(
        session=session,
        customer=me(seeded),
        case_id=wo_id,
        day="2026-11-23",
        start="18:00",
        end="19:00",
    )
    session.commit()
    assert done.params == {"date": "2026-11-23", "start": "18:00", "end": "19:00"}
    consent = session.scalars(sa.select(ContactConsent)).one()
    assert (consent.window_start, consent.window_end, consent.given_by, consent.source) == (
        datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 11, 0, tzinfo=UTC),
        "customer:C0001",
        "portal",
    )
    task = session.scalars(sa.select(FollowUp).where(FollowUp.work_order_id == wo_id)).one()
    assert (task.kind, task.due_on) == ("call_back", date(2026, 11, 23))
    assert on_timeline(session, wo_id, "call_back", "customer:C0001")
    # Asked twice: one consent.
    actions.ask_call_back(
        session=session,
        customer=me(seeded),
        case_id=wo_id,
        day="2026-11-23",
        start="18:00",
        end="19:00",
    )
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(ContactConsent)) == 1
    # The call in the window is allowed.
    assert _call(session, wo_id, datetime(2026, 11, 23, 10, 30, tzinfo=UTC)).status == "made"


@pytest.fixture
def reg_f(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ARREARS_JURISDICTION", "us-reg-f")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_under_reg_f_the_window_the_customer_chose_lifts_the_calling_hours(
    world: tuple[Session, Seeded], reg_f: None
) -> None:
    """Reg F lets consent lift the hours (1692c(a)): a call at 23:15 in the customer's zone is
    blocked without his window, allowed inside it (75 minutes after it opened: a window, not a
    time with an hour's slack), blocked again after it."""
    session, seeded = world
    wo_id = seeded.work_orders[0]
    late = datetime(2026, 11, 23, 15, 15, tzinfo=UTC)  # 23:15 in Shanghai
    before = _call(session, wo_id, late)
    assert before.status == "blocked"
    assert "time_window" in (before.compliance_rules or [])
    actions.ask_call_back(
        session=session,
        customer=me(seeded),
        case_id=wo_id,
        day="2026-11-23",
        start="22:00",
        end="23:30",
    )
    session.commit()
    assert _call(session, wo_id, late).status == "made"
    after = _call(session, wo_id, late + timedelta(minutes=30))  # 23:45: after the window
    assert after.status == "blocked"
    # The other customer gave no consent: still blocked.
    assert _call(session, seeded.work_orders[1], late).status == "blocked"


# --- channels ------------------------------------------------------------------------------------


def test_preferences_keep_one_preferred_channel(world: tuple[Session, Seeded]) -> None:
    session, seeded = world
    refused(
        session,
        said.InputRefused,
        said.CHANNEL_UNKNOWN,
        lambda: actions.set_preferred_channel(session=session, customer=me(seeded), channel="fax"),
    )
    actions.set_preferred_channel(session=session, customer=me(seeded), channel="sms")
    done = actions.set_preferred_channel(session=session, customer=me(seeded), channel="email")
    session.commit()
    rows = {r.channel: r.preferred for r in session.scalars(sa.select(DebtorChannel))}
    assert rows == {"sms": False, "email": True}
    assert done.text(lambda s: s) == "We will contact you by e-mails when we can."
    assert on_timeline(session, seeded.work_orders[0], "preferred_channel", "customer:C0001")


def test_opting_out_of_calls_stops_the_collectors_calls(world: tuple[Session, Seeded]) -> None:
    session, seeded = world
    wo_id = seeded.work_orders[0]
    assert _call(session, wo_id, MORNING).status == "made"
    refused(
        session,
        said.InputRefused,
        said.CHANNEL_UNKNOWN,
        lambda: actions.opt_out(session=session, customer=me(seeded), channel="letter"),
    )
    actions.set_preferred_channel(session=session, customer=me(seeded), channel="call")
    actions.opt_out(session=session, customer=me(seeded), channel="call")
    session.commit()
    row = session.scalars(sa.select(DebtorChannel).where(DebtorChannel.channel == "call")).one()
    assert (row.opted_out_via, row.preferred) == ("portal", False)
    assert row.opted_out_at == MORNING
    blocked = _call(session, wo_id, MORNING)
    assert blocked.status == "blocked"
    assert "opt_out.call" in (blocked.compliance_rules or [])
    # The other customer's calls go on.
    assert _call(session, seeded.work_orders[1], MORNING).status == "made"
    # Twice: written once.
    before = written(session)
    actions.opt_out(session=session, customer=me(seeded), channel="call")
    session.commit()
    assert written(session) == before
    refused(
        session,
        said.PolicyRefused,
        said.PREFER_OPTED_OUT,
        lambda: actions.set_preferred_channel(session=session, customer=me(seeded), channel="call"),
    )
    assert on_timeline(session, wo_id, "opt_out", "customer:C0001")


def test_every_sentence_is_in_the_chinese_catalog() -> None:
    from arrears.web.i18n import translations

    zh = translations("zh-CN")
    sentences = [
        value
        for name, value in vars(said).items()
        if name.isupper() and isinstance(value, str) and " " in value and value[0].isupper()
    ] + list(said.CHANNEL_NAMES.values())
    missing = [s for s in sentences if zh.gettext(s) == s]
    assert missing == []


def test_the_self_service_share_counts_what_customers_made(world: tuple[Session, Seeded]) -> None:
    """The dashboard's KPI on the store: the customer's promise and plan count as self-service,
    a collector's promise does not."""
    from arrears.analytics import repository as analytics_repository
    from arrears.analytics.kpis import self_service_share

    session, seeded = world
    actions.promise_to_pay(
        session=session,
        customer=me(seeded),
        case_id=seeded.work_orders[0],
        amount="100",
        due_on="2026-12-01",
    )
    actions.choose_plan(
        session=session,
        customer=me(seeded, 1),
        case_id=seeded.work_orders[1],
        instalments=3,
        first_due_on="2026-12-05",
    )
    session.commit()
    # A collector's promise on the second case (replacing the customer's plan).
    promise_service.take_promise(
        session=session,
        work_order_id=seeded.work_orders[1],
        amount="50",
        due_on=date(2026, 11, 30),
        channel="call",
        actor="user:collector",
        supersede=True,
    )
    session.commit()
    share = {
        r["kind"]: r for r in self_service_share(analytics_repository.arrangement_rows(session))
    }
    assert (share["promise"]["made"], share["promise"]["self_service"]) == (2, 1)
    assert (share["plan"]["made"], share["plan"]["self_service"]) == (1, 1)
    assert share["(all)"]["self_service_share"] == round(2 / 3, 4)
