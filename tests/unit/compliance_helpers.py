"""Builders for compliance tests: short calls that read like the regulation's examples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from arrears.compliance.engine import decide
from arrears.compliance.profile import Profile, load_profile
from arrears.compliance.schemas import Attempt, Consent, Debtor, Decision, Person, Proposed

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
LDN = ZoneInfo("Europe/London")
MOBILE = "+12125550100"
HOME = "+12125550199"
US = load_profile("us-reg-f")
CN = load_profile("cn-card")
UK = load_profile("uk-conc")


def ny(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    """A local New York time in spring 2026 (DST already on: UTC-4). 2026-04-06 is a Monday."""
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def person(pid: str = "P1", **kw: Any) -> Person:
    kw.setdefault("time_zones", ["America/New_York"])
    kw.setdefault(
        "phones", [{"number": MOBILE, "type": "mobile"}, {"number": HOME, "type": "home"}]
    )
    return Person.model_validate({"id": pid, **kw})


def call(
    at: datetime,
    outcome: str = "no_answer",
    *,
    debts: Sequence[str] = ("A",),
    pid: str = "P1",
    collector: str = "bank",
    number: str = MOBILE,
    **kw: Any,
) -> Attempt:
    return Attempt.model_validate(
        {
            "at": at,
            "channel": "call",
            "collector": collector,
            "person": pid,
            "debts": list(debts),
            "number": number,
            "outcome": outcome,
            **kw,
        }
    )


def proposal(
    at: datetime,
    *,
    channel: str = "call",
    debts: Sequence[str] = ("A",),
    pid: str = "P1",
    collector: str = "bank",
    number: str | None = MOBILE,
    **kw: Any,
) -> Proposed:
    return Proposed.model_validate(
        {
            "at": at,
            "channel": channel,
            "collector": collector,
            "person": pid,
            "debts": list(debts),
            "number": number if channel in ("call", "sms") else None,
            **kw,
        }
    )


def consent(given: datetime, for_at: datetime | None, debts: Sequence[str] = ("A",)) -> Consent:
    return Consent(given_at=given, for_at=for_at, person="P1", debts=list(debts), collector="bank")


def run(
    proposed: Proposed,
    *,
    history: Sequence[Attempt] = (),
    who: Person | None = None,
    profile: Profile = US,
    consents: Sequence[Consent] = (),
    debtor: Debtor | None = None,
    now: datetime | None = None,
) -> Decision:
    return decide(
        profile=profile,
        person=who or person(),
        proposed=proposed.model_copy(
            update={"role": (who or person()).role, "relation": (who or person()).relation}
        ),
        history=history,
        consents=consents,
        debtor=debtor,
        now=now,
    )


def utc(value: datetime | None) -> str | None:
    from arrears.compliance.schemas import utc_iso

    return utc_iso(value) if value else None
