"""The payment-provider port and its adapters: a generic provider that signs its webhooks with
HMAC-SHA256, and the sandbox (the same signing, with the checkout page served by us).

A provider creates an intent (its reference, the page to send the customer to, and what a QR
code carries) and turns a webhook (headers + raw body) into an event, refusing one whose
signature does not match or whose signing time is outside the tolerance window (a captured
request replayed later). The signature is the SMS gateway's (``channels.transports.sign``:
``sha256=<hex>``), taken over ``<timestamp>.<raw body>`` so the time is signed too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from arrears.channels.transports import sign, signed_by
from arrears.config import Settings
from arrears.kit.errors import ArrearsError, BadInput, NotAuthenticated, RuleRefused
from arrears.kit.money import to_decimal
from arrears.payments.states import PROVIDER_EVENTS

SANDBOX_PATH = "/payments/sandbox/"


class BadSignature(NotAuthenticated):
    """The webhook is not the provider's (signature, or signing time outside the window)."""


class ProviderUnavailable(ArrearsError):
    """The provider did not take the intent; nothing was written. Try again."""

    status_code = 502


@dataclass(frozen=True)
class IntentRequest:
    """What the provider is told: our public id (its merchant reference), the amount the
    server checked, and where to send the customer back (absolute)."""

    public_id: str
    amount: Decimal
    currency: str
    return_url: str
    expires_at: datetime


@dataclass(frozen=True)
class ProviderIntent:
    ref: str
    redirect_url: str
    qr_payload: str


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    type: str  # one of states.PROVIDER_EVENTS
    provider_ref: str
    amount: Decimal | None
    currency: str | None
    occurred_at: datetime


class PaymentProvider(Protocol):
    name: str

    def create_intent(self, request: IntentRequest) -> ProviderIntent: ...

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """The event the provider signed; ``BadSignature`` (nothing to record) or
        ``BadInput`` (signed but malformed)."""
        ...


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``<timestamp>.<body>``."""
    return sign(secret, timestamp.encode("ascii") + b"." + body)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _text(raw: dict[str, Any], key: str, limit: int = 128) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadInput(f"{key}: a non-empty text of at most {limit} characters is required")
    return value.strip()


def parse_event(body: bytes, *, signed_at: datetime) -> WebhookEvent:
    """``{"id", "type", "intent", "amount", "currency", "occurred_at"}``; ``type`` is a state
    (``succeeded``) or ``payment.<state>``; amounts as strings (or JSON numbers, read as
    decimals, never floats); ``occurred_at`` ISO 8601 with a zone, else the signing time."""
    try:
        raw = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"the webhook body is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise BadInput("the webhook body must be a JSON object")
    kind = _text(raw, "type", 40).removeprefix("payment.")
    if kind not in PROVIDER_EVENTS:
        raise BadInput(f"type: one of {', '.join(PROVIDER_EVENTS)} (got {kind!r})")
    amount: Decimal | None = None
    if raw.get("amount") is not None:
        try:
            amount = to_decimal(raw["amount"])
        except ValueError as exc:
            raise BadInput(f"amount: {exc}") from exc
    currency = raw.get("currency")
    if currency is not None and (not isinstance(currency, str) or len(currency) != 3):
        raise BadInput("currency: a three-letter code")
    occurred_at = signed_at
    if raw.get("occurred_at") is not None:
        try:
            occurred_at = datetime.fromisoformat(str(raw["occurred_at"]))
        except ValueError as exc:
            raise BadInput(f"occurred_at: {exc}") from exc
        if occurred_at.tzinfo is None:
            raise BadInput("occurred_at: give the time zone (e.g. 2026-11-30T01:02:03Z)")
    return WebhookEvent(
        event_id=_text(raw, "id"),
        type=kind,
        provider_ref=_text(raw, "intent"),
        amount=amount,
        currency=currency.upper() if isinstance(currency, str) else None,
        occurred_at=occurred_at.astimezone(UTC),
    )


class HmacProvider:
    """A generic provider: intents are POSTed to ``<base_url>/intents`` as JSON (signed like
    its webhooks) and answered ``{"id", "redirect_url", "qr_payload"}``; its webhooks carry
    ``<timestamp header>: <Unix seconds>`` and ``<signature header>: sha256=<hex>``."""

    name = "generic"

    def __init__(
        self,
        *,
        secret: str,
        base_url: str = "",
        signature_header: str = "X-Payments-Signature",
        timestamp_header: str = "X-Payments-Timestamp",
        tolerance_seconds: int = 300,
        timeout: float = 10.0,
    ) -> None:
        if not secret:
            raise ValueError("the payment provider needs a secret (ARREARS_PAYMENTS_SECRET)")
        self.secret, self.base_url = secret, base_url.rstrip("/")
        self.signature_header, self.timestamp_header = signature_header, timestamp_header
        self.tolerance, self.timeout = tolerance_seconds, timeout

    # --- webhooks ------------------------------------------------------------------------------

    def signed_headers(self, body: bytes, *, at: datetime) -> dict[str, str]:
        """The headers that make ``body`` this provider's, signed at ``at``."""
        stamp = str(int(at.timestamp()))
        return {
            self.timestamp_header: stamp,
            self.signature_header: signature(self.secret, stamp, body),
            "Content-Type": "application/json",
        }

    def verify(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> datetime:
        """The signing time, if the signature over it and ``body`` is ours and it is within
        the tolerance of ``now``; else ``BadSignature``."""
        stamp = _header(headers, self.timestamp_header) or ""
        given = _header(headers, self.signature_header)
        if not stamp.isdigit() or len(stamp) > 12:
            raise BadSignature("the webhook carries no valid signing time")
        if not signed_by(self.secret, stamp.encode("ascii") + b"." + body, given):
            raise BadSignature("the webhook's signature does not match")
        signed_at = datetime.fromtimestamp(int(stamp), UTC)
        if abs((now - signed_at).total_seconds()) > self.tolerance:
            raise BadSignature(
                f"the webhook was signed at {signed_at.isoformat()}, outside the "
                f"{self.tolerance} s window: a replay is refused"
            )
        return signed_at

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        signed_at = self.verify(headers, body, now=now)
        return parse_event(body, signed_at=signed_at)

    # --- intents -------------------------------------------------------------------------------

    def create_intent(self, request: IntentRequest) -> ProviderIntent:
        body = json.dumps(
            {
                "merchant_ref": request.public_id,
                "amount": f"{request.amount:f}",
                "currency": request.currency,
                "return_url": request.return_url,
                "expires_at": request.expires_at.isoformat(),
            },
            sort_keys=True,
        ).encode("utf-8")
        headers = {
            **self.signed_headers(body, at=datetime.now(UTC)),
            "Idempotency-Key": request.public_id,
        }
        call = urllib.request.Request(
            f"{self.base_url}/intents", data=body, method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(call, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise ProviderUnavailable(
                f"the payment provider refused the payment ({exc.code} {exc.reason})"
            ) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ProviderUnavailable(f"cannot reach the payment provider: {exc}") from exc
        if not isinstance(answer, dict):
            raise ProviderUnavailable("the payment provider answered without an intent")
        ref, redirect = answer.get("id"), answer.get("redirect_url")
        if not (isinstance(ref, str) and ref and isinstance(redirect, str) and redirect):
            raise ProviderUnavailable("the payment provider answered without an intent")
        qr = answer.get("qr_payload")
        return ProviderIntent(ref, redirect, qr if isinstance(qr, str) and qr else redirect)


class SandboxProvider(HmacProvider):
    """The generic provider's signing with the checkout served by this server
    (``/payments/sandbox/<ref>``): for the demo and the browser tests. No money moves and no
    request leaves the machine; its Pay button posts a webhook it signed itself."""

    name = "sandbox"

    def __init__(self, *, public_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.public_url = public_url.rstrip("/")

    def create_intent(self, request: IntentRequest) -> ProviderIntent:
        ref = "sbx_" + secrets.token_urlsafe(18)
        path = SANDBOX_PATH + ref
        return ProviderIntent(ref=ref, redirect_url=path, qr_payload=self.public_url + path)

    def webhook(
        self,
        *,
        event_id: str,
        type: str,
        provider_ref: str,
        amount: Decimal,
        currency: str,
        at: datetime,
    ) -> tuple[dict[str, str], bytes]:
        """A webhook as the provider sends it: the signed headers and the raw body."""
        body = json.dumps(
            {
                "id": event_id,
                "type": f"payment.{type}",
                "intent": provider_ref,
                "amount": f"{amount:f}",
                "currency": currency,
                "occurred_at": at.isoformat(),
            },
            sort_keys=True,
        ).encode("utf-8")
        return self.signed_headers(body, at=at), body


def sandbox_secret(secret_key: str) -> str:
    """The sandbox's secret when none is configured: derived from the server's key, so every
    worker of one server agrees and nobody without the key signs a webhook."""
    return hmac.new(
        secret_key.encode("utf-8"), b"arrears payments sandbox", hashlib.sha256
    ).hexdigest()


def provider_for(settings: Settings) -> HmacProvider:
    """The provider the settings configure; ``RuleRefused`` when online payment is off."""
    common: dict[str, Any] = {
        "signature_header": settings.payments_signature_header,
        "timestamp_header": settings.payments_timestamp_header,
        "tolerance_seconds": settings.payments_tolerance_seconds,
        "timeout": settings.payments_timeout,
    }
    if settings.payments_provider == "generic":
        return HmacProvider(
            secret=settings.payments_secret, base_url=settings.payments_base_url, **common
        )
    if settings.payments_provider == "sandbox":
        secret = settings.payments_secret or (
            sandbox_secret(settings.secret_key) if settings.secret_key else ""
        )
        if not secret:
            raise RuleRefused(
                "the payment sandbox needs ARREARS_PAYMENTS_SECRET or ARREARS_SECRET_KEY"
            )
        return SandboxProvider(secret=secret, public_url=settings.public_url, **common)
    raise RuleRefused("online payment is not offered (ARREARS_PAYMENTS_PROVIDER=off)")
