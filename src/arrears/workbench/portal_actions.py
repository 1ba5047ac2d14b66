"""What the customer can do in the self-service portal ("Act"): promise to pay, choose a plan
among the options his case qualifies for, accept the settlement the policy offers him, raise a
dispute, report hardship, ask for a call back in a window, set his preferred channel, opt out of
a channel.

Each action goes through the service the workbench uses (``promises.service``,
``promises.plan_service``, ``cases.service`` for the dispute hold and the customer profile,
``channels.service``, ``contacts.service`` for the call-back consent), as the customer
(``customer:<external_ref>``) and at the clock's time, never the caller's. Before calling it, the
action checks what a customer can get wrong and refuses it in one sentence the portal says in his
language (``Refusal.msgid`` is the Babel catalog's key); nothing is written then. Each action
done marks the case (``customer_acted_at``, the queue's "customer acted" flag) and leaves a
``portal.<action>`` event, by the customer, on the case's timeline. Keyword-only; flush, never
commit.

Why one module: the eight actions share their guards (the customer's own case, locked; the
offers computed once; a lost race said in his words; the case marked after), and a reviewer
checks that every one of them has all four by reading one file. The sentences are in
``portal_said``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import STATED_REASONS, WorkOrder
from arrears.channels import repository as channel_repository
from arrears.channels import service as channel_service
from arrears.compliance import repository as compliance_repository
from arrears.compliance.models import ContactConsent
from arrears.config import get_settings
from arrears.contacts import service as contact_service
from arrears.kit import audit, wording
from arrears.kit.clock import clock
from arrears.kit.errors import ArrearsError, BadInput, Conflict, RuleRefused
from arrears.kit.money import ZERO
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import Cardholder
from arrears.promises import arrangements, plan_service
from arrears.promises import repository as promise_repository
from arrears.promises import service as promise_service
from arrears.promises.plans import PlanOption
from arrears.workbench.portal_said import (
    ALREADY_DISPUTED,
    AMOUNT_ABOVE_OWED,
    AMOUNT_DECIMALS,
    AMOUNT_NOT_NUMBER,
    AMOUNT_NOT_POSITIVE,
    CALL_BACK_DONE,
    CASE_CLOSED,
    CHANGED_MEANWHILE,
    CHANNEL_NAMES,
    CHANNEL_UNKNOWN,
    DATE_NOT_DATE,
    DATE_PAST,
    DATE_TOO_FAR,
    DISPUTE_DONE,
    DISPUTE_TEXT,
    HARDSHIP_DONE,
    HARDSHIP_REASON,
    LIVE_ARRANGEMENT,
    NO_CASE,
    NOT_NOW,
    NOTHING_OWED,
    OPT_OUT_DONE,
    PLAN_ACTIVE,
    PLAN_NOT_OFFERED,
    PLAN_WAITING,
    PREFER_OPTED_OUT,
    PREFERENCE_DONE,
    PROMISE_DONE,
    SETTLEMENT_ACTIVE,
    SETTLEMENT_CHANGED,
    SETTLEMENT_NOT_OFFERED,
    SETTLEMENT_WAITING,
    TEXT_TOO_LONG,
    WINDOW_HOURS,
    WINDOW_NOT_TIME,
    WINDOW_ORDER,
    WINDOW_PAST,
    WINDOW_TOO_FAR,
    WINDOW_TOO_LONG,
    CaseNotFound,
    ChangedMeanwhile,
    Done,
    InputRefused,
    PolicyRefused,
    Refusal,
)

ACTOR_PREFIX = "customer:"
# The channels a customer may prefer, and those he may opt out of here: letters carry the
# notices the law requires (the validation notice, the final notices), so they stay.
PREFERABLE = ("sms", "email", "call", "letter")
OPT_OUT_CHANNELS = ("sms", "email", "call")
# Hardship reasons: the workbench's customer-profile list, one list for both.
HARDSHIP_REASONS = STATED_REASONS
MAX_TEXT = 1000
# Follow-up sources of the customer's own requests (a double submit adds no second task).
DISPUTE_SOURCE = "portal:dispute"
HARDSHIP_SOURCE = "portal:hardship"


class Customer(Protocol):
    """The verified customer acting: the portal's session gives one (``PortalCustomer``)."""

    @property
    def cardholder_id(self) -> int: ...

    @property
    def actor(self) -> str: ...


@dataclass(frozen=True)
class CustomerRef:
    """A customer named by his card-system number (tests, the demo)."""

    cardholder_id: int
    external_ref: str

    @property
    def actor(self) -> str:
        return f"{ACTOR_PREFIX}{self.external_ref}"


# --- what the customer's case qualifies for ------------------------------------------------------


@dataclass(frozen=True)
class Offers:
    """The figures and bounds the action forms show: what is owed today, the plan options the
    case qualifies for, the settlement offer if any, and the latest dates allowed."""

    case_id: int
    version: int
    currency: str
    owed: Decimal
    past_due: Decimal
    dpd: int
    plans: list[PlanOption]
    settlement: PlanOption | None
    live_arrangement: bool
    promise_last_day: date
    plan_last_first_day: date
    settlement_pay_by: date
    call_back_last_day: date
    hardship_reasons: tuple[str, ...] = HARDSHIP_REASONS
    preferable: tuple[str, ...] = PREFERABLE
    opt_out_channels: tuple[str, ...] = OPT_OUT_CHANNELS


def offers(*, session: Session, customer: Customer, case_id: object) -> Offers:
    """What the customer's case qualifies for now (the forms' options and bounds)."""
    return _offers(session, _case(session, customer, case_id, lock=False))


def _offers(session: Session, wo: WorkOrder) -> Offers:
    parts = [
        p.breakdown
        for p in case_service.breakdowns(session=session, work_order_id=wo.id)
        if p.breakdown.items
    ]
    owed = arrangements.owed(session=session, work_order=wo)
    if parts:
        past_due = sum((b.aging.amount_past_due for b in parts), ZERO)
        dpd = max(b.aging.dpd for b in parts)
    else:
        past_due, dpd = wo.amount_due, wo.dpd
    options = (
        promise_service.options_for(
            total_due=owed, amount_past_due=past_due, dpd=dpd, currency=wo.currency
        )
        if owed > ZERO
        else []
    )
    today = clock.today()
    rules = promise_service.policy().self_service
    promise_days = min(rules.promise_max_days, promise_service.MAX_PROMISE_DAYS)
    consent_days = contact_service.profile().frequency.consent_max_age_days
    return Offers(
        case_id=wo.id,
        version=wo.version,
        currency=wo.currency,
        owed=owed,
        past_due=past_due,
        dpd=dpd,
        plans=[o for o in options if o.kind == "instalments"],
        settlement=next((o for o in options if o.kind == "settlement"), None),
        live_arrangement=bool(arrangements.live(session=session, work_order_id=wo.id)),
        promise_last_day=today + timedelta(days=promise_days),
        plan_last_first_day=today + timedelta(days=rules.plan_first_due_max_days),
        settlement_pay_by=today + timedelta(days=rules.settlement_pay_days),
        call_back_last_day=today + timedelta(days=consent_days),
    )


# --- the actions ---------------------------------------------------------------------------------


def promise_to_pay(
    *,
    session: Session,
    customer: Customer,
    case_id: object,
    amount: object,
    due_on: object,
    version: int | None = None,
) -> Done:
    """A promise to pay ``amount`` by ``due_on``: at most what is owed today, dated from today
    to the self-service limit (``self_service.promise_max_days``)."""
    wo = _case(session, customer, case_id, lock=True)
    value = _amount(amount, wo.currency)
    found = _offers(session, wo)
    day = _day(due_on, last=found.promise_last_day)
    if found.owed <= ZERO:
        raise PolicyRefused(NOTHING_OWED)
    if value > found.owed:
        raise PolicyRefused(AMOUNT_ABOVE_OWED, owed=_money(found.owed, wo.currency))
    _no_live_arrangement(found)
    _through(lambda: case_service.check_version(wo, version))
    if wo.status in ("open", "assigned"):
        # A collector's promise follows a contact that put the case in progress; the customer's
        # own promise is that contact (open -> promised is not a move the playbook has).
        case_service.move_if_legal(
            session=session,
            work_order=wo,
            to="in_progress",
            actor=customer.actor,
            reason="the customer acted in the self-service portal",
        )
    promise = _through(
        lambda: promise_service.take_promise(
            session=session,
            work_order_id=wo.id,
            amount=value,
            due_on=day,
            channel="portal",
            actor=customer.actor,
        )
    )
    acted(
        session,
        wo,
        customer,
        "promise",
        {"promise_id": promise.id, "amount": f"{value:f}", "due_on": day.isoformat()},
    )
    return Done(
        "promise",
        PROMISE_DONE,
        {"amount": _money(value, wo.currency), "date": day.isoformat()},
        promise.id,
    )


def choose_plan(
    *,
    session: Session,
    customer: Customer,
    case_id: object,
    instalments: object,
    first_due_on: object,
    version: int | None = None,
) -> Done:
    """One of the instalment plans the case qualifies for, over what is owed today: active at
    once inside the policy's auto-approval bounds, else waiting for a checker."""
    wo = _case(session, customer, case_id, lock=True)
    found = _offers(session, wo)
    count = _int(instalments)
    option = next((o for o in found.plans if o.instalments == count), None)
    if option is None:
        raise PolicyRefused(PLAN_NOT_OFFERED)
    day = _day(first_due_on, last=found.plan_last_first_day)
    _no_live_arrangement(found)
    plan = _through(
        lambda: plan_service.propose_plan(
            session=session,
            work_order_id=wo.id,
            instalments=count,
            first_due_on=day,
            actor=customer.actor,
            expected_version=version,
        )
    )
    waiting = plan.status == "proposed"
    acted(
        session,
        wo,
        customer,
        "plan",
        {
            "plan_id": plan.id,
            "instalments": count,
            "total": f"{plan.total:f}",
            "status": plan.status,
        },
    )
    if waiting:
        return Done("plan", PLAN_WAITING, {}, plan.id, waiting=True)
    return Done(
        "plan",
        PLAN_ACTIVE,
        {
            "count": str(count),
            "amount": _money(option.amount, wo.currency),
            "date": plan.first_due_on.isoformat(),
        },
        plan.id,
    )


def accept_settlement(
    *,
    session: Session,
    customer: Customer,
    case_id: object,
    shown_amount: object = None,
    version: int | None = None,
) -> Done:
    """Accept the settlement the policy offers this case (``offers.settlement_from_dpd`` days
    late and over): the amount is the server's; ``shown_amount``, what the page showed, only
    tells whether the offer changed since. Paid by ``self_service.settlement_pay_days``; the
    policy's approval rules say whether a checker must agree."""
    wo = _case(session, customer, case_id, lock=True)
    found = _offers(session, wo)
    offer = found.settlement
    if offer is None:
        raise PolicyRefused(SETTLEMENT_NOT_OFFERED)
    if shown_amount not in (None, "") and _amount(shown_amount, wo.currency) != offer.amount:
        raise PolicyRefused(SETTLEMENT_CHANGED, amount=_money(offer.amount, wo.currency))
    _no_live_arrangement(found)
    rules = promise_service.policy()
    # The discount plan_options offered (the same two policy values, the same rounding).
    discount = min(rules.offers.settlement_discount, rules.settlement.max_discount)
    plan = _through(
        lambda: plan_service.propose_settlement(
            session=session,
            work_order_id=wo.id,
            discount=discount,
            due_on=found.settlement_pay_by,
            actor=customer.actor,
            expected_version=version,
        )
    )
    if plan.total != offer.amount:  # one rule computes both; a difference is a bug, not input
        raise ArrearsError(f"settlement {plan.total} differs from the offer {offer.amount}")
    acted(
        session,
        wo,
        customer,
        "settlement",
        {"plan_id": plan.id, "total": f"{plan.total:f}", "status": plan.status},
    )
    if plan.status == "proposed":
        return Done("settlement", SETTLEMENT_WAITING, {}, plan.id, waiting=True)
    return Done(
        "settlement",
        SETTLEMENT_ACTIVE,
        {"amount": _money(plan.total, wo.currency), "date": found.settlement_pay_by.isoformat()},
        plan.id,
    )


def raise_dispute(*, session: Session, customer: Customer, case_id: object, text: object) -> Done:
    """The customer disputes the debt: the case is held for the dispute and its check put on
    the list, as a dispute told to a collector does (``cases.service.hold_for_dispute``); on a
    case already held for another reason, the check is listed all the same."""
    wo = _case(session, customer, case_id, lock=True)
    words = str(text or "").strip()
    if not words or len(words) > MAX_TEXT:
        raise InputRefused(DISPUTE_TEXT, max=str(MAX_TEXT))
    if (wo.status == "on_hold" and wo.hold_reason == "dispute") or _open_task(
        session, wo, DISPUTE_SOURCE
    ):
        raise PolicyRefused(ALREADY_DISPUTED)
    note = f"{case_service.DISPUTE_CHECK}; the customer says: {words}"
    task = case_service.hold_for_dispute(
        session=session,
        work_order=wo,
        actor=customer.actor,
        due_on=clock.today(),
        source=DISPUTE_SOURCE,
        note=note,
    )
    held = task is not None
    if task is None:
        task = case_service.schedule_follow_up(
            session=session,
            work_order_id=wo.id,
            due_on=clock.today(),
            kind="review",
            note=note,
            actor=customer.actor,
            source=DISPUTE_SOURCE,
        )
    acted(session, wo, customer, "dispute", {"held": held, "follow_up_id": task.id})
    return Done("dispute", DISPUTE_DONE, {}, task.id)


def report_hardship(
    *,
    session: Session,
    customer: Customer,
    case_id: object,
    reason: object,
    detail: object = "",
) -> Done:
    """The customer tells why he cannot pay: the profile's stated reason (the workbench's list)
    and his words, and a review task for his collector."""
    wo = _case(session, customer, case_id, lock=False)
    if reason not in HARDSHIP_REASONS:
        raise InputRefused(HARDSHIP_REASON)
    words = str(detail or "").strip()
    if len(words) > MAX_TEXT:
        raise InputRefused(TEXT_TOO_LONG, max=str(MAX_TEXT))
    stated = str(reason)
    profile = _through(
        lambda: case_service.update_profile(
            session=session,
            work_order_id=wo.id,
            actor=customer.actor,
            stated_reason=stated,
            reason_detail=words or None,
        )
    )
    if not _open_task(session, wo, HARDSHIP_SOURCE):
        case_service.schedule_follow_up(
            session=session,
            work_order_id=wo.id,
            due_on=clock.today(),
            kind="review",
            note=f"the customer reports hardship: {stated}" + (f"; {words}" if words else ""),
            actor=customer.actor,
            source=HARDSHIP_SOURCE,
        )
    acted(session, wo, customer, "hardship", {"stated_reason": stated, "detail": words or None})
    return Done("hardship", HARDSHIP_DONE, {}, profile.id)


def ask_call_back(
    *,
    session: Session,
    customer: Customer,
    case_id: object,
    day: object,
    start: object,
    end: object,
) -> Done:
    """A call back on ``day`` between ``start`` and ``end`` (the customer's wall clock: his
    zone on file, else the center's), stored as his consent with that window
    (``contacts.service.give_call_back_consent``)."""
    wo = _case(session, customer, case_id, lock=False)
    holder = _holder(session, wo)
    zone = zone_of(holder)
    try:
        on = day if isinstance(day, date) else date.fromisoformat(str(day))
        begin = start if isinstance(start, time) else time.fromisoformat(str(start))
        finish = end if isinstance(end, time) else time.fromisoformat(str(end))
    except ValueError as exc:
        raise InputRefused(WINDOW_NOT_TIME) from exc
    start_at = datetime.combine(on, begin, zone)
    end_at = datetime.combine(on, finish, zone)
    problem = contact_service.window_problem(
        session=session, holder=holder, start=start_at, end=end_at
    )
    if problem is not None:
        raise _window_refusal(problem, zone)
    duplicate = any(
        c.window_start == start_at and c.window_end == end_at for c in _consents_of(session, holder)
    )
    if not duplicate:
        consent = _through(
            lambda: contact_service.give_call_back_consent(
                session=session,
                work_order=wo,
                holder=holder,
                start=start_at,
                end=end_at,
                actor=customer.actor,
                source="portal",
            )
        )
        acted(
            session,
            wo,
            customer,
            "call_back",
            {
                "consent_id": consent.id,
                "window_start": start_at.isoformat(),
                "window_end": end_at.isoformat(),
            },
        )
    return Done(
        "call_back",
        CALL_BACK_DONE,
        {"date": on.isoformat(), "start": f"{begin:%H:%M}", "end": f"{finish:%H:%M}"},
    )


def set_preferred_channel(*, session: Session, customer: Customer, channel: object) -> Done:
    """The channel the customer prefers to be contacted on (one at a time)."""
    if channel not in PREFERABLE:
        raise InputRefused(CHANNEL_UNKNOWN)
    chosen = str(channel)
    if chosen in channel_service.opted_out(session=session, cardholder_id=customer.cardholder_id):
        raise PolicyRefused(PREFER_OPTED_OUT)
    rows = channel_repository.debtor_channels(session, customer.cardholder_id)
    if not any(r.channel == chosen and r.preferred for r in rows):
        for row in rows:
            if row.preferred:
                channel_service.set_channel(
                    session=session,
                    cardholder_id=customer.cardholder_id,
                    channel=row.channel,
                    address=None,
                    preferred=False,
                    actor=customer.actor,
                )
        channel_service.set_channel(
            session=session,
            cardholder_id=customer.cardholder_id,
            channel=chosen,
            address=None,
            preferred=True,
            actor=customer.actor,
        )
        acted_on_all(session, customer, "preferred_channel", {"channel": chosen})
    return Done("preferred_channel", PREFERENCE_DONE, {"channel": CHANNEL_NAMES[chosen]})


def opt_out(*, session: Session, customer: Customer, channel: object) -> Done:
    """The customer opts out of a channel: no message goes out on it, the pending ones are
    cancelled, and the compliance engine refuses a collector's contact on it. Twice: once."""
    if channel not in OPT_OUT_CHANNELS:
        raise InputRefused(CHANNEL_UNKNOWN)
    chosen = str(channel)
    if chosen not in channel_service.opted_out(
        session=session, cardholder_id=customer.cardholder_id
    ):
        row = channel_service.opt_out(
            session=session,
            cardholder_id=customer.cardholder_id,
            channel=chosen,
            via="portal",
            actor=customer.actor,
        )
        if row.preferred:
            channel_service.set_channel(
                session=session,
                cardholder_id=customer.cardholder_id,
                channel=chosen,
                address=None,
                preferred=False,
                actor=customer.actor,
            )
        acted_on_all(session, customer, "opt_out", {"channel": chosen})
    return Done("opt_out", OPT_OUT_DONE, {"channel": CHANNEL_NAMES[chosen]})


def opted_out_channels(*, session: Session, customer: Customer) -> list[str]:
    """The channels the customer opted out of (the contact page shows them)."""
    return channel_service.opted_out(session=session, cardholder_id=customer.cardholder_id)


def preferred_channel(*, session: Session, customer: Customer) -> str | None:
    return channel_service.preferred_channel(session=session, cardholder_id=customer.cardholder_id)


# --- the parts -----------------------------------------------------------------------------------

T = TypeVar("T")


def _case(session: Session, customer: Customer, case_id: object, *, lock: bool) -> WorkOrder:
    """The customer's own open case; another's reads exactly as a missing one. With ``lock``,
    held for the rest of the transaction and read as it is now (two submits at once are taken
    one after the other, so the second sees what the first made)."""
    try:
        wo_id = int(str(case_id))
    except ValueError as exc:
        raise CaseNotFound(NO_CASE) from exc
    wo = case_repository.work_order(session, wo_id)
    if wo is None or wo.cardholder_id != customer.cardholder_id:
        raise CaseNotFound(NO_CASE)
    if lock:
        promise_repository.lock_work_order(session, wo.id)
        session.refresh(wo)
    if wo.status == "closed":
        raise PolicyRefused(CASE_CLOSED)
    return wo


def _holder(session: Session, wo: WorkOrder) -> Cardholder:
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if holder is None:  # a foreign key: cannot happen
        raise CaseNotFound(NO_CASE)
    return holder


def zone_of(holder: Cardholder) -> ZoneInfo:
    zones = list(holder.time_zones or [])
    return ZoneInfo(zones[0] if zones else get_settings().time_zone)


def _consents_of(session: Session, holder: Cardholder) -> list[ContactConsent]:
    return list(
        compliance_repository.consents_of(
            session, cardholder_id=holder.id, ending_after=clock.now()
        )
    )


def _window_refusal(problem: str, zone: ZoneInfo) -> Refusal:
    if problem == "order":
        return InputRefused(WINDOW_ORDER)
    if problem == "too_long":
        return InputRefused(WINDOW_TOO_LONG)
    if problem == "begun":
        return InputRefused(WINDOW_PAST)
    profile = contact_service.profile()
    if problem == "too_far":
        last = clock.now() + timedelta(days=profile.frequency.consent_max_age_days)
        return PolicyRefused(WINDOW_TOO_FAR, last=f"{last.astimezone(zone):%Y-%m-%d %H:%M}")
    hours = profile.time_window
    return PolicyRefused(WINDOW_HOURS, start=f"{hours.start:%H:%M}", end=f"{hours.end:%H:%M}")


def _amount(value: object, currency: str) -> Decimal:
    """``arrangements.amount``'s checks, worded for the customer."""
    try:
        return arrangements.amount(value if value is not None else "", "the amount", currency)
    except BadInput as exc:
        raise InputRefused(_AMOUNT_SAID[str(exc.detail)]) from exc


_AMOUNT_SAID = {
    "not_number": AMOUNT_NOT_NUMBER,
    "not_positive": AMOUNT_NOT_POSITIVE,
    "decimals": AMOUNT_DECIMALS,
}


def _day(value: object, *, last: date) -> date:
    """A date from today to ``last`` (the server's today, never the form's)."""
    if isinstance(value, datetime):
        raise InputRefused(DATE_NOT_DATE)
    try:
        found = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InputRefused(DATE_NOT_DATE) from exc
    if found < clock.today():
        raise InputRefused(DATE_PAST)
    if found > last:
        raise InputRefused(DATE_TOO_FAR, last=last.isoformat())
    return found


def _int(value: object) -> int:
    text = str(value).strip() if value is not None else ""
    if not text.isdigit():
        raise PolicyRefused(PLAN_NOT_OFFERED)
    return int(text)


def _money(value: Decimal, currency: str) -> str:
    return f"{wording.amount(value, currency)} {currency}"


def _no_live_arrangement(found: Offers) -> None:
    # A customer never replaces a live arrangement himself: a plan a collector agreed is a
    # conversation, not a click.
    if found.live_arrangement:
        raise PolicyRefused(LIVE_ARRANGEMENT)


def _open_task(session: Session, wo: WorkOrder, source: str) -> bool:
    return any(
        t.source == source for t in case_repository.follow_ups(session, wo.id, status="open")
    )


def _through(call: Callable[[], T]) -> T:
    """Run the workbench's service; what it still refuses (a race it lost) becomes one
    sentence for the customer, the service's own words kept as the cause."""
    try:
        return call()
    except Refusal:
        raise
    except Conflict as exc:
        raise ChangedMeanwhile(CHANGED_MEANWHILE) from exc
    except RuleRefused as exc:
        if isinstance(exc.detail, dict) and "live" in exc.detail:
            raise PolicyRefused(LIVE_ARRANGEMENT) from exc
        raise PolicyRefused(NOT_NOW) from exc
    except ArrearsError as exc:
        raise InputRefused(NOT_NOW) from exc


def acted(
    session: Session, wo: WorkOrder, customer: Customer, action: str, after: dict[str, Any]
) -> None:
    """Mark the case (the queue's flag) and put the action on its timeline, by the customer."""
    now = clock.now()
    wo.customer_acted_at = now
    case_service.flush(session, f"case {wo.id}")
    audit.record(
        session,
        actor=customer.actor,
        action=f"portal.{action}",
        entity=case_service.ENTITY,
        entity_id=wo.id,
        after=after,
        reason="the customer acted in the self-service portal",
        at=now,
    )
    session.flush()


def acted_on_all(session: Session, customer: Customer, action: str, after: dict[str, Any]) -> None:
    for wo in case_repository.live_cases_of(session, customer.cardholder_id):
        acted(session, wo, customer, action, after)
