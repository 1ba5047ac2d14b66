"""JSON API for the contact log and the courtesy outbox."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Response

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.compliance.reasons import Reason, refusal
from arrears.contacts import outbox_service
from arrears.contacts import repository as contact_repository
from arrears.contacts import service as contact_service
from arrears.contacts.schemas import ContactAttemptOut, ContactIn, CourtesyIn, CourtesyQueued
from arrears.kit.errors import NotPermitted
from arrears.kit.schema_types import Id
from arrears.kit.serialize import jsonable
from arrears.workbench import contact
from arrears.workforce.scoping import visible_work_order

router = APIRouter(tags=["contacts"])


@router.post("/cases/{work_order_id}/contacts", status_code=201, response_model=ContactAttemptOut)
def log_attempt(
    work_order_id: Id,
    body: ContactIn,
    response: Response,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> dict[str, Any]:
    """Ask compliance and log the attempt. A blocked attempt is stored as blocked (201 with
    ``status: blocked`` and the rule, reason and ``next_allowed_at``), never as made."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    if body.override_reason is not None and not principal.can("compliance.override"):
        raise refusal(
            NotPermitted, Reason(rule="override.role", params={"role": "compliance_officer"})
        )
    attempt = contact.log_attempt(
        session=session,
        work_order_id=work_order_id,
        body=body,
        actor=principal.actor,
        role=principal.role,
        collector=principal.collector_ref,
    )
    # Where the new attempt can be read back: the case's contact log (no route per attempt).
    response.headers["Location"] = f"/api/v1/cases/{work_order_id}/contacts"
    return jsonable(contact_service.attempt_dict(attempt, locale=principal.locale))


@router.get("/cases/{work_order_id}/contacts", response_model=list[ContactAttemptOut])
def list_attempts(
    work_order_id: Id, session: DbSession, principal: Principal = Depends(require("case.read"))
) -> list[dict[str, Any]]:
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return jsonable(
        [
            contact_service.attempt_dict(a, locale=principal.locale)
            for a in contact_repository.attempts(session, work_order_id=work_order_id)
        ]
    )


@router.post("/outbox/courtesy", response_model=CourtesyQueued)
def queue_courtesy(
    body: CourtesyIn, session: DbSession, principal: Principal = Depends(require("cycle.run"))
) -> dict[str, Any]:
    """Queue the greetings due on ``on`` (Spring Festival, Mid-Autumn...) in the outbox."""
    run = outbox_service.queue_courtesy_greetings(
        session=session, on=body.on, actor=principal.actor
    )
    return {
        "on": body.on.isoformat(),
        "queued": len(run.queued),
        "skipped": [asdict(s) for s in run.skipped],
    }
