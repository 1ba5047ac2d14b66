"""Allocation benchmark: 1M work orders x 2,000 staff, against a naive greedy run side by side.

Prints wall time for both, the ratio, and the spread of load (count and balance per collector:
max, min, standard deviation, per grade) plus peak memory. A second run plays "the next day":
2% of staff leave and one officer in ten has capacity cut to 400, so continuity and rebalancing
are timed too.

    python bench/allocation.py [--cases 1000000] [--staff 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import heapq
import resource
import time
from datetime import date

import numpy as np

from arrears.workforce import allocation as al
from arrears.workforce import allocation_pass
from arrears.workforce.allocation_tables import (
    CaseTable,
    Codes,
    IntArray,
    StaffTable,
    effective_level,
    eligibility,
    level_mask,
)
from arrears.workforce.policies import load

LANGS = ["zh-CN", "en", "yue"]


def synth(n_cases: int, n_staff: int, seed: int) -> tuple[CaseTable, StaffTable]:
    rng = np.random.default_rng(seed)
    langs = Codes()
    for v in LANGS:
        langs.code(v)
    buckets = Codes()
    for b in ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"]:
        buckets.code(b)
    regions = Codes()
    level = rng.choice(6, size=n_cases, p=[0.55, 0.28, 0.1, 0.03, 0.03, 0.01]).astype(np.int64)
    bucket = rng.integers(2, 9, size=n_cases).astype(np.int64)
    balance = np.round(rng.lognormal(mean=9.5, sigma=1.0, size=n_cases) * 100).astype(np.int64)
    language = rng.choice([1, 2, 3], size=n_cases, p=[0.9, 0.05, 0.05]).astype(np.int64)
    problem = rng.random(n_cases) < 0.03
    escalated = rng.random(n_cases) < 0.01
    none = np.full(n_cases, -1, dtype=np.int64)
    cases = CaseTable(
        id=np.arange(1, n_cases + 1, dtype=np.int64),
        level=level,
        bucket=bucket,
        balance=balance,
        language=language,
        region=np.zeros(n_cases, dtype=np.int64),
        special=problem | escalated,
        problem=problem,
        escalated=escalated,
        staff=none.copy(),
        assigned_level=none.copy(),
        contract=none.copy(),
        placed_days=none.copy(),
        recalled_agency=none.copy(),
        pinned=np.zeros(n_cases, dtype=bool),
        buckets=buckets,
        languages=langs,
        regions=regions,
    )
    n_officers, n_seniors, n_leads = int(n_staff * 0.82), int(n_staff * 0.15), int(n_staff * 0.02)
    grade = np.concatenate(
        [
            np.zeros(n_officers),
            np.ones(n_seniors),
            np.full(n_leads, 2),
            np.full(n_staff - n_officers - n_seniors - n_leads, 3),
        ]
    ).astype(np.int64)
    all_levels = level_mask(set(al.STAFF_LEVELS))
    officer_levels = level_mask({"junior", "intermediate"})
    levels = np.where(grade == 0, officer_levels, all_levels).astype(np.int64)
    senior_legal = (grade == 1) & (rng.random(n_staff) < 0.4)
    levels = np.where(
        (grade == 1) & ~senior_legal, level_mask({"junior", "intermediate", "advanced"}), levels
    )
    trained = np.where(
        (grade == 0) & (rng.random(n_staff) < 0.1), level_mask({"junior"}), all_levels
    ).astype(np.int64)
    capacity = np.where(grade == 0, 700, np.where(grade == 1, 900, 400)).astype(np.int64)
    capacity = capacity + rng.integers(-50, 51, size=n_staff)
    staff_lang = np.zeros((n_staff, len(langs.values)), dtype=bool)
    staff_lang[:, 1] = True
    staff_lang[:, 2] = rng.random(n_staff) < 0.15
    staff_lang[:, 3] = rng.random(n_staff) < 0.15
    staff = StaffTable(
        id=np.arange(1, n_staff + 1, dtype=np.int64),
        grade=grade,
        capacity=capacity,
        load=np.zeros(n_staff, dtype=np.int64),
        levels=levels,
        trained=trained,
        status=np.zeros(n_staff, dtype=np.int64),
        languages=staff_lang,
        regions=np.zeros((n_staff, 1), dtype=bool),
        # The bench's languages are of different families: no fallback to measure.
        families=staff_lang.copy(),
        new_hire=np.zeros(n_staff, dtype=bool),
    )
    return cases, staff


def greedy_baseline(cases: CaseTable, staff: StaffTable, rules: al.AllocationRules) -> IntArray:
    """The naive greedy the benchmark compares against: each case, in arrival order, to the
    eligible member with the fewest cases who has room (no balance awareness, no continuity)."""
    eff = effective_level(cases, rules)
    lang = cases.language if rules.match_language else np.zeros(len(cases), dtype=np.int64)
    region = cases.region if rules.match_region else np.zeros(len(cases), dtype=np.int64)
    out = np.full(len(cases), -1, dtype=np.int64)
    used = staff.load.copy()
    heaps: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    for k, (lv, lg, rg) in enumerate(
        zip(eff.tolist(), lang.tolist(), region.tolist(), strict=True)
    ):
        heap = heaps.get((lv, lg, rg))
        if heap is None:
            pool = np.flatnonzero(eligibility(lv, lg, rg, staff, rules))
            heap = [(int(used[i]), int(i)) for i in pool]
            heapq.heapify(heap)
            heaps[(lv, lg, rg)] = heap
        while heap:
            c, i = heap[0]
            if used[i] >= staff.capacity[i]:
                heapq.heappop(heap)
            elif c != used[i]:  # stale: another class's cases raised this member's count
                heapq.heapreplace(heap, (int(used[i]), i))
            else:
                break
        if not heap:
            continue
        c, i = heap[0]
        out[k] = i
        used[i] += 1
        heapq.heapreplace(heap, (c + 1, i))
    return out


def spread(staff_rows: np.ndarray, balances: np.ndarray, staff: StaffTable, grade: int) -> str:
    members = np.flatnonzero((staff.grade == grade) & (staff.status == 0))
    ok = staff_rows >= 0
    count = np.bincount(staff_rows[ok], minlength=len(staff))[members]
    money = np.bincount(staff_rows[ok], weights=balances[ok] / 100, minlength=len(staff))[members]
    return (
        f"count max {count.max():6d} min {count.min():6d} sd {count.std():8.1f} | "
        f"balance max {money.max():13,.0f} min {money.min():13,.0f} sd {money.std():11,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--staff", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rules = load(al.AllocationRules, "policies", "allocation")
    as_of = date(2026, 11, 29)
    contracts = [
        al.ContractIn(
            id=1,
            agency_id=1,
            buckets=frozenset({"M4", "M5", "M6", "M7+"}),
            levels=frozenset({"outsource"}),
            start=date(2026, 1, 1),
            end=date(2027, 12, 31),
        )
    ]
    t0 = time.perf_counter()
    cases, staff = synth(args.cases, args.staff, args.seed)
    t_synth = time.perf_counter() - t0
    print(f"{args.cases:,} cases x {args.staff:,} staff (synthetic data built in {t_synth:.1f} s)")

    t0 = time.perf_counter()
    result = allocation_pass.allocate_table(cases, staff, contracts, rules=rules, as_of=as_of)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    greedy = greedy_baseline(cases, staff, rules)
    t_greedy = time.perf_counter() - t0

    print(f"arrears allocation : {t_ours:6.2f} s")
    print(f"naive greedy       : {t_greedy:6.2f} s   (ratio ours/greedy {t_ours / t_greedy:.2f})")
    print("reasons:", result.counts())
    print(
        "greedy unallocated (excluding outsource):",
        int(((greedy < 0) & (cases.level != 4)).sum()),
    )
    for grade in (0, 1):
        name = al.GRADES[grade]
        print(f"{name}")
        print(f"  ours   {spread(result.staff, cases.balance, staff, grade)}")
        print(f"  greedy {spread(greedy, cases.balance, staff, grade)}")

    # The next day: 2% of staff leave, capacity cut for one officer in ten, the rest unchanged.
    rng = np.random.default_rng(args.seed + 1)
    cases.staff = result.staff.copy()
    cases.assigned_level = np.where(result.staff >= 0, cases.level, -1)
    cases.contract = result.contract.copy()
    cases.placed_days = np.where(result.contract >= 0, 1, -1)
    staff.status = np.where(rng.random(len(staff)) < 0.02, 2, 0).astype(np.int64)
    cut = (staff.grade == 0) & (rng.random(len(staff)) < 0.1)
    staff.capacity = np.where(cut, 400, staff.capacity)
    t0 = time.perf_counter()
    day2 = allocation_pass.allocate_table(cases, staff, contracts, rules=rules, as_of=as_of)
    t_day2 = time.perf_counter() - t0
    moved = int((day2.staff != result.staff).sum())
    print(f"next day (2% left, 10% of officers cut to 400): {t_day2:.2f} s, {moved:,} cases moved")
    print("reasons:", day2.counts())
    for grade in (0, 1):
        print(f"  {al.GRADES[grade]:30s} {spread(day2.staff, cases.balance, staff, grade)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
