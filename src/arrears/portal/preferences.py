"""What the customer agreed to, as his "contact preferences" page shows it, and whether he may
take it back: pure rules on plain values (the store's rows are read by the workbench's portal
flow, ``workbench.portal_preferences``).

A channel is allowed, or opted out since a time; a call-back window is current until it ends
or he withdraws it. Taking back: opting back in to a channel he opted out of, withdrawing a
window of his that has not ended. What is wrong is a word (None: nothing), the flow says it."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Protocol


class ChannelRow(Protocol):
    """A debtor's channel as stored (``channels.models.DebtorChannel``)."""

    @property
    def channel(self) -> str: ...

    @property
    def preferred(self) -> bool: ...

    @property
    def opted_out_at(self) -> datetime | None: ...


class ConsentRow(Protocol):
    """A call-back consent as stored (``compliance.models.ContactConsent``)."""

    @property
    def id(self) -> int: ...

    @property
    def cardholder_id(self) -> int: ...

    @property
    def window_start(self) -> datetime: ...

    @property
    def window_end(self) -> datetime: ...

    @property
    def withdrawn_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class ChannelState:
    """One channel on the page: allowed, or opted out since ``opted_out_on`` (his local day)."""

    channel: str
    opted_out_on: date | None
    preferred: bool

    @property
    def allowed(self) -> bool:
        return self.opted_out_on is None


@dataclass(frozen=True)
class Window:
    """A current call-back window in the customer's wall clock."""

    id: int
    day: date
    start: str
    end: str
    until: datetime


def channel_states(
    rows: Iterable[ChannelRow], *, channels: Iterable[str], zone: tzinfo
) -> list[ChannelState]:
    """Each of ``channels``, in that order: a channel with no row is allowed, not preferred."""
    found = {r.channel: r for r in rows}
    states = []
    for name in channels:
        row = found.get(name)
        since = row.opted_out_at if row is not None else None
        states.append(
            ChannelState(
                channel=name,
                opted_out_on=since.astimezone(zone).date() if since is not None else None,
                preferred=bool(row is not None and row.preferred and since is None),
            )
        )
    return states


def current_windows(consents: Iterable[ConsentRow], *, now: datetime, zone: tzinfo) -> list[Window]:
    """The windows still to come or under way, not withdrawn, by their start."""
    windows = []
    for c in sorted(consents, key=lambda c: (c.window_start, c.id)):
        if c.withdrawn_at is not None or c.window_end <= now:
            continue
        start, end = c.window_start.astimezone(zone), c.window_end.astimezone(zone)
        windows.append(
            Window(
                id=c.id,
                day=start.date(),
                start=f"{start:%H:%M}",
                end=f"{end:%H:%M}",
                until=end.replace(tzinfo=None),
            )
        )
    return windows


def opt_in_problem(
    channel: object, *, offered: Collection[str], opted_out: Collection[str]
) -> str | None:
    """``unknown``: not a channel the portal offers; ``not_opted_out``: nothing to take back."""
    if not isinstance(channel, str) or channel not in offered:
        return "unknown"
    if channel not in opted_out:
        return "not_opted_out"
    return None


def withdraw_problem(
    consent: ConsentRow | None, *, cardholder_id: int, now: datetime
) -> str | None:
    """``missing``: no such window, or another customer's (the same word: one customer never
    learns another's ids); ``withdrawn``: already; ``ended``: its time has passed."""
    if consent is None or consent.cardholder_id != cardholder_id:
        return "missing"
    if consent.withdrawn_at is not None:
        return "withdrawn"
    if consent.window_end <= now:
        return "ended"
    return None
