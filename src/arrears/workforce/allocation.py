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
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

GRADES = ("collection_officer", "senior_collection_specialist", "team_lead", "manager")
Grade = Literal["collection_officer", "senior_collection_specialist", "team_lead", "manager"]
# Levels a person is cleared to work (declared on the staff row and gated by training).
STAFF_LEVELS = ("junior", "intermediate", "advanced", "legal")
# Every level the strategy may give a case (the work-order table's list).
CASE_LEVELS = ("junior", "intermediate", "advanced", "legal", "outsource", "write_off_review")
STAFF_STATUSES = ("active", "on_leave", "left")

REASONS = (
    "kept",  # 0 continuity
    "new",  # 1 never assigned before
    "level_changed",  # 2
    "assignee_left",  # 3
    "assignee_unavailable",  # 4 on leave
    "assignee_ineligible",  # 5 grade/levels/training/language/region no longer match
    "rebalanced",  # 6 collector over capacity after a capacity change
    "placed",  # 7 new placement with an agency
    "placement_kept",  # 8
    "recalled_on_cure",  # 9
    "recalled_contract_end",  # 10
    "recalled_after_days",  # 11
    "unallocatable_no_eligible_staff",  # 12
    "unallocatable_no_capacity",  # 13
)
R = {name: code for code, name in enumerate(REASONS)}
UNALLOCATABLE = (R["unallocatable_no_eligible_staff"], R["unallocatable_no_capacity"])

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class AllocationRules(BaseModel):
    """Who may take which level; loaded from ``workforce/policies/allocation.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level_grades: dict[str, tuple[Grade, ...]] = Field(
        description="Case level -> grades that may work it (empty: agencies only)."
    )
    special_level: Literal["advanced", "legal"] = Field(
        "advanced",
        description="Level at which problem customers and escalated work orders are worked.",
    )
    match_language: bool = True
    # When nobody who may take the case speaks its exact language (zh-TW), those who speak the
    # same language (zh-CN: the same primary subtag) may: a case nobody may work helps no one.
    match_language_family: bool = True
    match_region: bool = False
    place_problem_customers: bool = False
    place_escalated: bool = False

    @model_validator(mode="after")
    def _levels_known(self) -> AllocationRules:
        unknown = set(self.level_grades) - set(CASE_LEVELS)
        if unknown:
            raise ValueError(f"level_grades: unknown levels {sorted(unknown)}")
        missing = set(CASE_LEVELS) - set(self.level_grades)
        if missing:
            raise ValueError(f"level_grades: say who works {sorted(missing)} (may be [])")
        return self


@dataclass(frozen=True)
class CaseIn:
    """A live work order as allocation sees it. ``balance_cents`` is the outstanding balance."""

    id: int
    level: str
    bucket: str
    balance_cents: int
    language: str | None = None
    region: str | None = None
    problem_customer: bool = False
    escalated: bool = False
    staff_id: int | None = None  # current collector
    assigned_level: str | None = None  # the level the current assignment was made for
    contract_id: int | None = None  # current placement
    placed_on: date | None = None
    recalled_from_agency: int | None = None  # not placed back with an agency that recalled it


@dataclass(frozen=True)
class StaffIn:
    id: int
    grade: str
    capacity: int
    levels: frozenset[str] = frozenset()
    trained_levels: frozenset[str] = frozenset(STAFF_LEVELS)
    languages: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    status: str = "active"
    load: int = 0  # open cases outside this run


@dataclass(frozen=True)
class ContractIn:
    """An agency contract: what it accepts and when cases come back."""

    id: int
    agency_id: int
    buckets: frozenset[str]
    levels: frozenset[str]
    start: date
    end: date | None = None
    recall_on_cure: bool = True
    recall_on_contract_end: bool = True
    recall_after_days: int | None = None
    capacity: int | None = None
    cure_buckets: frozenset[str] = frozenset({"M0"})

    def active_on(self, as_of: date) -> bool:
        return self.start <= as_of and (self.end is None or as_of <= self.end)


@dataclass
class Codes:
    """Interning of strings to small integers for the columnar core (index 0 = unknown/none)."""

    values: list[str | None] = field(default_factory=lambda: [None])
    _index: dict[str | None, int] = field(default_factory=dict, repr=False)

    def code(self, value: str | None) -> int:
        if value is None:
            return 0
        if len(self._index) != len(self.values):
            self._index = {v: i for i, v in enumerate(self.values)}
        found = self._index.get(value)
        if found is None:
            self.values.append(value)
            found = self._index[value] = len(self.values) - 1
        return found


@dataclass
class CaseColumns:
    """The cases as plain column lists (what a query returns, transposed)."""

    id: list[int]
    level: list[str]
    bucket: list[str]
    balance_cents: list[int]
    language: list[str | None]
    region: list[str | None]
    problem_customer: list[bool]
    escalated: list[bool]
    staff_id: list[int | None]
    assigned_level: list[str | None]
    contract_id: list[int | None]
    placed_on: list[date | None]
    recalled_from_agency: list[int | None]

    @classmethod
    def of(cls, cases: Sequence[CaseIn]) -> CaseColumns:
        return cls(
            id=[c.id for c in cases],
            level=[c.level for c in cases],
            bucket=[c.bucket for c in cases],
            balance_cents=[c.balance_cents for c in cases],
            language=[c.language for c in cases],
            region=[c.region for c in cases],
            problem_customer=[c.problem_customer for c in cases],
            escalated=[c.escalated for c in cases],
            staff_id=[c.staff_id for c in cases],
            assigned_level=[c.assigned_level for c in cases],
            contract_id=[c.contract_id for c in cases],
            placed_on=[c.placed_on for c in cases],
            recalled_from_agency=[c.recalled_from_agency for c in cases],
        )


@dataclass
class CaseTable:
    """Columns of the cases. Staff references are row indexes into the :class:`StaffTable`."""

    id: IntArray
    level: IntArray  # index into CASE_LEVELS
    bucket: IntArray  # code in ``buckets``
    balance: IntArray  # cents
    language: IntArray  # code in ``languages`` (0 = unknown)
    region: IntArray  # code in ``regions`` (0 = unknown)
    special: BoolArray  # problem customer or escalated
    problem: BoolArray
    escalated: BoolArray
    staff: IntArray  # current staff row, -1 none, -2 a person no longer on the roster
    assigned_level: IntArray  # -1 none
    contract: IntArray  # current contract row, -1 none
    placed_days: IntArray  # days since placement, -1 none
    recalled_agency: IntArray  # agency id, -1 none
    buckets: Codes
    languages: Codes
    regions: Codes

    def __len__(self) -> int:
        return int(self.id.shape[0])


@dataclass
class StaffTable:
    id: IntArray
    grade: IntArray  # index into GRADES
    capacity: IntArray
    load: IntArray
    levels: IntArray  # bitmask over STAFF_LEVELS
    trained: IntArray  # bitmask over STAFF_LEVELS
    status: IntArray  # index into STAFF_STATUSES
    languages: BoolArray  # (n_staff, n_language_codes)
    regions: BoolArray  # (n_staff, n_region_codes)
    # (n_staff, n_language_codes): speaks a language with the code's primary subtag.
    families: BoolArray

    def __len__(self) -> int:
        return int(self.id.shape[0])


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


def level_mask(levels: frozenset[str] | set[str]) -> int:
    return sum(1 << i for i, name in enumerate(STAFF_LEVELS) if name in levels)


def build_tables(
    cases: Sequence[CaseIn] | CaseColumns,
    staff: Sequence[StaffIn],
    contracts: Sequence[ContractIn],
    *,
    as_of: date,
) -> tuple[CaseTable, StaffTable]:
    """Plain records (or columns) to the numpy tables the core works on."""
    c = cases if isinstance(cases, CaseColumns) else CaseColumns.of(cases)
    row_of = {s.id: i for i, s in enumerate(staff)}
    contract_row = {k.id: i for i, k in enumerate(contracts)}
    level_of = {name: i for i, name in enumerate(CASE_LEVELS)}
    unknown = set(c.level) - set(level_of)
    if unknown:
        raise ValueError(f"unknown case levels {sorted(unknown)}; expected one of {CASE_LEVELS}")
    # Codes interned in sorted order so the result never depends on the order of the input.
    buckets = Codes([None, *sorted(set(c.bucket))])
    languages = Codes(
        [None, *sorted({v for v in c.language if v} | _union(s.languages for s in staff))]
    )
    regions = Codes([None, *sorted({v for v in c.region if v} | _union(s.regions for s in staff))])
    n = len(c.id)

    def col(values: list[int]) -> IntArray:
        return np.asarray(values, dtype=np.int64).reshape(n)

    def flags(values: list[bool]) -> BoolArray:
        return np.asarray(values, dtype=bool).reshape(n)

    problem, escalated = flags(c.problem_customer), flags(c.escalated)
    table = CaseTable(
        id=col(c.id),
        level=col([level_of[v] for v in c.level]),
        bucket=col([buckets.code(v) for v in c.bucket]),
        balance=col(c.balance_cents),
        language=col([languages.code(v) for v in c.language]),
        region=col([regions.code(v) for v in c.region]),
        special=problem | escalated,
        problem=problem,
        escalated=escalated,
        staff=col([-1 if v is None else row_of.get(v, -2) for v in c.staff_id]),
        assigned_level=col([-1 if v is None else level_of.get(v, -1) for v in c.assigned_level]),
        contract=col([-1 if v is None else contract_row.get(v, -1) for v in c.contract_id]),
        placed_days=col([-1 if v is None else (as_of - v).days for v in c.placed_on]),
        recalled_agency=col([-1 if v is None else v for v in c.recalled_from_agency]),
        buckets=buckets,
        languages=languages,
        regions=regions,
    )
    for s in staff:
        for v in s.languages:
            languages.code(v)
        for v in s.regions:
            regions.code(v)
    m = len(staff)
    lang = np.zeros((m, len(languages.values)), dtype=bool)
    reg = np.zeros((m, len(regions.values)), dtype=bool)
    for i, s in enumerate(staff):
        for v in s.languages:
            lang[i, languages.code(v)] = True
        for v in s.regions:
            reg[i, regions.code(v)] = True
    family = [language_family(v) for v in languages.values]
    fam = np.zeros((m, len(languages.values)), dtype=bool)
    for i, s in enumerate(staff):
        spoken = {language_family(v) for v in s.languages}
        fam[i] = [f is not None and f in spoken for f in family]
    staff_table = StaffTable(
        id=np.asarray([s.id for s in staff], dtype=np.int64).reshape(m),
        grade=np.asarray([GRADES.index(s.grade) for s in staff], dtype=np.int64).reshape(m),
        capacity=np.asarray([s.capacity for s in staff], dtype=np.int64).reshape(m),
        load=np.asarray([s.load for s in staff], dtype=np.int64).reshape(m),
        levels=np.asarray([level_mask(s.levels) for s in staff], dtype=np.int64).reshape(m),
        trained=np.asarray([level_mask(s.trained_levels) for s in staff], dtype=np.int64).reshape(
            m
        ),
        status=np.asarray([STAFF_STATUSES.index(s.status) for s in staff], dtype=np.int64).reshape(
            m
        ),
        languages=lang,
        regions=reg,
        families=fam,
    )
    return table, staff_table


def language_family(tag: str | None) -> str | None:
    """The primary subtag of a BCP 47 tag: zh-TW and zh-CN are both zh."""
    return tag.split("-", 1)[0].lower() if tag else None


def _union(sets: Iterable[frozenset[str]]) -> set[str]:
    out: set[str] = set()
    for values in sets:
        out |= values
    return out


def effective_level(cases: CaseTable, rules: AllocationRules) -> IntArray:
    """The level a case is worked at: problem customers and escalations go up to seniors."""
    special_idx = CASE_LEVELS.index(rules.special_level)
    lifted = cases.special & (cases.level < special_idx)
    return np.where(lifted, special_idx, cases.level)


def eligibility(
    level: int, language: int, region: int, staff: StaffTable, rules: AllocationRules
) -> BoolArray:
    """Which staff rows may take a case of this (effective) level, language and region."""
    name = CASE_LEVELS[level]
    grades = [GRADES.index(g) for g in rules.level_grades[name]]
    ok = np.isin(staff.grade, grades) & (staff.status == 0)
    if name in STAFF_LEVELS:
        bit = 1 << STAFF_LEVELS.index(name)
        ok &= ((staff.levels & bit) != 0) & ((staff.trained & bit) != 0)
    if rules.match_region and region > 0:
        ok &= staff.regions[:, region]
    if rules.match_language and language > 0:
        # Last, so the family fallback applies only when nobody otherwise eligible matches.
        exact = ok & staff.languages[:, language]
        ok = (
            exact
            if exact.any() or not rules.match_language_family
            else ok & staff.families[:, language]
        )
    return ok


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

    placeable = reason < 0
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
    same_level = cases.assigned_level == cases.level
    keep = has_staff & (status == 0) & same_level & still_ok
    why = np.full(n, R["new"], dtype=np.int64)
    why[internal & (cases.staff == -2)] = R["assignee_left"]
    why[has_staff & ~still_ok] = R["assignee_ineligible"]
    why[has_staff & ~same_level] = R["level_changed"]
    why[has_staff & (status == 1)] = R["assignee_unavailable"]
    why[has_staff & (status == 2)] = R["assignee_left"]
    # A recall reason (set above) outranks the generic ones.
    why = np.where(recall_why >= 0, recall_why, why)

    room = np.maximum(staff.capacity - staff.load, 0)
    kept_idx = np.flatnonzero(keep)
    # Over capacity (capacity cut): keep the oldest cases (lowest id), rebalance the rest.
    kept_idx = kept_idx[np.lexsort((cases.id[kept_idx], cases.staff[kept_idx]))]
    kept_staff = cases.staff[kept_idx]
    starts = np.r_[0, np.flatnonzero(np.diff(kept_staff)) + 1] if kept_idx.size else kept_idx
    rank = np.arange(kept_idx.size) - np.repeat(starts, np.diff(np.r_[starts, kept_idx.size]))
    over = rank >= room[kept_staff] if kept_idx.size else np.zeros(0, dtype=bool)
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
    for j in sorted(pending_classes.tolist(), key=lambda c: (int(pool_size[c]), c)):
        members = order[(pending & (klass == j))[order]]
        pool = np.flatnonzero(elig[j])
        if pool.size == 0:
            reason[members] = R["unallocatable_no_eligible_staff"]
            continue
        free = np.maximum(staff.capacity[pool] - used[pool], 0)
        total = int(free.sum())
        if total < members.size:
            reason[members[total:]] = R["unallocatable_no_capacity"]
            members = members[:total]
        if members.size == 0:
            continue
        quota = water_fill(used[pool], staff.capacity[pool], members.size)
        rows = deal_by_balance(
            cases.balance[members], balance_load[pool], quota
        )  # positions in pool
        chosen = pool[rows]
        out_staff[members] = chosen
        reason[members] = why[members]
        used[pool] += quota
        np.add.at(balance_load, chosen, cases.balance[members])
    return Allocation(staff=out_staff, contract=out_contract, reason=reason, recall=recall_why)


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


def greedy_baseline(cases: CaseTable, staff: StaffTable, rules: AllocationRules) -> IntArray:
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


def explain(
    code: int,
    level: str,
    rules: AllocationRules,
    *,
    language: str | None = None,
    region: str | None = None,
) -> str:
    """One sentence a team lead can read next to the assignment."""
    grades = ", ".join(rules.level_grades.get(level, ())) or "agencies only"
    name = REASONS[code]
    pool = f"{level} work ({grades})"
    if rules.match_language and language:
        pool += f", language {language}"
    if rules.match_region and region:
        pool += f", region {region}"
    texts = {
        "kept": "stays with the same collector (continuity)",
        "new": f"new case; {pool}; least loaded by count then balance",
        "level_changed": f"level changed; {pool}; least loaded",
        "assignee_left": f"collector left; {pool}; least loaded",
        "assignee_unavailable": f"collector on leave; {pool}; least loaded",
        "assignee_ineligible": f"collector no longer eligible; {pool}; least loaded",
        "rebalanced": f"collector over capacity; {pool}; least loaded",
        "placed": "bucket and level accepted by an active agency contract",
        "placement_kept": "stays with the agency (no recall rule applies)",
        "recalled_on_cure": f"recalled from the agency: account cured; {pool}",
        "recalled_contract_end": f"recalled from the agency: contract ended; {pool}",
        "recalled_after_days": f"recalled from the agency after the contract's days; {pool}",
        "unallocatable_no_eligible_staff": f"nobody may take {pool}",
        "unallocatable_no_capacity": f"everyone who may take {pool} is at capacity",
    }
    return texts[name]
