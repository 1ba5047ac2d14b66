"""Where is the person? Their possible time zones from given zones, phone numbers and address.

Several possible zones mean the engine only allows times that are convenient in every one of them
(Reg F §1006.6(b)(1)(i)). Numbers that carry no location (toll-free, many mobiles outside North
America) are ignored rather than widening the set to the whole country.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from phonenumbers import timezone as phone_timezone

# A number mapped to more zones than this says nothing useful about where the person is.
MAX_ZONES_PER_NUMBER = 3

# States spanning two zones list both; the engine intersects the convenient hours.
US_STATES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        [
            "CT",
            "DE",
            "DC",
            "GA",
            "ME",
            "MD",
            "MA",
            "NH",
            "NJ",
            "NY",
            "NC",
            "OH",
            "PA",
            "RI",
            "SC",
            "VT",
            "VA",
            "WV",
        ],
        ("America/New_York",),
    ),
    "FL": ("America/New_York", "America/Chicago"),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"),
    "KY": ("America/New_York", "America/Chicago"),
    "MI": ("America/Detroit", "America/Menominee"),
    "TN": ("America/Chicago", "America/New_York"),
    **dict.fromkeys(
        ["AL", "AR", "IL", "IA", "LA", "MN", "MS", "MO", "OK", "WI"], ("America/Chicago",)
    ),
    "KS": ("America/Chicago", "America/Denver"),
    "NE": ("America/Chicago", "America/Denver"),
    "ND": ("America/Chicago", "America/Denver"),
    "SD": ("America/Chicago", "America/Denver"),
    "TX": ("America/Chicago", "America/Denver"),
    **dict.fromkeys(["CO", "MT", "NM", "UT", "WY"], ("America/Denver",)),
    "ID": ("America/Boise", "America/Los_Angeles"),
    "OR": ("America/Los_Angeles", "America/Boise"),
    "AZ": ("America/Phoenix",),
    **dict.fromkeys(["CA", "NV", "WA"], ("America/Los_Angeles",)),
    "AK": ("America/Anchorage",),
    "HI": ("Pacific/Honolulu",),
    "PR": ("America/Puerto_Rico",),
}

# Whole-country zones where one official zone applies (China runs on Beijing time nationwide).
COUNTRIES: dict[str, tuple[str, ...]] = {
    "CN": ("Asia/Shanghai",),
    "HK": ("Asia/Hong_Kong",),
    "MO": ("Asia/Macau",),
    "TW": ("Asia/Taipei",),
    "GB": ("Europe/London",),
    "IE": ("Europe/Dublin",),
    "SG": ("Asia/Singapore",),
    "JP": ("Asia/Tokyo",),
    "KR": ("Asia/Seoul",),
}


@lru_cache(maxsize=1)
def _available() -> frozenset[str]:
    return frozenset(available_timezones())


def known_zone(name: str) -> bool:
    return name in _available()


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@lru_cache(maxsize=4096)
def zones_for_number(number: str) -> tuple[str, ...]:
    """The zones a phone number may be in; empty when the number does not say."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    found = tuple(z for z in phone_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown")
    if 0 < len(found) <= MAX_ZONES_PER_NUMBER:
        return found
    region = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    return COUNTRIES.get(region or "", ())


def zones_for_address(country: str, region: str | None) -> tuple[str, ...]:
    if country == "US" and region and region.upper() in US_STATES:
        return US_STATES[region.upper()]
    return COUNTRIES.get(country, ())


def possible_zones(
    *,
    given: Iterable[str] | None,
    numbers: Iterable[str],
    address: tuple[str, str | None] | None,
    fallback: Iterable[str],
) -> tuple[str, ...]:
    """Given zones win; else the union of what the numbers and the address say; else fallback."""
    if given:
        return tuple(dict.fromkeys(given))
    found: dict[str, None] = {}
    for number in numbers:
        found.update(dict.fromkeys(zones_for_number(number)))
    if address is not None:
        found.update(dict.fromkeys(zones_for_address(*address)))
    return tuple(found) if found else tuple(dict.fromkeys(fallback))
