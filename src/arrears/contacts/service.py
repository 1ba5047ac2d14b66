"""Contact operations: every attempt goes through the compliance engine before it is logged.

No permissive fallback: a blocked attempt is stored as blocked (no outcome), never as made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.compliance import service as compliance_service
from arrears.compliance.content import check_content, check_fields
from arrears.compliance.models import ComplianceCheck
from arrears.compliance.profile import Profile, load_profile
from arrears.compliance.schemas import (
    PLAIN_FLAGS,
    Attempt,
    Debtor,
    Decision,
    Finding,
    Person,
    PhoneIn,
    Proposed,
)
from arrears.config import get_settings
from arrears.contacts import courtesy, outbox, repository, scripts
from arrears.contacts.models import ContactAttempt, OutboxMessage
from arrears.contacts.vocabulary import (
    CHANNELS,
    CONTACT_PERSON_PURPOSES,
    DIRECTIONS,
    OUTCOMES,
    PARTIES,
    compliance_outcome,
)
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotFound
from arrears.portfolio.models import Cardholder, ContactPerson

# Our purposes -> the compliance engine's.
_PURPOSE = {"callback_request": "call_back_request", "location_information": "location"}
# Cardholder flags -> the compliance engine's flags (holds are the engine's to enforce).
_FLAG = {"dispute": "dispute_hold", "attorney": "attorney", "cease": "cease"}
# Contact-person relation -> the engine's role and relation (spouse and guarantor are roles).
_ROLE = {"spouse": ("spouse", None), "guarantor": ("guarantor", None)}
HISTORY_DAYS = 31


@lru_cache(maxsize=8)
def profile(name: str | None = None) -> Profile:
    return load_profile(name or get_settings().jurisdiction)


# --- content: scripts, notes, messages (through the compliance content checker) ------------------


def content_findings(text: str, *, audience: str = "debtor") -> list[Finding]:
    return check_content(text, profile=profile(), audience=audience)


def checked_script(
    *, name: str, locale: str, context: dict[str, Any], audience: str = "debtor"
) -> str:
    """Render a script and refuse it if the prohibited-language check finds anything."""
    text = scripts.render(name, locale=locale, context=context)
    findings = content_findings(text, audience=audience)
    if findings:
        raise BadInput(
            f"script {name} ({locale}) fails the content check: "
            + "; ".join(f.message for f in findings),
            detail=[f.model_dump() for f in findings],
        )
    return text


# --- building the compliance question from the store ---------------------------------------------


@lru_cache(maxsize=4096)
def _e164(number: str | None) -> str | None:
    if not number:
        return None
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _flags(values: Sequence[str]) -> list[str]:
    out = []
    for flag in values:
        mapped = _FLAG.get(flag, flag)
        if mapped in PLAIN_FLAGS or (mapped.startswith("opt_out:") and mapped[8:] in CHANNELS):
            out.append(mapped)
    return sorted(set(out))


def _case_flags(holder: Cardholder, wo: WorkOrder) -> list[str]:
    flags = list(holder.flags or [])
    if wo.status == "on_hold" and wo.hold_reason:
        flags.append(wo.hold_reason)
    return _flags(flags)


def _person_id(holder: Cardholder, contact: ContactPerson | None, party: str) -> str:
    if contact is not None:
        return f"contact_person:{contact.id}"
    if party == "debtor":
        return f"cardholder:{holder.id}"
    return f"{party}:{holder.id}"


def _role(party: str, contact: ContactPerson | None) -> tuple[str, str | None]:
    if contact is not None:
        if contact.relation in _ROLE:
            return _ROLE[contact.relation]
        relation = contact.relation if contact.relation != "spouse" else "other"
        return "third_party", relation
    if party == "third_party":
        return "third_party", "other"
    return party, None


def _history(
    session: Session, holder: Cardholder, debts: list[str], since: datetime
) -> list[Attempt]:
    """Made attempts on this customer and his contact persons (blocked ones never happened)."""
    history: list[Attempt] = []
    contacts = {c.id: c for c in case_repository.contact_persons(session, holder.id)}
    for a in case_repository.made_attempts_since(session, cardholder_id=holder.id, since=since):
        if a.outcome is None:
            continue
        contact = contacts.get(a.contact_person_id) if a.contact_person_id else None
        role, relation = _role(a.party, contact)
        purpose = _PURPOSE.get(a.purpose or "", "collection")
        history.append(
            Attempt(
                at=a.at,
                channel=a.channel,
                collector=a.collector_ref,
                person=_person_id(holder, contact, a.party),
                role=role,
                relation=relation,
                debts=debts,
                number=_e164(a.address_used) if a.channel in ("call", "sms") else None,
                purpose=purpose,
                outcome=compliance_outcome(a.outcome),
                direction=a.direction,
            )
        )
    return history


# --- logging an attempt ------------------------------------------------------------------------


def log_attempt(
    *,
    session: Session,
    work_order_id: int,
    channel: str,
    party: str,
    outcome: str,
    actor: str,
    role: str | None = None,
    collector: str = "bank",
    direction: str = "outbound",
    contact_person_id: int | None = None,
    purpose: str | None = None,
    address_used: str | None = None,
    duration_seconds: int | None = None,
    notes: str | None = None,
    recording_ref: str | None = None,
    content: str | None = None,
    fields: dict[str, str] | None = None,
    script: str | None = None,
    at: datetime | None = None,
    override_reason: str | None = None,
) -> ContactAttempt:
    """Ask compliance, then log the attempt: as made with its outcome, or as blocked.

    ``outcome`` is what the collector reports; it is kept only if the attempt was allowed.
    """
    for name, value, allowed in (
        ("channel", channel, CHANNELS),
        ("direction", direction, DIRECTIONS),
        ("party", party, PARTIES),
        ("outcome", outcome, OUTCOMES),
    ):
        if value not in allowed:
            raise BadInput(f"{name} must be one of: {', '.join(allowed)} (got {value!r})")
    if duration_seconds is not None and duration_seconds < 0:
        raise BadInput(f"duration_seconds cannot be negative (got {duration_seconds})")
    wo = case_service.get(session=session, work_order_id=work_order_id)
    if wo.status == "closed":
        raise BadInput(f"case {wo.id} is closed ({wo.close_reason}); open cases only")
    holder = case_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {wo.id} has no cardholder")
    at = (at or clock.now()).astimezone(UTC)

    contact: ContactPerson | None = None
    if party == "contact_person":
        if contact_person_id is None:
            raise BadInput("contact_person_id: say which contact person")
        contact = next(
            (
                c
                for c in case_repository.contact_persons(session, holder.id)
                if c.id == contact_person_id
            ),
            None,
        )
        if contact is None:
            raise BadInput(f"contact person {contact_person_id} is not one of this customer's")
        if purpose not in CONTACT_PERSON_PURPOSES:
            raise BadInput(
                "purpose: a contact person may only be asked for "
                + " or ".join(CONTACT_PERSON_PURPOSES)
                + " (never told of the debt)"
            )
    elif contact_person_id is not None:
        raise BadInput("contact_person_id is only for party contact_person")
    elif purpose is not None and party == "debtor":
        raise BadInput("purpose is only for contact persons and third parties")

    if address_used is None:
        if contact is not None:
            address_used = contact.phone
        elif party == "debtor" and channel in ("call", "sms"):
            phones = case_repository.phones(session, holder.id)
            address_used = phones[0].number if phones else None

    debts = [a.account_ref for a in case_repository.accounts_of(session, wo.id)]
    role_name, relation = _role(party, contact)
    person = Person(
        id=_person_id(holder, contact, party),
        role=role_name,
        relation=relation,
        time_zones=list(holder.time_zones or []) or None,
        phones=[
            PhoneIn(number=n)
            for n in {_e164(address_used) if channel in ("call", "sms") else None} - {None}
            if n
        ],
        flags=_case_flags(holder, wo) if contact is None and party == "debtor" else [],
    )
    proposed = Proposed(
        at=at,
        channel=channel,
        collector=collector,
        person=person.id,
        role=role_name,
        relation=relation,
        debts=debts,
        number=_e164(address_used) if channel in ("call", "sms") else None,
        purpose=_PURPOSE.get(purpose or "", "collection"),
        content=content,
        fields=fields or {},
    )
    debtor = (
        None
        if party == "debtor"
        else Debtor(id=f"cardholder:{holder.id}", flags=_case_flags(holder, wo))
    )
    history = _history(session, holder, debts, at - timedelta(days=HISTORY_DAYS))
    if direction == "inbound":
        # The customer called us: nothing to decide, but the conversation still counts.
        decision = Decision(allowed=True, reason="inbound contact", profile=profile().name)
        check_id = None
        permitted = True
    else:
        decision, check = compliance_service.check(
            session=session,
            profile=profile(),
            person=person,
            proposed=proposed,
            history=history,
            debtor=debtor,
            actor=actor,
            role=role,
            override_reason=override_reason,
        )
        check_id = check.id
        permitted = check.permitted

    rules = list(decision.rules)
    reason = decision.reason
    next_allowed = decision.next_allowed_at
    detail: dict[str, Any] = {"flags": list(decision.flags)}
    if check_id is not None and permitted and not decision.allowed:
        detail["overridden"] = True
    # Step by step: contact persons only after the debtor-only period (workflow policy).
    if contact is not None and permitted:
        unlock = case_service.unlock_status(session=session, work_order=wo, today=at.date())
        allowed_purposes = case_service.escalation_policy().purposes_for(contact.relation)
        if not unlock.unlocked:
            permitted = False
            rules.append("workflow.step_by_step")
            reason = unlock.reason
            if unlock.unlocks_on is not None:
                zone = ZoneInfo(get_settings().time_zone)
                next_allowed = datetime.combine(unlock.unlocks_on, time(8), zone).astimezone(UTC)
        elif purpose not in allowed_purposes:
            permitted = False
            rules.append("workflow.contact_person_purpose")
            reason = f"a {contact.relation} may be asked only for: " + (
                ", ".join(allowed_purposes) or "nothing"
            )
    note_findings = content_findings(notes or "", audience="debtor")
    if note_findings:
        # The note is evidence of what was said: keep it, and flag it for compliance review.
        detail["note_findings"] = [f.model_dump() for f in note_findings]

    attempt = ContactAttempt(
        work_order_id=wo.id,
        cardholder_id=holder.id,
        contact_person_id=contact.id if contact else None,
        at=at,
        collector=actor,
        collector_ref=collector,
        channel=channel,
        direction=direction,
        party=party,
        relation=contact.relation if contact else None,
        purpose=purpose,
        address_used=address_used,
        status="made" if permitted else "blocked",
        outcome=outcome if permitted else None,
        duration_seconds=duration_seconds if permitted else None,
        notes=notes,
        recording_ref=recording_ref if permitted else None,
        script=script,
        compliance_allowed=permitted,
        compliance_rules=rules,
        compliance_reason=reason,
        compliance_next_allowed_at=next_allowed,
        compliance_profile=decision.profile,
        compliance_check_id=check_id,
        compliance_detail=detail,
        created_at=clock.now(),
    )
    session.add(attempt)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="contact.attempt" if permitted else "contact.blocked",
        entity="contact_attempt",
        entity_id=attempt.id,
        after={
            "work_order_id": wo.id,
            "channel": channel,
            "party": party,
            "status": attempt.status,
            "outcome": attempt.outcome,
            "rules": rules,
        },
        reason=reason if not permitted else None,
    )
    if note_findings:
        audit.record(
            session,
            actor=actor,
            action="contact.content_flagged",
            entity="contact_attempt",
            entity_id=attempt.id,
            after={"findings": [f.rule + ": " + f.phrase for f in note_findings]},
            reason="prohibited language in the notes",
        )
    if permitted and wo.status in ("open", "assigned"):
        case_service.move_if_legal(
            session=session, work_order=wo, to="in_progress", actor=actor, reason="first contact"
        )
    # A dispute stops collection of the case until it is checked (cn-card art. 69, Reg F
    # 1006.38): hold the case and put the check on the list.
    disputed = permitted and outcome == "dispute" and party == "debtor"
    if disputed and case_service.move_if_legal(
        session=session,
        work_order=wo,
        to="on_hold",
        actor=actor,
        reason="the customer disputes the debt",
        hold_reason="dispute",
    ):
        case_service.schedule_follow_up(
            session=session,
            work_order_id=wo.id,
            due_on=max(at.date(), clock.today()),
            kind="review",
            note="dispute raised: verify and answer the customer",
            actor=actor,
            source=f"contact_attempt:{attempt.id}",
        )
    session.flush()
    return attempt


def attempt_dict(a: ContactAttempt) -> dict[str, Any]:
    return {
        "id": a.id,
        "work_order_id": a.work_order_id,
        "at": a.at,
        "collector": a.collector,
        "channel": a.channel,
        "direction": a.direction,
        "party": a.party,
        "contact_person_id": a.contact_person_id,
        "relation": a.relation,
        "purpose": a.purpose,
        "address_used": a.address_used,
        "status": a.status,
        "outcome": a.outcome,
        "duration_seconds": a.duration_seconds,
        "notes": a.notes,
        "recording_ref": a.recording_ref,
        "compliance": {
            "allowed": a.compliance_allowed,
            "rules": list(a.compliance_rules or []),
            "reason": a.compliance_reason,
            "next_allowed_at": a.compliance_next_allowed_at,
            "profile": a.compliance_profile,
            "check_id": a.compliance_check_id,
            **(a.compliance_detail or {}),
        },
    }


# --- scripts for a case ------------------------------------------------------------------------


def letter_fields(context: dict[str, Any]) -> dict[str, str]:
    """The fields a letter carries, named as the compliance profile's required fields."""
    return {
        "name": str(context.get("customer_name", "")),
        "amount": f"{context.get('total_due', '')} {context.get('currency', '')}".strip(),
        "reason_legal_basis": str(context.get("legal_basis_en", "")),
        "rights_obligations": "repay under the agreement; query, dispute, propose a plan",
        "dispute_channel": str(context.get("bank_phone", "")),
        "bank_contact": f"{context.get('bank_phone', '')} {context.get('bank_address', '')}",
        "seal": str(context.get("bank_seal", "")),
    }


def missing_letter_fields(context: dict[str, Any]) -> list[Finding]:
    return check_fields("letter", letter_fields(context), profile=profile())


# --- courtesy greetings via the outbox -------------------------------------------------------


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
        holder = case_repository.cardholder(session, wo.cardholder_id)
        if holder is None:
            continue
        phones = [p for p in case_repository.phones(session, holder.id) if p.type == "mobile"]
        number = _e164(phones[0].number) if phones else None
        if number is None:
            continue
        locale = holder.language if holder.language in scripts.LOCALES else settings.locale
        for greeting in due:
            key = f"courtesy:{greeting.occasion}:{on.isoformat()}:{holder.id}"
            if session.query(OutboxMessage.id).filter_by(dedupe_key=key).first():
                continue
            body = scripts.render(
                greeting.template,
                locale=locale,
                context={"customer_name": holder.name, "bank_name": _bank_name(locale)},
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
) -> tuple[Decision, ComplianceCheck]:
    """The compliance decision (recorded) for an SMS the bank itself sends the cardholder."""
    person = Person(
        id=f"cardholder:{holder.id}",
        phones=[PhoneIn(number=number)],
        flags=_case_flags(holder, wo) if wo is not None else _flags(list(holder.flags or [])),
    )
    return compliance_service.check(
        session=session,
        profile=profile(),
        person=person,
        proposed=Proposed(
            at=at, channel="sms", collector="bank", person=person.id, number=number, content=body
        ),
        actor=actor,
    )


@dataclass
class OutboxRun:
    """What one pass of the relay did."""

    sent: int = 0
    held: int = 0  # compliance says not now: stays queued, the reason in last_error
    expired: int = 0  # its day has passed: cancelled
    retrying: int = 0  # the gateway refused; tried again on the next pass
    failed: int = 0  # refused MAX_ATTEMPTS times

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def send_outbox(
    *, session: Session, transport: outbox.Transport, actor: str, limit: int = 500
) -> OutboxRun:
    """Hand the queued messages due today to ``transport``, each checked by compliance again
    at the moment of sending (queued for 10:00, the relay may run at 22:30).

    On PostgreSQL the batch is claimed with ``FOR UPDATE SKIP LOCKED``: two relays never take
    the same message. The caller commits; a crash before the commit re-sends, and the gateway
    gets the dedupe key to drop the repeat.
    """
    now = clock.now()
    today = now.astimezone(ZoneInfo(get_settings().time_zone)).date()
    run = OutboxRun()
    for message in repository.claim_outbox(session, due_on=today, limit=limit):
        if message.send_on < today:
            message.status = "cancelled"
            message.last_error = f"expired: meant for {message.send_on}, not sent that day"
            run.expired += 1
            continue
        holder = case_repository.cardholder(session, message.cardholder_id)
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
        )
        if not check.permitted:
            when = f"; allowed from {decision.next_allowed_at}" if decision.next_allowed_at else ""
            message.last_error = f"held: {decision.reason}{when}"[:2000]
            run.held += 1
            continue
        message.attempts += 1
        try:
            message.provider_ref = transport.send(outbox.Outgoing.of(message))
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


def _bank_name(locale: str) -> str:
    return letterhead(locale)["bank_name"]


@lru_cache(maxsize=4)
def _letterheads() -> dict[str, dict[str, str]]:
    from importlib import resources

    import yaml

    text = (resources.files("arrears.contacts") / "policies" / "letterhead.yaml").read_text(
        encoding="utf-8"
    )
    data = yaml.safe_load(text)
    return {k: {f: str(v) for f, v in fields.items()} for k, fields in data.items()}


def letterhead(locale: str) -> dict[str, str]:
    return _letterheads().get(locale) or _letterheads()["en"]


def case_script(
    *,
    session: Session,
    work_order_id: int,
    name: str | None = None,
    locale: str | None = None,
    collector_name: str = "",
) -> dict[str, Any]:
    """A script rendered with the case's real data: breakdown, plan options, latest promise.

    Without ``name`` the level's script is chosen (junior: credit education, intermediate:
    negotiation, advanced: formal notice). Letters carry the fields the profile requires.
    """
    from arrears.promises import service as promise_service

    wo = case_service.get(session=session, work_order_id=work_order_id)
    holder = case_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {wo.id} has no cardholder")
    locale = locale or (holder.language if holder.language in scripts.LOCALES else None)
    locale = locale or get_settings().locale
    name = name or scripts.script_for_level(wo.level)
    head = letterhead(locale)
    parts = case_service.breakdowns(session=session, work_order_id=wo.id)
    lang = "zh-CN" if locale == "zh-CN" else "en"
    items = [
        {"label": item.kind, "amount": f"{item.amount:f}", "explanation": item.explanation[lang]}
        for part in parts
        for item in part.breakdown.items
    ]
    total_due = sum((p.breakdown.total_due for p in parts), wo.amount_due * 0)
    past_due = sum((p.breakdown.aging.amount_past_due for p in parts), wo.amount_due * 0)
    dpd = max((p.breakdown.aging.dpd for p in parts), default=wo.dpd)
    refs = [p.account_ref for p in parts] or [
        a.account_ref for a in case_repository.accounts_of(session, wo.id)
    ]
    latest = promise_service.latest_promise(session=session, work_order_id=wo.id)
    context: dict[str, Any] = {
        "customer_name": holder.name,
        "collector_name": collector_name or head["bank_name"],
        "bank_name": head["bank_name"],
        "bank_phone": head["bank_phone"],
        "bank_address": head["bank_address"],
        "bank_seal": head["bank_seal"],
        "legal_basis_en": letterhead("en")["legal_basis"],
        "legal_basis_zh": letterhead("zh-CN")["legal_basis"],
        "card_tail": (refs[0][-4:] if refs else ""),
        "currency": wo.currency,
        "as_of": clock.today().isoformat(),
        "dpd": dpd,
        "bucket": wo.bucket,
        "items": items,
        "total_due": f"{total_due:f}",
        "amount_past_due": f"{past_due:f}",
        "plan_options": [
            {
                "label_en": o.label_en,
                "label_zh": o.label_zh,
                "kind": o.kind,
                "instalments": o.instalments,
                "amount": f"{o.amount:f}",
            }
            for o in promise_service.options_for(
                total_due=total_due, amount_past_due=past_due, dpd=dpd, currency=wo.currency
            )
        ],
        "promise_made_on": latest.made_on.isoformat() if latest else "",
        "promise_due_on": latest.due_on.isoformat() if latest else "",
        "promise_amount": f"{latest.amount:f}" if latest else "",
        "promise_paid": f"{latest.paid:f}" if latest else "",
    }
    text = checked_script(name=name, locale=locale, context=context)
    result: dict[str, Any] = {
        "name": name,
        "locale": locale,
        "level": wo.level,
        "text": text,
        "plan_options": context["plan_options"],
        "items": items,
    }
    if name in scripts.LETTERS:
        fields = letter_fields(context)
        missing = missing_letter_fields(context)
        if missing:
            raise BadInput(
                "the letter lacks required fields: " + ", ".join(f.phrase for f in missing)
            )
        result["fields"] = fields
    return result
