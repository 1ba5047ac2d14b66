"""Allocation's vocabulary and inputs: grades, levels, reason codes, the rules file, the records
the allocator is given, and the sentence each reason code is explained with.

The allocator itself lives in :mod:`arrears.workforce.allocation_pass` (the order of play is
described there), on the numpy tables of :mod:`arrears.workforce.allocation_tables`. This module
is the bottom of the three: pure data and words, imported by both and by the workforce's other
pure rules (training, promotion, compensation) for the grade and level names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.cases.states import TRANSITIONS

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


class Probation(BaseModel):
    """How new hires are eased in (invariant 6 of issue 13): a capped share of easier cases."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: int = Field(90, ge=0, description="Days from the hire date a person is in probation.")
    entered_ahead_days: int = Field(
        90,
        ge=0,
        description="A hire may be entered at most this many days before the first day (a "
        "signed offer); a later hire date is a typing error.",
    )
    load_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="At most this share of the mean load of the grade's veterans (cases).",
    )
    balance_quantile: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Only cases at or below this quantile of their level's balances "
        "(0.5: the smaller half; never the largest accounts).",
    )
    lowest_level_only: bool = Field(
        True, description="Only the lowest case level the person may work (junior for officers)."
    )


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
    probation: Probation = Probation()

    @property
    def probation_days(self) -> int:
        """The probation period (mentoring and the invariants read it by this name)."""
        return self.probation.days

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
    # An active (or proposed) plan or settlement, or a case on hold: it stays with its collector
    # whatever else changes, unless the collector left.
    pinned: bool = False


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
    new_hire: bool = False  # in probation: a capped share of easier cases


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


def in_probation(hire_date: date, day: date, days: int) -> bool:
    """Hired on or before ``day`` and fewer than ``days`` days before it (the probation period
    of the allocation policy; mentoring uses the same period)."""
    return 0 <= (day - hire_date).days < days


def status_after(status: str, *, to_staff: bool, to_agency: bool) -> str:
    """The case status once allocation has given it a holder (a collector, an agency) or none.

    At most one move, and only one the case state machine (``cases/states.py``) allows; a case
    whose status cannot make the move keeps its status and still gets its holder. So a
    ``promised`` or ``kept`` case placed with an agency stays ``promised`` / ``kept`` (the
    promise's outcome is the truth the collector and the agency need), and a case recalled from
    an agency to a collector goes ``placed -> open`` (back in house); it becomes ``assigned`` on
    the next run. Never undoes a collector's progress (in_progress, promised, escalated ...)."""
    if to_agency:
        wanted = "placed"
    elif to_staff:
        wanted = {"open": "assigned", "placed": "open"}.get(status, status)
    else:
        wanted = "open" if status in ("assigned", "placed") else status
    return wanted if wanted in TRANSITIONS.get(status, frozenset()) else status
