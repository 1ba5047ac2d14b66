"""Invariant 13, ``contacts_lawful``: every contact the store keeps as *made* was allowed when it
was made, re-derived from the store alone.

The compliance engine decided each contact before it was logged; this check does not ask it
again. It reads the stored contacts, the customer's zones, opt-outs, call-back consents and the
case's holds (its audited moves), takes the numbers from the contact's own profile (the YAML,
not the engine) and counts with plain Python:

- ``time_window``: inside the profile's hours in every zone the customer may be in (a call
  inside the customer's own call-back window passes where the profile lets consent lift them);
- ``reg_f.call_cap``: fewer than ``max_calls`` counted calls to the person by the same caller
  in the ``window_days`` local days ending today, per debt (US Reg F: 7 in 7);
- ``reg_f.cooldown``: no call within ``cooldown_days`` of a conversation (the conversation's
  day is day 1);
- ``daily_cap``: fewer than ``max_contacts`` dials to the person today (cn-card: 3, all callers);
- ``opt_out.CHANNEL``: nothing on a channel the customer opted out of before the contact;
- ``hold.dispute`` (and the other holds a case can be put on): nothing but what the profile's
  hold allows while the case is held.

"Before" means earlier in time (same instant: stored earlier). Only the contacts stored or made
on the day are checked each day; the history they are counted against goes back as far as the
longest window. Approximations, each on the lenient side (a miss, never a false alarm): a
consent is taken as valid for its whole window (the engine also lapses it after the
conversation it allowed and after ``consent_max_age_days``); a customer without zones on file is
taken to be in the profile's fallback zones; a ``cease`` flag carries no date and is not checked
(an opt-out is how the product records "stop calling me").
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from arrears.channels.models import DebtorChannel
from arrears.compliance.models import ContactConsent
from arrears.compliance.profile import Profile, load_profile
from arrears.contacts.models import ContactAttempt
from arrears.contacts.vocabulary import COMPLIANCE_OUTCOME
from arrears.kit.audit import AuditEvent
from arrears.kit.errors import ArrearsError
from arrears.portfolio.models import Cardholder, ContactPerson

CHUNK = 900  # ids per IN list (SQLite's bound-parameter limit)
# A case held for one of these reasons: the profile's hold and the rule id that names it.
HOLDS = {
    "dispute": ("dispute_hold", "hold.dispute"),
    "bankruptcy": ("bankruptcy", "hold.bankruptcy"),
    "deceased": ("deceased", "hold.deceased"),
    "attorney": ("attorney", "hold.attorney"),
    "cease": ("cease", "hold.cease"),
}
# Stored purposes in the profile's words (no purpose: a collection contact).
PURPOSES = {"callback_request": "call_back_request", "location_information": "location"}
# A contact person's relation that is a role of its own (the rest are third parties).
ROLES = {"spouse": "spouse", "guarantor": "guarantor"}


@dataclass(frozen=True)
class Made:
    id: int
    work_order_id: int
    cardholder_id: int
    contact_person_id: int | None
    at: datetime
    collector_ref: str
    channel: str
    direction: str
    party: str
    purpose: str | None
    outcome: str
    profile: str

    @property
    def person(self) -> tuple[str, int]:
        if self.contact_person_id is not None:
            return ("contact_person", self.contact_person_id)
        return (self.party, self.cardholder_id)

    @property
    def word(self) -> str:
        """The outcome in the profiles' words (conversation, no_answer, ...)."""
        return COMPLIANCE_OUTCOME.get(self.outcome, self.outcome)


_COLUMNS = (
    ContactAttempt.id,
    ContactAttempt.work_order_id,
    ContactAttempt.cardholder_id,
    ContactAttempt.contact_person_id,
    ContactAttempt.at,
    ContactAttempt.collector_ref,
    ContactAttempt.channel,
    ContactAttempt.direction,
    ContactAttempt.party,
    ContactAttempt.purpose,
    ContactAttempt.outcome,
    ContactAttempt.compliance_profile,
)


def _made(rows: Any) -> list[Made]:
    return [Made(*r) for r in rows]


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


class _Store:
    """What the check reads about the customers contacted today (one query per table)."""

    def __init__(self, session: Session, today: list[Made], since: datetime) -> None:
        holders = sorted({c.cardholder_id for c in today})
        cases = sorted({c.work_order_id for c in today})
        a = ContactAttempt
        self.history: dict[tuple[str, int], list[Made]] = defaultdict(list)
        self.zones: dict[int, list[str]] = {}
        self.opt_outs: dict[tuple[int, str], datetime] = {}
        self.consents: dict[int, list[tuple[datetime, datetime, datetime, datetime | None]]] = (
            defaultdict(list)
        )
        self.relations: dict[int, str] = {}
        self.moves: dict[int, list[tuple[datetime, int, dict[str, Any]]]] = defaultdict(list)
        for part in _chunks(holders):
            for m in _made(
                session.execute(
                    select(*_COLUMNS)
                    .where(a.cardholder_id.in_(part), a.status == "made", a.at >= since)
                    .order_by(a.at, a.id)
                )
            ):
                self.history[m.person].append(m)
            for h in session.execute(
                select(Cardholder.id, Cardholder.time_zones).where(Cardholder.id.in_(part))
            ):
                self.zones[h.id] = list(h.time_zones or [])
            for o in session.execute(
                select(
                    DebtorChannel.cardholder_id, DebtorChannel.channel, DebtorChannel.opted_out_at
                )
                .where(DebtorChannel.cardholder_id.in_(part))
                .where(DebtorChannel.opted_out_at.is_not(None))
            ):
                if o.opted_out_at is not None:
                    self.opt_outs[(o.cardholder_id, o.channel)] = o.opted_out_at
            for k in session.execute(
                select(ContactConsent).where(
                    ContactConsent.cardholder_id.in_(part), ContactConsent.channel == "call"
                )
            ).scalars():
                self.consents[k.cardholder_id].append(
                    (k.given_at, k.window_start, k.window_end, k.withdrawn_at)
                )
            for cp in session.execute(
                select(ContactPerson.id, ContactPerson.relation).where(
                    ContactPerson.cardholder_id.in_(part)
                )
            ):
                self.relations[cp.id] = cp.relation
        for part in _chunks(cases):
            for r in session.execute(
                select(AuditEvent.entity_id, AuditEvent.at, AuditEvent.id, AuditEvent.after).where(
                    AuditEvent.entity == "work_order",
                    AuditEvent.action == "work_order.transition",
                    AuditEvent.entity_id.in_([str(i) for i in part]),
                )
            ):
                self.moves[int(r.entity_id)].append((r.at, r.id, dict(r.after or {})))
        for rows in self.moves.values():
            rows.sort(key=lambda m: (m[0], m[1]))

    def prior(self, c: Made, since: datetime) -> list[Made]:
        """The person's made contacts from ``since`` up to just before ``c``."""
        rows = self.history.get(c.person, [])
        start = bisect_left([r.at for r in rows], since)
        return [r for r in rows[start:] if (r.at, r.id) < (c.at, c.id)]

    def consented(self, c: Made) -> bool:
        """Inside a call-back window the debtor gave before the call (and had not withdrawn)."""
        if c.party != "debtor" or c.contact_person_id is not None:
            return False
        return any(
            given <= c.at and start <= c.at <= end and (gone is None or gone > c.at)
            for given, start, end, gone in self.consents.get(c.cardholder_id, [])
        )

    def hold(self, c: Made) -> str | None:
        """The case's hold reason just before the contact (from its audited moves), or None."""
        held = None
        for at, _id, after in self.moves.get(c.work_order_id, []):
            if at >= c.at:
                break
            held = after.get("hold_reason") if after.get("status") == "on_hold" else None
        return held

    def role(self, c: Made) -> str:
        if c.contact_person_id is not None:
            return ROLES.get(self.relations.get(c.contact_person_id, ""), "third_party")
        return c.party


def _profiles(names: set[str], fallback: str | None) -> dict[str, Profile]:
    found: dict[str, Profile] = {}
    for name in sorted(names):
        for candidate in (name, fallback):
            if not candidate:
                continue
            try:
                found[name] = load_profile(candidate)
                break
            except ArrearsError:
                continue
    return found


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def check(session: Session, day: date, center_zone: str, jurisdiction: str | None) -> list[Any]:
    """The day's unlawful made contacts as ``(key, example)`` pairs (see the module docstring)."""
    center = ZoneInfo(center_zone)
    start = _day_start(day, center)
    end = _day_start(day + timedelta(days=1), center)
    a = ContactAttempt
    today = _made(
        session.execute(
            select(*_COLUMNS)
            .where(a.status == "made")
            .where(
                or_(
                    and_(a.at >= start, a.at < end),
                    and_(a.created_at >= start, a.created_at < end),
                )
            )
            .order_by(a.at, a.id)
        )
    )
    if not today:
        return []
    profiles = _profiles({c.profile for c in today}, jurisdiction)
    reach = max(
        [max(p.frequency.window_days, p.frequency.cooldown_days) for p in profiles.values()] + [1]
    )
    # One more day each side: a local day in a zone behind or ahead of the center's.
    since = min(c.at for c in today) - timedelta(days=reach + 1)
    store = _Store(session, today, since)
    found: list[Any] = []
    for c in today:
        profile = profiles.get(c.profile)
        if profile is None or c.direction != "outbound":
            continue  # an inbound call: the customer called, nothing to decide
        for rule, detail in _breaches(store, profile, c):
            key = f"contact {c.id} {rule}"
            zones = store.zones.get(c.cardholder_id) or profile.fallback_time_zones or ["UTC"]
            found.append(
                (
                    key,
                    {
                        "contact": c.id,
                        "case": c.work_order_id,
                        "cardholder": c.cardholder_id,
                        "rule": rule,
                        "profile": profile.name,
                        "channel": c.channel,
                        "party": c.party,
                        "collector": c.collector_ref,
                        "outcome": c.outcome,
                        "at_local": c.at.astimezone(ZoneInfo(zones[0])).isoformat(),
                        **detail,
                    },
                )
            )
    return found


def _breaches(store: _Store, profile: Profile, c: Made) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    zones = store.zones.get(c.cardholder_id) or list(profile.fallback_time_zones) or ["UTC"]
    day_zone = ZoneInfo(zones[0])
    today = c.at.astimezone(day_zone).date()
    consented = store.consented(c)
    role = store.role(c)

    def local_day(m: Made) -> date:
        return m.at.astimezone(day_zone).date()

    tw = profile.time_window
    if tw.enabled and c.channel in tw.channels and not (consented and tw.consent_overrides):
        for name in zones:
            local = c.at.astimezone(ZoneInfo(name))
            hours = tw.hours_for(local.weekday())
            clock = local.time().replace(tzinfo=None)
            if hours is None or not (hours[0] <= clock <= hours[1]):
                span = "closed" if hours is None else f"{hours[0]:%H:%M}-{hours[1]:%H:%M}"
                where = {"zone": name, "local": f"{clock:%H:%M}", "hours": span}
                out.append(("time_window", where))
                break

    freq = profile.frequency
    if (
        freq.enabled
        and c.channel in freq.channels
        and role in freq.roles
        and not (consented and freq.consent_excludes)
    ):
        first = today - timedelta(days=max(freq.window_days, freq.cooldown_days) - 1)
        earlier = [
            m
            for m in store.prior(c, _day_start(first, day_zone))
            if m.channel in freq.channels
            and (not freq.per_collector or m.collector_ref == c.collector_ref)
        ]
        window_first = today - timedelta(days=freq.window_days - 1)
        calls = [
            m
            for m in earlier
            if m.direction == "outbound"
            and m.word in freq.counted_outcomes
            and local_day(m) >= window_first
            and not (freq.consent_excludes and store.consented(m))
        ]
        if len(calls) >= freq.max_calls:
            out.append(
                (
                    "reg_f.call_cap",
                    {
                        "calls_before": len(calls),
                        "max_calls": freq.max_calls,
                        "window_days": freq.window_days,
                        "first_call": calls[0].at.isoformat(),
                    },
                )
            )
        talks = [local_day(m) for m in earlier if m.word in freq.conversation_outcomes]
        cooldown = freq.cooldown_days
        if talks and cooldown and today <= max(talks) + timedelta(days=cooldown - 1):
            out.append(
                (
                    "reg_f.cooldown",
                    {"conversation_on": max(talks).isoformat(), "cooldown_days": cooldown},
                )
            )

    cap = profile.daily_cap
    if cap.enabled and c.channel in cap.channels and (cap.roles is None or role in cap.roles):
        dials = [
            m
            for m in store.prior(c, _day_start(today, day_zone))
            if m.direction == "outbound"
            and m.channel in cap.channels
            and (not cap.per_collector or m.collector_ref == c.collector_ref)
            and (cap.counted_outcomes is None or m.word in cap.counted_outcomes)
        ]
        if len(dials) >= cap.max_contacts:
            out.append(("daily_cap", {"dials_before": len(dials), "max": cap.max_contacts}))

    opted = store.opt_outs.get((c.cardholder_id, c.channel))
    if (
        profile.opt_out
        and c.party == "debtor"
        and c.contact_person_id is None
        and opted is not None
        and opted < c.at
    ):
        out.append((f"opt_out.{c.channel}", {"opted_out_at": opted.isoformat()}))

    reason = store.hold(c)
    if reason in HOLDS:
        flag, rule = HOLDS[reason]
        hold = profile.holds.get(flag)
        purpose = PURPOSES.get(c.purpose or "", "collection")
        if hold is not None and not (
            role in hold.allowed_roles
            or (
                purpose in hold.allowed_purposes
                and (hold.allowed_channels is None or c.channel in hold.allowed_channels)
            )
        ):
            out.append((rule, {"held_for": reason}))
    return out
