"""The sandbox checkout (``ARREARS_PAYMENTS_PROVIDER=sandbox`` only): the page a customer is
sent to from the portal's "Pay", standing in for the provider's. Its buttons send this server a
correctly signed webhook, in process, exactly as the provider would (Pay: ``pending`` then
``succeeded``; Decline: ``failed``), and return the customer to the portal. For the demo and
the browser tests; no money moves and nothing leaves the machine."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from arrears.auth.dependencies import DbSession
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotFound
from arrears.payments import service
from arrears.payments.api import configured_provider
from arrears.payments.provider import SANDBOX_PATH, HmacProvider, SandboxProvider
from arrears.payments.states import STATUS_WORDS
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)


def _sandbox(provider: HmacProvider = Depends(configured_provider)) -> SandboxProvider:
    if not isinstance(provider, SandboxProvider):
        raise NotFound("the payment sandbox is off (ARREARS_PAYMENTS_PROVIDER is not sandbox)")
    return provider


def _back(return_url: str, public_id: str) -> str:
    return f"{return_url}{'&' if '?' in return_url else '?'}intent={public_id}"


@router.get(SANDBOX_PATH + "{provider_ref}")
def checkout(
    request: Request,
    provider_ref: str,
    session: DbSession,
    provider: SandboxProvider = Depends(_sandbox),
) -> Response:
    intent = service.sandbox_intent(session, provider=provider, provider_ref=provider_ref)
    return render(
        request,
        "payments_sandbox.html",
        {
            "intent": intent,
            "open": intent.status in ("created", "pending"),
            "status_label": STATUS_WORDS[intent.status],
            "back": _back(intent.return_url, intent.public_id),
        },
    )


@router.post(SANDBOX_PATH + "{provider_ref}")
def answer(
    provider_ref: str,
    session: DbSession,
    outcome: str = Form(...),
    provider: SandboxProvider = Depends(_sandbox),
) -> Response:
    if outcome not in ("pay", "decline"):
        raise BadInput("outcome: pay or decline")
    intent = service.sandbox_intent(session, provider=provider, provider_ref=provider_ref)
    events = ("pending", "succeeded") if outcome == "pay" else ("failed",)
    for kind in events:
        headers, body = provider.webhook(
            event_id="sbx_evt_" + secrets.token_urlsafe(12),
            type=kind,
            provider_ref=intent.provider_ref,
            amount=intent.amount,
            currency=intent.currency,
            at=clock.now(),
        )
        service.receive_webhook(session, provider=provider, headers=headers, body=body)
    return RedirectResponse(_back(intent.return_url, intent.public_id), status_code=303)
