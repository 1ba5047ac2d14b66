"""The outbound pipeline's store side: queue a checked message, relay the pending ones through
their channel's transport (each checked again at the moment of sending), record receipts,
cancellations, addresses and opt-outs. Keyword-only; flush, never commit.

Compliance is asked through a ``Gate`` the caller passes (the contacts domain builds the
question from the case): this domain stores and moves messages, it does not decide them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.channels import repository, states, templates, transports
from arrears.channels.models import ChannelOptOut, DebtorChannel, MessageReceipt, OutboxMessage
from arrears.config import get_settings
from arrears.kit import audit, faults
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotFound, RuleRefused


@dataclass(frozen=True)
class Verdict:
    """Compliance's answer on one message: allowed, or by which rules and until when."""

    allowed: bool
    rules: list[str] = field(default_factory=list)
    reason: str = ""
    next_allowed_at: datetime | None = None
    check_id: int | None = None
    profile: str = ""
    # The rules' reasons as ids and parameters ({"rule", "params"}): said in each reader's
    # language when read (compliance/reasons.yaml), ``reason`` is the English of them.
    reasons: list[dict[str, object]] = field(default_factory=list)

    @property
    def temporal(self) -> bool:
        """Blocked only for now (the hour, the day's cap): it will be allowed later."""
        return not self.allowed and self.next_allowed_at is not None

    def record(self) -> dict[str, object]:
        return {
            "allowed": self.allowed,
            "rules": self.rules,
            "reason": self.reason,
            "check_id": self.check_id,
            "profile": self.profile,
            "reasons": self.reasons,
        }


def why(rule: str, **params: object) -> dict[str, object]:
    """A reason as the pipeline stores it (a rule id of compliance/reasons.yaml and its values),
    so every reader reads it in their own language."""
    return {"rule": rule, "params": params}


def _state_reason(message: OutboxMessage, reason: dict[str, object]) -> None:
    """What put the message in its current end state, kept for the timeline, CLI and API."""
    message.compliance = {**(message.compliance or {}), "why": reason}


def refusal(channel: str, verdict: Verdict) -> RuleRefused:
    """Compliance refuses a message for good: the English sentence, and in ``detail`` the rule id
    and values of the same sentence (``message.refused``) with the rules' own reasons, so the
    API (Accept-Language), the CLI (--locale) and the page say it in the reader's language."""
    return RuleRefused(
        f"compliance refuses this {channel} ({', '.join(verdict.rules)}): {verdict.reason}",
        detail={
            **verdict.record(),
            "rule": "message.refused",
            "params": {"channel": channel, "rules": verdict.rules, "reasons": verdict.reasons},
        },
    )


# Asks compliance about a message at an instant (and records the check).
Gate = Callable[[Session, OutboxMessage, datetime], Verdict]


def _hold(message: OutboxMessage, verdict: Verdict) -> None:
    message.status = states.move(message.status, "held")
    message.held_rule = verdict.rules[0] if verdict.rules else None
    message.next_allowed_at = verdict.next_allowed_at
    when = (
        f"; allowed from {verdict.next_allowed_at.isoformat()}" if verdict.next_allowed_at else ""
    )
    message.last_error = f"held: {verdict.reason}{when}"[:2000]


def queue(
    *, session: Session, message: OutboxMessage, verdict: Verdict, actor: str
) -> OutboxMessage:
    """Store ``message`` (built by the caller, its text final) with compliance's verdict at
    queue time: allowed -> queued; blocked for now -> held with the rule and the next allowed
    time; blocked for good (content, a hold, an opt-out) -> ``RuleRefused``, nothing queued."""
    if not verdict.allowed and not verdict.temporal:
        raise refusal(message.channel, verdict)
    if repository.key_taken(session, message.dedupe_key):
        raise RuleRefused(f"message {message.dedupe_key} is already queued")
    message.status = "queued"
    message.compliance = verdict.record()
    message.created_at = clock.now()
    message.queued_by = actor
    if verdict.temporal:
        _hold(message, verdict)
    session.add(message)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="message.queue",
        entity="outbox_message",
        entity_id=message.id,
        after={"status": message.status, "channel": message.channel, "template": message.template},
    )
    session.flush()
    return message


@dataclass
class RelayRun:
    """What one pass of the relay did."""

    sent: int = 0
    held: int = 0  # compliance says not now: held with the rule and the next allowed time
    expired: int = 0  # its last day has passed: cancelled
    retrying: int = 0  # the transport refused; tried again on the next pass
    failed: int = 0  # refused MAX_ATTEMPTS times, or for good
    # of ``sent``: found already with the transport (a pass died after the hand-over, before
    # its commit), recorded as sent without handing them again
    recovered: int = 0
    refused: int = 0  # compliance now refuses it for good (a hold, an opt-out): cancelled

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _sent(message: OutboxMessage, ref: str, now: datetime) -> None:
    message.status = states.move(message.status, "sent")
    message.provider_ref = ref[:128]
    message.sent_at = now
    message.last_error = None
    message.held_rule = None
    message.next_allowed_at = None


def _failed(message: OutboxMessage, transport: str, error: str) -> None:
    _state_reason(
        message,
        why("message.failed", status=message.status, transport=transport, error=error[:500]),
    )


def relay(
    *,
    session: Session,
    transports_by_channel: transports.Transports,
    gate: Gate,
    actor: str,
    unsubscribe: Callable[[OutboxMessage], str | None] = lambda m: None,
    limit: int = 500,
) -> RelayRun:
    """Hand the pending messages due today to their channel's transport, each checked by
    compliance again at the moment of sending (queued for 10:00, the relay may run at 22:30).

    On PostgreSQL the batch is claimed with ``FOR UPDATE SKIP LOCKED``: two relays never take
    the same message. The caller commits; a crash before the commit leaves the messages
    pending, and the next pass asks the transport whether it already holds each one (by its
    dedupe key) before handing it over, so nothing is handed twice.
    """
    now = clock.now()
    today = now.astimezone(ZoneInfo(get_settings().time_zone)).date()
    run = RelayRun()
    pending = repository.claim_pending(
        session, due_on=today, now=now, channels=list(transports_by_channel), limit=limit
    )
    for message in pending:
        transport = transports_by_channel[message.channel]
        outgoing = transports.Outgoing.of(message, unsubscribe=unsubscribe(message))
        # Handed over by a pass that died before its commit: a fact, whatever the hour or the
        # day is now. Record it as sent; never hand it again.
        already = transport.handed(outgoing)
        if already is not None:
            _sent(message, already, now)
            run.sent += 1
            run.recovered += 1
            continue
        if message.valid_until is not None and message.valid_until < today:
            message.status = states.move(message.status, "cancelled")
            message.last_error = f"expired: meant for {message.valid_until}, not sent that day"
            _state_reason(message, why("message.expired", day=message.valid_until.isoformat()))
            run.expired += 1
            continue
        verdict = gate(session, message, now)
        message.compliance = {**message.compliance, "at_send": verdict.record()}
        if verdict.temporal:
            _hold(message, verdict)
            run.held += 1
            continue
        if not verdict.allowed:
            message.status = states.move(message.status, "cancelled")
            message.last_error = f"refused: {verdict.reason}"[:2000]
            message.held_rule = verdict.rules[0] if verdict.rules else None
            _state_reason(message, why("message.cancelled", reasons=verdict.reasons))
            run.refused += 1
            continue
        message.attempts += 1
        try:
            ref = transport.send(outgoing)
            faults.crash_point("outbox_after_hand_over")
        except transports.Refused as exc:
            message.status = states.move(message.status, exc.status)
            message.last_error = f"{transport.name}: {exc}"[:2000]
            _failed(message, transport.name, str(exc))
            run.failed += 1
            continue
        except transports.TransportError as exc:
            message.last_error = f"{transport.name}: {exc}"[:2000]
            if message.attempts >= transports.MAX_ATTEMPTS:
                message.status = states.move(message.status, "failed")
                _failed(message, transport.name, str(exc))
                run.failed += 1
            else:
                run.retrying += 1
            continue
        _sent(message, ref, now)
        run.sent += 1
    session.flush()
    if any(run.as_dict().values()):
        audit.record(
            session,
            actor=actor,
            action="outbox.send",
            entity="outbox_message",
            entity_id=today.isoformat(),
            after={
                **run.as_dict(),
                "transports": sorted({t.name for t in transports_by_channel.values()}),
            },
        )
        session.flush()
    return run


RECEIPT_STATUSES = ("delivered", "bounced", "failed")


def record_receipt(
    *,
    session: Session,
    receipt_id: str,
    message_key: str,
    status: str,
    detail: str | None,
    actor: str,
) -> tuple[OutboxMessage, bool]:
    """Apply a transport's delivery receipt to the message it names (by dedupe key or the
    transport's reference). A receipt id seen before changes nothing (a replay): returns the
    message and False."""
    if status not in RECEIPT_STATUSES:
        raise BadInput(f"status must be one of: {', '.join(RECEIPT_STATUSES)} (got {status!r})")
    seen = repository.receipt(session, receipt_id)
    if seen is not None:
        found = repository.message(session, seen.message_id)
        assert found is not None  # a foreign key
        return found, False
    message = repository.message_by_key(session, message_key)
    if message is None:
        raise NotFound(f"no message {message_key!r}")
    before = message.status
    message.status = states.move(message.status, status)
    now = clock.now()
    if status == "delivered":
        message.delivered_at = now
    else:
        message.last_error = f"{status}: {detail or 'no detail'}"[:2000]
        _state_reason(
            message,
            why("message.failed", status=status, transport="receipt", error=detail or "-"),
        )
    session.add(
        MessageReceipt(
            receipt_id=receipt_id,
            message_id=message.id,
            status=status,
            detail=detail,
            received_at=now,
        )
    )
    audit.record(
        session,
        actor=actor,
        action=f"message.{status}",
        entity="outbox_message",
        entity_id=message.id,
        before={"status": before},
        after={"status": status, "receipt": receipt_id},
    )
    session.flush()
    return message, True


def cancel(*, session: Session, message_id: int, actor: str, reason: str) -> OutboxMessage:
    """Withdraw a message not yet handed over."""
    message = repository.message(session, message_id)
    if message is None:
        raise NotFound(f"no message {message_id}")
    before = message.status
    message.status = states.move(message.status, "cancelled")
    message.last_error = f"cancelled: {reason}"[:2000]
    _state_reason(message, why("message.withdrawn", reason=reason[:500]))
    audit.record(
        session,
        actor=actor,
        action="message.cancel",
        entity="outbox_message",
        entity_id=message.id,
        before={"status": before},
        after={"status": "cancelled"},
        reason=reason,
    )
    session.flush()
    return message


def _channel_row(session: Session, cardholder_id: int, channel: str) -> DebtorChannel:
    row = repository.debtor_channel(session, cardholder_id, channel)
    if row is None:
        row = DebtorChannel(cardholder_id=cardholder_id, channel=channel, updated_at=clock.now())
        session.add(row)
    return row


def set_channel(
    *,
    session: Session,
    cardholder_id: int,
    channel: str,
    address: str | None,
    preferred: bool | None,
    actor: str,
) -> DebtorChannel:
    """Record a debtor's address on a channel (the e-mail on file) and whether he prefers it."""
    row = _channel_row(session, cardholder_id, channel)
    before = {"address": row.address, "preferred": row.preferred}
    if address is not None:
        row.address = address
    if preferred is not None:
        row.preferred = preferred
    row.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="channel.set",
        entity="debtor_channel",
        entity_id=row.id,
        before=before,
        after={"address": row.address, "preferred": row.preferred},
    )
    session.flush()
    return row


def opt_out(
    *, session: Session, cardholder_id: int, channel: str, via: str, actor: str
) -> DebtorChannel:
    """The debtor opts out of ``channel``: no later message goes out on it, and the ones still
    pending are cancelled now. Opting out twice changes nothing."""
    row = _channel_row(session, cardholder_id, channel)
    if row.opted_out_at is not None:
        return row
    row.opted_out_at = row.updated_at = clock.now()
    row.opted_out_via = via
    session.add(
        ChannelOptOut(
            cardholder_id=cardholder_id,
            channel=channel,
            opted_out_at=row.opted_out_at,
            opted_out_via=via,
            opted_out_by=actor,
        )
    )
    session.flush()
    for message in repository.pending_on(session, cardholder_id=cardholder_id, channel=channel):
        message.status = states.move(message.status, "cancelled")
        message.last_error = f"cancelled: the customer opted out of {channel} ({via})"
        _state_reason(message, why("message.opted_out", channel=channel, via=via))
    audit.record(
        session,
        actor=actor,
        action="channel.opt_out",
        entity="debtor_channel",
        entity_id=row.id,
        after={"channel": channel, "via": via},
    )
    session.flush()
    return row


# Only the customer himself takes an opt-out back (Reg F 1006.6(e) / CONC 7: his own act,
# with its time and channel), never a collector for him.
CUSTOMER_ACTOR = "customer:"


def opt_in(
    *, session: Session, cardholder_id: int, channel: str, via: str, actor: str
) -> DebtorChannel:
    """The debtor opts back in to ``channel``: its opt-out ends now (its row kept, with when,
    how and by whom it ended) and messages may go out on it again; the ones cancelled by the
    opt-out stay cancelled. Only the customer may (``actor`` ``customer:...``). Not opted out,
    or ended meanwhile by another request: ``RuleRefused`` with ``detail`` ``not_opted_out``,
    nothing written."""
    if not actor.startswith(CUSTOMER_ACTOR):
        raise RuleRefused(
            "only the customer himself may opt back in to a channel", detail="not_customer"
        )
    row = repository.debtor_channel(session, cardholder_id, channel)
    now = clock.now()
    if row is None or not repository.clear_opt_out(session, row.id, at=now):
        raise RuleRefused(f"the customer is not opted out of {channel}", detail="not_opted_out")
    since = row.opted_out_at
    before = {"opted_out_at": since.isoformat() if since else None, "via": row.opted_out_via}
    session.refresh(row)
    repository.end_opt_outs(session, cardholder_id, channel, at=now, via=via, by=actor)
    audit.record(
        session,
        actor=actor,
        action="channel.opt_in",
        entity="debtor_channel",
        entity_id=row.id,
        before=before,
        after={"channel": channel, "via": via},
    )
    session.flush()
    return row


def opted_out(*, session: Session, cardholder_id: int) -> list[str]:
    """The channels the debtor opted out of."""
    return [
        row.channel
        for row in repository.debtor_channels(session, cardholder_id)
        if row.opted_out_at is not None
    ]


def preferred_channel(*, session: Session, cardholder_id: int) -> str | None:
    """The channel the debtor prefers and has not opted out of, if he named one."""
    for row in repository.debtor_channels(session, cardholder_id):
        if row.preferred and row.opted_out_at is None:
            return row.channel
    return None


def address_on_file(*, session: Session, cardholder_id: int, channel: str) -> str | None:
    row = repository.debtor_channel(session, cardholder_id, channel)
    return row.address if row is not None else None


def record_reply(
    *, session: Session, receipt_id: str, message_key: str, text: str, actor: str
) -> tuple[OutboxMessage, bool]:
    """A reply to a message (an SMS answered "STOP"): an opt-out word opts the debtor out of
    that channel. A receipt id seen before changes nothing."""
    seen = repository.receipt(session, receipt_id)
    if seen is not None:
        found = repository.message(session, seen.message_id)
        assert found is not None  # a foreign key
        return found, False
    message = repository.message_by_key(session, message_key)
    if message is None:
        raise NotFound(f"no message {message_key!r}")
    session.add(
        MessageReceipt(
            receipt_id=receipt_id,
            message_id=message.id,
            status="reply",
            detail=text[:2000],
            received_at=clock.now(),
        )
    )
    session.flush()
    if templates.is_opt_out_reply(text):
        opt_out(
            session=session,
            cardholder_id=message.cardholder_id,
            channel=message.channel,
            via="reply",
            actor=actor,
        )
    return message, True


def message_dict(message: OutboxMessage) -> dict[str, object]:
    """A message as the API, the CLI and the case page show it."""
    return {
        "id": message.id,
        "work_order_id": message.work_order_id,
        "cardholder_id": message.cardholder_id,
        "kind": message.kind,
        "channel": message.channel,
        "sent_to": message.address,
        "template": message.template,
        "locale": message.locale,
        "subject": message.subject,
        "body": message.body,
        "status": message.status,
        "held_rule": message.held_rule,
        "next_allowed_at": message.next_allowed_at,
        "reason": message.last_error,
        "send_on": message.send_on,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "delivered_at": message.delivered_at,
        "provider_ref": message.provider_ref,
        "queued_by": message.queued_by,
        "compliance": message.compliance,
    }
