"""The generic provider's webhook signature: HMAC-SHA256 (the SMS gateway's helper) over the
signing time and the raw body, header names configurable, a window against replays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from arrears.channels.transports import sign
from arrears.config import Settings
from arrears.kit.errors import BadInput, RuleRefused
from arrears.payments.provider import (
    BadSignature,
    HmacProvider,
    SandboxProvider,
    parse_event,
    provider_for,
    sandbox_secret,
)

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
SECRET = "shared-secret"
BODY = json.dumps(
    {
        "id": "evt_1",
        "type": "payment.succeeded",
        "intent": "pi_1",
        "amount": "100.00",
        "currency": "CNY",
        "occurred_at": "2026-11-30T00:59:00+00:00",
    }
).encode()


def provider(**kwargs: object) -> HmacProvider:
    return HmacProvider(secret=SECRET, **kwargs)  # type: ignore[arg-type]


def test_a_signed_webhook_is_read_with_exact_amounts() -> None:
    p = provider()
    event = p.parse_webhook(p.signed_headers(BODY, at=NOW), BODY, now=NOW)
    assert (event.event_id, event.type, event.provider_ref) == ("evt_1", "succeeded", "pi_1")
    assert (event.amount, event.currency) == (Decimal("100.00"), "CNY")
    assert event.occurred_at == datetime(2026, 11, 30, 0, 59, tzinfo=UTC)


def test_the_signature_is_the_gateways_helper_over_timestamp_and_body() -> None:
    headers = provider().signed_headers(BODY, at=NOW)
    stamp = str(int(NOW.timestamp()))
    assert headers["X-Payments-Timestamp"] == stamp
    assert headers["X-Payments-Signature"] == sign(SECRET, stamp.encode() + b"." + BODY)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b"100.00", b"1000.00")),  # the body changed after signing
        lambda h, b: ({**h, "X-Payments-Timestamp": str(int(h["X-Payments-Timestamp"]) + 1)}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "X-Payments-Signature"}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "X-Payments-Timestamp"}, b),
        lambda h, b: ({**h, "X-Payments-Signature": "sha256=" + "0" * 64}, b),
        lambda h, b: ({**h, "X-Payments-Timestamp": "1e9"}, b),
    ],
)
def test_a_tampered_or_unsigned_webhook_is_refused(tamper: object) -> None:
    p = provider()
    headers, body = tamper(p.signed_headers(BODY, at=NOW), BODY)  # type: ignore[operator]
    with pytest.raises(BadSignature):
        p.parse_webhook(headers, body, now=NOW)


def test_another_secret_is_refused() -> None:
    headers = HmacProvider(secret="someone-else").signed_headers(BODY, at=NOW)
    with pytest.raises(BadSignature, match="does not match"):
        provider().parse_webhook(headers, BODY, now=NOW)


@pytest.mark.parametrize("skew", [timedelta(seconds=301), timedelta(seconds=-301)])
def test_outside_the_window_is_a_replay(skew: timedelta) -> None:
    p = provider(tolerance_seconds=300)
    headers = p.signed_headers(BODY, at=NOW - skew)
    with pytest.raises(BadSignature, match="outside the 300 s window"):
        p.parse_webhook(headers, BODY, now=NOW)
    # Inside the window it is the provider's.
    assert p.parse_webhook(p.signed_headers(BODY, at=NOW - timedelta(seconds=299)), BODY, now=NOW)


def test_header_names_are_configurable_and_case_insensitive() -> None:
    p = provider(signature_header="Provider-Sig", timestamp_header="Provider-Time")
    headers = {k.lower(): v for k, v in p.signed_headers(BODY, at=NOW).items()}
    assert "provider-sig" in headers
    assert p.parse_webhook(headers, BODY, now=NOW).event_id == "evt_1"
    with pytest.raises(BadSignature):
        provider().parse_webhook(headers, BODY, now=NOW)


def test_a_signed_but_malformed_event_is_bad_input() -> None:
    def event(**fields: object) -> bytes:
        base = {"id": "e", "type": "succeeded", "intent": "pi", "amount": "1.00", "currency": "CNY"}
        return json.dumps({**base, **fields}).encode()

    with pytest.raises(BadInput, match="type"):
        parse_event(event(type="refunded"), signed_at=NOW)
    with pytest.raises(BadInput, match="amount"):
        parse_event(event(amount="lots"), signed_at=NOW)
    with pytest.raises(BadInput, match="time zone"):
        parse_event(event(occurred_at="2026-11-30T01:00:00"), signed_at=NOW)
    with pytest.raises(BadInput, match="id"):
        parse_event(event(id=""), signed_at=NOW)
    with pytest.raises(BadInput, match="not JSON"):
        parse_event(b"{", signed_at=NOW)
    # A JSON number is read as a decimal, never through a float.
    assert parse_event(b'{"id":"e","type":"pending","intent":"p","amount":0.1}', signed_at=NOW)
    assert parse_event(event(amount=None), signed_at=NOW).occurred_at == NOW
    exact = parse_event(b'{"id":"e","type":"pending","intent":"p","amount":0.1}', signed_at=NOW)
    assert exact.amount == Decimal("0.1")


def test_the_settings_choose_the_provider() -> None:
    with pytest.raises(RuleRefused, match="not offered"):
        provider_for(Settings(payments_provider="off"))
    with pytest.raises(ValidationError, match="ARREARS_PAYMENTS_BASE_URL"):
        Settings(payments_provider="generic", payments_secret="s")
    generic = provider_for(
        Settings(payments_provider="generic", payments_secret="s", payments_base_url="https://p")
    )
    assert (generic.name, generic.secret) == ("generic", "s")
    sandbox = provider_for(Settings(payments_provider="sandbox", secret_key="k" * 32))
    assert isinstance(sandbox, SandboxProvider)
    assert sandbox.secret == sandbox_secret("k" * 32) != "k" * 32
    with pytest.raises(RuleRefused, match="sandbox needs"):
        provider_for(Settings(payments_provider="sandbox", secret_key=""))
