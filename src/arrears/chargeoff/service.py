"""Charge-off by the cycle, write-off by maker and checker, recoveries after write-off.

Services flush, never commit. The amount of a write-off is the store's (the sum of the case's
charge-off totals), never the caller's; the approval limits are the promises policy's chain.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from arrears.auth import policy as roles
from arrears.cases import repository as case_repository
from arrears.chargeoff import repository
from arrears.chargeoff.models import WriteOff
from arrears.delinquency.chargeoff import REVIEW_LEVEL
from arrears.kit import audit
from arrears.kit.clock import center_today, clock
from arrears.kit.errors import BadInput, Conflict, NotFound, NotPermitted, RuleRefused
from arrears.promises import service as promise_service
from arrears.promises.plans import check_approver


def record_charge_offs(
    session: Session, table: pa.Table, *, run_id: int | None, actor: str, now: datetime
) -> int:
    """Put the day's charge-offs (``repository.CHARGE_OFF_COLUMNS``) on the charged-off book,
    each audited; accounts already there are left alone (a rerun writes nothing)."""
    rows = repository.insert_charge_offs(
        session, repository.arrow_rows(table), run_id=run_id, now=now
    )
    audit.record_many(
        session,
        [
            {
                "at": now,
                "actor": actor,
                "action": "account.charged_off",
                "entity": "card_account",
                "entity_id": r["account_ref"],
                "before": {"status": "active"},
                "after": {
                    "status": "charged_off",
                    "charged_off_on": r["charged_off_on"].isoformat(),
                    "dpd": r["dpd"],
                    "principal": str(r["principal"]),
                    "interest": str(r["interest"]),
                    "fees": str(r["fees"]),
                    "total": str(r["total"]),
                },
                "reason": "charge-off policy of the fee profile",
            }
            for r in rows
        ],
    )
    return len(rows)


def post_recoveries(session: Session, *, now: datetime) -> int:
    """Payments received after a write-off, posted as recoveries (once each)."""
    return repository.post_recoveries(session, now=now)


def summary(write_off: WriteOff) -> dict[str, Any]:
    return {
        "id": write_off.id,
        "work_order_id": write_off.work_order_id,
        "amount": str(write_off.amount),
        "currency": write_off.currency,
        "status": write_off.status,
        "maker": write_off.maker,
        "checker": write_off.checker,
    }


def propose(
    *, session: Session, work_order_id: int, actor: str, role: str, reason: str
) -> WriteOff:
    """The maker's proposal to write off the case's charged-off accounts, at the store's amount."""
    if not roles.can(role, "settlement.propose"):
        raise NotPermitted(f"the role {role} cannot propose a write-off")
    if not reason.strip():
        raise BadInput("a write-off needs a reason")
    wo = case_repository.work_order(session, work_order_id)
    if wo is None:
        raise NotFound(f"no case {work_order_id}")
    if wo.status == "closed" or wo.level != REVIEW_LEVEL:
        raise RuleRefused(
            f"case {work_order_id} is not in write-off review (it is {wo.status}, level "
            f"{wo.level}): only a charged-off case in review may be written off"
        )
    accounts = repository.charged_off_of_case(session, work_order_id)
    if not accounts:
        raise RuleRefused(f"case {work_order_id} has no charged-off account to write off")
    if repository.pending_write_off(session, work_order_id) is not None:
        raise Conflict(f"case {work_order_id} already has a write-off waiting for a checker")
    proposal = WriteOff(
        work_order_id=work_order_id,
        amount=sum((a.total for a in accounts), Decimal(0)),
        currency=accounts[0].currency,
        status="proposed",
        maker=actor,
        maker_role=role,
        reason=reason.strip(),
        proposed_at=clock.now(),
    )
    session.add(proposal)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="write_off.propose",
        entity="write_off",
        entity_id=proposal.id,
        after=summary(proposal),
        reason=proposal.reason,
    )
    return proposal


def decide(
    *,
    session: Session,
    write_off_id: int,
    approve: bool,
    actor: str,
    role: str,
    note: str | None = None,
) -> WriteOff:
    """The checker's decision; approving writes the accounts off today (the center's day)."""
    proposal = repository.write_off(session, write_off_id)
    if proposal is None:
        raise NotFound(f"no write-off {write_off_id}")
    if proposal.status != "proposed":
        raise Conflict(f"write-off {write_off_id} is {proposal.status}, not waiting for a checker")
    if approve:
        check_approver(
            at_stake=proposal.amount,
            maker=proposal.maker,
            checker=actor,
            checker_role=role,
            rules=promise_service.policy().approval,
        )
    elif actor == proposal.maker:
        raise BadInput("the maker cannot reject his own proposal: another person must check")
    accounts = repository.charged_off_of_case(session, proposal.work_order_id)
    if approve and sum((a.total for a in accounts), Decimal(0)) != proposal.amount:
        raise Conflict(
            f"the charged-off balance of case {proposal.work_order_id} changed since the "
            "proposal: reject it and propose again"
        )
    before = summary(proposal)
    now = clock.now()
    proposal.status = "approved" if approve else "rejected"
    proposal.checker, proposal.checker_role = actor, role
    proposal.decided_at, proposal.decision_note = now, note
    if approve:
        repository.mark_written_off(
            session, write_off_id=proposal.id, ids=[a.id for a in accounts], on=center_today()
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"write_off.{'approve' if approve else 'reject'}",
        entity="write_off",
        entity_id=proposal.id,
        before=before,
        after=summary(proposal),
        reason=note,
    )
    return proposal


def write_off_report(session: Session) -> dict[str, Any]:
    """The charged-off book and the recoveries after write-off (analytics.recovery shapes it)."""
    from arrears.analytics.recovery import after_write_off
    from arrears.workforce import agency_service

    totals = repository.book_totals(session)
    # Net of what the recoveries cost: the agencies' statements' share for these payments
    # (months closed so far) and the bank's legal costs on written-off cases since write-off.
    paid = repository.recovery_payments(session)
    months = {d.replace(day=1) for p in paid for d in (p.paid_on, p.reversed_on) if d is not None}
    commission = agency_service.commission_on(
        session=session, payments={(p.external_ref, p.reference) for p in paid}, months=months
    )
    legal = repository.legal_costs_after_write_off(session)
    # A payment the card system took back recovered nothing (its commission is clawed back).
    today = center_today()
    taken_back = sum(
        (p.amount for p in paid if p.reversed_on is not None and p.reversed_on <= today),
        Decimal(0),
    )
    by_status = totals["by_status"]
    n_off, written = by_status.get("written_off", (0, Decimal(0)))
    n_charged, charged = by_status.get("charged_off", (0, Decimal(0)))
    return {
        "charged_off": {"accounts": n_charged + n_off, "balance": charged + written},
        "awaiting_write_off": {"accounts": n_charged, "balance": charged},
        "after_write_off": after_write_off(
            written_off=written,
            accounts=n_off,
            recovered=totals["recovered"] - taken_back,
            agency_commission=commission,
            legal_costs=legal,
        ),
    }
