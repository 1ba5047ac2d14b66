"""JSON API for the contact log and the courtesy outbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from arrears.auth.policy import Principal
from arrears.auth.scoping import visible_work_order
from arrears.cases import repository as case_repository
from arrears.cases.schemas import ContactIn, CourtesyIn, jsonable
from arrears.contacts import service as contact_service
from arrears.kit.errors import NotPermitted
from arrears.web.deps import DbSession, require

router = APIRouter(tags=["contacts"])


@router.post("/cases/{work_order_id}/contacts", status_code=201)
def log_attempt(
    work_order_id: int,
    body: ContactIn,
    response: Response,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> dict[str, Any]:
    """Ask compliance and log the attempt. A blocked attempt is stored as blocked (201 with
    ``status: blocked`` and the rule, reason and ``next_allowed_at``), never as made."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    if body.override_reason is not None and not principal.can("compliance.override"):
        raise NotPermitted("only a compliance officer may override a compliance block")
    attempt = contact_service.log_attempt(
        session=session,
        work_order_id=work_order_id,
        channel=body.channel,
        party=body.party,
        outcome=body.outcome,
        direction=body.direction,
        contact_person_id=body.contact_person_id,
        purpose=body.purpose,
        address_used=body.address_used,
        duration_seconds=body.duration_seconds,
        notes=body.notes,
        recording_ref=body.recording_ref,
        content=body.content,
        fields=body.fields,
        script=body.script,
        at=body.at,
        actor=principal.actor,
        role=principal.role,
        collector=f"agency:{principal.agency_id}" if principal.agency_id else "bank",
        override_reason=body.override_reason,
    )
    response.headers["Location"] = f"/api/v1/contacts/{attempt.id}"
    return jsonable(contact_service.attempt_dict(attempt))


@router.get("/cases/{work_order_id}/contacts")
def list_attempts(
    work_order_id: int, session: DbSession, principal: Principal = Depends(require("case.read"))
) -> list[dict[str, Any]]:
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return jsonable(
        [
            contact_service.attempt_dict(a)
            for a in case_repository.attempts(session, work_order_id=work_order_id)
        ]
    )


@router.post("/outbox/courtesy")
def queue_courtesy(
    body: CourtesyIn, session: DbSession, principal: Principal = Depends(require("cycle.run"))
) -> dict[str, Any]:
    """Queue the greetings due on ``on`` (Spring Festival, Mid-Autumn...) in the outbox."""
    queued = contact_service.queue_courtesy_greetings(
        session=session, on=body.on, actor=principal.actor
    )
    return {"on": body.on.isoformat(), "queued": len(queued)}
