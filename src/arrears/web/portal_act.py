"""The customer's actions in the portal ("Act", issue 16 §3): a page per action under
``/portal`` whose form posts to the workbench's portal flow (``workbench.portal_actions``),
which goes through the same services a collector's form does.

Every form carries the CSRF token and a key rendered with it: submitted twice (a double tap, a
reload), it acts once and the second submit gets the first outcome. A refusal comes back as the
same form, with the customer's values and one sentence in his language; nothing was written.
Every page view and every action is audited as the customer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from arrears.auth.dependencies import DbSession
from arrears.contacts import service as contact_service
from arrears.kit import idempotency
from arrears.kit.errors import ArrearsError
from arrears.portal import repository as portal_repository
from arrears.portal import service as portal_service
from arrears.portal.service import PortalCustomer
from arrears.web.i18n import translations
from arrears.web.portal import CurrentCustomer, render
from arrears.workbench import portal_actions as act
from arrears.workbench import portal_preferences as prefs
from arrears.workbench import portal_said

router = APIRouter(prefix="/portal", include_in_schema=False)

# The action pages, in the order the "What you can do" page lists them.
PAGES = (
    "promise",
    "plan",
    "settlement",
    "dispute",
    "hardship",
    "call-back",
    "contact",
    "preferences",
)


def _translate(customer: PortalCustomer) -> Callable[[str], str]:
    return translations(customer.locale).gettext


def _case_id(session: Session, customer: PortalCustomer) -> int | None:
    """The customer's open case (the store keeps at most one per customer)."""
    cases = portal_repository.open_work_orders(session, customer.cardholder_id)
    return cases[0].id if cases else None


def _seen(session: Session, customer: PortalCustomer, page: str, case_id: int | None) -> None:
    # On the customer, as the portal's other views: the case's timeline shows what he did,
    # not every page he opened.
    portal_service.record(
        session,
        customer=customer,
        action=f"portal.view.act.{page}",
        entity="cardholder",
        entity_id=customer.cardholder_id,
        after={"work_order_id": case_id} if case_id else None,
    )


def _slots() -> list[str]:
    """Call-back times offered: every half hour inside the profile's calling hours (or the
    waking day where the customer's consent lifts them)."""
    rules = contact_service.profile().time_window
    start, end = (time(7, 0), time(23, 0)) if rules.consent_overrides else (rules.start, rules.end)
    found, at = [], timedelta(hours=start.hour, minutes=start.minute)
    last = timedelta(hours=end.hour, minutes=end.minute)
    while at <= last:
        minutes = int(at.total_seconds() // 60)
        found.append(f"{minutes // 60:02d}:{minutes % 60:02d}")
        at += timedelta(minutes=30)
    return found


def _page(
    request: Request,
    session: DbSession,
    customer: PortalCustomer,
    page: str,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """An action page: its form with the case's offers and bounds, fresh key, any error."""
    case_id = _case_id(session, customer)
    offers = act.offers(session=session, customer=customer, case_id=case_id) if case_id else None
    if status_code == 200:
        _seen(session, customer, page, case_id)
    name = "act_home.html" if page == "act" else f"act_{page.replace('-', '_')}.html"
    mine = prefs.preferences(session=session, customer=customer) if page == "preferences" else None
    # One key per form on the page, fresh at every render.
    forms = ["form", "preferred", *act.OPT_OUT_CHANNELS]
    if mine is not None:
        forms += [f"in-{c.channel}" for c in mine.channels]
        forms += [f"window-{w.id}" for w in mine.windows]
    return render(
        request,
        name,
        {
            "page": page,
            "offers": offers,
            "case_id": case_id,
            "values": values or {},
            "error": error,
            "keys": {form: uuid4().hex for form in forms},
            "prefs": mine,
            "slots": _slots() if page == "call-back" else [],
            "channel_names": portal_said.CHANNEL_NAMES,
            "opted_out": act.opted_out_channels(session=session, customer=customer)
            if page == "contact"
            else [],
            "preferred": act.preferred_channel(session=session, customer=customer)
            if page == "contact"
            else None,
        },
        locale=customer.locale,
        customer=customer,
        status_code=status_code,
    )


def _submit(
    request: Request,
    session: DbSession,
    customer: PortalCustomer,
    page: str,
    *,
    key: str,
    values: dict[str, str],
    run: Callable[[], act.Done],
) -> Response:
    """Run one action once per form key; a refusal rolls back and re-renders the form."""

    def work() -> dict[str, Any]:
        done = run()
        return {"msgid": done.msgid, "params": done.params, "waiting": done.waiting}

    try:
        outcome = idempotency.once(
            session,
            actor=customer.actor,
            key=key.strip() or None,
            scope=f"portal {page}",
            payload=values,
            run=work,
        )
    except ArrearsError as exc:
        session.rollback()
        return _page(
            request,
            session,
            customer,
            page,
            values=values,
            error=portal_said.said(exc, _translate(customer)),
            status_code=exc.status_code,
        )
    message = portal_said.say(outcome["msgid"], outcome["params"], _translate(customer))
    return render(
        request,
        "act_done.html",
        {"message": message, "waiting": outcome["waiting"], "page": page},
        locale=customer.locale,
        customer=customer,
    )


Field = Annotated[str, Form()]


@router.get("/act")
def act_home(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    """What the customer can do, one link per action."""
    return _page(request, session, customer, "act")


@router.get("/promise")
def promise_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    return _page(request, session, customer, "promise")


@router.post("/promise")
def promise_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    case_id: Field = "",
    amount: Field = "",
    due_on: Field = "",
    form_key: Field = "",
) -> Response:
    values = {"case_id": case_id, "amount": amount, "due_on": due_on}
    return _submit(
        request,
        session,
        customer,
        "promise",
        key=form_key,
        values=values,
        run=lambda: act.promise_to_pay(
            session=session, customer=customer, case_id=case_id, amount=amount, due_on=due_on
        ),
    )


@router.get("/plan")
def plan_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    return _page(request, session, customer, "plan")


@router.post("/plan")
def plan_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    case_id: Field = "",
    instalments: Field = "",
    first_due_on: Field = "",
    form_key: Field = "",
) -> Response:
    values = {"case_id": case_id, "instalments": instalments, "first_due_on": first_due_on}
    return _submit(
        request,
        session,
        customer,
        "plan",
        key=form_key,
        values=values,
        run=lambda: act.choose_plan(
            session=session,
            customer=customer,
            case_id=case_id,
            instalments=instalments,
            first_due_on=first_due_on,
        ),
    )


@router.get("/settlement")
def settlement_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    return _page(request, session, customer, "settlement")


@router.post("/settlement")
def settlement_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    case_id: Field = "",
    shown_amount: Field = "",
    form_key: Field = "",
) -> Response:
    values = {"case_id": case_id, "shown_amount": shown_amount}
    return _submit(
        request,
        session,
        customer,
        "settlement",
        key=form_key,
        values=values,
        run=lambda: act.accept_settlement(
            session=session, customer=customer, case_id=case_id, shown_amount=shown_amount
        ),
    )


@router.get("/dispute")
def dispute_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    return _page(request, session, customer, "dispute")


@router.post("/dispute")
def dispute_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    case_id: Field = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    form_key: Field = "",
) -> Response:
    values = {"case_id": case_id, "text": text}
    return _submit(
        request,
        session,
        customer,
        "dispute",
        key=form_key,
        values=values,
        run=lambda: act.raise_dispute(
            session=session, customer=customer, case_id=case_id, text=text
        ),
    )


@router.get("/hardship")
def hardship_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    return _page(request, session, customer, "hardship")


@router.post("/hardship")
def hardship_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    case_id: Field = "",
    reason: Field = "",
    detail: Annotated[str, Form(max_length=4000)] = "",
    form_key: Field = "",
) -> Response:
    values = {"case_id": case_id, "reason": reason, "detail": detail}
    return _submit(
        request,
        session,
        customer,
        "hardship",
        key=form_key,
        values=values,
        run=lambda: act.report_hardship(
            session=session, customer=customer, case_id=case_id, reason=reason, detail=detail
        ),
    )


@router.get("/call-back")
def call_back_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    return _page(request, session, customer, "call-back")


@router.post("/call-back")
def call_back_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    case_id: Field = "",
    day: Field = "",
    start: Field = "",
    end: Field = "",
    form_key: Field = "",
) -> Response:
    values = {"case_id": case_id, "day": day, "start": start, "end": end}
    return _submit(
        request,
        session,
        customer,
        "call-back",
        key=form_key,
        values=values,
        run=lambda: act.ask_call_back(
            session=session, customer=customer, case_id=case_id, day=day, start=start, end=end
        ),
    )


@router.get("/contact")
def contact_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    return _page(request, session, customer, "contact")


@router.post("/contact/preferred")
def preferred_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    channel: Field = "",
    form_key: Field = "",
) -> Response:
    return _submit(
        request,
        session,
        customer,
        "contact",
        key=form_key,
        values={"preferred": channel},
        run=lambda: act.set_preferred_channel(session=session, customer=customer, channel=channel),
    )


@router.post("/contact/opt-out")
def opt_out_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    channel: Field = "",
    form_key: Field = "",
) -> Response:
    return _submit(
        request,
        session,
        customer,
        "contact",
        key=form_key,
        values={"opt_out": channel},
        run=lambda: act.opt_out(session=session, customer=customer, channel=channel),
    )


@router.get("/preferences")
def preferences_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    """What the customer agreed to, and the buttons to take it back."""
    return _page(request, session, customer, "preferences")


@router.post("/preferences/opt-in")
def opt_in_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    channel: Field = "",
    form_key: Field = "",
) -> Response:
    return _submit(
        request,
        session,
        customer,
        "preferences",
        key=form_key,
        values={"opt_in": channel},
        run=lambda: prefs.opt_back_in(session=session, customer=customer, channel=channel),
    )


@router.post("/preferences/withdraw")
def withdraw_post(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    consent_id: Field = "",
    form_key: Field = "",
) -> Response:
    return _submit(
        request,
        session,
        customer,
        "preferences",
        key=form_key,
        values={"withdraw": consent_id},
        run=lambda: prefs.withdraw_call_back(
            session=session, customer=customer, consent_id=consent_id
        ),
    )
