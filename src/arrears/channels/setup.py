"""The transports and links the settings configure (ARREARS_SMTP_*, ARREARS_SMS_*)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import urlencode

from arrears.channels.gateway import HttpGatewayTransport
from arrears.channels.smtp import SmtpTransport
from arrears.channels.transports import SpoolTransport, Transport
from arrears.config import Settings, get_settings

RECEIPTS_PATH = "/api/v1/channels/receipts"
OPT_OUT_PATH = "/api/v1/channels/opt-out"


def transports(
    settings: Settings | None = None, *, spool: Path | None = None
) -> dict[str, Transport]:
    """channel -> its transport: SMS by the spool or the HTTP gateway, e-mail by SMTP."""
    s = settings or get_settings()
    sms: Transport
    if s.sms_transport == "gateway":
        sms = HttpGatewayTransport(
            url=s.sms_gateway_url,
            secret=s.sms_gateway_secret,
            callback=s.public_url.rstrip("/") + RECEIPTS_PATH,
            timeout=s.sms_gateway_timeout,
        )
    else:
        sms = SpoolTransport(spool or s.outbox_spool)
    email = SmtpTransport(
        host=s.smtp_host,
        port=s.smtp_port,
        sender=s.smtp_from,
        user=s.smtp_user,
        password=s.smtp_password,
        starttls=s.smtp_starttls,
        use_ssl=s.smtp_ssl,
        timeout=s.smtp_timeout,
        unsubscribe_mailbox=s.smtp_unsubscribe_mailbox,
    )
    return {"sms": sms, "email": email}


def link_signature(secret: str, dedupe_key: str) -> str:
    return hmac.new(
        secret.encode(), b"opt-out\x00" + dedupe_key.encode(), hashlib.sha256
    ).hexdigest()


def opt_out_link(dedupe_key: str, settings: Settings | None = None) -> str | None:
    """The one-click opt-out link an e-mail carries (signed, so nobody opts out another)."""
    s = settings or get_settings()
    if not s.link_secret:
        return None
    query = urlencode({"m": dedupe_key, "sig": link_signature(s.link_secret, dedupe_key)})
    return f"{s.public_url.rstrip('/')}{OPT_OUT_PATH}?{query}"


def link_signature_ok(secret: str, dedupe_key: str, signature: str) -> bool:
    return hmac.compare_digest(link_signature(secret, dedupe_key), signature)
