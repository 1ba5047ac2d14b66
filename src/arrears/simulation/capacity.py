"""Capacity per level for invariant 3: the case levels pooled by the people who may work them,
with the seats of those people on a day (docs/simulation.md, "The invariants"). Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from arrears.simulation.roster import may_work

LEVELS = ("junior", "intermediate", "advanced", "legal", "outsource", "write_off_review")


@dataclass
class Pool:
    """Case levels worked by the same people (linked by anyone who may work both)."""

    levels: set[str]
    capacity: int = 0


def pools(
    staff: Iterable[Any],
    day: date,
    *,
    level_grades: Mapping[str, Iterable[str]] | None,
    probation_days: int,
    load_share: float,
    lowest_level_only: bool,
) -> dict[str, Pool]:
    """Level -> the pool of people who may work it on ``day``, with their capacity: the
    allocation policy's grades and each person's cleared levels (no policy: the cleared levels).
    A new hire in probation counts at ``load_share`` of the grade's veterans' mean capacity (the
    allocator's cap at most), at the lowest level only when the policy says so."""
    people = [
        s
        for s in staff
        if s.employment_type != "agency"
        and s.status == "active"
        and s.hire_date <= day
        and (s.left_on is None or s.left_on > day)
    ]

    def new(s: Any) -> bool:
        return (day - s.hire_date).days < probation_days

    def works(s: Any) -> list[str]:
        if level_grades is None:
            return [lv for lv in LEVELS if lv in s.levels]
        return [lv for lv in LEVELS if may_work(s.grade, s.levels, lv, level_grades)]

    veterans: dict[str, list[int]] = defaultdict(list)
    for s in people:
        if not new(s):
            veterans[s.grade].append(s.capacity)
    found: dict[str, Pool] = {}
    for s in people:
        levels = works(s)
        seats = s.capacity
        if new(s):
            levels = levels[:1] if lowest_level_only else levels
            if veterans[s.grade]:
                mean = sum(veterans[s.grade]) / len(veterans[s.grade])
                seats = min(seats, int(load_share * mean))
        if not levels:
            continue
        pool = Pool(set(levels), seats)
        for other in {id(p): p for lv in levels if (p := found.get(lv))}.values():
            pool.levels |= other.levels
            pool.capacity += other.capacity
        for lv in pool.levels:
            found[lv] = pool
    return found
