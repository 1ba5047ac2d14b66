"""The courtesy outbox: greetings queued in the same transaction as the decision to send them
(each through the compliance engine), and the relay that hands them to the SMS gateway, checked
by compliance again at the moment of sending. Keyword-only; flush, never commit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases.models import WorkOrder
from arrears.compliance import service as compliance_service
from arrears.compliance.models import ComplianceCheck
from arrears.compliance.schemas import Decision, Person, PhoneIn, Proposed
from arrears.config import get_settings
from arrears.contacts import compliance_question, courtesy, letters, outbox, repository, scripts
from arrears.contacts import service as contact_service
from arrears.contacts.models import OutboxMessage
from arrears.kit import audit, faults
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import Cardholder


def queue_courtesy_greetings(
    *, session: Session, on: date, actor: str, policy_name: str = "courtesy"
) -> list[OutboxMessage]:
    """Queue the greetings due ``on`` for every live case's customer, in this transaction.

    Each greeting passes the debt-content check and the compliance engine (as an SMS at 10:00
    local time) or is not queued. Idempotent per customer, greeting and day.
    """
    policy = courtesy.load_courtesy_policy(policy_name)
    due = courtesy.greetings_due(policy, on)
    queued: list[OutboxMessage] = []
    if not due:
        return queued
    settings = get_settings()
    seen: set[int] = set()
    for wo in case_repository.live_work_orders(session):
        if wo.cardholder_id in seen:
            continue
        seen.add(wo.cardholder_id)
        holder = portfolio_repository.cardholder(session, wo.cardholder_id)
        if holder is None:
            continue
        phones = [p for p in portfolio_repository.phones(session, holder.id) if p.type == "mobile"]
        number = compliance_question.e164(phones[0].number) if phones else None
        if number is None:
            continue
        locale = holder.language if holder.language in scripts.LOCALES else settings.locale
        for greeting in due:
            key = f"courtesy:{greeting.occasion}:{on.isoformat()}:{holder.id}"
            if repository.outbox_key_taken(session, key):
                continue
            body = scripts.render(
                greeting.template,
                locale=locale,
                context={"customer_name": holder.name, "bank_name": letters.bank_name(locale)},
            )
            debt = courtesy.debt_content(body, policy)
            if debt:
                raise BadInput(f"greeting {greeting.template} carries debt content: {debt}")
            send_at = datetime.combine(on, time(10), ZoneInfo(settings.time_zone))
            decision, check = _check_bank_sms(
                session, holder=holder, wo=wo, number=number, body=body, at=send_at, actor=actor
            )
            if not check.permitted:
                continue
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
                send_on=on,
                status="queued",
                compliance={"allowed": True, "check_id": check.id, "profile": decision.profile},
                created_at=clock.now(),
            )
            session.add(message)
            queued.append(message)
    session.flush()
    if queued:
        audit.record(
            session,
            actor=actor,
            action="outbox.courtesy",
            entity="outbox_message",
            entity_id=on.isoformat(),
            after={"queued": len(queued), "occasions": [g.occasion for g in due]},
        )
        session.flush()
    return queued


def _check_bank_sms(
    session: Session,
    *,
    holder: Cardholder,
    wo: WorkOrder | None,
    number: str,
    body: str,
    at: datetime,
    actor: str,
    stage: str = "engine",
) -> tuple[Decision, ComplianceCheck]:
    """The compliance decision (recorded) for an SMS the bank itself sends the cardholder;
    ``stage`` is ``relay`` when the outbox relay asks again at the moment of sending."""
    person = Person(
        id=f"cardholder:{holder.id}",
        phones=[PhoneIn(number=number)],
        flags=(
            compliance_question.case_flags(holder, status=wo.status, hold_reason=wo.hold_reason)
            if wo is not None
            else compliance_question.engine_flags(holder.flags or [])
        ),
    )
    return compliance_service.check(
        session=session,
        profile=contact_service.profile(),
        person=person,
        proposed=Proposed(
            at=at, channel="sms", collector="bank", person=person.id, number=number, content=body
        ),
        actor=actor,
        stage=stage,
    )


@dataclass
class OutboxRun:
    """What one pass of the relay did."""

    sent: int = 0
    held: int = 0  # compliance says not now: stays queued, the reason in last_error
    expired: int = 0  # its day has passed: cancelled
    retrying: int = 0  # the gateway refused; tried again on the next pass
    failed: int = 0  # refused MAX_ATTEMPTS times
    # of ``sent``: found already with the gateway (a pass died after the hand-over, before its
    # commit), recorded as sent without handing them again
    recovered: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def send_outbox(
    *, session: Session, transport: outbox.Transport, actor: str, limit: int = 500
) -> OutboxRun:
    """Hand the queued messages due today to ``transport``, each checked by compliance again
    at the moment of sending (queued for 10:00, the relay may run at 22:30).

    On PostgreSQL the batch is claimed with ``FOR UPDATE SKIP LOCKED``: two relays never take
    the same message. The caller commits; a crash before the commit leaves the messages
    queued, and the next pass asks the transport whether it already holds each one (by its
    dedupe key) before handing it over, so nothing is handed twice.
    """
    now = clock.now()
    today = now.astimezone(ZoneInfo(get_settings().time_zone)).date()
    run = OutboxRun()
    for message in repository.claim_outbox(session, due_on=today, limit=limit):
        # Handed over by a pass that died before its commit: a fact, whatever the hour or the
        # day is now. Record it as sent; never hand it again.
        already = transport.handed(outbox.Outgoing.of(message))
        if already is not None:
            message.provider_ref = already
            message.status = "sent"
            message.sent_at = now
            message.last_error = None
            run.sent += 1
            run.recovered += 1
            continue
        if message.send_on < today:
            message.status = "cancelled"
            message.last_error = f"expired: meant for {message.send_on}, not sent that day"
            run.expired += 1
            continue
        holder = portfolio_repository.cardholder(session, message.cardholder_id)
        wo = (
            case_repository.work_order(session, message.work_order_id)
            if message.work_order_id is not None
            else None
        )
        assert holder is not None  # a foreign key
        decision, check = _check_bank_sms(
            session,
            holder=holder,
            wo=wo,
            number=message.address,
            body=message.body,
            at=now,
            actor=actor,
            stage="relay",
        )
        if not check.permitted:
            when = f"; allowed from {decision.next_allowed_at}" if decision.next_allowed_at else ""
            message.last_error = f"held: {decision.reason}{when}"[:2000]
            run.held += 1
            continue
        outgoing = outbox.Outgoing.of(message)
        message.attempts += 1
        try:
            message.provider_ref = transport.send(outgoing)
            faults.crash_point("outbox_after_hand_over")
        except outbox.TransportError as exc:
            message.last_error = f"gateway: {exc}"[:2000]
            if message.attempts >= outbox.MAX_ATTEMPTS:
                message.status = "failed"
                run.failed += 1
            else:
                run.retrying += 1
            continue
        message.status = "sent"
        message.sent_at = now
        message.last_error = None
        run.sent += 1
    session.flush()
    if any(run.as_dict().values()):
        audit.record(
            session,
            actor=actor,
            action="outbox.send",
            entity="outbox_message",
            entity_id=today.isoformat(),
            after={**run.as_dict(), "transport": transport.name},
        )
        session.flush()
    return run
