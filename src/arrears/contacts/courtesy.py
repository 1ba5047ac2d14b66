"""Courtesy greetings on configured dates (Spring Festival, Mid-Autumn...). Pure.

Festival dates follow the Chinese lunisolar calendar; ``holidays`` computes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from holidays.calendars.chinese import _ChineseLunisolar
from pydantic import BaseModel, ConfigDict, Field

from arrears.kit import config_file
from arrears.kit.errors import BadInput

_LUNAR = _ChineseLunisolar()


def _lunar(compute: Callable[[int], tuple[date | None, bool]]) -> Callable[[int], date | None]:
    # holidays returns (date, estimated); the table covers 1901-2099.
    return lambda year: compute(year)[0]


OCCASIONS: dict[str, Callable[[int], date | None]] = {
    "spring_festival": _lunar(_LUNAR.lunar_new_year_date),
    "mid_autumn": _lunar(_LUNAR.mid_autumn_date),
    "dragon_boat": _lunar(_LUNAR.dragon_boat_date),
    "new_year": lambda year: date(year, 1, 1),
}


class Greeting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    occasion: str
    template: str
    channel: str = "sms"
    days_before: int = Field(default=0, ge=0, le=14)


class CourtesyPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    greetings: list[Greeting]
    # Words that are debt content; a greeting containing one is refused. Both languages.
    debt_words: list[str]


def festival_date(occasion: str, year: int) -> date:
    """The date of ``occasion`` in ``year``."""
    compute = OCCASIONS.get(occasion)
    if compute is None:
        raise BadInput(f"unknown occasion {occasion!r}; known: {', '.join(OCCASIONS)}")
    day = compute(year)
    if day is None:
        raise BadInput(f"no date for {occasion} in {year}")
    return day


def greetings_due(policy: CourtesyPolicy, on: date) -> list[Greeting]:
    """The greetings whose send day (festival date - days_before) is ``on``."""
    return [
        g
        for g in policy.greetings
        if festival_date(g.occasion, on.year) - timedelta(days=g.days_before) == on
        or festival_date(g.occasion, on.year + 1) - timedelta(days=g.days_before) == on
    ]


def debt_content(text: str, policy: CourtesyPolicy) -> list[str]:
    """The debt words found in ``text`` (a greeting must carry none)."""
    lowered = text.lower()
    found = [w for w in policy.debt_words if w.lower() in lowered]
    if any(ch.isdigit() for ch in text):
        found.append("a number (amounts and dates of debt never go in a greeting)")
    return found


def load_courtesy_policy(name_or_path: str = "courtesy") -> CourtesyPolicy:
    policy = config_file.load(
        CourtesyPolicy, Path(__file__).parent / "policies", name_or_path, "courtesy policy"
    )
    for g in policy.greetings:
        if g.occasion not in OCCASIONS:
            raise BadInput(f"courtesy policy {name_or_path}: greetings: unknown {g.occasion!r}")
    return policy
