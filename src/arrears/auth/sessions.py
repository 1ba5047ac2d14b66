"""Session, token and throttling rules, pure: when a session or an API token has expired, when
sign-in is throttled, and the CSRF token that binds a form to one session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionRules:
    """Idle timeout slides with use; the absolute lifetime does not (values from the policy)."""

    idle: timedelta
    absolute: timedelta
    # Write last_seen at most this often: one UPDATE per request would cost p95.
    touch_every: timedelta


def session_alive(
    *, created_at: datetime, last_seen_at: datetime, now: datetime, rules: SessionRules
) -> bool:
    return now - last_seen_at < rules.idle and now - created_at < rules.absolute


def throttled(
    *, username_failures: int, address_failures: int, per_username: int, per_address: int
) -> bool:
    """Refuse once either count reaches its limit: per username (whatever the address, so
    rotating addresses gains nothing) and per address (whatever the username, so spraying
    usernames from one address gains nothing)."""
    return username_failures >= per_username or address_failures >= per_address


def token_alive(
    *, created_at: datetime, expires_at: datetime | None, now: datetime, max_lifetime: timedelta
) -> bool:
    """An API token lives until its own expiry and never past the policy's maximum lifetime
    (which also ends tokens issued without an expiry before every token had one)."""
    end = created_at + max_lifetime
    if expires_at is not None:
        end = min(end, expires_at)
    return now < end


def new_token(prefix: str = "") -> str:
    """A URL-safe random secret (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What we store instead of the token: a SHA-256 (tokens are random, so no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret_key: str, binding: str) -> str:
    """The CSRF token for ``binding`` (a session, or a browser before it signs in): an HMAC
    with the server's key, so nobody without the key can make one for a session they chose."""
    mac = hmac.new(secret_key.encode(), b"csrf\x00" + binding.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def session_binding(session_token: str) -> str:
    """What a signed-in browser's CSRF token is bound to: its session (by the stored digest)."""
    return "session:" + token_digest(session_token)


def pre_session_binding(nonce: str) -> str:
    """What the sign-in form's CSRF token is bound to: a random per-browser nonce."""
    return "pre-session:" + nonce
