"""Online payments: start one for the portal, receive the provider's webhooks, post what
succeeded. Keyword-only; flush, never commit (the request or the CLI command commits).

The server owns the money: the amount the customer chose is checked against what the account
owes by the owed breakdown (the figure the case page shows), less what payments already under
way may still take; the provider's event must name the intent's own amount and currency to be
posted. A succeeded intent is posted once, like an imported payment (``portfolio.Payment``,
channel ``online``, reference ``portal:<public id>``), and the promises of the account's case
are reconciled at once by the promise stage's own ``reconcile_case``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.config import Settings, get_settings
from arrears.kit import audit
from arrears.kit.clock import Clock, center_day, center_today
from arrears.kit.clock import clock as default_clock
from arrears.kit.errors import ArrearsError, BadInput, NotFound, RuleRefused
from arrears.kit.money import ZERO, round_money
from arrears.payments import repository
from arrears.payments.models import PaymentEvent, PaymentIntent
from arrears.payments.provider import (
    HmacProvider,
    IntentRequest,
    WebhookEvent,
    provider_for,
)
from arrears.payments.states import FINAL, move
from arrears.portfolio.models import CardAccount, Payment
from arrears.promises import arrangements
from arrears.promises import nightly as promise_stage

log = logging.getLogger(__name__)

ENTITY = "payment_intent"
SYSTEM_ACTOR = "system:payments"
REFERENCE_PREFIX = "portal:"


@dataclass(frozen=True)
class Checkout:
    """Where to send the customer: the provider's page (``redirect_url``; for the sandbox a
    path on this server) or a QR code carrying ``qr_payload``."""

    intent_public_id: str
    redirect_url: str
    qr_payload: str
    amount: Decimal
    currency: str
    expires_at: datetime


@dataclass(frozen=True)
class IntentStatus:
    intent_public_id: str
    account_id: int
    status: str  # created, pending, succeeded, failed, cancelled, expired
    amount: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    settled_at: datetime | None
    payment_id: int | None
    paid_on: date | None
    redirect_url: str
    qr_payload: str

    @property
    def final(self) -> bool:
        return self.status in FINAL


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    outcome: str  # applied, ignored, mismatch, unknown_intent
    duplicate: bool
    intent_public_id: str | None
    status: str | None
    payment_id: int | None


# --- what may be paid --------------------------------------------------------------------------


def _checked_return_url(value: str) -> str:
    """A path on this server ("/portal/..."): never another site (an open redirect)."""
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 33 for c in value)
        or len(value) > 500
    ):
        raise BadInput("return_url: a path on this server, starting with a single '/'")
    return value


def _account_of(session: Session, *, cardholder_id: int, account_id: int) -> CardAccount:
    account = session.get(CardAccount, account_id)
    if account is None or account.cardholder_id != cardholder_id:
        # The same answer whether the account exists or is someone else's.
        raise NotFound(f"no account {account_id} of this customer")
    return account


def owed_on_account(session: Session, *, account: CardAccount) -> Decimal:
    """What the account owes today by its case's owed breakdown (the case page's figure); the
    cycle's figures of a one-account case whose account has no statements; zero when no case
    that is not closed covers the account."""
    for case in repository.live_cases_of_account(session, account.id):
        parts = case_service.breakdowns(session=session, work_order_id=case.id)
        for part in parts:
            if part.account_ref == account.external_ref and part.breakdown.items:
                return part.breakdown.total_due
        if len(parts) <= 1:
            return arrangements.owed(session=session, work_order=case)
    return ZERO


def _expire(
    session: Session, intent: PaymentIntent, *, to: str, reason: str, now: datetime, actor: str
) -> None:
    step = move(intent.status, to)
    if not step.changed:
        return
    before = _summary(intent)
    intent.status, intent.updated_at, intent.settled_at = step.after, now, now
    audit.record(
        session,
        actor=actor,
        action="payment_intent.transition",
        entity=ENTITY,
        entity_id=intent.id,
        before=before,
        after=_summary(intent),
        reason=reason,
        at=now,
    )


def room_to_pay(
    session: Session, *, account: CardAccount, now: datetime
) -> tuple[Decimal, Decimal, Decimal]:
    """(owed, held by payments under way, room): what a new payment may be at most."""
    owed = owed_on_account(session, account=account)
    held = sum(
        (
            i.amount
            for i in repository.open_intents(session, account_id=account.id)
            if i.status == "pending" or i.expires_at > now
        ),
        ZERO,
    )
    return owed, held, max(owed - held, ZERO)


@dataclass(frozen=True)
class Room:
    """What the customer may pay on an account now: ``room`` = ``owed`` - ``held``."""

    account_id: int
    currency: str
    owed: Decimal
    held: Decimal
    room: Decimal


def payment_room(
    session: Session, *, cardholder_id: int, account_id: int, clock: Clock | None = None
) -> Room:
    """The bounds the portal's Pay form offers (404 for another customer's account); the
    same figures ``start_payment`` checks against."""
    account = _account_of(session, cardholder_id=cardholder_id, account_id=account_id)
    owed, held, room = room_to_pay(session, account=account, now=(clock or default_clock).now())
    return Room(account.id, account.currency, owed, held, room)


def start_payment(
    session: Session,
    *,
    cardholder_id: int,
    account_id: int,
    amount: object,
    return_url: str,
    actor: str | None = None,
    settings: Settings | None = None,
    clock: Clock | None = None,
) -> Checkout:
    """Start a payment of ``amount`` (the customer's choice: a string or Decimal, more than
    zero and at most what the account owes less payments under way) on the customer's own
    account, with the configured provider. The customer's earlier checkouts of the account
    that never reached the provider's payment step are cancelled (restarted). ``return_url``:
    a path on this server the checkout returns to. 404: not the customer's account; 422:
    malformed amount or return URL; 409: over what may be paid, or payments are off; 502: the
    provider did not answer (nothing written)."""
    settings = settings or get_settings()
    now = (clock or default_clock).now()
    provider = provider_for(settings)
    account = _account_of(session, cardholder_id=cardholder_id, account_id=account_id)
    value = arrangements.amount(amount, "the amount", account.currency)
    back = _checked_return_url(return_url)
    actor = actor or f"customer:{cardholder_id}"
    repository.lock_account(session, account.id)
    for earlier in repository.open_intents(session, account_id=account.id):
        if earlier.status == "created" and earlier.cardholder_id == cardholder_id:
            reason = "expired" if earlier.expires_at <= now else "cancelled"
            why = "not paid in time" if reason == "expired" else "the customer started again"
            # Restarting is the customer's act; an expiry is the system's.
            by = actor if reason == "cancelled" else SYSTEM_ACTOR
            _expire(session, earlier, to=reason, reason=why, now=now, actor=by)
    session.flush()
    owed, held, room = room_to_pay(session, account=account, now=now)
    if owed <= ZERO:
        raise RuleRefused(f"account {account.external_ref} owes nothing to pay online today")
    if value > room:
        under_way = f", {held} already in payments under way" if held else ""
        raise RuleRefused(
            f"at most {room} {account.currency} can be paid now "
            f"({owed} owed{under_way}); got {value}"
        )
    public_id = secrets.token_urlsafe(16)
    expires_at = now + timedelta(minutes=settings.payments_intent_minutes)
    made = provider.create_intent(
        IntentRequest(
            public_id=public_id,
            amount=value,
            currency=account.currency,
            return_url=settings.public_url.rstrip("/") + back,
            expires_at=expires_at,
        )
    )
    intent = PaymentIntent(
        public_id=public_id,
        account_id=account.id,
        cardholder_id=cardholder_id,
        amount=value,
        currency=account.currency,
        status="created",
        provider=provider.name,
        provider_ref=made.ref,
        redirect_url=made.redirect_url,
        qr_payload=made.qr_payload,
        return_url=back,
        started_by=actor,
        created_at=now,
        updated_at=now,
        expires_at=expires_at,
    )
    session.add(intent)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="payment_intent.start",
        entity=ENTITY,
        entity_id=intent.id,
        after={**_summary(intent), "owed": f"{owed:f}", "held": f"{held:f}"},
        at=now,
    )
    return Checkout(
        intent_public_id=public_id,
        redirect_url=made.redirect_url,
        qr_payload=made.qr_payload,
        amount=value,
        currency=account.currency,
        expires_at=expires_at,
    )


def _status_of(intent: PaymentIntent, payment: Payment | None, now: datetime) -> IntentStatus:
    status = intent.status
    if status == "created" and intent.expires_at <= now:
        status = "expired"  # as the customer sees it; written when the account is next paid
    return IntentStatus(
        intent_public_id=intent.public_id,
        account_id=intent.account_id,
        status=status,
        amount=intent.amount,
        currency=intent.currency,
        created_at=intent.created_at,
        updated_at=intent.updated_at,
        expires_at=intent.expires_at,
        settled_at=intent.settled_at,
        payment_id=intent.payment_id,
        paid_on=payment.paid_on if payment else None,
        redirect_url=intent.redirect_url,
        qr_payload=intent.qr_payload,
    )


def intent_status(
    session: Session, *, cardholder_id: int, intent_public_id: str, clock: Clock | None = None
) -> IntentStatus:
    """Where the customer's payment stands (404 for another customer's or an unknown id)."""
    intent = repository.intent_by_public_id(session, intent_public_id)
    if intent is None or intent.cardholder_id != cardholder_id:
        raise NotFound("no such payment of this customer")
    payment = session.get(Payment, intent.payment_id) if intent.payment_id else None
    return _status_of(intent, payment, (clock or default_clock).now())


def intents_of(
    session: Session, *, cardholder_id: int, account_id: int | None = None, limit: int = 50
) -> list[IntentStatus]:
    """The customer's payments, newest first (the portal's history)."""
    now = default_clock.now()
    found = repository.intents_of(
        session, cardholder_id=cardholder_id, account_id=account_id, limit=limit
    )
    return [
        _status_of(i, session.get(Payment, i.payment_id) if i.payment_id else None, now)
        for i in found
    ]


# --- webhooks ----------------------------------------------------------------------------------


def _summary(intent: PaymentIntent) -> dict[str, Any]:
    return {
        "public_id": intent.public_id,
        "account_id": intent.account_id,
        "amount": f"{intent.amount:f}",
        "currency": intent.currency,
        "status": intent.status,
        "provider": intent.provider,
        "provider_ref": intent.provider_ref,
        "payment_id": intent.payment_id,
    }


def _mismatch(intent: PaymentIntent, event: WebhookEvent) -> str | None:
    """Why the event's figures are not the intent's, if they are not. A success must name
    both (it is what gets posted); other events are checked when they carry them."""
    if event.type == "succeeded" and (event.amount is None or event.currency is None):
        return f"event {event.event_id} reports a success without amount and currency"
    if event.currency is not None and event.currency != intent.currency:
        return (
            f"event {event.event_id} says {event.currency}, the payment was started in "
            f"{intent.currency}"
        )
    if event.amount is not None and round_money(event.amount, intent.currency) != intent.amount:
        return (
            f"event {event.event_id} says {event.amount} {event.currency or intent.currency}, "
            f"the payment was started for {intent.amount} {intent.currency}"
        )
    return None


def _paid_on(event: WebhookEvent, intent: PaymentIntent, now: datetime) -> date:
    """The day the money was taken: the provider's time, never before the intent nor after
    now, as the center's day. That is the day the owed breakdown and a promise's "made on" are
    counted in (``clock.today()``): dated any later, a payment would fall after the
    breakdown's as-of day and not yet reduce what is owed, and the same amount could be paid
    again."""
    return center_day(min(max(event.occurred_at, intent.created_at), now))


def _post(session: Session, *, intent: PaymentIntent, paid_on: date, now: datetime) -> Payment:
    """The intent's payment, as an import would have written it; the same reference already
    on file (a feed that carried it first) is that payment, not a second one."""
    reference = REFERENCE_PREFIX + intent.public_id
    payment = repository.payment_by_reference(
        session, account_id=intent.account_id, reference=reference
    )
    if payment is None:
        payment = Payment(
            account_id=intent.account_id,
            paid_on=paid_on,
            amount=intent.amount,
            channel="online",
            reference=reference,
        )
        try:
            with session.begin_nested():
                session.add(payment)
        except IntegrityError:
            found = repository.payment_by_reference(
                session, account_id=intent.account_id, reference=reference
            )
            if found is None:
                raise
            payment = found
    intent.payment_id = payment.id
    audit.record(
        session,
        actor=SYSTEM_ACTOR,
        action="payment.posted",
        entity="payment",
        entity_id=payment.id,
        after={
            "account_id": payment.account_id,
            "paid_on": payment.paid_on.isoformat(),
            "amount": f"{payment.amount:f}",
            "currency": intent.currency,
            "channel": payment.channel,
            "reference": payment.reference,
            "intent": intent.public_id,
        },
        reason="online payment confirmed by the provider",
        at=now,
    )
    return payment


def reconcile_account(session: Session, *, account_id: int, actor: str = SYSTEM_ACTOR) -> int:
    """Reconcile at once the promises and plans of each case covering the account, with the
    nightly stage's own ``reconcile_case``. A case another transaction holds right now is left
    to the night (logged); the payment stands either way. Returns the cases reconciled."""
    done = 0
    for case in repository.live_cases_of_account(session, account_id):
        try:
            with session.begin_nested():
                promise_stage.reconcile_case(
                    session=session, work_order_id=case.id, actor=actor, as_of=center_today()
                )
            done += 1
        except ArrearsError as exc:
            log.warning(
                "payment on account %s: case %s not reconciled now, left to the promise stage: %s",
                account_id,
                case.id,
                exc.message,
            )
    return done


def receive_webhook(
    session: Session,
    *,
    provider: HmacProvider,
    headers: Mapping[str, str],
    body: bytes,
    clock: Clock | None = None,
) -> WebhookResult:
    """Verify, record and apply one webhook delivery. A bad signature (or signing time outside
    the window) raises before anything is written; an event id seen before is a no-op
    (``duplicate``); an event for no known intent is recorded for operations
    (``unknown_intent``); figures not the intent's are recorded (``mismatch``) and not
    posted; otherwise the state machine moves the intent, and the move into ``succeeded``
    posts the payment and reconciles the account's promises."""
    now = (clock or default_clock).now()
    event = provider.parse_webhook(headers, body, now=now)
    seen = repository.event(session, provider=provider.name, event_id=event.event_id)
    if seen is not None:
        return _duplicate(session, seen)
    intent = repository.intent_by_ref(
        session, provider=provider.name, provider_ref=event.provider_ref, lock=True
    )
    # Another delivery of this event may have been applied while we waited for the intent.
    seen = repository.event(session, provider=provider.name, event_id=event.event_id)
    if seen is not None:
        return _duplicate(session, seen)
    record = PaymentEvent(
        provider=provider.name,
        provider_event_id=event.event_id,
        intent_id=intent.id if intent else None,
        provider_ref=event.provider_ref,
        type=event.type,
        amount=event.amount,
        currency=event.currency,
        occurred_at=event.occurred_at,
        received_at=now,
        outcome="ignored",
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        seen = repository.event(session, provider=provider.name, event_id=event.event_id)
        if seen is None:
            raise
        return _duplicate(session, seen)
    if intent is None:
        record.outcome = "unknown_intent"
        record.detail = f"no payment intent with reference {event.provider_ref}"
        log.warning("payment webhook %s: %s", event.event_id, record.detail)
        session.flush()
        return WebhookResult(event.event_id, record.outcome, False, None, None, None)
    problem = _mismatch(intent, event)
    if problem is not None:
        record.outcome, record.detail = "mismatch", problem
        intent.problem = problem
        intent.updated_at = now
        audit.record(
            session,
            actor=SYSTEM_ACTOR,
            action="payment_intent.mismatch",
            entity=ENTITY,
            entity_id=intent.id,
            after=_summary(intent),
            reason=problem,
            at=now,
        )
        log.warning("payment webhook %s: %s", event.event_id, problem)
        session.flush()
        return WebhookResult(
            event.event_id, "mismatch", False, intent.public_id, intent.status, intent.payment_id
        )
    step = move(intent.status, event.type)
    if step.changed:
        before = _summary(intent)
        intent.status, intent.updated_at = step.after, now
        if step.after in FINAL:
            intent.settled_at = now
        record.outcome = "applied"
        if step.posts:
            _post(session, intent=intent, paid_on=_paid_on(event, intent, now), now=now)
        audit.record(
            session,
            actor=SYSTEM_ACTOR,
            action="payment_intent.transition",
            entity=ENTITY,
            entity_id=intent.id,
            before=before,
            after=_summary(intent),
            reason=f"provider event {event.event_id} ({event.type})",
            at=now,
        )
        session.flush()
        if step.posts:
            reconcile_account(session, account_id=intent.account_id)
    else:
        record.detail = f"{event.type} after {intent.status}: nothing to change"
        session.flush()
    return WebhookResult(
        event_id=event.event_id,
        outcome=record.outcome,
        duplicate=False,
        intent_public_id=intent.public_id,
        status=step.after,
        payment_id=intent.payment_id,
    )


def _duplicate(session: Session, seen: PaymentEvent) -> WebhookResult:
    intent = session.get(PaymentIntent, seen.intent_id) if seen.intent_id else None
    return WebhookResult(
        event_id=seen.provider_event_id,
        outcome=seen.outcome,
        duplicate=True,
        intent_public_id=intent.public_id if intent else None,
        status=intent.status if intent else None,
        payment_id=intent.payment_id if intent else None,
    )


# --- the sandbox checkout ----------------------------------------------------------------------


def sandbox_intent(session: Session, *, provider: HmacProvider, provider_ref: str) -> PaymentIntent:
    """The intent behind a sandbox checkout page (404 if the sandbox is not the provider)."""
    intent = (
        repository.intent_by_ref(session, provider="sandbox", provider_ref=provider_ref)
        if provider.name == "sandbox"
        else None
    )
    if intent is None:
        raise NotFound("no such sandbox checkout")
    return intent


__all__ = [
    "Checkout",
    "IntentStatus",
    "Room",
    "WebhookResult",
    "intent_status",
    "intents_of",
    "owed_on_account",
    "payment_room",
    "receive_webhook",
    "reconcile_account",
    "room_to_pay",
    "start_payment",
]
