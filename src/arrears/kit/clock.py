"""The one clock. Business logic asks it for ``now``/``today``; tests and back-dated runs set it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


class Clock:
    """Wall time unless frozen. Always returns aware UTC datetimes."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def today(self) -> date:
        """The center's day (``ARREARS_TIME_ZONE``), not UTC's: between midnight and 08:00 in
        Shanghai the UTC date is still yesterday, and a case page priced on it showed one day's
        interest less than the letter printed at the same moment."""
        return center_day(self.now())

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the clock only takes aware datetimes")
        self._frozen = at.astimezone(UTC)

    def unfreeze(self) -> None:
        self._frozen = None

    @contextmanager
    def frozen(self, at: datetime) -> Iterator[Clock]:
        previous = self._frozen
        self.freeze(at)
        try:
            yield self
        finally:
            self._frozen = previous


clock = Clock()


def _center_zone() -> ZoneInfo:
    from arrears.config import get_settings  # kit stays importable without the settings

    return ZoneInfo(get_settings().time_zone)


def center_day(at: datetime) -> date:
    """The center's day of a moment (``ARREARS_TIME_ZONE``)."""
    return at.astimezone(_center_zone()).date()


def center_today() -> date:
    """Today in the center's time zone: the last day anything may be dated, decided or
    reconciled for. After 16:00 UTC it is already tomorrow in Shanghai."""
    return clock.today()
