"""What a collector does on the case page, as HTML forms over the workbench's flows and the
domains' services: the contact form with its live compliance pre-check, three stops, promises,
settlements, the script; and the team lead's approvals. No rule is decided here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from arrears.auth.dependencies import DbSession, require, require_any
from arrears.auth.policy import Principal
from arrears.cases import service as case_service
from arrears.channels import templates as message_templates
from arrears.compliance.reasons import localized, message_in
from arrears.config import get_settings
from arrears.contacts import repository as contact_repository
from arrears.contacts.schemas import ContactIn
from arrears.contacts.vocabulary import CONTACT_PERSON_PURPOSES, OUTCOMES, PARTIES
from arrears.kit import idempotency
from arrears.kit.errors import ArrearsError, BadInput, NotPermitted
from arrears.kit.validation import build
from arrears.promises import plan_service
from arrears.promises import repository as promise_repository
from arrears.promises import service as promise_service
from arrears.vocabulary import CHANNELS
from arrears.web import flash
from arrears.web.context import current_locale
from arrears.web.templating import render
from arrears.workbench import contact, messages, reassign, three_stops
from arrears.workbench.schemas import CaseView
from arrears.workbench.script import case_script
from arrears.workforce.scoping import visible_case_of, visible_work_order, work_order_filter

router = APIRouter(include_in_schema=False)


def _back(work_order_id: int, **values: str | int | None) -> RedirectResponse:
    return flash.redirect(f"/cases/{work_order_id}", **values)


def _act(
    *,
    session: Session,
    principal: Principal,
    work_order_id: int,
    done: str,
    action: Callable[[], object],
    form_key: str | None = None,
    form: dict[str, object] | None = None,
) -> RedirectResponse:
    """Run one case-page form action: the case must be visible (else the error propagates);
    a refusal rolls back and comes back as the page's error banner, success as ``done``.

    A creating form carries the key rendered with it (``form_key``) and its fields (``form``):
    submitted twice, it acts once and the second submit gets the same outcome."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)

    def run() -> dict[str, Any]:
        action()
        return {"done": done}

    try:
        outcome = idempotency.once(
            session,
            actor=principal.actor,
            key=form_key or None,
            scope=f"form /cases/{work_order_id}/{done}",
            payload=form or {},
            run=run,
        )
    except ArrearsError as exc:
        session.rollback()
        return _back(work_order_id, error=message_in(exc, current_locale.get()))
    return _back(work_order_id, **outcome)


def _form_keys() -> dict[str, str]:
    """One idempotency key per creating form, fresh at every render of the page."""
    return {form: uuid4().hex for form in ("promise", "plan", "settlement", "message")}


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _made_at(value: str | None) -> datetime | None:
    """The form's late-entry time (a ``datetime-local`` field: the center's wall clock)."""
    if not value or not value.strip():
        return None
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadInput(f"made_at: not a date and time: {value!r}") from exc
    if local.tzinfo is not None:
        return local
    return local.replace(tzinfo=ZoneInfo(get_settings().time_zone))


def _who_and_why(
    party: str, contact_person_id: str | None, purpose: str | None
) -> tuple[int | None, str | None]:
    """The contact form's selects as the contact flow wants them: a contact person only for
    party contact_person, a purpose for a contact person or a third party (the lawful
    third-party contact: a call-back request or the customer's whereabouts)."""
    person = _int_or_none(contact_person_id) if party == "contact_person" else None
    why = (purpose or None) if party in ("contact_person", "third_party") else None
    return person, why


def case_extras(*, session: Session, principal: Principal, view: CaseView) -> dict[str, Any]:
    """The case page's action panels: what the forms need, from the domains' services."""
    extras: dict[str, Any] = {
        "channels": CHANNELS,
        # SMS and e-mail templates, and the letter's kinds (its template is its kind).
        "message_templates": {
            **message_templates.known(),
            messages.LETTER: messages.letter_kinds(),
        },
        "parties": PARTIES,
        "outcomes": OUTCOMES,
        "purposes": CONTACT_PERSON_PURPOSES,
        "can_work": principal.can("case.work"),
        "can_settle": principal.can("settlement.propose"),
        # The case view already holds what the panels list: one read, one shape.
        "stops": view.three_stops.model_dump(),
        "promises": [p.model_dump() for p in view.promises],
        "plans": [p.model_dump() for p in view.plans],
        "form_keys": _form_keys(),
        "can_reassign": principal.can("case.reassign"),
        "reassign_targets": reassign.reassign_targets(session=session, principal=principal)
        if principal.can("case.reassign")
        else [],
    }
    return extras


@router.get("/cases/{work_order_id}/script")
def script_panel(
    work_order_id: int,
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("case.read")),
) -> Response:
    """The script for the case's level with its real figures; loaded by the case page after
    first paint (HTMX), so the page shows the case without waiting for the script."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    try:
        script = case_script(
            session=session,
            work_order_id=work_order_id,
            # The debtor's language (his own, if we have scripts in it), not the viewer's.
            locale=None,
            collector_name=principal.display_name,
        )
    except ArrearsError as exc:  # a script that can't be rendered must not hide the case
        script = {"name": "", "text": "", "error": message_in(exc, principal.locale)}
    return render(request, "_script.html", {"script": script})


def _attempt_view(attempt: Any) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "channel": attempt.channel,
        "status": attempt.status,
        "allowed": attempt.compliance_allowed,
        "rules": list(attempt.compliance_rules or []),
        # In the reader's language, from the rule ids and parameters stored with the attempt.
        "reason": localized(
            (attempt.compliance_detail or {}).get("reasons"),
            attempt.compliance_reason,
            current_locale.get(),
        ),
        "next_allowed_at": attempt.compliance_next_allowed_at,
    }


@router.post("/cases/{work_order_id}/contact/check")
def contact_precheck(
    work_order_id: int,
    request: Request,
    session: DbSession,
    channel: Annotated[str, Form()],
    party: Annotated[str, Form()] = "debtor",
    contact_person_id: Annotated[str | None, Form()] = None,
    purpose: Annotated[str | None, Form()] = None,
    made_at: Annotated[str | None, Form()] = None,
    principal: Principal = Depends(require("compliance.check")),
) -> Response:
    """HTMX: would this contact be allowed now? Runs the real contact path (compliance
    decision and the workflow's step-by-step rule) and rolls it back: a check changes nothing."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    person_id, purpose = _who_and_why(party, contact_person_id, purpose)
    try:
        attempt = contact.log_attempt(
            session=session,
            work_order_id=work_order_id,
            body=build(
                ContactIn,
                channel=channel,
                party=party,
                outcome="no_answer",
                contact_person_id=person_id,
                purpose=purpose,
                made_at=_made_at(made_at),
            ),
            actor=principal.actor,
            role=principal.role,
            collector=principal.collector_ref,
        )
        check: dict[str, Any] = _attempt_view(attempt)
    except ArrearsError as exc:
        check = {
            "status": "invalid",
            "allowed": False,
            "rules": [],
            "reason": message_in(exc, current_locale.get()),
        }
    finally:
        session.rollback()
    return render(request, "_contact_check.html", {"check": check, "channel": channel})


@router.post("/cases/{work_order_id}/contact")
def contact_log(
    work_order_id: int,
    session: DbSession,
    channel: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    party: Annotated[str, Form()] = "debtor",
    contact_person_id: Annotated[str | None, Form()] = None,
    purpose: Annotated[str | None, Form()] = None,
    notes: Annotated[str | None, Form()] = None,
    made_at: Annotated[str | None, Form()] = None,
    principal: Principal = Depends(require("case.work")),
) -> Response:
    """Log the attempt: made if compliance allows it now, stored as blocked otherwise; with
    ``made_at``, a late entry of a contact made earlier (offline, a visit)."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    person_id, purpose = _who_and_why(party, contact_person_id, purpose)
    try:
        attempt = contact.log_attempt(
            session=session,
            work_order_id=work_order_id,
            body=build(
                ContactIn,
                channel=channel,
                party=party,
                outcome=outcome,
                contact_person_id=person_id,
                purpose=purpose,
                notes=(notes or "").strip() or None,
                made_at=_made_at(made_at),
            ),
            actor=principal.actor,
            role=principal.role,
            collector=principal.collector_ref,
        )
    except ArrearsError as exc:
        session.rollback()
        return _back(work_order_id, error=message_in(exc, current_locale.get()))
    return _back(work_order_id, attempt=attempt.id)


@router.post("/cases/{work_order_id}/message")
def queue_message(
    work_order_id: int,
    session: DbSession,
    channel: Annotated[str, Form()],
    template: Annotated[str, Form()],
    note: Annotated[str | None, Form()] = None,
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
    principal: Principal = Depends(require("case.work")),
) -> Response:
    """Queue a message to the debtor (an SMS, an e-mail or a printed letter, in his language,
    checked by compliance): queued or held shows on the timeline; a refusal comes back as the
    error banner with its rule. Submitted twice with the page's key, it queues once."""
    return _act(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        done="message",
        form_key=idempotency_key,
        form={"channel": channel, "template": template, "note": note or ""},
        action=lambda: messages.queue_message(
            session=session,
            work_order_id=work_order_id,
            channel=channel,
            template=template,
            note=note,
            actor=principal.actor,
            collector_ref=principal.collector_ref,
            collector_name=principal.display_name,
        ),
    )


@router.post("/cases/{work_order_id}/stop")
def give_stop(
    work_order_id: int,
    session: DbSession,
    stop: Annotated[int, Form()],
    principal: Principal = Depends(require("case.work")),
) -> Response:
    return _act(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        done="stop",
        action=lambda: three_stops.give_stop(
            session=session,
            work_order_id=work_order_id,
            stop=stop,
            actor=principal.actor,
            locale=None,  # said to the debtor: in his language, whatever the page's
        ),
    )


@router.post("/cases/{work_order_id}/promise")
def take_promise(
    work_order_id: int,
    session: DbSession,
    amount: Annotated[str, Form()],
    due_on: Annotated[date, Form()],
    channel: Annotated[str, Form()] = "call",
    version: Annotated[int | None, Form()] = None,
    supersede: Annotated[bool, Form()] = False,
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
    principal: Principal = Depends(require("case.work")),
) -> Response:
    return _act(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        done="promise",
        form_key=idempotency_key,
        form={"amount": amount, "due_on": due_on, "channel": channel, "supersede": supersede},
        action=lambda: promise_service.take_promise(
            session=session,
            work_order_id=work_order_id,
            amount=amount,
            due_on=due_on,
            channel=channel,
            actor=principal.actor,
            expected_version=version,
            supersede=supersede,
        ),
    )


@router.post("/cases/{work_order_id}/settlement")
def propose_settlement(
    work_order_id: int,
    session: DbSession,
    discount: Annotated[str, Form()],
    due_on: Annotated[date, Form()],
    supersede: Annotated[bool, Form()] = False,
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
    principal: Principal = Depends(require("settlement.propose")),
) -> Response:
    """A settlement on what the case owes today (the balance is the store's, not a field)."""
    return _act(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        done="settlement",
        form_key=idempotency_key,
        form={"discount": discount, "due_on": due_on, "supersede": supersede},
        action=lambda: plan_service.propose_settlement(
            session=session,
            work_order_id=work_order_id,
            discount=discount,
            due_on=due_on,
            actor=principal.actor,
            supersede=supersede,
        ),
    )


@router.post("/cases/{work_order_id}/plan")
def propose_plan(
    work_order_id: int,
    session: DbSession,
    instalments: Annotated[int, Form()],
    first_due_on: Annotated[date, Form()],
    supersede: Annotated[bool, Form()] = False,
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
    principal: Principal = Depends(require("case.work")),
) -> Response:
    """An instalment plan over what the case owes today; outside the policy's auto-approval
    bounds it waits for a checker."""
    return _act(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        done="plan",
        form_key=idempotency_key,
        form={"instalments": instalments, "first_due_on": first_due_on, "supersede": supersede},
        action=lambda: plan_service.propose_plan(
            session=session,
            work_order_id=work_order_id,
            instalments=instalments,
            first_due_on=first_due_on,
            actor=principal.actor,
            supersede=supersede,
        ),
    )


@router.post("/cases/{work_order_id}/call-back")
def schedule_call_back(
    work_order_id: int,
    session: DbSession,
    due_on: Annotated[date, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
    principal: Principal = Depends(require("case.work")),
) -> Response:
    """A call-back (a follow-up task); the case's next action moves to it if sooner."""
    return _act(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        done="call_back",
        action=lambda: case_service.schedule_follow_up(
            session=session,
            work_order_id=work_order_id,
            due_on=due_on,
            kind="call_back",
            note=note.strip() or None,
            actor=principal.actor,
        ),
    )


@router.post("/cases/{work_order_id}/next-action")
def set_next_action(
    work_order_id: int,
    session: DbSession,
    on: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
    principal: Principal = Depends(require("case.work")),
) -> Response:
    """When the case is next due (empty: due now); a past date is refused by the service."""
    return _act(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        done="next_action",
        action=lambda: case_service.set_next_action(
            session=session,
            work_order_id=work_order_id,
            on=_date_or_none(on),
            actor=principal.actor,
            expected_version=version,
        ),
    )


def _date_or_none(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadInput(f"on: not a date: {value!r}") from exc


# --- team lead: reassignment ------------------------------------------------------------------


@router.post("/cases/{work_order_id}/reassign")
def reassign_case(
    work_order_id: int,
    session: DbSession,
    to_staff: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    principal: Principal = Depends(require("case.reassign")),
) -> Response:
    """Move the case to another collector of the lead's team (the allocator's eligibility and
    capacity rules apply; refusals come back as the page's error banner)."""
    # The case may now be outside the lead's scope only if it left the team, which the bound
    # forbids: the case page still opens.
    return _act(
        session=session,
        principal=principal,
        work_order_id=work_order_id,
        done="reassigned",
        action=lambda: reassign.reassign_case(
            session=session,
            principal=principal,
            work_order_id=work_order_id,
            to_staff=to_staff,
            reason=reason,
        ),
    )


# --- team lead: approvals -----------------------------------------------------------------------


@router.get("/approvals")
def approvals(
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require_any("settlement.approve", "plan.approve")),
) -> Response:
    pending = [
        {**promise_service.plan_summary(plan), "customer_name": name}
        for plan, name in promise_repository.pending_plans(
            session, scope=work_order_filter(principal)
        )
    ]
    return render(
        request,
        "approvals.html",
        {
            "pending": pending,
            "error": flash.read(request).get("error"),
            "done": flash.read(request).get("done"),
        },
    )


@router.post("/approvals/{plan_id}")
def decide(
    plan_id: int,
    session: DbSession,
    decision: Annotated[str, Form()],
    version: Annotated[int | None, Form()] = None,
    note: Annotated[str | None, Form()] = None,
    principal: Principal = Depends(require_any("settlement.approve", "plan.approve")),
) -> Response:
    plan = promise_repository.plan(session, plan_id)
    permission = "settlement.approve" if plan and plan.kind == "settlement" else "plan.approve"
    try:
        # Outside the scope reads exactly as missing: same words, before any other check.
        visible_case_of(
            session=session,
            principal=principal,
            work_order_id=plan.work_order_id if plan else None,
            not_found=f"no plan {plan_id} awaiting you",
        )
        if not principal.can(permission):
            raise NotPermitted(f"your role ({principal.role}) may not {permission}")
        plan_service.decide_plan(
            session=session,
            plan_id=plan_id,
            approve=decision == "approve",
            actor=principal.actor,
            role=principal.role,
            note=(note or "").strip() or None,
            expected_version=version,
        )
    except ArrearsError as exc:
        session.rollback()
        return flash.redirect("/approvals", error=exc.message)
    return flash.redirect("/approvals", done=plan_id)


def attempts_for_banner(session: Session, work_order_id: int, attempt_id: int | None) -> Any:
    """The attempt just logged (shown once after the redirect), if it belongs to this case."""
    if attempt_id is None:
        return None
    for attempt in contact_repository.attempts(session, work_order_id=work_order_id):
        if attempt.id == attempt_id:
            return _attempt_view(attempt)
    return None
