"""Legal cases in the workbench (seniors and leads, ``legal.work``): the queue (nearest hearing
first), a legal case opened from its work order's page, and the case's page, where it moves
through its stages and shows the hold its stage places on the work order. The rules are
``legal.service``'s and ``legal.stages``'; this module only turns them into forms and words.
Costs and documents go through the API and the CLI."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.cases.models import WorkOrder
from arrears.compliance.reasons import message_in
from arrears.kit.errors import ArrearsError, BadInput, IllegalTransition, NotFound
from arrears.legal import service, stages
from arrears.legal.models import LegalCase
from arrears.web import flash
from arrears.web.context import current_locale
from arrears.web.i18n import gettext_
from arrears.web.templating import render
from arrears.workforce.scoping import visible_work_order

router = APIRouter(include_in_schema=False)

# The stages in the collector's words (message ids of the catalog).
STAGE_LABELS = {
    "pre_litigation_review": "Pre-litigation review",
    "filed": "Filed with the court",
    "hearing": "Hearing",
    "judgment": "Judgment",
    "enforcement": "Enforcement",
    "closed": "Closed",
}
# What a refused move needs, by the stage it was asked for (``service.move``'s BadInput).
NEEDS = {
    "filed": "Filing needs the court and the court's reference.",
    "hearing": "A hearing needs its date.",
    "closed": "Closing needs the outcome.",
}


def stage_label(stage: str) -> str:
    return gettext_(STAGE_LABELS.get(stage, stage))


def legal_case_of(session: Any, work_order_id: int) -> LegalCase | None:
    """The work order's legal case (one per work order), for the case page's link."""
    return session.scalar(sa.select(LegalCase).where(LegalCase.work_order_id == work_order_id))


@router.get("/legal")
def legal_queue(
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("legal.work")),
) -> Response:
    cases = [{**c, "stage_label": stage_label(c["stage"])} for c in service.queue(session=session)]
    return render(request, "legal.html", {"cases": cases})


@router.post("/legal/open")
def open_from_case(
    session: DbSession,
    work_order_id: Annotated[int, Form()],
    principal: Principal = Depends(require("legal.work")),
) -> Response:
    """Open the work order's legal case (its pre-litigation review) from the case page."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    try:
        lc = service.open_case(session=session, work_order_id=work_order_id, actor=principal.actor)
    except ArrearsError as exc:
        session.rollback()
        return flash.redirect(
            f"/cases/{work_order_id}", error=message_in(exc, current_locale.get())
        )
    return flash.redirect(f"/legal/cases/{lc.id}", done="opened")


def _refusal(exc: ArrearsError, target: str) -> str:
    """A refused move in the reader's words: what may follow the stage, or what it needs."""
    if isinstance(exc, IllegalTransition) and isinstance(exc.detail, dict):
        labels = [stage_label(s) for s in exc.detail.get("allowed", [])]
        sep = "、" if current_locale.get() == "zh-CN" else ", "
        allowed = sep.join(labels) or gettext_("nothing (a closed case is final)")
        return gettext_(
            "A legal case cannot move from %(from)s to %(to)s. From %(from)s it may move to: "
            "%(allowed)s."
        ) % {
            "from": stage_label(str(exc.detail.get("from"))),
            "to": stage_label(str(exc.detail.get("to"))),
            "allowed": allowed,
        }
    if isinstance(exc, BadInput) and target in NEEDS:
        return gettext_(NEEDS[target])
    return message_in(exc, current_locale.get())


@router.get("/legal/cases/{legal_case_id}")
def legal_case_page(
    legal_case_id: int,
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("legal.work")),
) -> Response:
    lc = session.get(LegalCase, legal_case_id)
    if lc is None:
        raise NotFound(f"no legal case {legal_case_id}")
    wo = session.get(WorkOrder, lc.work_order_id)
    assert wo is not None
    shown = flash.read(request)
    held = wo.status == "on_hold" and wo.hold_reason == stages.HOLD_REASON
    return render(
        request,
        "legal_case.html",
        {
            "lc": service.as_dict(lc),
            "stage_label": stage_label(lc.stage),
            "stages": [(s, stage_label(s)) for s in stages.STAGES],
            "next": [stage_label(s) for s in stages.STAGES if s in stages.TRANSITIONS[lc.stage]],
            "dates": [(stage_label(s), d) for s, d in lc.stage_dates.items()],
            "wo": {"id": wo.id, "customer_ref": wo.customer_ref, "status": wo.status},
            "held": held,
            "error": shown.get("error"),
            "done": shown.get("done"),
        },
    )


@router.post("/legal/cases/{legal_case_id}/move")
def move(
    legal_case_id: int,
    session: DbSession,
    to: Annotated[str, Form(max_length=32)],
    version: Annotated[int | None, Form()] = None,
    court: Annotated[str | None, Form(max_length=200)] = None,
    reference: Annotated[str | None, Form(max_length=64)] = None,
    hearing_on: Annotated[str | None, Form(max_length=10)] = None,
    outcome: Annotated[str | None, Form(max_length=2000)] = None,
    principal: Principal = Depends(require("legal.work")),
) -> Response:
    """Move to the chosen stage; a move the machine refuses comes back as the page's banner."""
    back = f"/legal/cases/{legal_case_id}"
    try:
        day = date.fromisoformat(hearing_on) if hearing_on else None
    except ValueError:
        return flash.redirect(back, error=gettext_(NEEDS["hearing"]))
    try:
        service.move(
            session=session,
            legal_case_id=legal_case_id,
            to=to,
            actor=principal.actor,
            court=court or None,
            reference=reference or None,
            hearing_on=day,
            outcome=outcome or None,
            expected_version=version,
        )
    except ArrearsError as exc:
        session.rollback()
        return flash.redirect(back, error=_refusal(exc, to))
    return flash.redirect(back, done="moved")
