"""The one decision function: may this contact happen; if not, which rules block it and until when?


Pure: no I/O, no database. The cycle calls ``decide`` when planning contacts, the workflow and the
outbox call it (through ``service.check``) before logging, queueing or sending anything.

Time and frequency rules ("temporal") give the instant they stop blocking; the decision's
``next_allowed_at`` is found by re-evaluating every temporal rule at the latest of those instants
until none blocks. Holds, third-party and content rules do not pass with time and are listed as
they are.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

from arrears.compliance.content import check_content, check_fields
from arrears.compliance.profile import Profile
from arrears.compliance.reasons import Reason, render
from arrears.compliance.schemas import (
    HOLD_FLAGS,
    Attempt,
    Consent,
    Debtor,
    Decision,
    Finding,
    Person,
    Proposed,
    Scenario,
)
from arrears.compliance.zones import possible_zones, zone
from arrears.kit.errors import BadInput

DAY = 86400.0
MAX_ITERATIONS = 64
DEBTOR_FLAGS = frozenset({*HOLD_FLAGS, "time_barred"})
# Each hold flag's rule id (the sentences are in reasons.yaml).
HOLD_RULES = {
    "attorney": "hold.attorney",
    "cease": "hold.cease",
    "dispute_hold": "hold.dispute",
    "bankruptcy": "hold.bankruptcy",
    "deceased": "hold.deceased",
}


class HistoryIndex:
    """History grouped by person and sorted by time, so a decision reads only its time slice.

    Build it once per person's history (the cycle and the bench do); ``decide`` accepts a plain
    list too and indexes the proposed person's attempts on the fly.
    """

    __slots__ = ("_by_person",)

    def __init__(self, history: Iterable[Attempt]) -> None:
        by_person: dict[str, list[Attempt]] = {}
        for attempt in history:
            by_person.setdefault(attempt.person, []).append(attempt)
        self._by_person: dict[str, tuple[list[datetime], list[Attempt]]] = {}
        for person, attempts in by_person.items():
            # Stores hand history over in time order already; sorting sorted input is linear.
            attempts.sort(key=_at)
            self._by_person[person] = ([a.at for a in attempts], attempts)

    def between(self, person: str, start: datetime, end: datetime) -> list[Attempt]:
        """The person's attempts with ``start <= at <= end``, oldest first."""
        found = self._by_person.get(person)
        if found is None:
            return []
        stamps, attempts = found
        return attempts[bisect_left(stamps, start) : bisect_right(stamps, end)]

    def upto(self, person: str, end: datetime) -> list[Attempt]:
        found = self._by_person.get(person)
        if found is None:
            return []
        stamps, attempts = found
        return attempts[: bisect_right(stamps, end)]


_at = attrgetter("at")


@dataclass
class _Block:
    rule: str
    params: dict[str, object] = field(default_factory=dict)
    temporal: bool = False
    until: datetime | None = None
    variant: str | None = None

    @property
    def reason(self) -> Reason:
        return Reason(rule=self.rule, params=self.params, variant=self.variant)


@dataclass
class _Context:
    profile: Profile
    person: Person
    proposed: Proposed
    index: HistoryIndex
    consents: Sequence[Consent]
    flags: frozenset[str]
    zones: tuple[str, ...]
    day_zone: ZoneInfo
    findings: list[Finding] = field(default_factory=list)
    advisories: list[str] = field(default_factory=list)
    days: dict[datetime, date] = field(default_factory=dict)

    def local_day(self, at: datetime) -> date:
        # next_allowed_at re-checks the same attempts several times: convert each once.
        day = self.days.get(at)
        if day is None:
            day = self.days[at] = at.astimezone(self.day_zone).date()
        return day

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.day_zone).astimezone(UTC)

    @property
    def collector(self) -> str:
        return self.proposed.collector or ""


def person_zones(*, profile: Profile, person: Person, proposed: Proposed) -> tuple[str, ...]:
    """The zones the person may be in: the ones given, else what the numbers and the address
    say, else the profile's fallback."""
    return possible_zones(
        given=person.time_zones,
        numbers=[p.number for p in person.phones] + ([proposed.number] if proposed.number else []),
        address=(person.address.country, person.address.region) if person.address else None,
        fallback=profile.fallback_time_zones,
    )


def decide(
    *,
    profile: Profile,
    person: Person,
    proposed: Proposed,
    history: Sequence[Attempt] | HistoryIndex = (),
    consents: Sequence[Consent] = (),
    debtor: Debtor | None = None,
    now: datetime | None = None,
) -> Decision:
    """Decide ``proposed`` at ``now`` (default: ``proposed.at``). History after that is ignored."""
    at = (now or proposed.at).astimezone(UTC)
    index = (
        history
        if isinstance(history, HistoryIndex)
        else HistoryIndex(h for h in history if h.person == proposed.person)
    )
    if proposed.person != person.id:
        raise BadInput(f"proposed.person: {proposed.person!r} is not the person {person.id!r}")
    if proposed.role != person.role or proposed.relation != person.relation:
        # The person record is authoritative: a third party stays a third party.
        proposed = proposed.model_copy(update={"role": person.role, "relation": person.relation})
    # From the cardholder behind a third-party contact only the holds carry over.
    inherited = [f for f in (debtor.flags if debtor else ()) if f in DEBTOR_FLAGS]
    flags = frozenset(person.flags) | frozenset(inherited)
    zones = person_zones(profile=profile, person=person, proposed=proposed)
    ctx = _Context(
        profile=profile,
        person=person,
        proposed=proposed,
        index=index,
        consents=consents,
        flags=flags,
        zones=zones,
        day_zone=zone(zones[0]) if zones else ZoneInfo("UTC"),
    )
    if not zones:
        ctx.advisories.append("zones.unknown")
    elif len(zones) > 1:
        ctx.advisories.append("zones.uncertain")

    blocks = _standing_blocks(ctx, at) + _temporal_blocks(ctx, at, advise=True)
    if not blocks:
        return Decision(allowed=True, reason="allowed", flags=ctx.advisories, profile=profile.name)

    next_allowed = _next_allowed(ctx, [b for b in blocks if b.temporal])
    rules = list(dict.fromkeys(b.rule for b in blocks))
    reasons = list({repr((b.rule, b.variant, b.params)): b.reason for b in blocks}.values())
    return Decision(
        allowed=False,
        rules=rules,
        reason="; ".join(dict.fromkeys(render(r) for r in reasons)),
        reasons=reasons,
        next_allowed_at=next_allowed,
        flags=ctx.advisories,
        findings=ctx.findings,
        profile=profile.name,
    )


def _next_allowed(ctx: _Context, temporal: list[_Block]) -> datetime | None:
    """The earliest instant every time/frequency rule allows, found by re-checking until stable."""
    if not temporal:
        return None
    blocks = temporal
    for _ in range(MAX_ITERATIONS):
        untils = [b.until for b in blocks]
        if any(u is None for u in untils):
            return None
        candidate = max(u for u in untils if u is not None)
        blocks = _temporal_blocks(ctx, candidate, advise=False)
        if not blocks:
            return candidate
    return None


# --- rules that time does not lift ------------------------------------------------------------


def _standing_blocks(ctx: _Context, at: datetime) -> list[_Block]:
    profile, proposed = ctx.profile, ctx.proposed
    blocks = _hold_blocks(ctx)
    role = proposed.role
    debt_party = role in profile.third_party.debt_parties

    if (
        profile.employer_forbids
        and "employer_forbids_work_calls" in ctx.flags
        and proposed.channel in ("call", "visit", "sms")
        and (proposed.at_work or _is_work_number(ctx.person, proposed.number))
    ):
        blocks.append(_Block("employer_forbids"))
    if profile.opt_out and f"opt_out:{proposed.channel}" in ctx.flags:
        blocks.append(_Block(f"opt_out.{proposed.channel}", {"channel": proposed.channel}))
    if not debt_party:
        blocks += _third_party_blocks(ctx, at)
    vulnerable = profile.vulnerable.enabled and "vulnerable" in ctx.flags
    if vulnerable and proposed.channel in profile.vulnerable.blocked_channels:
        blocks.append(_Block("vulnerable.channel", {"channel": proposed.channel}))
    if proposed.content:
        ctx.findings += check_content(
            proposed.content,
            profile=profile,
            audience="debtor" if debt_party else "third_party",
            vulnerable=vulnerable,
            time_barred="time_barred" in ctx.flags,
        )
    if debt_party and proposed.purpose == "collection":
        ctx.findings += check_fields(proposed.channel, proposed.fields, profile=profile)
    for finding in ctx.findings:
        reason = finding.reason
        blocks.append(_Block(reason.rule, reason.params))
    return blocks


def _hold_blocks(ctx: _Context) -> list[_Block]:
    blocks = []
    proposed = ctx.proposed
    for flag, rule in HOLD_RULES.items():
        hold = ctx.profile.holds.get(flag)
        if flag not in ctx.flags or hold is None:
            continue
        if proposed.role in hold.allowed_roles:
            continue
        if proposed.purpose in hold.allowed_purposes and (
            hold.allowed_channels is None or proposed.channel in hold.allowed_channels
        ):
            continue
        blocks.append(_Block(rule))
    return blocks


def _is_work_number(person: Person, number: str | None) -> bool:
    return number is not None and any(
        p.number == number and p.type == "work" for p in person.phones
    )


def _third_party_blocks(ctx: _Context, at: datetime) -> list[_Block]:
    policy, proposed = ctx.profile.third_party, ctx.proposed
    blocks = []
    if proposed.purpose not in policy.allowed_purposes:
        blocks.append(
            _Block(
                "third_party.purpose",
                {"relation": proposed.relation, "purposes": list(policy.allowed_purposes)},
            )
        )
    if policy.once_per_party and proposed.third_party_exception is None:
        for earlier in ctx.index.upto(proposed.person, at):
            if earlier.collector != ctx.collector or earlier.direction != "outbound":
                continue
            reached = (
                earlier.outcome in policy.once_outcomes
                if earlier.channel == "call"
                else earlier.outcome not in ("not_in_service", "busy")
            )
            if reached:
                blocks.append(_Block("third_party.once", {"date": earlier.at.date().isoformat()}))
                break
    return blocks


# --- rules that pass with time ----------------------------------------------------------------


def _temporal_blocks(ctx: _Context, at: datetime, *, advise: bool) -> list[_Block]:
    blocks: list[_Block] = []
    consented = _consented(ctx, ctx.proposed.debts, at)
    window = _time_window_block(ctx, at, consented)
    if window:
        blocks.append(window)
    blocks += _frequency_blocks(ctx, at, consented, advise=advise)
    blocks += _daily_blocks(ctx, at)
    return blocks


def _consented(ctx: _Context, debts: Sequence[str], at: datetime) -> bool:
    """Prior consent given directly, recent enough, for this time, and not used up yet."""
    freq = ctx.profile.frequency
    if not ctx.consents:
        return False
    slack = timedelta(minutes=freq.consent_slack_minutes)
    max_age = timedelta(days=freq.consent_max_age_days)
    for consent in ctx.consents:
        if consent.person != ctx.proposed.person or consent.collector != ctx.collector:
            continue
        if consent.debts and debts and not set(consent.debts) & set(debts):
            continue
        if not (consent.given_at <= at <= consent.given_at + max_age):
            continue
        if consent.until is not None:
            # A window the person chose: inside it, not around it.
            if not (consent.for_at is not None and consent.for_at <= at <= consent.until):
                continue
            used_from = max(consent.given_at, consent.for_at)
        else:
            if consent.for_at is not None and abs(at - consent.for_at) > slack:
                continue
            used_from = max(
                consent.given_at, consent.for_at - slack if consent.for_at else consent.given_at
            )
        if _conversation_between(ctx, consent.debts, used_from, at):
            continue  # the conversation it allowed has happened: the consent has lapsed
        return True
    return False


def _conversation_between(
    ctx: _Context, debts: Sequence[str], start: datetime, end: datetime
) -> bool:
    conversations = ctx.profile.frequency.conversation_outcomes
    for attempt in ctx.index.between(ctx.proposed.person, start, end):
        if (
            attempt.at < end
            and attempt.channel == "call"
            and attempt.collector == ctx.collector
            and attempt.outcome in conversations
            and _about(attempt.debts, debts)
        ):
            return True
    return False


def _about(entry_debts: Sequence[str], debts: Sequence[str]) -> bool:
    """An attempt with no debts named is taken to be about every debt (the cautious reading)."""
    return not entry_debts or not debts or bool(set(entry_debts) & set(debts))


def _time_window_block(ctx: _Context, at: datetime, consented: bool) -> _Block | None:
    tw = ctx.profile.time_window
    if not tw.enabled or ctx.proposed.channel not in tw.channels:
        return None
    if consented and tw.consent_overrides:
        return None
    zones = ctx.zones or ("UTC",)
    if _in_window(tw_hours=tw.hours_for, zones=zones, at=at):
        return None
    until = _next_window(tw_hours=tw.hours_for, zones=zones, at=at)
    local = at.astimezone(zone(zones[0]))
    params: dict[str, object] = {"weekday": f"{local:%a}", "time": f"{local:%H:%M}"}
    params["zones"] = list(zones)
    variant = None if len(zones) == 1 else "zones"
    if until is None:
        params, variant = {"zones": list(zones)}, "never"
    return _Block("time_window", params, temporal=True, until=until, variant=variant)


def in_contact_hours(*, profile: Profile, zones: Sequence[str], at: datetime, channel: str) -> bool:
    """Whether ``at`` is inside the profile's contact hours for ``channel`` in every zone (a
    channel without hours: always)."""
    tw = profile.time_window
    if not tw.enabled or channel not in tw.channels:
        return True
    return _in_window(tw_hours=tw.hours_for, zones=zones or ("UTC",), at=at)


def _in_window(*, tw_hours: object, zones: Sequence[str], at: datetime) -> bool:
    for name in zones:
        local = at.astimezone(zone(name))
        hours = tw_hours(local.weekday())  # type: ignore[operator]
        if hours is None:
            return False
        start, end = hours
        if not (start <= local.time().replace(tzinfo=None) <= end):
            return False
    return True


def _next_window(*, tw_hours: object, zones: Sequence[str], at: datetime) -> datetime | None:
    """The earliest window opening after ``at`` that is inside the window in every zone."""

    def openings(name: str) -> Iterator[datetime]:
        tz = zone(name)
        local_day = at.astimezone(tz).date()
        for offset in range(0, 9):
            day = local_day + timedelta(days=offset)
            hours = tw_hours(day.weekday())  # type: ignore[operator]
            if hours is not None:
                start = datetime.combine(day, hours[0], tz).astimezone(UTC)
                if start > at:
                    yield start

    # Each zone's openings rise day by day; merging them visits all openings in time order.
    for candidate in heapq.merge(*(openings(name) for name in zones)):
        if _in_window(tw_hours=tw_hours, zones=zones, at=candidate):
            return candidate
    return None


def _frequency_blocks(
    ctx: _Context, at: datetime, consented: bool, *, advise: bool
) -> list[_Block]:
    freq, proposed = ctx.profile.frequency, ctx.proposed
    if (
        not freq.enabled
        or proposed.channel not in freq.channels
        or proposed.role not in freq.roles
        or (consented and freq.consent_excludes)
    ):
        return []
    today = ctx.local_day(at)
    first_day = today - timedelta(days=max(freq.window_days, freq.cooldown_days) - 1)
    entries = ctx.index.between(proposed.person, ctx.day_start(first_day), at)
    window_first = today - timedelta(days=freq.window_days - 1)

    counted: list[tuple[date, Attempt]] = []
    conversations: list[tuple[date, Attempt]] = []
    for attempt in entries:
        if attempt.channel not in freq.channels:
            continue
        if freq.per_collector and attempt.collector != ctx.collector:
            continue
        if attempt.role not in freq.roles:
            continue
        day = ctx.local_day(attempt.at)
        if attempt.outcome in freq.conversation_outcomes:
            conversations.append((day, attempt))
        if (
            attempt.direction == "outbound"
            and attempt.outcome in freq.counted_outcomes
            and day >= window_first
            and not (freq.consent_excludes and _consented(ctx, attempt.debts, attempt.at))
        ):
            counted.append((day, attempt))

    blocks: list[_Block] = []
    debts: Sequence[str] = proposed.debts or ("",)
    cap_until: datetime | None = None
    cap_debts = []
    cool_until: datetime | None = None
    cool_debts = []
    for debt in debts:
        mine = [d for d, a in counted if not debt or not a.debts or debt in a.debts]
        if len(mine) >= freq.max_calls:
            mine.sort()
            release = mine[len(mine) - freq.max_calls] + timedelta(days=freq.window_days)
            until = ctx.day_start(release)
            cap_until = until if cap_until is None else max(cap_until, until)
            cap_debts.append(debt)
        talks = [d for d, a in conversations if not debt or not a.debts or debt in a.debts]
        if talks and freq.cooldown_days:
            last = max(talks)
            if today <= last + timedelta(days=freq.cooldown_days - 1):
                until = ctx.day_start(last + timedelta(days=freq.cooldown_days))
                cool_until = until if cool_until is None else max(cool_until, until)
                cool_debts.append(debt)
    if cap_debts:
        blocks.append(
            _Block(
                "reg_f.call_cap",
                {
                    "max_calls": freq.max_calls,
                    "window_days": freq.window_days,
                    "debts": [d for d in cap_debts if d],
                },
                temporal=True,
                until=cap_until,
            )
        )
    if cool_debts:
        blocks.append(
            _Block(
                "reg_f.cooldown",
                {"debts": [d for d in cool_debts if d], "cooldown_days": freq.cooldown_days},
                temporal=True,
                until=cool_until,
            )
        )
    if advise and counted and freq.review_gap_minutes:
        gap = (at - max(a.at for _, a in counted)).total_seconds() / 60
        if gap < freq.review_gap_minutes:
            ctx.advisories.append("reg_f.pattern_review")
    return blocks


def _daily_blocks(ctx: _Context, at: datetime) -> list[_Block]:
    profile, proposed = ctx.profile, ctx.proposed
    blocks: list[_Block] = []
    cap = profile.daily_cap
    vulnerable = profile.vulnerable
    caps: list[tuple[str, int, Sequence[str], bool, Sequence[str] | None]] = []
    if (
        cap.enabled
        and proposed.channel in cap.channels
        and (cap.roles is None or proposed.role in cap.roles)
    ):
        caps.append(
            (
                "daily_cap",
                cap.max_contacts,
                cap.channels,
                cap.per_collector,
                cap.counted_outcomes,
            )
        )
    if (
        vulnerable.enabled
        and "vulnerable" in ctx.flags
        and vulnerable.max_contacts_per_day is not None
    ):
        caps.append(
            (
                "vulnerable.daily_cap",
                vulnerable.max_contacts_per_day,
                vulnerable.counted_channels,
                False,
                None,
            )
        )
    if not caps:
        return blocks
    today = ctx.local_day(at)
    start = ctx.day_start(today)
    entries = ctx.index.between(proposed.person, start, at)
    for rule, limit, channels, per_collector, outcomes in caps:
        count = 0
        for attempt in entries:
            if attempt.direction != "outbound" or attempt.channel not in channels:
                continue
            if per_collector and attempt.collector != ctx.collector:
                continue
            if outcomes is not None and attempt.outcome not in outcomes:
                continue
            count += 1
        if count >= limit:
            blocks.append(
                _Block(
                    rule,
                    {"max_contacts": limit},
                    temporal=True,
                    until=ctx.day_start(today + timedelta(days=1)),
                )
            )
    return blocks


def decide_scenario(scenario: Scenario, *, profile: Profile | None = None) -> Decision:
    """Decide a scenario file's question (collectors defaulted, profile by name unless given)."""
    from arrears.compliance.profile import load_profile
    from arrears.config import get_settings

    resolved = scenario.resolved()
    chosen = profile or load_profile(resolved.profile or get_settings().jurisdiction)
    return decide(
        profile=chosen,
        person=resolved.person,
        proposed=resolved.proposed,
        history=resolved.history,
        consents=resolved.consents,
        debtor=resolved.debtor,
    )
