"""The contact flow: check the request, ask compliance, apply step by step, record the attempt
as made or blocked, and move the case (first contact, a dispute puts it on hold).

Compliance before action: nothing is logged as made without the engine's decision. One path for
the page, the API and the CLI.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.auth import repository as auth_repository
from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.compliance import service as compliance_service
from arrears.compliance.models import ComplianceCheck
from arrears.compliance.reasons import Reason, dumped, render
from arrears.compliance.schemas import Decision
from arrears.config import get_settings
from arrears.contacts import late_entry, step_by_step
from arrears.contacts import repository as contact_repository
from arrears.contacts import service as contact_service
from arrears.contacts.models import ContactAttempt
from arrears.contacts.schemas import ContactIn
from arrears.contacts.vocabulary import CONTACT_PERSON_PURPOSES, DIRECTIONS, OUTCOMES, PARTIES
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotFound, RuleRefused
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import ContactPerson
from arrears.vocabulary import CHANNELS
from arrears.workbench import letters
from arrears.workforce import repository as workforce_repository


def _check_words(body: ContactIn) -> None:
    for name, value, allowed in (
        ("channel", body.channel, CHANNELS),
        ("direction", body.direction, DIRECTIONS),
        ("party", body.party, PARTIES),
        ("outcome", body.outcome, OUTCOMES),
    ):
        if value not in allowed:
            raise BadInput(f"{name} must be one of: {', '.join(allowed)} (got {value!r})")
    if body.duration_seconds is not None and body.duration_seconds < 0:
        raise BadInput(f"duration_seconds cannot be negative (got {body.duration_seconds})")


def _contact_person(session: Session, cardholder_id: int, body: ContactIn) -> ContactPerson | None:
    """The contact person called, checked against the customer's and the party; None for the
    debtor or a third party."""
    if body.party == "contact_person":
        if body.contact_person_id is None:
            raise BadInput("contact_person_id: say which contact person")
        contact = next(
            (
                c
                for c in portfolio_repository.contact_persons(session, cardholder_id)
                if c.id == body.contact_person_id
            ),
            None,
        )
        if contact is None:
            raise BadInput(f"contact person {body.contact_person_id} is not one of this customer's")
        if body.purpose not in CONTACT_PERSON_PURPOSES:
            raise BadInput(
                "purpose: a contact person may only be asked for "
                + " or ".join(CONTACT_PERSON_PURPOSES)
                + " (never told of the debt)"
            )
        return contact
    if body.contact_person_id is not None:
        raise BadInput("contact_person_id is only for party contact_person")
    if body.purpose is not None and body.party == "debtor":
        raise BadInput("purpose is only for contact persons and third parties")
    return None


def real_actor(session: Session, *, actor: str, collector: str) -> str:
    """Who acted, as the compliance report names them: ``agency:CODE`` for an agency's
    collector, the staff code of a bank user linked to a staff member, else the audit name."""
    if collector.startswith("agency:"):
        ref = collector.removeprefix("agency:")
        agency = workforce_repository.agency_by_id(session, int(ref)) if ref.isdigit() else None
        return f"agency:{agency.code}" if agency else collector
    if actor.startswith("user:"):
        user = auth_repository.user_by_username(session, actor.removeprefix("user:"))
        staff = (
            workforce_repository.staff_by_id(session, user.staff_id)
            if user is not None and user.staff_id is not None
            else None
        )
        if staff is not None:
            return staff.code
    return actor


def log_attempt(
    *,
    session: Session,
    work_order_id: int,
    body: ContactIn,
    actor: str,
    role: str | None = None,
    collector: str = "bank",
) -> ContactAttempt:
    """Ask compliance, then log the attempt: as made with its outcome, or as blocked.

    ``body.outcome`` is what the collector reports; it is kept only if the attempt was allowed.
    """
    _check_words(body)
    wo = case_service.get(session=session, work_order_id=work_order_id)
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {wo.id} has no cardholder")
    # One contact decision per customer at a time; then read the case and the customer as
    # they are now (another collector may have just logged the first contact).
    contact_repository.lock_debtor(session, holder.id)
    session.refresh(wo)
    session.refresh(holder)
    if wo.status == "closed":
        raise RuleRefused(f"case {wo.id} is closed ({wo.close_reason}); open cases only")
    # The server owns time: a contact is recorded now, or, as a late entry, when the collector
    # says it was made (offline, a visit), within the policy's window.
    now = clock.now()
    late = body.made_at is not None
    at = (
        late_entry.checked_made_at(
            body.made_at, now=now, policy=contact_service.late_entry_policy()
        )
        if body.made_at is not None
        else now
    ).astimezone(UTC)
    contact = _contact_person(session, holder.id, body)

    address_used = body.address_used
    if address_used is None:
        if contact is not None:
            address_used = contact.phone
        elif body.party == "debtor" and body.channel in ("call", "sms"):
            phones = portfolio_repository.phones(session, holder.id)
            address_used = phones[0].number if phones else None
    debts = [a.account_ref for a in case_repository.accounts_of(session, wo.id)]

    check: ComplianceCheck | None = None
    if body.direction == "inbound":
        # The customer called us: nothing to decide, but the conversation still counts.
        decision = Decision(
            allowed=True, reason="inbound contact", profile=contact_service.profile().name
        )
        check_id = None
        permitted = True
    else:
        content, fields = body.content, body.fields
        if body.channel == "letter" and body.party == "debtor":
            # A collection letter is the case's letter: its text and the fields its profile
            # requires come from the store (a letter logged without them was always blocked).
            content, fields = letters.contact_letter(session=session, wo=wo, holder=holder)
        decision, check, breaches = contact_service.ask_compliance(
            session=session,
            work_order=wo,
            holder=holder,
            contact=contact,
            party=body.party,
            channel=body.channel,
            at=at,
            collector=collector,
            debts=debts,
            address_used=address_used,
            purpose=body.purpose,
            content=content,
            fields=fields,
            actor=actor,
            role=role,
            override_reason=body.override_reason,
            late_outcome=body.outcome if late else None,
            acted_by=real_actor(session, actor=actor, collector=collector),
        )
        check_id = check.id
        permitted = check.permitted

    rules = list(decision.rules)
    reason = decision.reason
    # Rule ids and parameters: the reason is written in each reader's language when read.
    why = list(decision.reasons)
    next_allowed = decision.next_allowed_at
    detail: dict[str, object] = {"flags": list(decision.flags)}
    if check_id is not None and permitted and not decision.allowed:
        detail["overridden"] = True
    if late and permitted and breaches:
        permitted = False
        rules.append(late_entry.LATE_ENTRY_RULE)
        rules += [r for _, found in breaches for r in found if r not in rules]
        later, found = breaches[0]
        late_why = Reason(
            rule=late_entry.LATE_ENTRY_RULE,
            params={"at": at.isoformat(), "later_at": later.at.isoformat(), "rules": found},
        )
        reason, why = render(late_why), [late_why]
        next_allowed = None
    if contact is not None and permitted:
        refusal = step_by_step.gate(
            policy=contact_service.step_by_step_policy(),
            unlock=contact_service.unlock_status(session=session, work_order=wo, today=at.date()),
            relation=contact.relation,
            purpose=body.purpose,
            zone=ZoneInfo(get_settings().time_zone),
        )
        if refusal is not None:
            permitted = False
            rules.append(refusal.rule)
            reason = refusal.reason
            why = [refusal.why] if refusal.why else []
            if refusal.next_allowed_at is not None:
                next_allowed = refusal.next_allowed_at
    if check is not None and check.permitted and not permitted:
        # Refused after the engine allowed (late entry, step by step, the purpose asked): a
        # check of its own, so the compliance report counts every refused contact.
        block = compliance_service.record_block(
            session=session,
            asked=check,
            rules=[r for r in rules if r not in check.rules] or rules,
            reason=reason,
            reasons=why,
            next_allowed_at=next_allowed,
        )
        detail["workflow_check_id"] = block.id

    attempt = contact_service.record_attempt(
        session=session,
        actor=actor,
        attempt=ContactAttempt(
            work_order_id=wo.id,
            cardholder_id=holder.id,
            contact_person_id=contact.id if contact else None,
            at=at,
            collector=actor,
            collector_ref=collector,
            channel=body.channel,
            direction=body.direction,
            party=body.party,
            relation=contact.relation if contact else None,
            purpose=body.purpose,
            address_used=address_used,
            status="made" if permitted else "blocked",
            outcome=body.outcome if permitted else None,
            duration_seconds=body.duration_seconds if permitted else None,
            notes=body.notes,
            recording_ref=body.recording_ref if permitted else None,
            script=body.script,
            compliance_allowed=permitted,
            compliance_rules=rules,
            compliance_reason=reason,
            compliance_next_allowed_at=next_allowed,
            compliance_profile=decision.profile,
            compliance_check_id=check_id,
            compliance_detail={**detail, "reasons": dumped(why)} if why else detail,
            created_at=now,
            late_entry=late,
        ),
    )
    if permitted and wo.status in ("open", "assigned"):
        case_service.move_if_legal(
            session=session, work_order=wo, to="in_progress", actor=actor, reason="first contact"
        )
    # A dispute stops collection of the case until it is checked: held, the check listed.
    if permitted and body.outcome == "dispute" and body.party == "debtor":
        case_service.hold_for_dispute(
            session=session,
            work_order=wo,
            actor=actor,
            due_on=max(at.date(), clock.today()),
            source=f"contact_attempt:{attempt.id}",
        )
    session.flush()
    return attempt
