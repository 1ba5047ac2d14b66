"""Reg F validation period (§1006.34(b)(5)): when it ends, and whether a dispute fell inside it.

The workflow sends validation notices and records disputes; it asks these functions whether a
dispute puts collection on hold (§1006.38(d)(2)), and sets the ``dispute_hold`` flag the engine
enforces.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from arrears.compliance.profile import Profile


@lru_cache(maxsize=16)
def _calendar(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def assumed_receipt(sent: date, *, business_days: int, calendar: str) -> date:
    """The end of ``business_days`` days after ``sent``, skipping weekends and public holidays."""
    off = _calendar(calendar)
    day, counted = sent, 0
    while counted < business_days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            counted += 1
    return day


def validation_period_end(sent: date, *, profile: Profile) -> date | None:
    """The last day of the validation period, or None when the profile has no such rule."""
    rule = profile.validation
    if not rule.enabled:
        return None
    received = assumed_receipt(
        sent, business_days=rule.assumed_receipt_business_days, calendar=rule.holiday_calendar
    )
    return received + timedelta(days=rule.period_days)


def dispute_holds_collection(disputed_on: date, *, sent: date, profile: Profile) -> bool:
    """A dispute within the validation period holds collection until verification is sent."""
    end = validation_period_end(sent, profile=profile)
    return end is not None and sent <= disputed_on <= end
