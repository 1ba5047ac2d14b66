"""The portal's Pay pages: the customer chooses an account and an amount, the payments service
(``arrears.payments.service``) checks it against what the account owes and creates the
provider's intent, and the customer goes to the provider's checkout; the provider sends them
back to ``/portal/payments/done``, which shows where the payment stands (the webhook, not this
page, posts it). Every view and start is audited as the customer."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from arrears.auth.dependencies import DbSession
from arrears.kit.errors import BadInput, NotFound, RuleRefused
from arrears.payments import service as payment_service
from arrears.payments.provider import ProviderUnavailable
from arrears.payments.states import STATUS_WORDS
from arrears.portal import service as portal_service
from arrears.portal import views
from arrears.web.portal import PREFIX, CurrentCustomer, PortalForm, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)
RETURN_PATH = f"{PREFIX}/payments/done"
ERRORS: dict[type[Exception], str] = {
    BadInput: "Please enter an amount, such as 100.00.",
    RuleRefused: "This amount cannot be paid online now: at most the total due, less payments "
    "already under way.",
    NotFound: "We cannot find this account.",
    ProviderUnavailable: "Online payment is not available at the moment. Please try again later.",
}


def _pay_page(
    request: Request,
    session: DbSession,
    customer: CurrentCustomer,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    seen = views.overview(session, cardholder_id=customer.cardholder_id, locale=customer.locale)
    enabled = request.app.state.settings.payments_provider != "off"
    recent = payment_service.intents_of(session, cardholder_id=customer.cardholder_id, limit=10)
    return render(
        request,
        "pay.html",
        {
            "overview": seen,
            "enabled": enabled,
            "error": error,
            "recent": recent,
            "words": STATUS_WORDS,
        },
        locale=customer.locale,
        customer=customer,
        status_code=status_code,
    )


@router.get("/pay")
def pay_page(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    portal_service.record(
        session,
        customer=customer,
        action="portal.view.pay",
        entity="cardholder",
        entity_id=customer.cardholder_id,
    )
    return _pay_page(request, session, customer)


def _same_site(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/")


@router.post("/pay")
def start_payment(
    request: Request, session: DbSession, customer: CurrentCustomer, form: PortalForm
) -> Response:
    raw_account = form.get("account_id")
    amount = form.get("amount")
    try:
        if not isinstance(raw_account, str) or not raw_account.isdigit():
            raise BadInput("account_id: choose an account")
        checkout = payment_service.start_payment(
            session,
            cardholder_id=customer.cardholder_id,
            account_id=int(raw_account),
            amount=amount if isinstance(amount, str) else "",
            return_url=RETURN_PATH,
            actor=customer.actor,
            settings=request.app.state.settings,  # the app's provider, not the process's
        )
    except (BadInput, RuleRefused, NotFound, ProviderUnavailable) as exc:
        session.rollback()
        # The service's message names figures for operators; the customer reads one of these,
        # in their language (the catalog's msgids).
        error = ERRORS[type(exc)]
        return _pay_page(request, session, customer, error=error, status_code=exc.status_code)
    if _same_site(checkout.redirect_url):
        return RedirectResponse(checkout.redirect_url, status_code=303)
    # Another site's checkout: the CSP's form-action 'self' would stop a redirect after this
    # form, so the customer follows a plain link to it instead.
    return render(
        request,
        "pay_continue.html",
        {"checkout": checkout},
        locale=customer.locale,
        customer=customer,
    )


@router.get("/payments/done")
def payment_done(
    request: Request, session: DbSession, customer: CurrentCustomer, intent: str = ""
) -> Response:
    """Back from the checkout: where the payment stands (another customer's id: not found)."""
    try:
        status = payment_service.intent_status(
            session, cardholder_id=customer.cardholder_id, intent_public_id=intent
        )
    except NotFound:
        return render(
            request,
            "pay_done.html",
            {"status": None, "words": STATUS_WORDS},
            locale=customer.locale,
            customer=customer,
            status_code=404,
        )
    portal_service.record(
        session,
        customer=customer,
        action="portal.view.payment",
        entity="payment_intent",
        entity_id=intent,
        after={"status": status.status},
    )
    return render(
        request,
        "pay_done.html",
        {"status": status, "words": STATUS_WORDS},
        locale=customer.locale,
        customer=customer,
    )
