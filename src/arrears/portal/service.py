"""Portal operations: issue a link, open it, verify the customer, keep the portal session.
Keyword-only; flush, never commit (the request or the CLI command commits).

Audit actors: before verification the one acting is whoever holds the link,
``portal-link:<id>``; after it, the customer, ``customer:<external_ref>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from arrears.auth.sessions import new_token, session_alive, token_digest
from arrears.config import get_settings
from arrears.kit import audit
from arrears.kit.clock import Clock
from arrears.kit.clock import clock as default_clock
from arrears.kit.errors import BadInput, NotFound, RuleRefused
from arrears.portal import access
from arrears.portal import repository as repo
from arrears.portal.models import (
    AUDIENCES,
    LINK_CHANNELS,
    PORTAL_LOCALES,
    PortalAttempt,
    PortalLink,
    PortalSession,
)
from arrears.portal.policy import PortalPolicy
from arrears.portal.policy import policy as default_policy
from arrears.portfolio.models import Cardholder

LINK_PATH = "/portal/l/"


def customer_actor(external_ref: str) -> str:
    """The audit actor of a verified customer."""
    return f"customer:{external_ref}"


def link_actor(link_id: int) -> str:
    """The audit actor before verification: the holder of link ``link_id``."""
    return f"portal-link:{link_id}"


def link_url(token: str, base_url: str | None = None) -> str:
    """The URL a customer opens (the server's public address + the link path)."""
    base = (base_url or get_settings().public_url).rstrip("/")
    return f"{base}{LINK_PATH}{token}"


def customer_locale(language: str | None) -> str:
    return language if language in PORTAL_LOCALES else "zh-CN"


# --- issuing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    link: PortalLink
    token: str  # the raw token: returned once, never stored

    @property
    def url(self) -> str:
        return link_url(self.token)


def issue_link(
    session: Session,
    *,
    cardholder_id: int,
    channel: str,
    audience: str = "debtor",
    clock: Clock = default_clock,
    actor: str = "system",
    policy: PortalPolicy | None = None,
) -> IssuedLink:
    """A new single-use link for ``cardholder_id`` sent by ``channel``; its lifetime is the
    policy's for that channel. A debtor link needs the facts the customer will be asked for on
    file (else the customer could never pass): ``RuleRefused`` without them."""
    rules = policy or default_policy()
    if channel not in LINK_CHANNELS:
        raise BadInput(f"channel: {channel!r} is not one of {', '.join(LINK_CHANNELS)}")
    if audience not in AUDIENCES:
        raise BadInput(f"audience: {audience!r} is not one of {', '.join(AUDIENCES)}")
    holder = repo.cardholder(session, cardholder_id)
    if holder is None:
        raise NotFound(f"no cardholder {cardholder_id}")
    if audience == "debtor":
        missing = access.missing_facts(
            rules.verification, access.OnFile(holder.birth_date, holder.id_number)
        )
        if missing:
            raise RuleRefused(
                f"cardholder {holder.external_ref}: no {', '.join(missing)} on file, which the"
                " portal asks for; the customer could not verify"
            )
    now = clock.now()
    token = new_token()
    link = PortalLink(
        token_hash=token_digest(token),
        cardholder_id=holder.id,
        audience=audience,
        channel=channel,
        issued_at=now,
        expires_at=now + rules.link_hours.lifetime(channel),
        issued_by=actor,
        failed_attempts=0,
        locked=False,
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="portal.link.issue",
        entity="portal_link",
        entity_id=link.id,
        after={
            "cardholder": holder.external_ref,
            "audience": audience,
            "channel": channel,
            "expires_at": link.expires_at.isoformat(),
        },
        at=now,
    )
    return IssuedLink(link, token)


# --- opening and verifying ------------------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """What a link's page may know before verification: its state, audience, the language to
    speak and the facts to ask for. Never the customer's data."""

    state: access.LinkState | Literal["unknown"]
    audience: str = "debtor"
    locale: str = "zh-CN"
    facts: tuple[str, ...] = ()
    link_id: int | None = None


def _load(session: Session, token: str) -> tuple[PortalLink, Cardholder] | None:
    link = repo.link_by_hash(session, token_digest(token)) if token else None
    if link is None:
        return None
    holder = repo.cardholder(session, link.cardholder_id)
    return (link, holder) if holder is not None else None


def _state(link: PortalLink, now: datetime, rules: PortalPolicy) -> access.LinkState:
    return access.link_state(
        access.LinkFacts(link.expires_at, link.used_at, link.locked, link.failed_attempts),
        now=now,
        failures_per_link=rules.failures_per_link,
    )


def open_link(
    session: Session,
    *,
    token: str,
    clock: Clock = default_clock,
    policy: PortalPolicy | None = None,
) -> Opening:
    """The state of the link ``token`` as its page shows it (audited when the link exists)."""
    rules = policy or default_policy()
    found = _load(session, token)
    if found is None:
        return Opening(state="unknown")
    link, holder = found
    now = clock.now()
    state = _state(link, now, rules)
    audit.record(
        session,
        actor=link_actor(link.id),
        action="portal.link.open",
        entity="portal_link",
        entity_id=link.id,
        after={"state": state, "audience": link.audience},
        at=now,
    )
    session.flush()
    return Opening(
        state=state,
        audience=link.audience,
        locale=customer_locale(holder.language),
        facts=rules.verification,
        link_id=link.id,
    )


Outcome = Literal["verified", "wrong", "locked", "throttled", "refused"]


@dataclass(frozen=True)
class Verification:
    outcome: Outcome
    # refused: the link's state (unknown, used, expired, locked, third_party)
    state: str = ""
    session_token: str | None = None
    attempts_left: int = 0
    locale: str = "zh-CN"


def parse_facts(required: tuple[str, ...], form: dict[str, str]) -> dict[str, Any]:
    """The typed facts, checked for shape only (``BadInput``: nothing is counted or written)."""
    typed: dict[str, Any] = {}
    for fact in required:
        raw = (form.get(fact) or "").strip()
        if fact == "birth_date":
            try:
                typed[fact] = date.fromisoformat(raw)
            except ValueError:
                raise BadInput("birth_date: enter your date of birth") from None
        elif fact == "id_last4":
            tail = access.normalise_id_tail(raw)
            if len(tail) != 4 or not tail.isalnum():
                raise BadInput("id_last4: enter the last 4 characters of your ID number")
            typed[fact] = tail
    return typed


def verify(
    session: Session,
    *,
    token: str,
    form: dict[str, str],
    ip: str,
    locale: str | None = None,
    clock: Clock = default_clock,
    policy: PortalPolicy | None = None,
) -> Verification:
    """Check the facts typed on link ``token`` from address ``ip``.

    Throttled addresses are refused before anything is compared (a throttled guess learns
    nothing). A wrong answer counts on the link and the address; the link locks at the policy's
    limit. A right answer uses the link (single use) and opens a portal session, whose token is
    returned once. Malformed input raises ``BadInput`` and counts nothing."""
    rules = policy or default_policy()
    now = clock.now()
    since = now - rules.window
    if access.address_throttled(
        failures=repo.failures_from_address(session, ip=ip, since=since),
        per_address=rules.failures_per_address,
    ):
        return Verification("throttled")
    found = _load(session, token)
    if found is None:
        # Guessing tokens counts against the address too.
        session.add(PortalAttempt(link_id=None, ip=ip, at=now, succeeded=False))
        session.flush()
        return Verification("refused", state="unknown")
    link, holder = found
    state = _state(link, now, rules)
    if state != "open":
        return Verification("refused", state=state)
    if link.audience != "debtor":
        return Verification("refused", state="third_party")
    typed = parse_facts(rules.verification, form)
    on_file = access.OnFile(holder.birth_date, holder.id_number)
    if not access.facts_match(rules.verification, typed, on_file):
        session.add(PortalAttempt(link_id=link.id, ip=ip, at=now, succeeded=False))
        failures = repo.count_failure(session, link_id=link.id, lock_at=rules.failures_per_link)
        locked = failures >= rules.failures_per_link
        audit.record(
            session,
            actor=link_actor(link.id),
            action="portal.verify.fail",
            entity="portal_link",
            entity_id=link.id,
            after={"failed_attempts": failures, "locked": locked, "ip": ip},
            at=now,
        )
        session.flush()
        session.refresh(link)
        if locked:
            return Verification("locked", state="locked")
        return Verification("wrong", attempts_left=rules.failures_per_link - failures)
    if not repo.consume(session, link_id=link.id, now=now):
        return Verification("refused", state="used")
    chosen = locale if locale in PORTAL_LOCALES else customer_locale(holder.language)
    raw = new_token()
    portal_session = PortalSession(
        token_hash=token_digest(raw),
        cardholder_id=holder.id,
        link_id=link.id,
        created_at=now,
        last_seen_at=now,
        locale=chosen,
        ip=ip,
    )
    session.add(PortalAttempt(link_id=link.id, ip=ip, at=now, succeeded=True))
    session.add(portal_session)
    session.flush()
    session.refresh(link)
    audit.record(
        session,
        actor=customer_actor(holder.external_ref),
        action="portal.verify",
        entity="portal_session",
        entity_id=portal_session.id,
        after={"link_id": link.id, "channel": link.channel, "ip": ip},
        at=now,
    )
    session.flush()
    return Verification("verified", session_token=raw, locale=chosen)


# --- the portal session -------------------------------------------------------------------


@dataclass(frozen=True)
class PortalCustomer:
    """The verified customer behind a portal session: what routes may rely on."""

    cardholder_id: int
    external_ref: str
    session_id: int
    locale: str

    @property
    def actor(self) -> str:
        return customer_actor(self.external_ref)


def resolve_session(
    session: Session,
    *,
    token: str,
    clock: Clock = default_clock,
    policy: PortalPolicy | None = None,
) -> PortalCustomer | None:
    """The customer behind a portal cookie, or None if unknown, ended or expired (idle or
    absolute); an expired session is ended on the way."""
    if not token:
        return None
    rules = (policy or default_policy()).session.rules
    live = repo.session_by_hash(session, token_digest(token))
    if live is None or live.ended_at is not None:
        return None
    now = clock.now()
    if not session_alive(
        created_at=live.created_at, last_seen_at=live.last_seen_at, now=now, rules=rules
    ):
        live.ended_at = now
        session.flush()
        return None
    holder = repo.cardholder(session, live.cardholder_id)
    if holder is None:
        return None
    if now - live.last_seen_at >= rules.touch_every:
        live.last_seen_at = now
        session.flush()
    return PortalCustomer(holder.id, holder.external_ref, live.id, live.locale)


def end_session(
    session: Session, *, customer: PortalCustomer, clock: Clock = default_clock
) -> None:
    live = session.get(PortalSession, customer.session_id)
    if live is not None and live.ended_at is None:
        live.ended_at = clock.now()
        record(
            session,
            customer=customer,
            action="portal.sign_out",
            entity="portal_session",
            entity_id=live.id,
        )
        session.flush()


def set_locale(session: Session, *, customer: PortalCustomer, locale: str) -> None:
    if locale not in PORTAL_LOCALES:
        raise BadInput(f"locale: {locale!r} is not one of {', '.join(PORTAL_LOCALES)}")
    live = session.get(PortalSession, customer.session_id)
    if live is not None and live.locale != locale:
        before = live.locale
        live.locale = locale
        record(
            session,
            customer=customer,
            action="portal.locale",
            entity="portal_session",
            entity_id=live.id,
            before={"locale": before},
            after={"locale": locale},
        )
        session.flush()


def record(
    session: Session,
    *,
    customer: PortalCustomer,
    action: str,
    entity: str,
    entity_id: object,
    after: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    """Audit a view or an action of the verified customer (actor ``customer:<ref>``)."""
    audit.record(
        session,
        actor=customer.actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
    )
