"""The provider's webhook: ``POST /api/v1/payments/webhook``. Machine-called and signed (HMAC-SHA256
over the signing time and the raw body), so it carries no browser session and skips the CSRF
check (``web.security.SIGNED_PATHS``); the signature is checked instead."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from arrears.auth.dependencies import DbSession
from arrears.kit.errors import NotFound, RuleRefused
from arrears.payments import service
from arrears.payments.provider import BadSignature, HmacProvider, provider_for

WEBHOOK_PATH = "/payments/webhook"

router = APIRouter(tags=["payments"])


class WebhookOut(BaseModel):
    event_id: str
    outcome: str
    duplicate: bool
    intent: str | None
    status: str | None
    payment_id: int | None


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signature is over these bytes."""
    return await request.body()


def configured_provider(request: Request) -> HmacProvider:
    """The app's provider; online payment switched off: there is no webhook (404)."""
    try:
        return provider_for(request.app.state.settings)
    except RuleRefused as exc:
        raise NotFound(exc.message) from exc


def webhook_provider(request: Request) -> HmacProvider:
    """The app's provider; online payment switched off: no secret, so nothing is signed by
    it (401, as the SMS receipts without a gateway secret)."""
    try:
        return provider_for(request.app.state.settings)
    except RuleRefused as exc:
        raise BadSignature(f"no webhook is accepted: {exc.message}") from exc


@router.post(WEBHOOK_PATH, response_model=WebhookOut)
def webhook(
    request: Request,
    session: DbSession,
    body: bytes = Depends(raw_body),
    provider: HmacProvider = Depends(webhook_provider),
) -> WebhookOut:
    """One event from the payment provider. 401: bad signature or signing time outside the
    window (nothing written); 422: signed but malformed; 200 otherwise, ``duplicate: true``
    for an event id seen before (applied once), ``outcome`` ``mismatch`` or
    ``unknown_intent`` for what operations must look at (``arrears payments list``)."""
    result = service.receive_webhook(
        session, provider=provider, headers=dict(request.headers), body=body
    )
    return WebhookOut(
        event_id=result.event_id,
        outcome=result.outcome,
        duplicate=result.duplicate,
        intent=result.intent_public_id,
        status=result.status,
        payment_id=result.payment_id,
    )
