"""Work order operations: transitions, taking the next case, the case's ledger, recording the
three stops, follow-ups and the customer profile. Keyword-only; flush, never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from arrears.cases import batch, repository
from arrears.cases.models import (
    FACT_STATUSES,
    STATED_REASONS,
    CustomerProfile,
    FollowUp,
    ThreeStop,
    WorkOrder,
    WorkOrderAccount,
)
from arrears.cases.states import plan_move
from arrears.cases.three_stops import check_stop, escalates, next_stop
from arrears.config import get_settings
from arrears.delinquency import (
    AccountTerms,
    FeeSchedule,
    OwedBreakdown,
    PaymentFact,
    StatementFact,
    StatusReport,
    load_fee_schedule,
    owed_breakdown,
)
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, NotFound
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import CardAccount, Payment

ENTITY = batch.ENTITY


# --- loading and locking -----------------------------------------------------------------------


def get(*, session: Session, work_order_id: int) -> WorkOrder:
    """The work order, or ``NotFound``."""
    found = repository.work_order(session, work_order_id)
    if found is None:
        raise NotFound(f"no case {work_order_id}")
    return found


def check_version(work_order: WorkOrder, expected_version: int | None) -> None:
    """Refuse a save based on a stale read (the caller's version is not the stored one)."""
    if expected_version is not None and expected_version != work_order.version:
        raise Conflict(
            f"case {work_order.id} was changed by someone else since you opened it (it is at "
            f"version {work_order.version}, you had {expected_version}): reload and try again",
            detail={"current_version": work_order.version, "your_version": expected_version},
        )


def flush(session: Session, what: str) -> None:
    """Flush, turning a lost-update race into ``Conflict`` (409) instead of a silent overwrite."""
    try:
        session.flush()
    except StaleDataError as exc:
        # Raise only: the boundary rolls the transaction back, a batch its savepoint.
        raise Conflict(
            f"{what} was changed by someone else at the same time: reload and try again"
        ) from exc


# --- the state machine -------------------------------------------------------------------------


def transition(
    *,
    session: Session,
    work_order_id: int,
    to: str,
    actor: str,
    reason: str | None = None,
    expected_version: int | None = None,
    close_reason: str | None = None,
    hold_reason: str | None = None,
    escalated_to: str | None = None,
) -> WorkOrder:
    """Move a case to ``to`` if the state machine allows it; audited with before and after.

    People's moves come through ``workforce.closing.transition``: a closed case must also let go
    of its assignment, which this domain cannot see."""
    wo = get(session=session, work_order_id=work_order_id)
    check_version(wo, expected_version)
    return apply_move(
        session=session,
        work_order=wo,
        to=to,
        actor=actor,
        reason=reason,
        close_reason=close_reason,
        hold_reason=hold_reason,
        escalated_to=escalated_to,
    )


def apply_move(
    *,
    session: Session,
    work_order: WorkOrder,
    to: str,
    actor: str,
    reason: str | None,
    close_reason: str | None = None,
    hold_reason: str | None = None,
    escalated_to: str | None = None,
) -> WorkOrder:
    wo = work_order
    move = plan_move(
        wo.status,
        to,
        close_reason=close_reason,
        hold_reason=hold_reason,
        escalated_to=escalated_to,
    )
    before = batch.snapshot(wo)
    batch.set_move(wo, move)
    flush(session, f"case {wo.id}")
    batch.audit_move(
        session, wo, before=before, after=batch.snapshot(wo), actor=actor, reason=reason
    )
    session.flush()
    return wo


def move_if_legal(
    *,
    session: Session,
    work_order: WorkOrder,
    to: str,
    actor: str,
    reason: str,
    hold_reason: str | None = None,
) -> bool:
    """Follow the playbook automatically (e.g. a promise taken -> promised) when the machine
    allows it; leave the case where it is otherwise (a held case stays held)."""
    if not batch.legal(work_order, to):
        return False
    apply_move(
        session=session,
        work_order=work_order,
        to=to,
        actor=actor,
        reason=reason,
        hold_reason=hold_reason,
    )
    return True


# --- taking the next case ----------------------------------------------------------------------


def next_case(
    *, session: Session, base: Select[WorkOrder] | None = None, queue: str | None = None
) -> WorkOrder | None:
    """The one next-case rule (page, API and CLI): the first of ``repository.next_candidates``
    as of the center's today, within ``base`` (the caller's scope), or None."""
    found = repository.next_candidates(
        session,
        base=base if base is not None else select(WorkOrder),
        today=clock.today(),
        queue=queue,
    )
    return found[0] if found else None


def take_next(
    *,
    session: Session,
    actor: str,
    base: Select[WorkOrder] | None = None,
    queue: str | None = None,
) -> WorkOrder:
    """The most urgent workable case in the caller's scope (``next_case``), moved to
    in_progress."""
    wo = next_case(session=session, base=base, queue=queue)
    if wo is None:
        raise NotFound("no case is due in your queue right now")
    move_if_legal(
        session=session, work_order=wo, to="in_progress", actor=actor, reason="taken from queue"
    )
    return wo


# --- the case view -----------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _fee_schedule(name: str) -> Any:
    return load_fee_schedule(name)


def fee_schedule() -> FeeSchedule:
    """The fee profile the center runs (``ARREARS_FEE_SCHEDULE``): what the breakdown and the
    scripts say about charges."""
    schedule: FeeSchedule = _fee_schedule(get_settings().fee_schedule)
    return schedule


@dataclass(frozen=True)
class AccountBreakdown:
    account_ref: str
    breakdown: OwedBreakdown


@dataclass(frozen=True)
class CaseLedger:
    """What the case's accounts owe and the facts it was computed from, loaded once."""

    accounts: Sequence[tuple[WorkOrderAccount, CardAccount | None]]
    payments: Sequence[Payment]
    breakdowns: list[AccountBreakdown]


def ledger(*, session: Session, work_order_id: int, as_of: date | None = None) -> CaseLedger:
    """The owed breakdown of each account the case covers, from statements and payments.

    Four queries whatever the number of accounts (a case page is read all day long)."""
    as_of = as_of or clock.today()
    links = repository.case_accounts(session, work_order_id)
    held = sorted({a.id: a for _, a in links if a is not None}.values(), key=lambda a: a.id)
    ids = [a.id for a in held]
    statements: dict[int, list[StatementFact]] = defaultdict(list)
    for s in portfolio_repository.statements_of(session, ids):
        statements[s.account_id].append(s.fact())
    payments = portfolio_repository.payments_of(session, ids)
    paid: dict[int, list[PaymentFact]] = defaultdict(list)
    for p in payments:
        paid[p.account_id].append(PaymentFact(p.paid_on, p.amount, p.reference))
    reports: dict[int, list[StatusReport]] = defaultdict(list)
    for r in portfolio_repository.reports_of(session, ids):
        reports[r.account_id].append(StatusReport(r.reported_on, r.status))
    schedule = fee_schedule()
    parts = [
        AccountBreakdown(
            account.external_ref,
            owed_breakdown(
                terms=AccountTerms(account.currency, account.min_payment_ratio),
                statements=statements[account.id],
                payments=paid[account.id],
                reports=reports[account.id],
                as_of=as_of,
                schedule=schedule,
            ),
        )
        for account in held
    ]
    return CaseLedger(accounts=links, payments=payments, breakdowns=parts)


def breakdowns(
    *, session: Session, work_order_id: int, as_of: date | None = None
) -> list[AccountBreakdown]:
    """The owed breakdown of each account the case covers, from statements and payments."""
    return ledger(session=session, work_order_id=work_order_id, as_of=as_of).breakdowns


# --- the three stops ---------------------------------------------------------------------------


def record_stop(
    *,
    session: Session,
    work_order_id: int,
    stop: int,
    actor: str,
    locale: str,
    wording: str,
    contact_attempt_id: int | None = None,
    expected_version: int | None = None,
) -> ThreeStop:
    """Record a stop in order, with the wording said; stop 3 escalates the case."""
    wo = get(session=session, work_order_id=work_order_id)
    check_version(wo, expected_version)
    given = [s.stop for s in repository.stops_given(session, wo.id)]
    check_stop(given=given, stop=stop)
    record = ThreeStop(
        work_order_id=wo.id,
        contact_attempt_id=contact_attempt_id,
        stop=stop,
        given_at=clock.now(),
        given_by=actor,
        locale=locale,
        wording=wording,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"stop {stop} was just recorded on case {wo.id} by someone else") from exc
    audit.record(
        session,
        actor=actor,
        action="work_order.three_stops",
        entity=ENTITY,
        entity_id=wo.id,
        before={"stops": given},
        after={"stops": [*given, stop]},
        reason=f"stop {stop}",
    )
    if escalates(stop):
        before = batch.snapshot(wo)
        wo.problem_customer = True
        wo.updated_at = clock.now()
        if not move_if_legal(
            session=session,
            work_order=wo,
            to="escalated",
            actor=actor,
            reason="three stops given: escalated to a senior specialist",
        ):
            flush(session, f"case {wo.id}")
            audit.record(
                session,
                actor=actor,
                action="work_order.problem_customer",
                entity=ENTITY,
                entity_id=wo.id,
                before=before,
                after=batch.snapshot(wo),
                reason="three stops given",
            )
        schedule_follow_up(
            session=session,
            work_order_id=wo.id,
            due_on=clock.today(),
            kind="escalation",
            note="three stops given: senior specialist to take over",
            actor=actor,
            source=f"three_stop:{record.id}",
        )
    session.flush()
    return record


def stops_summary(*, session: Session, work_order_id: int) -> dict[str, Any]:
    given = repository.stops_given(session, work_order_id)
    return {
        "given": [
            {"stop": s.stop, "given_at": s.given_at, "given_by": s.given_by, "wording": s.wording}
            for s in given
        ],
        "next": next_stop([s.stop for s in given]),
    }


# --- follow-up ---------------------------------------------------------------------------------


def set_next_action(
    *,
    session: Session,
    work_order_id: int,
    on: date | None,
    actor: str,
    expected_version: int | None = None,
) -> WorkOrder:
    wo = get(session=session, work_order_id=work_order_id)
    check_version(wo, expected_version)
    if on is not None and on < clock.today():
        raise BadInput(f"the next action date {on} is in the past (today is {clock.today()})")
    before = {"next_action_on": wo.next_action_on.isoformat() if wo.next_action_on else None}
    wo.next_action_on = on
    wo.updated_at = clock.now()
    flush(session, f"case {wo.id}")
    audit.record(
        session,
        actor=actor,
        action="work_order.next_action",
        entity=ENTITY,
        entity_id=wo.id,
        before=before,
        after={"next_action_on": on.isoformat() if on else None},
    )
    session.flush()
    return wo


def schedule_follow_up(
    *,
    session: Session,
    work_order_id: int,
    due_on: date,
    kind: str,
    actor: str,
    note: str | None = None,
    source: str | None = None,
    not_before: date | None = None,
) -> FollowUp:
    """A follow-up task; the case's next action moves to it if that is sooner.

    ``not_before`` (default today) is the earliest due date accepted: a back-dated nightly run
    dates its follow-ups from its own as-of date, not from the wall clock."""
    wo = get(session=session, work_order_id=work_order_id)
    task = batch.stage_follow_up(
        session=session,
        work_order=wo,
        due_on=due_on,
        kind=kind,
        actor=actor,
        note=note,
        source=source,
        not_before=not_before,
    )
    flush(session, f"case {wo.id}")
    batch.audit_follow_up(session=session, task=task, actor=actor)
    session.flush()
    return task


DISPUTE_CHECK = "dispute raised: verify and answer the customer"


def hold_for_dispute(
    *,
    session: Session,
    work_order: WorkOrder,
    actor: str,
    due_on: date,
    source: str,
    note: str = DISPUTE_CHECK,
) -> FollowUp | None:
    """A dispute stops collection of the case until it is checked (cn-card art. 69, Reg F
    1006.38): hold the case and put the check on the list. None when the case cannot be held
    (closed, or already on hold): nothing changes."""
    if not move_if_legal(
        session=session,
        work_order=work_order,
        to="on_hold",
        actor=actor,
        reason="the customer disputes the debt",
        hold_reason="dispute",
    ):
        return None
    return schedule_follow_up(
        session=session,
        work_order_id=work_order.id,
        due_on=due_on,
        kind="review",
        note=note,
        actor=actor,
        source=source,
    )


def complete_follow_up(*, session: Session, follow_up_id: int, actor: str) -> FollowUp:
    task = repository.follow_up(session, follow_up_id)
    if task is None:
        raise NotFound(f"no follow-up {follow_up_id}")
    if task.status != "open":
        raise Conflict(f"follow-up {follow_up_id} is already {task.status}")
    task.status = "done"
    task.done_at = clock.now()
    audit.record(
        session,
        actor=actor,
        action="follow_up.done",
        entity="follow_up",
        entity_id=task.id,
        before={"status": "open"},
        after={"status": "done"},
    )
    session.flush()
    return task


def cancel_follow_ups(
    *, session: Session, work_order_id: int, source: str, actor: str, reason: str
) -> list[FollowUp]:
    """Cancel the case's open tasks that ``source`` listed (a call back the customer no longer
    wants): kept, marked cancelled, audited."""
    cancelled = []
    for task in repository.follow_ups(session, work_order_id, status="open"):
        if task.source != source:
            continue
        task.status = "cancelled"
        audit.record(
            session,
            actor=actor,
            action="follow_up.cancel",
            entity="follow_up",
            entity_id=task.id,
            before={"status": "open"},
            after={"status": "cancelled"},
            reason=reason,
        )
        cancelled.append(task)
    session.flush()
    return cancelled


# --- listen, ask, check ------------------------------------------------------------------------


def update_profile(
    *,
    session: Session,
    work_order_id: int,
    actor: str,
    pain_points: Sequence[str] | None = None,
    stated_reason: str | None = None,
    reason_detail: str | None = None,
    facts: Sequence[dict[str, str]] | None = None,
    agreed_solution: str | None = None,
    expected_version: int | None = None,
) -> CustomerProfile:
    """Create or update the customer's profile; only the fields given change."""
    wo = get(session=session, work_order_id=work_order_id)
    if stated_reason is not None and stated_reason not in STATED_REASONS:
        raise BadInput(
            f"stated_reason must be one of: {', '.join(STATED_REASONS)} (got {stated_reason!r})"
        )
    clean_facts: list[dict[str, str]] | None = None
    if facts is not None:
        clean_facts = []
        for i, fact in enumerate(facts):
            text = str(fact.get("fact", "")).strip()
            status = fact.get("status", "claimed")
            if not text:
                raise BadInput(f"facts[{i}].fact: describe the fact")
            if status not in FACT_STATUSES:
                raise BadInput(f"facts[{i}].status must be verified or claimed (got {status!r})")
            clean_facts.append(
                {"fact": text, "status": status, "source": str(fact.get("source", "") or "")}
            )
    found = repository.profile(session, wo.cardholder_id)
    if found is None:
        found = CustomerProfile(
            cardholder_id=wo.cardholder_id, pain_points=[], facts=[], updated_by=actor
        )
        session.add(found)
        before: dict[str, Any] | None = None
    else:
        if expected_version is not None and expected_version != found.version:
            raise Conflict(
                f"the customer profile was changed by someone else (version {found.version}, "
                f"you had {expected_version}): reload and try again"
            )
        before = profile_dict(found)
    if pain_points is not None:
        found.pain_points = [p.strip() for p in pain_points if p.strip()]
    if stated_reason is not None:
        found.stated_reason = stated_reason
    if reason_detail is not None:
        found.reason_detail = reason_detail
    if clean_facts is not None:
        found.facts = clean_facts
    if agreed_solution is not None:
        found.agreed_solution = agreed_solution
    found.updated_by = actor
    found.updated_at = clock.now()
    flush(session, "the customer profile")
    audit.record(
        session,
        actor=actor,
        action="customer_profile.update",
        entity="customer_profile",
        entity_id=found.id,
        before=before,
        after=profile_dict(found),
    )
    session.flush()
    return found


def profile_dict(p: CustomerProfile) -> dict[str, Any]:
    return {
        "pain_points": list(p.pain_points or []),
        "stated_reason": p.stated_reason,
        "reason_detail": p.reason_detail,
        "facts": list(p.facts or []),
        "agreed_solution": p.agreed_solution,
        "version": p.version,
    }
