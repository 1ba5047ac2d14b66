"""Allocation of work orders to staff and agencies: pure, deterministic, vectorised.

The core (:func:`allocate_table`) works on numpy columns so a million cases and thousands of
staff allocate in seconds; :func:`allocate` wraps it for plain Python records (tests, the API).

Order of play:
1. Placements. A placed case stays with its agency unless a recall rule fires (cure, contract
   end, N days). Cases whose bucket and level an active contract accepts are placed with the
   first such contract (by id) that has room, largest balances first.
2. Continuity. Every other case stays with its collector while the collector is active, still
   eligible (grade, declared levels, training, language, region) and the case's level is the one
   it was assigned at. If a capacity cut leaves someone over capacity, the newest of their cases
   (highest id) are rebalanced.
3. The rest go, per eligibility class (most constrained first), to the eligible staff: counts are
   water-filled to an equal level within capacity, then cases are dealt largest balance first to
   the member with the lowest balance load who still has quota (LPT under a count quota), so
   load is balanced by count and by balance.
Balances are integer cents: they only weigh the balancing, never enter a money calculation.

The vocabulary, rules and input records are in :mod:`arrears.workforce.allocation`, the numpy
tables and the eligibility rules in :mod:`arrears.workforce.allocation_tables`.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from arrears.workforce.allocation import (
    CASE_LEVELS,
    GRADES,
    REASONS,
    STAFF_LEVELS,
    AllocationRules,
    CaseIn,
    ContractIn,
    R,
    StaffIn,
    explain,
)
from arrears.workforce.allocation_tables import (
    BoolArray,
    CaseTable,
    IntArray,
    StaffTable,
    build_tables,
    effective_level,
    eligibility,
)


@dataclass
class Allocation:
    """Result columns, aligned with the case table."""

    staff: IntArray  # staff row or -1
    contract: IntArray  # contract row or -1
    reason: IntArray  # code into REASONS
    # The recall code (into REASONS) when the case left an agency this run, else -1. It is kept
    # apart from ``reason`` because a recalled case may then find no collector: the agency must
    # still be remembered as the one that gave it back.
    recall: IntArray

    def counts(self) -> dict[str, int]:
        codes, n = np.unique(self.reason, return_counts=True)
        return {REASONS[int(c)]: int(k) for c, k in zip(codes, n, strict=True)}


@dataclass(frozen=True)
class Decision:
    case_id: int
    staff_id: int | None
    agency_id: int | None
    contract_id: int | None
    reason: str
    detail: str
    changed: bool
    recalled: str | None = None  # why the case left its agency this run, even if then unallocated


def allocate_table(
    cases: CaseTable,
    staff: StaffTable,
    contracts: Sequence[ContractIn],
    *,
    rules: AllocationRules,
    as_of: date,
) -> Allocation:
    """Allocate every case to a staff row, a contract, or report it unallocatable."""
    n = len(cases)
    out_staff = np.full(n, -1, dtype=np.int64)
    out_contract = np.full(n, -1, dtype=np.int64)
    reason = np.full(n, -1, dtype=np.int64)
    # Largest balance first, then id: the order every greedy step below follows.
    order = np.lexsort((cases.id, -cases.balance))

    # 1. Placements: keep, recall, or place.
    excluded_agency = cases.recalled_agency.copy()
    placed_count = np.zeros(len(contracts), dtype=np.int64)
    on_placement = cases.contract >= 0
    recall_why = np.full(n, -1, dtype=np.int64)
    for k, contract in enumerate(contracts):
        mine = on_placement & (cases.contract == k)
        if not mine.any():
            continue
        cure_codes = [cases.buckets.code(b) for b in contract.cure_buckets]
        cured = np.isin(cases.bucket, cure_codes) if contract.recall_on_cure else None
        recall = np.full(n, -1, dtype=np.int64)
        if contract.recall_after_days is not None:
            recall[mine & (cases.placed_days >= contract.recall_after_days)] = R[
                "recalled_after_days"
            ]
        if contract.recall_on_contract_end and not contract.active_on(as_of):
            recall[mine] = R["recalled_contract_end"]
        if cured is not None:
            recall[mine & cured] = R["recalled_on_cure"]
        recalled = mine & (recall >= 0)
        recall_why[recalled] = recall[recalled]
        excluded_agency[recalled] = contract.agency_id
        kept = mine & ~recalled
        out_contract[kept] = k
        reason[kept] = R["placement_kept"]
        placed_count[k] = int(kept.sum())

    # A case with a plan, a settlement or on hold stays in house with its collector.
    placeable = (reason < 0) & ~cases.pinned
    if not rules.place_problem_customers:
        placeable &= ~cases.problem
    if not rules.place_escalated:
        placeable &= ~cases.escalated
    for k, contract in enumerate(contracts):
        if not contract.active_on(as_of):
            continue
        bucket_codes = [cases.buckets.code(b) for b in contract.buckets]
        level_codes = [CASE_LEVELS.index(lv) for lv in contract.levels if lv in CASE_LEVELS]
        cure_codes = [cases.buckets.code(b) for b in contract.cure_buckets]
        fits = (
            placeable
            & (out_contract < 0)
            & (reason < 0)
            & np.isin(cases.bucket, bucket_codes)
            & np.isin(cases.level, level_codes)
            & ~np.isin(cases.bucket, cure_codes)
            & (excluded_agency != contract.agency_id)
        )
        chosen = order[fits[order]]
        if contract.capacity is not None:
            chosen = chosen[: max(contract.capacity - int(placed_count[k]), 0)]
        out_contract[chosen] = k
        reason[chosen] = R["placed"]
        placed_count[k] += chosen.shape[0]

    # 2. Continuity for everything not with an agency.
    internal = out_contract < 0
    eff = effective_level(cases, rules)
    # New hires in probation: the lowest level they may work, the easier half of its cases, and
    # a capped share of a veteran's load (invariant 6 of issue 13).
    staff = _probation_levels(staff, rules)
    easy = _easy_cases(cases.balance, eff, internal, rules.probation.balance_quantile)
    capacity = _probation_capacity(staff, eff, internal, rules)
    lang = cases.language if rules.match_language else np.zeros(n, dtype=np.int64)
    region = cases.region if rules.match_region else np.zeros(n, dtype=np.int64)
    n_lang, n_region = len(cases.languages.values) + 1, len(cases.regions.values) + 1
    key = (eff * n_lang + lang) * n_region + region
    class_keys, klass = np.unique(key, return_inverse=True)
    klass = klass.reshape(n)
    elig = np.zeros((len(class_keys), len(staff)), dtype=bool)
    for j, k in enumerate(class_keys.tolist()):
        lv, rest = divmod(k, n_lang * n_region)
        lg, rg = divmod(rest, n_region)
        elig[j] = eligibility(lv, lg, rg, staff, rules)

    has_staff = internal & (cases.staff >= 0)
    srow = np.where(has_staff, cases.staff, 0)
    status = staff.status[srow] if len(staff) else np.zeros(n, dtype=np.int64)
    still_ok = elig[klass, srow] if len(staff) else np.zeros(n, dtype=bool)
    if len(staff):
        still_ok &= ~(staff.new_hire[srow] & ~easy)
    same_level = cases.assigned_level == cases.level
    # Pinned cases stay with a collector who has not left, whatever else changed (invariant 5).
    pinned = has_staff & cases.pinned & (status != 2)
    keep = (has_staff & (status == 0) & same_level & still_ok) | pinned
    why = np.full(n, R["new"], dtype=np.int64)
    why[internal & (cases.staff == -2)] = R["assignee_left"]
    why[has_staff & ~still_ok] = R["assignee_ineligible"]
    why[has_staff & ~same_level] = R["level_changed"]
    why[has_staff & (status == 1)] = R["assignee_unavailable"]
    why[has_staff & (status == 2)] = R["assignee_left"]
    # A recall reason (set above) outranks the generic ones.
    why = np.where(recall_why >= 0, recall_why, why)

    room = np.maximum(capacity - staff.load, 0)
    kept_idx = np.flatnonzero(keep)
    # Over capacity (capacity cut, probation cap): keep pinned cases, then the oldest (lowest id),
    # rebalance the rest. A pinned case is never rebalanced.
    kept_idx = kept_idx[
        np.lexsort((cases.id[kept_idx], ~cases.pinned[kept_idx], cases.staff[kept_idx]))
    ]
    kept_staff = cases.staff[kept_idx]
    starts = np.r_[0, np.flatnonzero(np.diff(kept_staff)) + 1] if kept_idx.size else kept_idx
    rank = np.arange(kept_idx.size) - np.repeat(starts, np.diff(np.r_[starts, kept_idx.size]))
    over = (
        (rank >= room[kept_staff]) & ~cases.pinned[kept_idx]
        if kept_idx.size
        else np.zeros(0, dtype=bool)
    )
    why[kept_idx[over]] = R["rebalanced"]
    kept_idx = kept_idx[~over]
    out_staff[kept_idx] = cases.staff[kept_idx]
    reason[kept_idx] = R["kept"]

    count = np.bincount(out_staff[out_staff >= 0], minlength=len(staff)).astype(np.int64)
    balance_load = np.zeros(len(staff), dtype=np.int64)
    np.add.at(balance_load, out_staff[kept_idx], cases.balance[kept_idx])
    used = count + staff.load

    # 3. Allocate the rest per class, most constrained class first.
    pending = internal & (reason < 0)
    pending_classes = np.unique(klass[pending])
    pool_size = elig.sum(axis=1)

    def deal(members: IntArray, pool: IntArray) -> None:
        if pool.size == 0:
            reason[members] = R["unallocatable_no_eligible_staff"]
            return
        free = np.maximum(capacity[pool] - used[pool], 0)
        total = int(free.sum())
        if total < members.size:
            reason[members[total:]] = R["unallocatable_no_capacity"]
            members = members[:total]
        if members.size == 0:
            return
        quota = water_fill(used[pool], capacity[pool], members.size)
        rows = deal_by_balance(cases.balance[members], balance_load[pool], quota)  # in pool
        chosen = pool[rows]
        out_staff[members] = chosen
        reason[members] = why[members]
        used[pool] += quota
        np.add.at(balance_load, chosen, cases.balance[members])

    for j in sorted(pending_classes.tolist(), key=lambda c: (int(pool_size[c]), c)):
        members = order[(pending & (klass == j))[order]]
        pool = np.flatnonzero(elig[j])
        newcomers = staff.new_hire[pool]
        if newcomers.any():
            # The larger balances go to veterans first; the easier ones to everyone.
            deal(members[~easy[members]], pool[~newcomers])
            deal(members[easy[members]], pool)
        else:
            deal(members, pool)
    return Allocation(staff=out_staff, contract=out_contract, reason=reason, recall=recall_why)


def _probation_levels(staff: StaffTable, rules: AllocationRules) -> StaffTable:
    """New hires keep only the lowest level they may work (grade, declared and trained)."""
    if not (rules.probation.lowest_level_only and staff.new_hire.any()):
        return staff
    grade_mask = np.asarray(
        [
            sum(1 << i for i, lv in enumerate(STAFF_LEVELS) if g in rules.level_grades.get(lv, ()))
            for g in GRADES
        ],
        dtype=np.int64,
    )
    may = staff.levels & staff.trained & grade_mask[staff.grade]
    lowest = may & -may  # the lowest set bit
    return replace(staff, levels=np.where(staff.new_hire, lowest, staff.levels))


def _easy_cases(
    balance: IntArray, level: IntArray, internal: BoolArray, quantile: float
) -> BoolArray:
    """Cases at or below the ``quantile`` of their (effective) level's balances in house."""
    easy = np.zeros(balance.shape[0], dtype=bool)
    for lv in np.unique(level[internal]).tolist():
        mine = level == lv
        limit = np.quantile(balance[mine & internal], quantile, method="lower")
        easy |= mine & (balance <= limit)
    return easy


def _probation_capacity(
    staff: StaffTable, level: IntArray, internal: BoolArray, rules: AllocationRules
) -> IntArray:
    """Capacity, with a new hire's cut to ``load_share`` of the expected mean load of the
    grade's veterans: the grade's cases (in house, at levels it works, plus loads outside the run)
    over veterans + share x new hires, at most the veterans' mean capacity."""
    capacity = staff.capacity.copy()
    if not staff.new_hire.any():
        return capacity
    share = rules.probation.load_share
    counts = np.bincount(level[internal], minlength=len(CASE_LEVELS))
    active = staff.status == 0
    for g, grade in enumerate(GRADES):
        of_grade = active & (staff.grade == g)
        vets, new = of_grade & ~staff.new_hire, of_grade & staff.new_hire
        if not vets.any() or not new.any():
            continue
        cases = sum(
            int(counts[i]) for i, lv in enumerate(CASE_LEVELS) if grade in rules.level_grades[lv]
        ) + int(staff.load[of_grade].sum())
        expected = min(
            cases / (int(vets.sum()) + share * int(new.sum())),
            float(staff.capacity[vets].mean()),
        )
        capacity[new] = np.minimum(capacity[new], int(share * expected))
    return capacity


def water_fill(used: IntArray, capacity: IntArray, n: int) -> IntArray:
    """How many of ``n`` new cases each member takes so counts level up evenly within capacity.

    Finds the lowest level T with sum(clip(T - used, 0, capacity - used)) >= n, fills everyone to
    T - 1, and gives the remainder to the members that can reach T, in row order (deterministic).
    """
    cap = np.maximum(capacity, used)

    def filled(level: int) -> IntArray:
        return np.clip(level - used, 0, cap - used)

    lo, hi = int(used.min()) if used.size else 0, int(cap.max()) if cap.size else 0
    while lo < hi:
        mid = (lo + hi) // 2
        if int(filled(mid).sum()) >= n:
            hi = mid
        else:
            lo = mid + 1
    base = filled(lo - 1)
    rest = n - int(base.sum())
    can = np.flatnonzero((used <= lo - 1) & (cap >= lo))
    base[can[:rest]] += 1
    return base


def deal_by_balance(balances: IntArray, start_load: IntArray, quota: IntArray) -> IntArray:
    """Deal cases (already largest first) to the member with the least balance who has quota."""
    heap = [(int(b), i) for i, b in enumerate(start_load.tolist()) if quota[i] > 0]
    heapq.heapify(heap)
    left = quota.tolist()
    out = [0] * balances.shape[0]
    for k, bal in enumerate(balances.tolist()):
        load, i = heap[0]
        out[k] = i
        left[i] -= 1
        if left[i]:
            heapq.heapreplace(heap, (load + bal, i))
        else:
            heapq.heappop(heap)
    return np.asarray(out, dtype=np.int64)


def allocate(
    cases: Sequence[CaseIn],
    staff: Sequence[StaffIn],
    contracts: Sequence[ContractIn] = (),
    *,
    rules: AllocationRules,
    as_of: date,
) -> list[Decision]:
    """Allocate plain records; one :class:`Decision` per case, in input order."""
    # Rows sorted by id so that ties break the same way whatever order the caller used.
    staff = sorted(staff, key=lambda s: s.id)
    contracts = sorted(contracts, key=lambda c: c.id)
    case_table, staff_table = build_tables(cases, staff, contracts, as_of=as_of)
    result = allocate_table(case_table, staff_table, contracts, rules=rules, as_of=as_of)
    eff = effective_level(case_table, rules)
    decisions = []
    texts: dict[tuple[int, int, str | None, str | None], str] = {}
    for k, case in enumerate(cases):
        srow, crow, code = (
            int(result.staff[k]),
            int(result.contract[k]),
            int(result.reason[k]),
        )
        key = (code, int(eff[k]), case.language, case.region)
        staff_id = staff[srow].id if srow >= 0 else None
        contract = contracts[crow] if crow >= 0 else None
        decisions.append(
            Decision(
                case_id=case.id,
                staff_id=staff_id,
                agency_id=contract.agency_id if contract else None,
                contract_id=contract.id if contract else None,
                reason=REASONS[code],
                detail=texts.get(key)
                or texts.setdefault(
                    key,
                    explain(
                        code, CASE_LEVELS[key[1]], rules, language=case.language, region=case.region
                    ),
                ),
                changed=(staff_id != case.staff_id)
                or ((contract.id if contract else None) != case.contract_id),
                recalled=REASONS[int(result.recall[k])] if result.recall[k] >= 0 else None,
            )
        )
    return decisions
