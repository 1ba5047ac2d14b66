"""Money controls around a case's arrangements (issue 14, "money controls").

An arrangement is a pending promise, or a plan or settlement that is proposed or active. The
amounts come from the store: what the case owes today is the owed breakdown of its accounts
(``arrears.delinquency.owed_breakdown``, the figure the case page and the script quote), never
a number the caller typed. A case has one live arrangement at a time: a new one replaces the old
only when the caller says so (``supersede``), and each replaced record is cancelled and audited.
Keyword-only; flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, RuleRefused
from arrears.kit.money import ZERO, round_money, to_decimal
from arrears.promises import repository

# Statuses in which a record still binds the customer (or waits to).
LIVE_PROMISE = ("pending",)
LIVE_PLAN = ("proposed", "approved", "active")


def amount(value: object, what: str, currency: str) -> Decimal:
    """A typed amount: a positive number in the currency's precision, else ``BadInput`` whose
    ``detail`` names the check (``not_number``, ``not_positive``, ``decimals``) so a caller that
    words it for someone else (the portal's customer) need not repeat the checks."""
    try:
        found = to_decimal(value)
    except ValueError as exc:
        raise BadInput(f"{what}: {exc}", detail="not_number") from exc
    if found <= ZERO:
        raise BadInput(f"{what} must be positive (got {found})", detail="not_positive")
    if round_money(found, currency) != found:
        raise BadInput(
            f"{what} has more decimals than {currency} allows (got {found})", detail="decimals"
        )
    return found


def open_case(session: Session, work_order_id: int, expected_version: int | None) -> WorkOrder:
    """The case an arrangement is made on, locked for the rest of the transaction and read as
    it is now: it exists, is not closed, and was not changed since the caller read it (when the
    caller says which version it read)."""
    repository.lock_work_order(session, work_order_id)
    wo = case_service.get(session=session, work_order_id=work_order_id)
    session.refresh(wo)
    case_service.check_version(wo, expected_version)
    if wo.status == "closed":
        raise BadInput(f"case {wo.id} is closed ({wo.close_reason})")
    return wo


def owed(*, session: Session, work_order: WorkOrder) -> Decimal:
    """What the case owes today: the sum of its accounts' owed breakdowns; the cycle's own
    figures (unpaid principal + interest + fees) for a case whose accounts have no statements."""
    parts = [
        p.breakdown
        for p in case_service.breakdowns(session=session, work_order_id=work_order.id)
        if p.breakdown.items
    ]
    if parts:
        return sum((b.total_due for b in parts), ZERO)
    return work_order.balance + work_order.interest + work_order.fees


def owed_or_refuse(*, session: Session, work_order: WorkOrder) -> Decimal:
    amount = owed(session=session, work_order=work_order)
    if amount <= ZERO:
        raise RuleRefused(f"case {work_order.id} owes nothing today ({amount}): nothing to arrange")
    return amount


@dataclass(frozen=True)
class Live:
    """One live arrangement, named as the audit trail names it."""

    entity: str  # promise, repayment_plan
    id: int
    kind: str  # promise, plan, settlement
    status: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"


def live(*, session: Session, work_order_id: int) -> list[Live]:
    found = [
        Live("promise", p.id, "promise", p.status)
        for p in repository.promises_of(session, work_order_id)
        if p.status in LIVE_PROMISE
    ]
    found += [
        Live("repayment_plan", p.id, p.kind, p.status)
        for p in repository.plans_of(session, work_order_id)
        if p.status in LIVE_PLAN
    ]
    return found


def make_way(
    *, session: Session, work_order: WorkOrder, new: str, supersede: bool, actor: str
) -> list[str]:
    """Refuse a second live arrangement unless ``supersede``; then cancel the old ones (audited).

    The case was locked by ``open_case``, so two collectors proposing at once cannot both see
    an empty case. Returns what was superseded, e.g. ``["promise:3", "plan:4"]``."""
    current = live(session=session, work_order_id=work_order.id)
    if not current:
        return []
    if not supersede:
        raise RuleRefused(
            f"case {work_order.id} already has a live arrangement: "
            f"{', '.join(str(c) for c in current)}; a new {new} replaces it only when you say so "
            "(supersede)",
            detail={"live": [{"kind": c.kind, "id": c.id, "status": c.status} for c in current]},
        )
    now = clock.now()
    reason = f"superseded by a new {new}"
    for item in current:
        record = (
            repository.promise(session, item.id)
            if item.entity == "promise"
            else repository.plan(session, item.id)
        )
        assert record is not None  # listed a moment ago, under the case lock
        record.status = "cancelled"
        record.updated_at = now
        case_service.flush(session, f"{item.kind} {item.id}")
        audit.record(
            session,
            actor=actor,
            action=f"{item.kind}.supersede",
            entity=item.entity,
            entity_id=item.id,
            before={"status": item.status},
            after={"status": "cancelled"},
            reason=reason,
        )
    if work_order.status == "promised" and any(c.entity == "promise" for c in current):
        # No pending promise is left: the case is back at work until the new arrangement says
        # otherwise (a new promise moves it to promised again).
        case_service.move_if_legal(
            session=session, work_order=work_order, to="in_progress", actor=actor, reason=reason
        )
    return [f"{c.kind}:{c.id}" for c in current]
