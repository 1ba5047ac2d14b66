"""The access rules, pure: whether a link may still be used, whether the facts typed match
those on file, and when a link or an address is throttled. No database, no web."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

LinkState = Literal["open", "expired", "used", "locked"]


@dataclass(frozen=True)
class LinkFacts:
    """What decides whether a link opens (the row's columns, as plain data)."""

    expires_at: datetime
    used_at: datetime | None
    locked: bool
    failed_attempts: int


def link_state(link: LinkFacts, *, now: datetime, failures_per_link: int) -> LinkState:
    """``open`` until it is used, locked (too many wrong answers) or past its expiry. A used link
    stays ``used`` after it expires: the customer is told it was already used."""
    if link.used_at is not None:
        return "used"
    if link.locked or link.failed_attempts >= failures_per_link:
        return "locked"
    if now >= link.expires_at:
        return "expired"
    return "open"


def address_throttled(*, failures: int, per_address: int) -> bool:
    """An address is refused once its recent failures reach the limit (whatever the link, so
    trying many links from one address gains nothing)."""
    return failures >= per_address


def normalise_id_tail(text: str) -> str:
    """The last 4 characters as typed, comparable: full-width forms folded (a Chinese keyboard
    types ０-９ and Ｘ), spaces dropped, upper case (the check character X)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).upper()


def id_tail(id_number: str | None) -> str | None:
    """The last 4 characters of the ID number on file, or None if there is none."""
    if not id_number:
        return None
    tail = normalise_id_tail(id_number)
    return tail[-4:] if len(tail) >= 4 else None


@dataclass(frozen=True)
class OnFile:
    """The cardholder's facts the verification compares with."""

    birth_date: date | None
    id_number: str | None


def missing_facts(required: Sequence[str], on_file: OnFile) -> list[str]:
    """The required facts the store does not hold for this cardholder (then no link is sent:
    the customer could never pass)."""
    missing: list[str] = []
    for fact in required:
        if fact == "birth_date" and on_file.birth_date is None:
            missing.append(fact)
        if fact == "id_last4" and id_tail(on_file.id_number) is None:
            missing.append(fact)
    return missing


def facts_match(required: Sequence[str], typed: Mapping[str, object], on_file: OnFile) -> bool:
    """Every required fact typed equals the one on file. A fact missing on file never matches."""
    for fact in required:
        if fact == "birth_date":
            if on_file.birth_date is None or typed.get("birth_date") != on_file.birth_date:
                return False
        elif fact == "id_last4":
            tail = id_tail(on_file.id_number)
            given = typed.get("id_last4")
            if tail is None or not isinstance(given, str) or normalise_id_tail(given) != tail:
                return False
        else:  # the policy model admits no other fact; refuse rather than pass
            return False
    return True
