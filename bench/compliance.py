"""Compliance benchmark: one proposed call against a 1,000-attempt history.

Side by side in one process: the engine (``decide`` over a prebuilt ``HistoryIndex``, and over a
plain list, which indexes on the fly) and a naive baseline that re-walks the whole history for
every rule and every debt, converting every timestamp to local time each time. Both must return
the same decision. Prints microseconds per decision, the ratios and peak memory.

    python bench/compliance.py [--attempts 1000] [--repeat 5] [--loops 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

from arrears.compliance.engine import HistoryIndex, decide
from arrears.compliance.profile import Profile, load_profile
from arrears.compliance.schemas import Attempt, Consent, Decision, Person, Proposed
from arrears.compliance.zones import possible_zones, zone

OUTCOMES = ["no_answer", "voicemail", "busy", "conversation", "limited_content_message", "dropped"]
NOW = datetime(2026, 4, 7, 15, 0, tzinfo=UTC)  # 11:00 in New York


def synth(n: int, *, blocked: bool, seed: int) -> tuple[Person, list[Attempt], Proposed]:
    """A year of history for one debtor with two debts, two numbers, the bank and an agency."""
    rng = random.Random(seed)
    person = Person.model_validate(
        {
            "id": "P1",
            "phones": [{"number": "+12125550100"}, {"number": "+13105550100", "type": "home"}],
            "address": {"country": "US", "region": "NY"},
        }
    )
    history = []
    recent = 7 if blocked else 5
    for i in range(n - recent):
        channel = rng.choice(["call"] * 8 + ["sms", "letter"])
        history.append(
            Attempt(
                at=NOW - timedelta(days=8, minutes=rng.randint(0, 357 * 24 * 60)),
                channel=channel,
                collector=rng.choice(["bank", "bank", "agency-1"]),
                person="P1",
                debts=rng.choice([["A"], ["B"], ["A", "B"]]),
                number=rng.choice(["+12125550100", "+13105550100"]),
                outcome=rng.choice(OUTCOMES) if channel == "call" else None,
                direction="inbound" if i % 17 == 0 else "outbound",
            )
        )
    for day in range(recent):
        history.append(
            Attempt(
                at=NOW - timedelta(days=6) + timedelta(hours=20 * day),
                channel="call",
                collector="bank",
                person="P1",
                debts=["A"],
                number="+12125550100",
                outcome="no_answer",
            )
        )
    history.sort(key=lambda a: a.at)  # as the contact log hands it over (ORDER BY at)
    proposed = Proposed(
        at=NOW,
        channel="call",
        collector="bank",
        person="P1",
        debts=["A", "B"],
        number="+12125550100",
        content="Hello, this is ACME calling for John Smith.",
    )
    return person, history, proposed


def naive_decide(
    profile: Profile, person: Person, proposed: Proposed, history: Sequence[Attempt]
) -> tuple[bool, list[str]]:
    """The obvious implementation: every rule scans the whole history, nothing is precomputed."""
    zones = possible_zones(
        given=person.time_zones,
        numbers=[p.number for p in person.phones],
        address=(person.address.country, person.address.region) if person.address else None,
        fallback=profile.fallback_time_zones,
    )
    tz = zone(zones[0])
    rules: list[str] = []
    tw = profile.time_window
    for name in zones:
        local = proposed.at.astimezone(zone(name))
        hours = tw.hours_for(local.weekday())
        if hours is None or not (hours[0] <= local.time() <= hours[1]):
            rules.append("time_window")
            break
    freq = profile.frequency
    today = proposed.at.astimezone(tz).date()
    for debt in proposed.debts:
        count = 0
        for a in history:  # rule 1: the cap, one full scan per debt
            day = a.at.astimezone(tz).date()
            if (
                a.person == proposed.person
                and a.collector == proposed.collector
                and a.channel == "call"
                and a.direction == "outbound"
                and a.outcome in freq.counted_outcomes
                and debt in a.debts
                and a.at <= proposed.at
                and (today - day).days < freq.window_days
            ):
                count += 1
        if count >= freq.max_calls and "reg_f.call_cap" not in rules:
            rules.append("reg_f.call_cap")
        for a in history:  # rule 2: the cool-down, another full scan per debt
            day = a.at.astimezone(tz).date()
            if (
                a.person == proposed.person
                and a.collector == proposed.collector
                and a.channel == "call"
                and a.outcome in freq.conversation_outcomes
                and debt in a.debts
                and a.at <= proposed.at
                and (today - day).days < freq.cooldown_days
                and "reg_f.cooldown" not in rules
            ):
                rules.append("reg_f.cooldown")
    return (not rules, rules)


def per_decision_us(fn: Callable[[], object], *, loops: int, repeat: int) -> float:
    """Median CPU microseconds per call: process time, so other jobs on the box do not count."""
    runs = []
    for _ in range(repeat):
        start = time.process_time_ns()
        for _ in range(loops):
            fn()
        runs.append((time.process_time_ns() - start) / loops / 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loops", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    profile = load_profile("us-reg-f")
    consents: list[Consent] = []
    print(f"history: {args.attempts} attempts over a year, one person, 2 debts, 2 numbers")
    print(f"load average at start: {os.getloadavg()[0]:.1f} (CPU time per decision is reported)")
    last: Callable[[], Decision] | None = None
    for blocked in (False, True):
        person, history, proposed = synth(args.attempts, blocked=blocked, seed=args.seed)
        index = HistoryIndex(history)
        engine_indexed = partial(
            decide,
            profile=profile,
            person=person,
            proposed=proposed,
            consents=consents,
            history=index,
        )
        engine_list = partial(
            decide,
            profile=profile,
            person=person,
            proposed=proposed,
            consents=consents,
            history=history,
        )
        naive = partial(naive_decide, profile, person, proposed, history)

        got = engine_indexed()
        base = naive()
        assert (got.allowed, sorted(got.rules)) == (base[0], sorted(base[1])), (got, base)
        assert engine_list() == got
        few = max(args.loops // 10, 10)
        t_index = per_decision_us(engine_indexed, loops=args.loops, repeat=args.repeat)
        t_list = per_decision_us(engine_list, loops=few, repeat=args.repeat)
        t_naive = per_decision_us(naive, loops=few, repeat=args.repeat)
        label = f"blocked ({', '.join(got.rules)})" if blocked else "allowed"
        print(f"\ncase: {label}; next_allowed_at={got.next_allowed_at}")
        print(f"  engine, prebuilt index    : {t_index:8.1f} us/decision")
        print(f"  engine, list (index built): {t_list:8.1f} us/decision")
        print(f"  naive full scan (baseline): {t_naive:8.1f} us/decision")
        print(
            f"  ratio engine/baseline     : {t_index / t_naive:8.3f} (indexed), "
            f"{t_list / t_naive:.3f} (list)"
        )
        last = engine_indexed
    assert last is not None
    tracemalloc.start()
    last()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak Python memory of one decision: {peak / 1024:.1f} KiB")
    print(f"peak RSS of the process: {rss:.1f} MiB")


if __name__ == "__main__":
    main()
