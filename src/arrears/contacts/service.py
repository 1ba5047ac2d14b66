"""Contact operations: ask the compliance engine about a contact, record the attempt with its
decision, check what is said (scripts, notes) for prohibited language, and say whether a case's
contact persons are unlocked (step by step). Keyword-only; flush, never commit.

No permissive fallback: a blocked attempt is stored as blocked (no outcome), never as made. The
whole contact, from the question to moving the case, is the workbench's contact flow
(``arrears.workbench.contact``); this module is its contacts half.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.channels import service as channel_service
from arrears.compliance import repository as compliance_repository
from arrears.compliance import service as compliance_service
from arrears.compliance.content import check_content
from arrears.compliance.engine import decide, in_contact_hours, person_zones
from arrears.compliance.models import ComplianceCheck, ContactConsent
from arrears.compliance.profile import Profile, load_profile
from arrears.compliance.reasons import localized
from arrears.compliance.schemas import (
    Attempt,
    Consent,
    Debtor,
    Decision,
    Finding,
    Person,
    Proposed,
)
from arrears.config import get_settings
from arrears.contacts import compliance_question, late_entry, repository, scripts
from arrears.contacts.models import ContactAttempt
from arrears.contacts.step_by_step import (
    DebtorAttempt,
    StepByStepPolicy,
    Unlock,
    contact_persons_unlock,
    load_step_by_step_policy,
)
from arrears.contacts.vocabulary import compliance_outcome
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, RuleRefused
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import Cardholder, ContactPerson

# How far back the compliance history of a customer is read (the longest window any profile
# counts over is 7 days; the cool-downs and 30-day rules fit in a month).
HISTORY_DAYS = 31


def profile() -> Profile:
    """The jurisdiction the settings name now (``ARREARS_JURISDICTION``). Read on every call:
    caching it here kept the first profile for the process's life whatever the settings said;
    ``load_profile`` caches each profile by name."""
    return load_profile(get_settings().jurisdiction)


@lru_cache(maxsize=4)
def late_entry_policy(name: str = "late_entry") -> late_entry.LateEntryPolicy:
    return late_entry.load_late_entry_policy(name)


@lru_cache(maxsize=8)
def step_by_step_policy(name: str = "step_by_step") -> StepByStepPolicy:
    return load_step_by_step_policy(name)


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


# --- asking compliance about a contact ---------------------------------------------------------


def ask_compliance(
    *,
    session: Session,
    work_order: WorkOrder,
    holder: Cardholder,
    contact: ContactPerson | None,
    party: str,
    channel: str,
    at: datetime,
    collector: str,
    debts: list[str],
    address_used: str | None,
    purpose: str | None,
    content: str | None,
    fields: dict[str, str] | None,
    actor: str,
    role: str | None,
    override_reason: str | None,
    late_outcome: str | None = None,
    acted_by: str | None = None,
) -> tuple[Decision, ComplianceCheck, list[tuple[Attempt, list[str]]]]:
    """The engine's decision on a proposed contact, recorded (overridable by its officer).

    A late entry (``late_outcome``: what the contact made at ``at`` came to) is also checked
    against the history after it: the third element lists the later attempts it would have
    made unlawful, with the counting rules (empty otherwise).
    """
    person, proposed, debtor, history = _question(
        session=session,
        work_order=work_order,
        holder=holder,
        contact=contact,
        party=party,
        channel=channel,
        at=at,
        collector=collector,
        debts=debts,
        address_used=address_used,
        purpose=purpose,
        content=content,
        fields=fields,
    )
    decision, check = compliance_service.check(
        session=session,
        profile=profile(),
        person=person,
        proposed=proposed,
        history=history,
        consents=_consents(
            session, holder=holder, person=person, debts=debts, collector=collector, at=at
        ),
        debtor=debtor,
        actor=actor,
        role=role,
        override_reason=override_reason,
        acted_by=acted_by,
    )
    breaches: list[tuple[Attempt, list[str]]] = []
    if late_outcome is not None:
        late = Attempt(
            **proposed.model_dump(include=set(Attempt.model_fields) - {"outcome", "direction"}),
            outcome=compliance_outcome(late_outcome),
        )
        breaches = late_entry.later_breaches(
            profile=profile(),
            person=person,
            late=late,
            history=history,
            debtor=debtor,
            now=clock.now(),
        )
    return decision, check, breaches


def _question(
    *,
    session: Session,
    work_order: WorkOrder,
    holder: Cardholder,
    contact: ContactPerson | None,
    party: str,
    channel: str,
    at: datetime,
    collector: str,
    debts: list[str],
    address_used: str | None,
    purpose: str | None,
    content: str | None,
    fields: dict[str, str] | None,
) -> tuple[Person, Proposed, Debtor | None, list[Attempt]]:
    """The engine's question about a contact, with the customer's history, from the store."""
    flags = compliance_question.case_flags(
        holder, status=work_order.status, hold_reason=work_order.hold_reason
    )
    # The channels the customer opted out of (an SMS "STOP", the portal) bind the collector's
    # own contacts too, not only the messages the outbox sends.
    flags = sorted(
        {
            *flags,
            *(
                f"opt_out:{c}"
                for c in channel_service.opted_out(session=session, cardholder_id=holder.id)
            ),
        }
    )
    person, proposed, debtor = compliance_question.question(
        holder=holder,
        contact=contact,
        party=party,
        channel=channel,
        at=at,
        collector=collector,
        debts=debts,
        address_used=address_used,
        purpose=purpose,
        content=content,
        fields=fields,
        flags=flags,
    )
    contacts = {c.id: c for c in portfolio_repository.contact_persons(session, holder.id)}
    rows = repository.made_attempts_since(
        session, cardholder_id=holder.id, since=at - timedelta(days=HISTORY_DAYS)
    )
    history = compliance_question.history(rows, holder=holder, contacts=contacts, debts=debts)
    return person, proposed, debtor, history


def _consents(
    session: Session,
    *,
    holder: Cardholder,
    person: Person,
    debts: list[str],
    collector: str,
    at: datetime,
) -> list[Consent]:
    """The customer's call-back windows as the engine's consents. Given to the bank, they hold
    for whoever collects the case for it (the asking collector); only the debtor gave them."""
    if person.id != compliance_question.person_id(holder, None, "debtor"):
        return []
    found = []
    for c in compliance_repository.consents_of(
        session, cardholder_id=holder.id, ending_after=at - timedelta(days=1), withdrawn=True
    ):
        # A withdrawn window counts until the withdrawal only (a call after it: no consent).
        until = compliance_question.consent_until(c.window_start, c.window_end, c.withdrawn_at)
        if c.channel == "call" and until is not None:
            found.append(
                Consent(
                    given_at=c.given_at,
                    person=person.id,
                    debts=debts,
                    for_at=c.window_start,
                    until=until,
                    collector=collector,
                )
            )
    return found


# The longest call-back window a customer may ask for, and the step it is checked at.
MAX_WINDOW = timedelta(hours=12)
_WINDOW_STEP = timedelta(minutes=15)


def call_back_zones(*, holder: Cardholder, session: Session) -> tuple[str, ...]:
    """The zones the customer may be in, as the engine finds them for a call to him."""
    phones = portfolio_repository.phones(session, holder.id)
    person, proposed, _ = compliance_question.question(
        holder=holder,
        contact=None,
        party="debtor",
        channel="call",
        at=clock.now(),
        collector="bank",
        debts=[],
        address_used=phones[0].number if phones else None,
        purpose=None,
        content=None,
        fields=None,
        flags=[],
    )
    return person_zones(profile=profile(), person=person, proposed=proposed)


def window_problem(
    *, session: Session, holder: Cardholder, start: datetime, end: datetime
) -> str | None:
    """What is wrong with a call-back window, as a word (None: nothing): ``order`` (it ends
    before it starts, or has no zone), ``too_long`` (over ``MAX_WINDOW``), ``begun`` (it starts
    in the past), ``too_far`` (it ends after the profile's consent age: a consent older than
    that no longer counts), ``hours`` (outside the calling hours in a zone the customer may be
    in, where the profile does not let consent lift them)."""
    rules = profile()
    now = clock.now()
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        return "order"
    if end - start > MAX_WINDOW:
        return "too_long"
    if start < now:
        return "begun"
    if end > now + timedelta(days=rules.frequency.consent_max_age_days):
        return "too_far"
    if not rules.time_window.consent_overrides:
        zones = call_back_zones(holder=holder, session=session)
        at = start
        while True:
            if not in_contact_hours(profile=rules, zones=zones, at=at, channel="call"):
                return "hours"
            if at >= end:
                return None
            at = min(at + _WINDOW_STEP, end)
    return None


_WINDOW_PROBLEMS = {
    "order": "the call-back window must end after it starts, with times that carry their zone",
    "too_long": f"a call-back window is at most {MAX_WINDOW} long",
    "begun": "the call-back window has already begun",
    "too_far": "the call-back window ends after the consent would lapse "
    "(profile frequency.consent_max_age_days)",
    "hours": "the call-back window is outside the calling hours at the customer's location",
}


def give_call_back_consent(
    *,
    session: Session,
    work_order: WorkOrder,
    holder: Cardholder,
    start: datetime,
    end: datetime,
    actor: str,
    source: str,
) -> ContactConsent:
    """The customer asks to be called between ``start`` and ``end``: stored as his consent
    with that window (the engine reads it for every call to him), and a call-back task on the
    case for the window's day. A window ``window_problem`` finds wrong is refused."""
    problem = window_problem(session=session, holder=holder, start=start, end=end)
    if problem is not None:
        kind = BadInput if problem in ("order", "too_long", "begun") else RuleRefused
        raise kind(_WINDOW_PROBLEMS[problem], detail={"problem": problem})
    now = clock.now()
    consent = ContactConsent(
        cardholder_id=holder.id,
        work_order_id=work_order.id,
        channel="call",
        window_start=start,
        window_end=end,
        given_at=now,
        given_by=actor,
        source=source,
    )
    session.add(consent)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="consent.give",
        entity="contact_consent",
        entity_id=consent.id,
        after={
            "work_order_id": work_order.id,
            "channel": "call",
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "source": source,
        },
    )
    center = ZoneInfo(get_settings().time_zone)
    local_start, local_end = start.astimezone(center), end.astimezone(center)
    case_service.schedule_follow_up(
        session=session,
        work_order_id=work_order.id,
        due_on=max(local_start.date(), clock.today()),
        kind="call_back",
        note=(
            f"the customer asks to be called between {local_start:%Y-%m-%d %H:%M} and "
            f"{local_end:%Y-%m-%d %H:%M} ({center.key})"
        ),
        actor=actor,
        source=f"contact_consent:{consent.id}",
    )
    return consent


def withdraw_call_back_consent(
    *, session: Session, consent: ContactConsent, actor: str, reason: str
) -> ContactConsent:
    """The customer withdraws a call-back window he gave: it ends now (the engine honours it no
    longer from this instant; a call made in it before stays consented), the row is kept with
    when and by whom, and the open call-back task it listed is cancelled. Already withdrawn,
    or withdrawn meanwhile by another request: ``Conflict``, nothing written."""
    now = clock.now()
    if not compliance_repository.withdraw_consent(session, consent.id, at=now, by=actor):
        raise Conflict(f"call-back consent {consent.id} is already withdrawn")
    session.refresh(consent)
    audit.record(
        session,
        actor=actor,
        action="consent.withdraw",
        entity="contact_consent",
        entity_id=consent.id,
        before={"withdrawn_at": None},
        after={"withdrawn_at": now.isoformat(), "withdrawn_by": actor},
        reason=reason,
    )
    if consent.work_order_id is not None:
        case_service.cancel_follow_ups(
            session=session,
            work_order_id=consent.work_order_id,
            source=f"contact_consent:{consent.id}",
            actor=actor,
            reason=reason,
        )
    session.flush()
    return consent


def letter_decision(
    *,
    session: Session,
    work_order: WorkOrder,
    holder: Cardholder,
    at: datetime,
    debts: list[str],
    content: str,
    fields: dict[str, str],
    profile: Profile,
) -> Decision:
    """The engine's decision on a collection letter to the debtor: its full text and fields,
    the holds and opt-outs. Not recorded: a rendered letter is not sent yet (the outbound
    pipeline records what it queues and sends)."""
    person, proposed, debtor, history = _question(
        session=session,
        work_order=work_order,
        holder=holder,
        contact=None,
        party="debtor",
        channel="letter",
        at=at,
        collector="letters",
        debts=debts,
        address_used=None,
        purpose=None,
        content=content,
        fields=fields,
    )
    return decide(profile=profile, person=person, proposed=proposed, history=history, debtor=debtor)


# --- recording an attempt ----------------------------------------------------------------------


def record_attempt(*, session: Session, attempt: ContactAttempt, actor: str) -> ContactAttempt:
    """Store an attempt with its compliance decision, audited; flag prohibited words in the
    notes for review (the note is evidence of what was said: kept, never rejected)."""
    note_findings = content_findings(attempt.notes or "", audience="debtor")
    if note_findings:
        attempt.compliance_detail = {
            **(attempt.compliance_detail or {}),
            "note_findings": [f.model_dump() for f in note_findings],
        }
    session.add(attempt)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="contact.attempt" if attempt.compliance_allowed else "contact.blocked",
        entity="contact_attempt",
        entity_id=attempt.id,
        after={
            "work_order_id": attempt.work_order_id,
            "channel": attempt.channel,
            "party": attempt.party,
            "status": attempt.status,
            "outcome": attempt.outcome,
            "rules": list(attempt.compliance_rules or []),
        },
        reason=attempt.compliance_reason if not attempt.compliance_allowed else None,
    )
    if attempt.late_entry:
        audit.record(
            session,
            actor=actor,
            action="contact.late_entry",
            entity="contact_attempt",
            entity_id=attempt.id,
            after={
                "made_at": attempt.at.isoformat(),
                "recorded_at": attempt.created_at.isoformat(),
                "status": attempt.status,
                "rules": list(attempt.compliance_rules or []),
            },
            reason="entered after it was made",
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
    session.flush()
    return attempt


def linked_attempt(
    *, session: Session, work_order_id: int, contact_attempt_id: int | None
) -> int | None:
    """The contact attempt a promise or a stop names, if it is one made on this case.

    Another case's attempt (another team's), an unknown id and a blocked attempt (a contact that
    never happened) all get the same 422 naming the field: the answer tells nothing of other
    cases, and a link can never be a 500.
    """
    if contact_attempt_id is None:
        return None
    found = repository.attempt(session, contact_attempt_id)
    if found is None or found.work_order_id != work_order_id or found.status != "made":
        raise BadInput(
            f"contact_attempt_id: {contact_attempt_id} is not a contact made on case "
            f"{work_order_id}"
        )
    return found.id


def attempt_dict(a: ContactAttempt, *, locale: str = "en") -> dict[str, Any]:
    """An attempt as the API and CLI show it; the compliance reason in ``locale`` (the rule ids
    and parameters stay in ``compliance.reasons``)."""
    detail = a.compliance_detail or {}
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
        # The server's time of the record; ``at`` is when the contact was made (the same
        # instant unless it is a late entry).
        "recorded_at": a.created_at,
        "late_entry": a.late_entry,
        "compliance": {
            "allowed": a.compliance_allowed,
            "rules": list(a.compliance_rules or []),
            **detail,
            "reason": localized(detail.get("reasons"), a.compliance_reason, locale),
            "next_allowed_at": a.compliance_next_allowed_at,
            "profile": a.compliance_profile,
            "check_id": a.compliance_check_id,
        },
    }


# --- step by step: the debtor first --------------------------------------------------------------


def unlock_status(*, session: Session, work_order: WorkOrder, today: date | None = None) -> Unlock:
    """Whether the case's contact persons are unlocked, and if not, when and why."""
    today = today or clock.today()
    debtor_attempts: Sequence[DebtorAttempt] = [
        DebtorAttempt(on=a.at.date(), outcome=a.outcome or "")
        for a in repository.attempts(session, work_order_id=work_order.id)
        if a.status == "made" and a.party == "debtor"
    ]
    return contact_persons_unlock(
        policy=step_by_step_policy(),
        work_started_on=work_order.opened_on,
        debtor_attempts=debtor_attempts,
        today=today,
    )
