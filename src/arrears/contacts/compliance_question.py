"""The question a contact puts to the compliance engine, built from what the store knows: who
the person is (debtor, a contact person, a third party), his numbers and flags, the debts, and
the customer's contact history. Pure: plain objects in, compliance schemas out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

import phonenumbers

from arrears.compliance.schemas import PLAIN_FLAGS, Attempt, Debtor, Person, PhoneIn, Proposed
from arrears.contacts.vocabulary import compliance_outcome
from arrears.vocabulary import CHANNELS

# Our purposes -> the compliance engine's.
_PURPOSE = {"callback_request": "call_back_request", "location_information": "location"}
# Cardholder flags -> the compliance engine's flags (holds are the engine's to enforce).
_FLAG = {"dispute": "dispute_hold", "attorney": "attorney", "cease": "cease"}
# Contact-person relation -> the engine's role and relation (spouse and guarantor are roles).
_ROLE = {"spouse": ("spouse", None), "guarantor": ("guarantor", None)}


class Holder(Protocol):
    id: int
    flags: Any
    time_zones: Any


class Contact(Protocol):
    id: int
    relation: str


@lru_cache(maxsize=4096)
def e164(number: str | None) -> str | None:
    """A stored number in E.164, or None when it cannot be one (zoning needs a real number)."""
    if not number:
        return None
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def engine_flags(values: Iterable[str]) -> list[str]:
    """Our customer flags as the engine's flag words; flags it does not know are dropped."""
    out = []
    for flag in values:
        mapped = _FLAG.get(flag, flag)
        if mapped in PLAIN_FLAGS or (mapped.startswith("opt_out:") and mapped[8:] in CHANNELS):
            out.append(mapped)
    return sorted(set(out))


def case_flags(holder: Holder, *, status: str | None, hold_reason: str | None) -> list[str]:
    """The customer's flags, plus the case's hold (a disputed case is on hold)."""
    flags = list(holder.flags or [])
    if status == "on_hold" and hold_reason:
        flags.append(hold_reason)
    return engine_flags(flags)


def person_id(holder: Holder, contact: Contact | None, party: str) -> str:
    if contact is not None:
        return f"contact_person:{contact.id}"
    if party == "debtor":
        return f"cardholder:{holder.id}"
    return f"{party}:{holder.id}"


def role_of(party: str, contact: Contact | None) -> tuple[str, str | None]:
    """The engine's role and relation for the party called."""
    if contact is not None:
        if contact.relation in _ROLE:
            return _ROLE[contact.relation]
        relation = contact.relation if contact.relation != "spouse" else "other"
        return "third_party", relation
    if party == "third_party":
        return "third_party", "other"
    return party, None


def engine_purpose(purpose: str | None) -> str:
    return _PURPOSE.get(purpose or "", "collection")


def history(
    rows: Sequence[Any],
    *,
    holder: Holder,
    contacts: Mapping[int, Contact],
    debts: list[str],
) -> list[Attempt]:
    """Made attempts on this customer and his contact persons (blocked ones never happened)."""
    out: list[Attempt] = []
    for a in rows:
        if a.outcome is None:
            continue
        contact = contacts.get(a.contact_person_id) if a.contact_person_id else None
        role, relation = role_of(a.party, contact)
        out.append(
            Attempt(
                at=a.at,
                channel=a.channel,
                collector=a.collector_ref,
                person=person_id(holder, contact, a.party),
                role=role,
                relation=relation,
                debts=debts,
                number=e164(a.address_used) if a.channel in ("call", "sms") else None,
                purpose=engine_purpose(a.purpose),
                outcome=compliance_outcome(a.outcome),
                direction=a.direction,
            )
        )
    return out


def question(
    *,
    holder: Holder,
    contact: Contact | None,
    party: str,
    channel: str,
    at: datetime,
    collector: str,
    debts: list[str],
    address_used: str | None,
    purpose: str | None,
    content: str | None,
    fields: dict[str, str] | None,
    flags: list[str],
) -> tuple[Person, Proposed, Debtor | None]:
    """The person asked about, the proposed contact, and (for anyone but the debtor) the
    debtor whose holds the person inherits."""
    role, relation = role_of(party, contact)
    number = e164(address_used) if channel in ("call", "sms") else None
    person = Person(
        id=person_id(holder, contact, party),
        role=role,
        relation=relation,
        time_zones=list(holder.time_zones or []) or None,
        phones=[PhoneIn(number=number)] if number else [],
        flags=flags if contact is None and party == "debtor" else [],
    )
    proposed = Proposed(
        at=at,
        channel=channel,
        collector=collector,
        person=person.id,
        role=role,
        relation=relation,
        debts=debts,
        number=number,
        purpose=engine_purpose(purpose),
        content=content,
        fields=fields or {},
    )
    debtor = None if party == "debtor" else Debtor(id=f"cardholder:{holder.id}", flags=flags)
    return person, proposed, debtor


def consent_until(
    window_start: datetime, window_end: datetime, withdrawn_at: datetime | None
) -> datetime | None:
    """The end of what a call-back consent covers: its window, cut where the customer withdrew
    it (a withdrawal ends it from then, not backwards: a call made earlier in the window was
    consented). None when it was withdrawn before the window opened: it covers nothing."""
    if withdrawn_at is None or withdrawn_at >= window_end:
        return window_end
    if withdrawn_at <= window_start:
        return None
    return withdrawn_at
