"""SMS through a generic HTTP gateway: one JSON POST per message, signed with HMAC-SHA256 over
the body (``X-Arrears-Signature: sha256=<hex>``), the dedupe key as ``Idempotency-Key`` so a
repeat after a crash is the same message to the gateway. Delivery receipts come back to
``/api/v1/channels/receipts``, signed with the same secret."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from arrears.channels.transports import SIGNATURE_HEADER, Outgoing, Refused, TransportError, sign


class HttpGatewayTransport:
    """POSTs ``{"id", "to", "text", "locale", "callback"}`` to ``url``; a 2xx answer carries
    ``{"ref": "..."}``. 4xx: the gateway will never take it (failed); 5xx or no answer: tried
    again on the next pass."""

    name = "gateway"

    def __init__(self, *, url: str, secret: str, callback: str = "", timeout: float = 10.0) -> None:
        if not url or not secret:
            raise ValueError("the SMS gateway needs a URL and a secret (ARREARS_SMS_GATEWAY_*)")
        self.url, self.secret, self.callback, self.timeout = url, secret, callback, timeout

    def payload(self, message: Outgoing) -> bytes:
        return json.dumps(
            {
                "id": message.dedupe_key,
                "to": message.to,
                "text": message.body,
                "locale": message.locale,
                "callback": self.callback,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")

    def handed(self, message: Outgoing) -> str | None:
        # The gateway keeps Idempotency-Key: handing a message again returns its first ref.
        return None

    def send(self, message: Outgoing) -> str:
        body = self.payload(message)
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": message.dedupe_key,
                SIGNATURE_HEADER: sign(self.secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            why = f"{exc.code} {exc.reason}"
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise Refused(why, status="failed") from exc
            raise TransportError(why) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TransportError(f"cannot reach the SMS gateway: {exc}") from exc
        ref = answer.get("ref") if isinstance(answer, dict) else None
        if not isinstance(ref, str) or not ref:
            raise TransportError("the gateway answered without a reference")
        return ref
