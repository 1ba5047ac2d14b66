"""Session and rate-limit rules, pure: when a session has expired, when sign-in is throttled."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionRules:
    """Idle timeout slides with use; the absolute lifetime does not."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    # Write last_seen at most this often: one UPDATE per request would cost p95.
    touch_every: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class RateLimit:
    """At most ``attempts`` failed sign-ins per username and address within ``window``."""

    attempts: int = 5
    window: timedelta = timedelta(minutes=15)


SESSION_RULES = SessionRules()
SIGN_IN_LIMIT = RateLimit()


def session_alive(
    *, created_at: datetime, last_seen_at: datetime, now: datetime, rules: SessionRules
) -> bool:
    return now - last_seen_at < rules.idle and now - created_at < rules.absolute


def throttled(*, recent_failures: int, limit: RateLimit) -> bool:
    return recent_failures >= limit.attempts


def new_token(prefix: str = "") -> str:
    """A URL-safe random secret (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What we store instead of the token: a SHA-256 (tokens are random, so no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
