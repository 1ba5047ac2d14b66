"""The allocator's columnar tables: cases and staff as numpy columns, strings interned to small
integers, and the eligibility rules evaluated over a whole staff table at once.

:func:`build_tables` turns plain records (or query columns) into :class:`CaseTable` and
:class:`StaffTable`; :func:`effective_level` and :func:`eligibility` are what both the bulk pass
(:mod:`arrears.workforce.allocation_pass`) and the single-case reassignment decide with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from arrears.workforce.allocation import (
    CASE_LEVELS,
    GRADES,
    STAFF_LEVELS,
    STAFF_STATUSES,
    AllocationRules,
    CaseIn,
    ContractIn,
    StaffIn,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
    pinned: list[bool] | None = None  # None: nothing pinned

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
            pinned=[c.pinned for c in cases],
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
    pinned: BoolArray  # stays with its collector (plan, settlement, hold) unless they left
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
    new_hire: BoolArray  # in probation

    def __len__(self) -> int:
        return int(self.id.shape[0])


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
        pinned=flags(c.pinned if c.pinned is not None else [False] * n),
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
        new_hire=np.asarray([s.new_hire for s in staff], dtype=bool).reshape(m),
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
