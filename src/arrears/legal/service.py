"""Legal cases: opened on a work order, moved stage by stage (each stage placing or lifting the
hold it implies on the work order), costs recorded with who bears them, documents attached.
Keyword-only, flush never commit; every change audited; the day of each stage is the server's."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.config import get_settings
from arrears.contacts.letters.notice import KINDS as LETTER_KINDS
from arrears.delinquency.fees import load_fee_schedule
from arrears.kit import audit
from arrears.kit.clock import center_today, clock
from arrears.kit.errors import BadInput, Conflict, NotFound, RuleRefused
from arrears.legal import stages
from arrears.legal.models import LegalCase, LegalCost, LegalDocument

COURT_PAPERS = ("complaint", "summons", "judgment", "enforcement_order", "other")
DOCUMENT_KINDS = LETTER_KINDS + COURT_PAPERS


def _case(session: Session, legal_case_id: int) -> LegalCase:
    found = session.get(LegalCase, legal_case_id)
    if found is None:
        raise NotFound(f"no legal case {legal_case_id}")
    return found


def as_dict(lc: LegalCase) -> dict[str, Any]:
    return {
        "id": lc.id,
        "work_order_id": lc.work_order_id,
        "stage": lc.stage,
        "court": lc.court,
        "reference": lc.reference,
        "stage_dates": dict(lc.stage_dates),
        "hearing_on": lc.hearing_on.isoformat() if lc.hearing_on else None,
        "outcome": lc.outcome,
        "version": lc.version,
    }


def open_case(
    *, session: Session, work_order_id: int, actor: str, court: str | None = None
) -> LegalCase:
    """Start the pre-litigation review of a work order (one legal case per work order)."""
    wo = case_service.get(session=session, work_order_id=work_order_id)
    if wo.status == "closed":
        raise RuleRefused(f"case {wo.id} is closed ({wo.close_reason})")
    if session.scalar(sa.select(LegalCase.id).where(LegalCase.work_order_id == wo.id)):
        raise Conflict(f"case {wo.id} already has a legal case")
    now = clock.now()
    lc = LegalCase(
        work_order_id=wo.id,
        stage="pre_litigation_review",
        court=court,
        stage_dates={"pre_litigation_review": center_today().isoformat()},
        opened_by=actor,
        opened_at=now,
        updated_at=now,
    )
    session.add(lc)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="legal.open",
        entity="legal_case",
        entity_id=lc.id,
        after=as_dict(lc),
    )
    return lc


def move(
    *,
    session: Session,
    legal_case_id: int,
    to: str,
    actor: str,
    court: str | None = None,
    reference: str | None = None,
    hearing_on: date | None = None,
    outcome: str | None = None,
    expected_version: int | None = None,
) -> LegalCase:
    """Move to the next stage if the machine allows it; filing needs the court and the court's
    reference, a hearing its date, closing an outcome. The work order is held from filing and
    released when the legal case closes."""
    lc = _case(session, legal_case_id)
    if expected_version is not None and lc.version != expected_version:
        raise Conflict(f"legal case {lc.id} changed meanwhile (version {lc.version})")
    stages.check_move(lc.stage, to)
    court, reference = court or lc.court, reference or lc.reference
    if to == "filed" and not (court and reference):
        raise BadInput("filing needs --court and --reference (the court's case number)")
    if to == "hearing" and hearing_on is None:
        raise BadInput("a hearing needs --hearing-on DATE")
    if to == "closed" and not (outcome and outcome.strip()):
        raise BadInput("closing needs --outcome (settled, withdrawn, judgment satisfied, ...)")
    before = as_dict(lc)
    lc.stage, lc.court, lc.reference = to, court, reference
    if hearing_on is not None:
        lc.hearing_on = hearing_on
    if outcome is not None:
        lc.outcome = outcome.strip()
    lc.stage_dates = {**lc.stage_dates, to: center_today().isoformat()}
    lc.updated_at = clock.now()
    session.flush()
    _hold(session, lc, actor)
    audit.record(
        session,
        actor=actor,
        action="legal.stage",
        entity="legal_case",
        entity_id=lc.id,
        before=before,
        after=as_dict(lc),
    )
    return lc


def _hold(session: Session, lc: LegalCase, actor: str) -> None:
    """Place or lift the hold the stage implies (through the case state machine)."""
    wo = session.get(WorkOrder, lc.work_order_id)
    assert wo is not None
    reason = stages.hold_for(lc.stage)
    why = f"legal case {lc.id}: {lc.stage}"
    if reason is not None and wo.status != "on_hold":
        if not case_service.move_if_legal(
            session=session,
            work_order=wo,
            to="on_hold",
            actor=actor,
            reason=why,
            hold_reason=reason,
        ):
            raise RuleRefused(f"case {wo.id} cannot be held from {wo.status}")
    elif reason is None and wo.status == "on_hold" and wo.hold_reason == stages.HOLD_REASON:
        case_service.move_if_legal(
            session=session, work_order=wo, to="in_progress", actor=actor, reason=why
        )


def add_cost(
    *,
    session: Session,
    legal_case_id: int,
    kind: str,
    amount: Decimal,
    borne_by: str,
    actor: str,
    note: str | None = None,
) -> LegalCost:
    lc = _case(session, legal_case_id)
    if kind not in stages.COST_KINDS:
        raise BadInput(f"--kind: one of {', '.join(stages.COST_KINDS)} (got {kind!r})")
    if borne_by not in stages.BEARERS:
        raise BadInput(f"--borne-by: one of {', '.join(stages.BEARERS)} (got {borne_by!r})")
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise BadInput(f"--amount: a positive amount in cents (got {amount})")
    if lc.stage == "closed":
        raise RuleRefused(f"legal case {lc.id} is closed")
    cost = LegalCost(
        legal_case_id=lc.id,
        kind=kind,
        amount=amount,
        borne_by=borne_by,
        incurred_on=center_today(),
        note=note,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    session.add(cost)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="legal.cost",
        entity="legal_case",
        entity_id=lc.id,
        after={"kind": kind, "amount": str(amount), "borne_by": borne_by},
    )
    return cost


def cost_line(*, session: Session, legal_case_id: int) -> stages.CostLine:
    """The itemised line the customer's legal costs add to the balance, by the fee profile."""
    lc = _case(session, legal_case_id)
    name = get_settings().fee_schedule
    schedule = load_fee_schedule(name)
    costs = session.scalars(sa.select(LegalCost).where(LegalCost.legal_case_id == lc.id))
    return stages.cost_line(
        [stages.Cost(c.kind, c.amount, c.borne_by) for c in costs],
        profile_allows=schedule.legal_costs_to_balance,
        profile=schedule.name,
    )


def attach_document(
    *,
    session: Session,
    legal_case_id: int,
    kind: str,
    title: str,
    actor: str,
    path: Path | None = None,
) -> LegalDocument:
    """A letter (by its kind in the letters module) or a court paper; a file is fingerprinted."""
    lc = _case(session, legal_case_id)
    if kind not in DOCUMENT_KINDS:
        raise BadInput(f"--kind: one of {', '.join(DOCUMENT_KINDS)} (got {kind!r})")
    if not title.strip():
        raise BadInput("--title: required")
    digest = None
    if path is not None:
        if not path.is_file():
            raise BadInput(f"{path}: no such file")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    doc = LegalDocument(
        legal_case_id=lc.id,
        kind=kind,
        title=title.strip(),
        path=str(path) if path else None,
        sha256=digest,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    session.add(doc)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="legal.document",
        entity="legal_case",
        entity_id=lc.id,
        after={"kind": kind, "title": doc.title, "sha256": digest},
    )
    return doc


def queue(*, session: Session) -> list[dict[str, Any]]:
    """Open legal cases, nearest hearing first, then by stage and age."""
    rows = session.execute(
        sa.select(LegalCase, WorkOrder.customer_ref, WorkOrder.balance, WorkOrder.status)
        .join(WorkOrder, WorkOrder.id == LegalCase.work_order_id)
        .where(LegalCase.stage != "closed")
    ).all()
    costs = dict(
        session.execute(
            sa.select(LegalCost.legal_case_id, sa.func.sum(LegalCost.amount)).group_by(
                LegalCost.legal_case_id
            )
        )
        .tuples()
        .all()
    )
    out = [
        {
            **as_dict(lc),
            "customer_ref": customer,
            "balance": balance,
            "case_status": status,
            "costs": Decimal(costs.get(lc.id) or 0).quantize(Decimal("0.01")),
        }
        for lc, customer, balance, status in rows
    ]
    out.sort(
        key=lambda r: (
            r["hearing_on"] or "9999-12-31",
            stages.STAGES.index(r["stage"]),
            r["id"],
        )
    )
    return out
