"""Promises to pay and how promises and plans are shown. Plans and settlements are proposed and
decided in ``plan_service``; payments are matched to them by the nightly stage (``nightly``).

Keyword-only; flush, never commit.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.contacts.service import linked_attempt
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, RuleRefused
from arrears.promises import arrangements, repository
from arrears.promises.models import PROMISE_CHANNELS, Promise, RepaymentPlan
from arrears.promises.plans import (
    PlanOption,
    plan_options,
)
from arrears.promises.policy import PromisePolicy, load_promise_policy

# How far ahead a promise may be dated: further out it is a plan, not a promise.
MAX_PROMISE_DAYS = 90


@lru_cache(maxsize=8)
def policy(name: str = "default") -> PromisePolicy:
    return load_promise_policy(name)


# --- promises ----------------------------------------------------------------------------------


def take_promise(
    *,
    session: Session,
    work_order_id: int,
    amount: object,
    due_on: date,
    channel: str,
    actor: str,
    contact_attempt_id: int | None = None,
    expected_version: int | None = None,
    supersede: bool = False,
) -> Promise:
    """Record a promise to pay; the case moves to ``promised`` and its next action to the date.

    The amount is at most what the case owes today; a live promise, plan or settlement on the
    case is replaced only with ``supersede``."""
    wo = arrangements.open_case(session, work_order_id, expected_version)
    linked_attempt(session=session, work_order_id=wo.id, contact_attempt_id=contact_attempt_id)
    value = arrangements.amount(amount, "amount", wo.currency)
    today = clock.today()
    if channel not in PROMISE_CHANNELS:
        raise BadInput(f"channel must be one of: {', '.join(PROMISE_CHANNELS)} (got {channel!r})")
    if due_on < today:
        raise BadInput(f"the promise date {due_on} is in the past (today is {today})")
    if due_on > today + timedelta(days=MAX_PROMISE_DAYS):
        raise BadInput(
            f"a promise can be at most {MAX_PROMISE_DAYS} days ahead; propose a plan instead"
        )
    owed = arrangements.owed_or_refuse(session=session, work_order=wo)
    if value > owed:
        raise RuleRefused(
            f"a promise of {value} is more than case {wo.id} owes today ({owed} {wo.currency})"
        )
    superseded = arrangements.make_way(
        session=session, work_order=wo, new="promise", supersede=supersede, actor=actor
    )
    now = clock.now()
    promise = Promise(
        work_order_id=wo.id,
        contact_attempt_id=contact_attempt_id,
        amount=value,
        currency=wo.currency,
        due_on=due_on,
        made_on=today,
        channel=channel,
        status="pending",
        paid=Decimal("0.00"),
        taken_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(promise)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="promise.take",
        entity="promise",
        entity_id=promise.id,
        after={**_plain(promise_dict(promise)), "owed": f"{owed:f}", "supersedes": superseded},
    )
    case_service.move_if_legal(
        session=session, work_order=wo, to="promised", actor=actor, reason="promise to pay taken"
    )
    grace = policy().promise.grace_days
    wo.next_action_on = due_on + timedelta(days=grace + 1)
    wo.updated_at = now
    case_service.flush(session, f"case {wo.id}")
    return promise


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy for the audit trail: amounts and dates as strings."""
    return {
        k: (f"{v:f}" if isinstance(v, Decimal) else v.isoformat() if isinstance(v, date) else v)
        for k, v in values.items()
    }


def latest_promise(*, session: Session, work_order_id: int) -> Promise | None:
    found = repository.promises_of(session, work_order_id)
    return max(found, key=lambda p: (p.made_on, p.id)) if found else None


def promise_dict(p: Promise) -> dict[str, Any]:
    return {
        "id": p.id,
        "work_order_id": p.work_order_id,
        "amount": p.amount,
        "currency": p.currency,
        "due_on": p.due_on,
        "made_on": p.made_on,
        "channel": p.channel,
        "status": p.status,
        "paid": p.paid,
        "settled_on": p.settled_on,
        "taken_by": p.taken_by,
        "version": p.version,
    }


def options_for(
    *, total_due: Decimal, amount_past_due: Decimal, dpd: int, currency: str
) -> list[PlanOption]:
    rules = policy()
    return plan_options(
        total_due=total_due,
        amount_past_due=amount_past_due,
        dpd=dpd,
        offers=rules.offers,
        plan_rules=rules.plan,
        settlement_rules=rules.settlement,
        currency=currency,
    )


def plan_summary(plan: RepaymentPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "work_order_id": plan.work_order_id,
        "kind": plan.kind,
        "status": plan.status,
        "balance": f"{plan.balance:f}",
        "discount": f"{plan.discount:f}",
        "total": f"{plan.total:f}",
        "currency": plan.currency,
        "instalment_count": plan.instalment_count,
        "first_due_on": plan.first_due_on.isoformat(),
        "frequency": plan.frequency,
        "needs_checker": plan.needs_checker,
        "maker": plan.maker,
        "checker": plan.checker,
        "missed": plan.missed,
        "version": plan.version,
    }


def plan_dict(*, session: Session, plan: RepaymentPlan) -> dict[str, Any]:
    return {
        **plan_summary(plan),
        "instalments": [
            {
                "seq": r.seq,
                "due_on": r.due_on,
                "amount": r.amount,
                "status": r.status,
                "paid": r.paid,
            }
            for r in repository.instalments(session, plan.id)
        ],
    }
