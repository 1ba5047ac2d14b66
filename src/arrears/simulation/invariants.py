"""The rules of the product the simulator checks every simulated day: the ten of issue 13,
section 2, the agency's two of issue 17 (its commission statement to the cent, its exchange
files round-trip) and the thirteenth, every made contact lawful (its counting is ``lawful.py``).

Each check is its own function: given the store (a session) and the day's facts, it returns
the violations it finds, each with a key (what is wrong: a case, a person, a plan) and a small
example (case ids, staff codes, dates) a reader can look up. A check reads; it changes nothing.

A policy value is read from the allocation, training or fee policy where the field exists, and
otherwise from the ``DEFAULT_*`` constants below.

Why one module: the thirteen checks are the simulator's one contract with the product; they share
the day's facts and the violation type, and whoever asks what the department promises reads
them as one list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.cases.states import TRANSITIONS
from arrears.simulation import capacity, lawful
from arrears.simulation import repository as repo
from arrears.vocabulary import LEVELS

# Policy values the product does not define yet (see the module docstring).
DEFAULT_SMALL_BALANCE = Decimal("0.00")  # invariant 2: amounts at or below it are "nothing"
MAX_UNASSIGNED_SHARE = 0.01  # invariant 3 (issue 13)
DEFAULT_ESCALATED_SHARE = 0.05  # invariant 4: "a small share of the book"
DEFAULT_PROBATION_DAYS = 90  # invariants 6 and 7
DEFAULT_PROBATION_LOAD_SHARE = 0.5  # invariant 6: a new hire's cases vs a veteran's, at most
LARGEST_SHARE = 0.10  # invariant 6: "the largest accounts" = the top 10% of balances of a level
INF = Decimal("Infinity")
DEFAULT_NON_ACCRUAL_DPD = 180  # invariant 8: charge-off / non-accrual (FFIEC: 180 days)
DEFAULT_CHARGES_CAP = Decimal("1.00")  # invariant 8: interest + fees at most x principal

LEVEL_RANK = {n: i for i, n in enumerate(LEVELS)}


@dataclass(frozen=True)
class Violation:
    key: str
    example: dict[str, Any]


@dataclass
class DayFacts:
    """What the day's run saw that the store does not keep."""

    day: date
    time_zone: str = "Asia/Shanghai"
    # The compliance profile of a contact whose own stored profile name cannot be loaded.
    jurisdiction: str | None = None
    allocation_reasons: Mapping[str, int] = field(default_factory=dict)
    unallocatable_examples: list[dict[str, Any]] = field(default_factory=list)
    # phase -> [(case id, status before, status after)] for the cycle and the allocation
    status_moves: Mapping[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    # account -> (dpd, balance, fees, interest), the last two cycles
    accounts_today: Mapping[str, tuple[int, Decimal, Decimal, Decimal]] = field(
        default_factory=dict
    )
    accounts_yesterday: Mapping[str, tuple[int, Decimal, Decimal, Decimal]] = field(
        default_factory=dict
    )
    future_probes: Mapping[str, str | None] = field(default_factory=dict)
    policy: Mapping[str, Any] = field(default_factory=dict)
    # The month statements cut today: the product's against the simulator's own (issue 17).
    commission: list[dict[str, Any]] = field(default_factory=list)
    # Today's exchange with the agency that did not round-trip (refused or not reconciled).
    exchange: list[dict[str, Any]] = field(default_factory=list)

    def value(self, name: str, default: Any) -> Any:
        """The product's policy value (None where the policy says "none"), else ``default``."""
        return self.policy.get(name, default)


Check = Callable[[Session, DayFacts], list[Violation]]


def _center_day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# 1 ------------------------------------------------------------------------------------------------


def closed_case_unassigned(session: Session, facts: DayFacts) -> list[Violation]:
    """A closed case holds no assignment (the cycle's close step ends it)."""
    return [
        Violation(
            f"case {r.id}",
            {
                "case": r.id,
                "closed_on": _iso(r.closed_on),
                "close_reason": r.close_reason,
                "holder": r.staff or f"agency {r.agency_id}",
                "assigned_on": _iso(r.as_of),
            },
        )
        for r in repo.closed_with_live_assignment(session)
    ]


# 2 ------------------------------------------------------------------------------------------------


def no_case_without_arrears(session: Session, facts: DayFacts) -> list[Violation]:
    """No case is open with nothing past due after the cycle (small-balance threshold aside)."""
    threshold = Decimal(str(facts.value("small_balance", DEFAULT_SMALL_BALANCE)))
    return [
        Violation(
            f"case {r.id}",
            {
                "case": r.id,
                "customer": r.customer_ref,
                "bucket": r.bucket,
                "dpd": r.dpd,
                "amount_past_due": f"{r.amount_due:f}",
                "opened_on": _iso(r.opened_on),
            },
        )
        for r in repo.open_without_arrears(session, threshold)
    ]


# 3 ------------------------------------------------------------------------------------------------


def unassigned_within_capacity(session: Session, facts: DayFacts) -> list[Violation]:
    """With capacity available, at most 1% of open cases are unassigned, each with a reason.
    Capacity per level (``capacity.pools``): an idle officer is no seat for an advanced case."""
    cases = repo.open_cases(session)
    unassigned = [c for c in cases if c.staff_id is None and c.agency_id is None]
    pools = capacity.pools(
        repo.staff(session),
        facts.day,
        level_grades=facts.value("level_grades", None),
        probation_days=_probation_days(facts),
        load_share=float(facts.value("probation_load_share", DEFAULT_PROBATION_LOAD_SHARE)),
        lowest_level_only=bool(facts.value("probation_lowest_level_only", True)),
    )
    open_in_pool: dict[int, int] = defaultdict(int)
    for c in cases:
        if c.agency_id is None and c.level in pools:
            open_in_pool[id(pools[c.level])] += 1
    with_room = [
        c
        for c in unassigned
        if c.level in pools and pools[c.level].capacity >= open_in_pool[id(pools[c.level])]
    ]
    found: list[Violation] = []
    if cases and len(with_room) / len(cases) > MAX_UNASSIGNED_SHARE:
        reasons = {e["work_order_id"]: e["reason"] for e in facts.unallocatable_examples}
        found += [
            Violation(
                f"case {c.id}",
                {
                    "case": c.id,
                    "day": facts.day.isoformat(),
                    "status": c.status,
                    "level": c.level,
                    "reason": reasons.get(c.id, "unallocatable (see the day's reasons)"),
                    "open_cases": len(cases),
                    "unassigned": len(unassigned),
                    "levels": sorted(pools[c.level].levels, key=capacity.LEVELS.index),
                    "open_at_levels": open_in_pool[id(pools[c.level])],
                    "capacity": pools[c.level].capacity,
                },
            )
            for c in with_room
        ]
    explained = sum(n for r, n in facts.allocation_reasons.items() if r.startswith("unalloc"))
    if len(unassigned) > explained:
        found.append(
            Violation(
                f"no reason {facts.day.isoformat()}",
                {
                    "day": facts.day.isoformat(),
                    "unassigned": len(unassigned),
                    "with_a_reason": explained,
                },
            )
        )
    return found


# 4 ------------------------------------------------------------------------------------------------


def roll_is_not_escalation(session: Session, facts: DayFacts) -> list[Violation]:
    """A roll to a higher level is a level change; ``escalated`` means a problem customer (three
    stops, a complaint, a supervisor's decision). Open escalations stay a small share."""
    cases = repo.open_cases(session)
    escalated = [c.id for c in cases if c.status == "escalated" or c.escalated_at is not None]
    causes = repo.escalation_causes(session, escalated)
    uncaused = [i for i in escalated if not causes.get(i)]
    by_cycle = repo.cycle_escalations(session, uncaused)
    found = [
        Violation(
            f"case {i}",
            {
                "case": i,
                "escalated_by": "cycle" if i in by_cycle else "unknown",
                **by_cycle.get(i, {}),
            },
        )
        for i in uncaused
    ]
    limit = float(facts.value("escalated_share", DEFAULT_ESCALATED_SHARE))
    share = len(escalated) / len(cases) if cases else 0.0
    if share > limit:
        found.append(
            Violation(
                "escalated share",
                {
                    "day": facts.day.isoformat(),
                    "escalated": len(escalated),
                    "open": len(cases),
                    "share": round(share, 4),
                    "limit": limit,
                },
            )
        )
    return found


# 5 ------------------------------------------------------------------------------------------------


def plan_keeps_collector(session: Session, facts: DayFacts) -> list[Violation]:
    """An active plan or settlement keeps its collector (while the collector is at the bank)."""
    plans = repo.active_plans(session)
    history = repo.assignment_history(session, sorted({p.work_order_id for p in plans}))
    people = repo.staff(session)
    codes = {s.id: s.code for s in people}
    gone = {s.id for s in people if s.left_on is not None and s.left_on <= facts.day}
    found = []
    for p in plans:
        rows = history.get(p.work_order_id, [])
        then = [
            r
            for r in rows
            if r.assigned_at <= p.created_at and (r.ended_at is None or r.ended_at > p.created_at)
        ]
        if not then or then[-1].staff_id is None or then[-1].staff_id in gone:
            continue  # nobody held it when it was agreed, or they left: no collector to keep
        holder = then[-1].staff_id
        live = [r for r in rows if r.ended_at is None]
        now = live[-1].staff_id if live else None
        if now != holder:
            ended = next((r for r in rows if r.staff_id == holder and r.ended_at), None)
            found.append(
                Violation(
                    f"plan {p.id}",
                    {
                        "plan": p.id,
                        "kind": p.kind,
                        "case": p.work_order_id,
                        "agreed_with": codes.get(holder),
                        "now_with": codes.get(now) if now else None,
                        "moved_on": _iso(ended.ended_at.date()) if ended else None,
                        "moved_because": ended.ended_reason if ended else None,
                    },
                )
            )
    return found


# 6 ------------------------------------------------------------------------------------------------


def _probation_days(facts: DayFacts) -> int:
    return int(facts.value("probation_days", DEFAULT_PROBATION_DAYS))


def new_hires_eased_in(session: Session, facts: DayFacts) -> list[Violation]:
    """New hires (in probation) get a capped share of easier cases: lower balance and lower level
    than veterans of their grade, never the largest accounts. Nobody gets cases before the hire
    date or after leaving."""
    found = [
        Violation(
            f"assignment {r.id}",
            {
                "staff": r.code,
                "case": r.work_order_id,
                "assigned_on": _iso(r.as_of),
                "hire_date": _iso(r.hire_date),
                "left_on": _iso(r.left_on),
            },
        )
        for r in repo.assignments_outside_employment(session)
    ]
    probation = _probation_days(facts)
    people = {s.id: s for s in repo.staff(session) if s.employment_type != "agency"}
    cases = [c for c in repo.open_cases(session) if c.staff_id in people]
    held: dict[int, list[Any]] = defaultdict(list)
    for c in cases:
        held[c.staff_id].append(c)

    def new(s: Any) -> bool:
        return (facts.day - s.hire_date).days < probation

    top: dict[str, Decimal] = {}
    by_level: dict[str, list[Decimal]] = defaultdict(list)
    for c in cases:
        by_level[c.level].append(c.balance)
    for level, balances in by_level.items():
        ranked = sorted(balances, reverse=True)  # a level's only case is not "the largest":
        top[level] = ranked[max(int(len(ranked) * LARGEST_SHARE) - 1, 0)] if ranked[1:] else INF
    cap_share = float(facts.value("probation_load_share", DEFAULT_PROBATION_LOAD_SHARE))
    for s in people.values():
        if s.status != "active" or s.hire_date > facts.day or not new(s) or not held[s.id]:
            continue
        veterans = [
            v for v in people.values() if v.grade == s.grade and v.status == "active" and not new(v)
        ]
        vet_cases = [c for v in veterans for c in held[v.id]]
        mine = held[s.id]
        base = {"staff": s.code, "hire_date": _iso(s.hire_date), "day": facts.day.isoformat()}
        if veterans:
            vet_load = len(vet_cases) / len(veterans)
            if len(mine) > cap_share * vet_load:
                found.append(
                    Violation(
                        f"{s.code} load",
                        {**base, "cases": len(mine), "veteran_mean": round(vet_load, 1)},
                    )
                )
        if vet_cases:
            mean_mine = sum(c.balance for c in mine) / len(mine)
            mean_vet = sum(c.balance for c in vet_cases) / len(vet_cases)
            if mean_mine > mean_vet:
                found.append(
                    Violation(
                        f"{s.code} balance",
                        {
                            **base,
                            "mean_balance": f"{mean_mine:.2f}",
                            "veteran_mean_balance": f"{mean_vet:.2f}",
                        },
                    )
                )
            rank_mine = sum(LEVEL_RANK.get(c.level, 0) for c in mine) / len(mine)
            rank_vet = sum(LEVEL_RANK.get(c.level, 0) for c in vet_cases) / len(vet_cases)
            if rank_mine > rank_vet:
                found.append(
                    Violation(
                        f"{s.code} level",
                        {
                            **base,
                            "mean_level_rank": round(rank_mine, 2),
                            "veterans": round(rank_vet, 2),
                        },
                    )
                )
        largest = [c.id for c in mine if c.balance >= top.get(c.level, INF)]
        if largest:
            found.append(
                Violation(
                    f"{s.code} largest",
                    {**base, "largest_accounts": largest[:5], "count": len(largest)},
                )
            )
    return found


# 7 ------------------------------------------------------------------------------------------------


def mentors_for_probation_only(session: Session, facts: DayFacts) -> list[Violation]:
    """Mentors go to staff in probation only; mentorships end; a senior's mentee cap counts only
    current mentees (so a real new hire finds a free seat)."""
    probation = _probation_days(facts)
    max_mentees = int(facts.value("max_mentees", 3))
    mentee_grades = tuple(facts.value("mentee_grades", ("collection_officer",)))
    mentor_grades = tuple(facts.value("mentor_grades", ("senior_collection_specialist",)))
    people = list(repo.staff(session))
    codes = {s.id: s.code for s in people}

    def in_probation(s: Any) -> bool:
        return s.status == "active" and 0 <= (facts.day - s.hire_date).days < probation

    found = [
        Violation(
            f"{s.code} mentored",
            {
                "mentee": s.code,
                "hire_date": _iso(s.hire_date),
                "days_since_hire": (facts.day - s.hire_date).days,
                "mentor": codes.get(s.mentor_id),
                "status": s.status,
            },
        )
        for s in people
        if s.mentor_id is not None and not in_probation(s)
    ]
    current: dict[int, int] = defaultdict(int)
    for s in people:
        if s.mentor_id is not None and in_probation(s):
            current[s.mentor_id] += 1
    free = [
        m.code
        for m in people
        if m.grade in mentor_grades and m.status == "active" and current[m.id] < max_mentees
    ]
    for s in people:
        if s.grade in mentee_grades and s.mentor_id is None and in_probation(s) and free:
            found.append(
                Violation(
                    f"{s.code} without mentor",
                    {"new_hire": s.code, "hire_date": _iso(s.hire_date), "free_mentors": free[:3]},
                )
            )
    return found


# 8 ------------------------------------------------------------------------------------------------


def accrual_stops(session: Session, facts: DayFacts) -> list[Violation]:
    """Interest and fees stop where the profile says (charge-off / non-accrual day count; a cap
    on interest plus fees relative to the principal)."""
    stop = facts.value("non_accrual_dpd", DEFAULT_NON_ACCRUAL_DPD)
    stop_dpd = None if stop is None else int(stop)
    ratio = facts.value("charges_cap", DEFAULT_CHARGES_CAP)
    cap = None if ratio is None else Decimal(str(ratio))
    found = []
    for account, (dpd, balance, fees, interest) in sorted(facts.accounts_today.items()):
        before = facts.accounts_yesterday.get(account)
        if (
            stop_dpd is not None
            and before is not None
            and before[0] >= stop_dpd
            and dpd > before[0]
        ):
            grew = (interest + fees) - (before[3] + before[2])
            if grew > 0:
                found.append(
                    Violation(
                        f"account {account} accrues",
                        {
                            "account": account,
                            "dpd": dpd,
                            "non_accrual_from_dpd": stop_dpd,
                            "charges_yesterday": f"{before[3] + before[2]:f}",
                            "charges_today": f"{interest + fees:f}",
                        },
                    )
                )
        if cap is not None and balance > 0 and interest + fees > cap * balance:
            found.append(
                Violation(
                    f"account {account} over cap",
                    {
                        "account": account,
                        "dpd": dpd,
                        "principal": f"{balance:f}",
                        "interest": f"{interest:f}",
                        "fees": f"{fees:f}",
                        "cap": f"{cap:f} x principal",
                    },
                )
            )
    return found


# 9 ------------------------------------------------------------------------------------------------


def _reachable(start: str, end: str, steps: int) -> bool:
    frontier = {start}
    for _ in range(steps):
        frontier = frontier | {t for s in frontier for t in TRANSITIONS.get(s, frozenset())}
        if end in frontier:
            return True
    return end in frontier


# How many legal moves a phase may make on one case: the allocator one, the cycle two (the
# promise stage, then the sync).
PHASE_STEPS = {"allocation": 1, "cycle": 2}


def promise_status_truthful(session: Session, facts: DayFacts) -> list[Violation]:
    """A partial payment against a promise leaves a status that says so; statuses only move by
    the case state machine (the allocator and the cycle too)."""
    found = [
        Violation(
            f"case {r.id} promised",
            {"case": r.id, "status": r.status, "latest_promise": r.latest_promise},
        )
        for r in repo.promised_without_pending(session)
    ]
    found += [
        Violation(
            f"case {r.id} kept",
            {"case": r.id, "status": r.status, "latest_promise": r.latest_promise},
        )
        for r in repo.kept_after_partial(session)
    ]
    for phase, moves in sorted(facts.status_moves.items()):
        steps = PHASE_STEPS.get(phase, 1)
        for case, before, after in moves:
            if not _reachable(before, after, steps):
                found.append(
                    Violation(
                        f"case {case} {before}->{after}",
                        {
                            "case": case,
                            "by": phase,
                            "from": before,
                            "to": after,
                            "day": facts.day.isoformat(),
                        },
                    )
                )
    return found


# 10 -----------------------------------------------------------------------------------------------


def nothing_in_the_future(session: Session, facts: DayFacts) -> list[Violation]:
    """No cycle, reconciliation, allocation or follow-up for a day after the center's today,
    whoever asks."""
    zone = facts.time_zone
    found = [
        Violation(
            f"cycle run {r.id}",
            {
                "run": r.id,
                "as_of": _iso(r.as_of),
                "started_on": _iso(_center_day(r.started_at, zone)),
            },
        )
        for r in repo.cycle_runs(session)
        if r.as_of > _center_day(r.started_at, zone)
    ]
    found += [
        Violation(
            f"assignment {r.id}",
            {"assignment": r.id, "case": r.work_order_id, "as_of": _iso(r.as_of)},
        )
        for r in repo.assignments_since(session, facts.day)
        if r.as_of > _center_day(r.assigned_at, zone)
    ]
    for what, result in sorted(facts.future_probes.items()):
        if result is not None:
            found.append(
                Violation(
                    f"{what} for a future day", {"day": facts.day.isoformat(), "found": result}
                )
            )
    return found


def commission_to_the_cent(session: Session, facts: DayFacts) -> list[Violation]:
    """11. Each closed month's commission statement prints what the agency's own book of
    payments while placed gives under the contract (tiers, cap, clawback), to the cent."""
    found = []
    for c in facts.commission:
        printed = (Decimal(c["statement_total"]), Decimal(c["statement_recovered"]))
        if printed != (Decimal(c["expected_total"]), Decimal(c["expected_recovered"])):
            found.append(Violation(f"{c['agency']} {c['month']}", dict(c)))
    return found


def exchange_round_trip(session: Session, facts: DayFacts) -> list[Violation]:
    """12. The day's files with the agency round-trip: the placement and recall files pass their
    manifest, the agency's delivery is taken whole, and every payment in it is in the store."""
    return [Violation(f"{e['what']} {e['day']}", dict(e)) for e in facts.exchange]


def contacts_lawful(session: Session, facts: DayFacts) -> list[Violation]:
    """13. Every contact stored as made was allowed when made: calling hours, the profile's
    frequency rule (Reg F 7 in 7 and the cooldown, or the daily cap), opt-outs and holds,
    counted again from the store (``lawful.py``), never by asking the compliance engine."""
    return [
        Violation(key, example)
        for key, example in lawful.check(session, facts.day, facts.time_zone, facts.jurisdiction)
    ]


CHECKS: dict[str, Check] = {
    "closed_case_unassigned": closed_case_unassigned,
    "no_case_without_arrears": no_case_without_arrears,
    "unassigned_within_capacity": unassigned_within_capacity,
    "roll_is_not_escalation": roll_is_not_escalation,
    "plan_keeps_collector": plan_keeps_collector,
    "new_hires_eased_in": new_hires_eased_in,
    "mentors_for_probation_only": mentors_for_probation_only,
    "accrual_stops": accrual_stops,
    "promise_status_truthful": promise_status_truthful,
    "nothing_in_the_future": nothing_in_the_future,
    "commission_to_the_cent": commission_to_the_cent,
    "exchange_round_trip": exchange_round_trip,
    "contacts_lawful": contacts_lawful,
}


@dataclass
class Tally:
    """One invariant over the whole run: distinct violations, the first examples, the days."""

    violations: dict[str, dict[str, Any]] = field(default_factory=dict)
    days_broken: int = 0
    first_day: date | None = None

    def add(self, day: date, found: Iterable[Violation]) -> int:
        n = 0
        for v in found:
            n += 1
            if v.key not in self.violations:
                self.violations[v.key] = {"first_seen": day.isoformat(), **v.example}
        if n:
            self.days_broken += 1
            self.first_day = self.first_day or day
        return n

    def as_dict(self, examples: int = 5) -> dict[str, Any]:
        return {
            "held": not self.violations,
            "violations": len(self.violations),
            "days_broken": self.days_broken,
            "first_broken": self.first_day.isoformat() if self.first_day else None,
            "examples": list(self.violations.values())[:examples],
        }
