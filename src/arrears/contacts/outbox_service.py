"""Compliance for outbound messages (the gate the channels relay asks, at queue time and at
send time) and the courtesy greetings queued through it. Keyword-only; flush, never commit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases.models import WorkOrder
from arrears.channels import repository as channel_repository
from arrears.channels import service as channel_service
from arrears.channels import transports
from arrears.channels.models import OutboxMessage
from arrears.channels.service import Gate, RelayRun, Verdict
from arrears.compliance import service as compliance_service
from arrears.compliance.engine import decide
from arrears.compliance.reasons import dumped
from arrears.compliance.schemas import Person, PhoneIn, Proposed
from arrears.config import get_settings
from arrears.contacts import compliance_question, courtesy, letters, scripts
from arrears.contacts import service as contact_service
from arrears.kit import audit
from arrears.kit.clock import center_today
from arrears.kit.errors import BadInput
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import Cardholder


@dataclass
class CourtesySkip:
    """A customer the batch did not greet, and why (the rest are greeted all the same)."""

    cardholder_id: int
    customer_ref: str
    code: str  # no_mobile, name_not_greetable, compliance_blocked
    reason: str


@dataclass
class CourtesyRun:
    """What one courtesy batch queued and whom it skipped."""

    queued: list[OutboxMessage] = field(default_factory=list)
    skipped: list[CourtesySkip] = field(default_factory=list)


def queue_courtesy_greetings(
    *, session: Session, on: date, actor: str, policy_name: str = "courtesy"
) -> CourtesyRun:
    """Queue the greetings due ``on`` for every live case's customer, in this transaction.

    Each greeting passes the debt-content check and the compliance engine (as an SMS at 10:00
    local time) or is not queued; a customer who cannot be greeted (no mobile, a name that
    would put a number in the text, a compliance block) is skipped with the reason and the
    rest are greeted. Refused for a day already past. Idempotent per customer, greeting and day.
    """
    today = center_today()
    if on < today:
        raise BadInput(
            f"--on: {on} has passed (today is {today}); a greeting is for today or later"
        )
    policy = courtesy.load_courtesy_policy(policy_name)
    due = courtesy.greetings_due(policy, on)
    run = CourtesyRun()
    if not due:
        return run
    settings = get_settings()
    for greeting in due:  # the wording itself carrying debt content is the policy's fault: stop
        for locale in scripts.LOCALES:
            plain = scripts.render(
                greeting.template,
                locale=locale,
                context={"customer_name": "", "bank_name": letters.bank_name(locale)},
            )
            if debt := courtesy.debt_content(plain, policy):
                raise BadInput(
                    f"greeting {greeting.template} ({locale}) carries debt content: {debt}"
                )
    seen: set[int] = set()
    for wo in case_repository.live_work_orders(session):
        if wo.cardholder_id in seen:
            continue
        seen.add(wo.cardholder_id)
        holder = portfolio_repository.cardholder(session, wo.cardholder_id)
        if holder is None:
            continue

        def skip(code: str, reason: str, holder: Cardholder = holder) -> None:
            run.skipped.append(CourtesySkip(holder.id, holder.external_ref, code, reason))

        phones = [p for p in portfolio_repository.phones(session, holder.id) if p.type == "mobile"]
        number = compliance_question.e164(phones[0].number) if phones else None
        if number is None:
            skip("no_mobile", "no mobile number to text")
            continue
        locale = holder.language if holder.language in scripts.LOCALES else settings.locale
        for greeting in due:
            key = f"courtesy:{greeting.occasion}:{on.isoformat()}:{holder.id}"
            if channel_repository.key_taken(session, key):
                continue
            body = scripts.render(
                greeting.template,
                locale=locale,
                context={"customer_name": holder.name, "bank_name": letters.bank_name(locale)},
            )
            if debt := courtesy.debt_content(body, policy):
                skip(
                    "name_not_greetable",
                    f"{greeting.occasion}: the name on file ({holder.name!r}) would put "
                    f"{' and '.join(debt)} in the greeting",
                )
                continue
            send_at = datetime.combine(on, time(10), ZoneInfo(settings.time_zone))
            message = OutboxMessage(
                dedupe_key=key,
                kind="courtesy",
                work_order_id=wo.id,
                cardholder_id=holder.id,
                channel=greeting.channel,
                address=number,
                template=greeting.template,
                locale=locale,
                body=body,
                fields={},
                collector_ref="bank",
                send_on=on,
                valid_until=on,
            )
            verdict = check_message(session, message, send_at, actor=actor, wo=wo)
            if not verdict.allowed:
                skip(
                    "compliance_blocked",
                    f"{greeting.occasion}: blocked by compliance: {verdict.reason}",
                )
                continue
            run.queued.append(
                channel_service.queue(
                    session=session, message=message, verdict=verdict, actor=actor
                )
            )
    session.flush()
    if run.queued or run.skipped:
        audit.record(
            session,
            actor=actor,
            action="outbox.courtesy",
            entity="outbox_message",
            entity_id=on.isoformat(),
            after={
                "queued": len(run.queued),
                # Counts only: a whole book can be skipped; the command's output lists them.
                "skipped": dict(Counter(s.code for s in run.skipped)),
                "occasions": [g.occasion for g in due],
            },
        )
        session.flush()
    return run


def check_message(
    session: Session,
    message: OutboxMessage,
    at: datetime,
    *,
    actor: str,
    wo: WorkOrder | None = None,
    acted_by: str | None = None,
    stage: str = "engine",
) -> Verdict:
    """Compliance's decision (recorded) on ``message`` going out at ``at``: its full text as the
    content, its fields, the debtor's flags, his case's hold and his opt-outs. ``acted_by`` is
    the real actor the compliance report names (default ``actor``); ``stage`` is ``relay`` when
    the relay asks again at the moment of sending."""
    holder = portfolio_repository.cardholder(session, message.cardholder_id)
    assert holder is not None  # a foreign key
    if wo is None and message.work_order_id is not None:
        wo = case_repository.work_order(session, message.work_order_id)
    flags = (
        compliance_question.case_flags(holder, status=wo.status, hold_reason=wo.hold_reason)
        if wo is not None
        else compliance_question.engine_flags(holder.flags or [])
    )
    opted = [
        f"opt_out:{c}" for c in channel_service.opted_out(session=session, cardholder_id=holder.id)
    ]
    number = message.address if message.channel == "sms" else None
    person = Person(
        id=f"cardholder:{holder.id}",
        phones=[PhoneIn(number=number)] if number else [],
        time_zones=list(holder.time_zones) or None,
        flags=sorted({*flags, *opted}),
    )
    content = "\n".join(t for t in (message.subject, message.body) if t)
    profile = contact_service.profile()

    def proposed(when: datetime) -> Proposed:
        return Proposed(
            at=when,
            channel=message.channel,
            collector=message.collector_ref,
            person=person.id,
            number=number,
            content=content,
            fields=dict(message.fields or {}),
        )

    decision, check = compliance_service.check(
        session=session,
        profile=profile,
        person=person,
        proposed=proposed(at),
        actor=actor,
        acted_by=acted_by,
        stage=stage,
    )
    later = decision.next_allowed_at if not check.permitted else None
    # The engine's next allowed time counts the rules time lifts (the hour, a cap); a content
    # block, a hold or an opt-out found with them never passes: asked at that time, still no.
    if (
        later is not None
        and not decide(profile=profile, person=person, proposed=proposed(later)).allowed
    ):
        later = None
    return Verdict(
        allowed=check.permitted,
        rules=list(decision.rules),
        reason=decision.reason,
        next_allowed_at=later,
        check_id=check.id,
        profile=decision.profile,
        reasons=dumped(decision.reasons),
    )


def gate(actor: str) -> Gate:
    """``check_message`` as the relay's gate, the checks recorded as ``actor``'s, stage
    ``relay`` (the compliance report tells them from the queue-time checks)."""

    def ask(session: Session, message: OutboxMessage, at: datetime) -> Verdict:
        return check_message(session, message, at, actor=actor, stage="relay")

    return ask


# What one pass of the relay did (the name the courtesy relay's callers know).
OutboxRun = RelayRun


def send_outbox(
    *,
    session: Session,
    transport: transports.Transport,
    actor: str,
    limit: int = 500,
    channel: str = "sms",
) -> RelayRun:
    """One relay pass over the messages of ``channel`` (the SMS greetings) through
    ``transport``; see ``channels.service.relay``."""
    return channel_service.relay(
        session=session,
        transports_by_channel={channel: transport},
        gate=gate(actor),
        actor=actor,
        limit=limit,
    )
