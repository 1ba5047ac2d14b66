"""The simulated department's people: a roster file (validated) or the default one, sized to the
book, with the hires and the leaver the run goes through. Pure: no store here."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.kit import config_file
from arrears.kit.errors import BadInput

Grade = Literal["collection_officer", "senior_collection_specialist", "team_lead", "manager"]
Employment = Literal["labor_dispatch", "establishment"]
StaffLevel = Literal["junior", "intermediate", "advanced", "legal"]

# Capacity per head the default roster aims at (then spread so the totals fit the book).
OFFICER_TARGET = 120
SENIOR_TARGET = 60
HEADROOM = 1.15  # capacity exceeds the expected open cases by 15%
# The UCI September bucket mix (docs/synth.md): what share of the book sits in each level.
EXPECTED_SHARE = {
    "junior": 0.1229,  # M1
    "intermediate": 0.0889,  # M2
    "advanced": 0.0107,  # M3
    "legal": 0.0025,  # M4
    "outsource": 0.0013,  # M5, M6
    "write_off_review": 0.0009,  # M7+
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Member(_Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str | None = None
    grade: Grade
    employment: Employment = "labor_dispatch"
    levels: list[StaffLevel] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["zh-CN"])
    capacity: int = Field(ge=0, le=100_000)
    # Days before the first simulated day the person was hired (veterans) ...
    hired_days_before_start: int = Field(default=365, ge=0)
    # ... and the courses passed (default: every course, on hire + 14 days).
    courses: list[str] | None = None


class Hire(Member):
    """Someone who joins during the run: entered ``entered_days_before`` their first day."""

    hired_days_before_start: int = 0
    day: int = Field(ge=0, description="Simulated day (0 = the start) of the first day at work.")
    entered_days_before: int = Field(default=7, ge=0)


class Leaver(_Strict):
    code: str
    day: int = Field(ge=0)


class AgencyTier(_Strict):
    """A marginal commission tier: ``pct`` on the month's recovery from the previous tier's
    ``up_to`` to this one's (None: open). The first tier's ``pct`` is ``commission_pct``."""

    up_to: Decimal | None = Field(default=None, gt=0)
    pct: Decimal = Field(ge=0, le=100)


class AgencyPlan(_Strict):
    code: str = "AG01"
    name: str = "Simulated collection agency"
    buckets: list[str] = Field(default_factory=lambda: ["M4", "M5", "M6", "M7+"])
    levels: list[str] = Field(default_factory=lambda: ["outsource"])
    commission_pct: float = Field(default=18.0, ge=0, le=100)
    recall_after_days: int | None = 90
    # The rest of the contract (docs/simulation.md, "The agency"): marginal tiers (none: one
    # rate), a monthly cap, the exchange files' fields and masking; the product validates them.
    tiers: list[AgencyTier] = Field(default_factory=list)
    cap: Decimal | None = Field(default=None, gt=0)
    exchange_fields: list[str] | None = None
    masked_fields: list[str] = Field(default_factory=list)
    # How the simulated agency works its placed cases: calls per case per day, and the share of
    # the payments it collects that the card system takes back (returned transfers) 3-20 days on.
    call_rate: float = Field(default=0.35, ge=0, le=1)
    reversal_share: float = Field(default=0.03, ge=0, le=1)


class Roster(_Strict):
    team: str = "T01"
    members: list[Member] = Field(min_length=1)
    agency: AgencyPlan | None = None
    hires: list[Hire] = Field(default_factory=list)
    leavers: list[Leaver] = Field(default_factory=list)

    @model_validator(mode="after")
    def _codes(self) -> Roster:
        codes = [m.code for m in self.members] + [h.code for h in self.hires]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"duplicate staff codes: {', '.join(dupes)}")
        unknown = [lv.code for lv in self.leavers if lv.code not in codes]
        if unknown:
            raise ValueError(f"leavers not on the roster: {', '.join(unknown)}")
        return self


STAFF_LEVELS = ("junior", "intermediate", "advanced", "legal")


def may_work(
    grade: str, levels: Iterable[str], level: str, level_grades: Mapping[str, Iterable[str]]
) -> bool:
    """Whether a person of ``grade`` cleared for ``levels`` may work cases at ``level``: the
    allocation policy's grades for the level, and for a staff level the person's own clearance."""
    if grade not in level_grades.get(level, ()):
        return False
    return level not in STAFF_LEVELS or level in levels


def check_levels(roster: Roster, level_grades: dict[str, list[str]]) -> None:
    """Refuse a roster that leaves a case level nobody may work (``BadInput``, one line)."""
    people = roster.members
    for level, grades in level_grades.items():
        if not grades:  # agencies only
            covered = roster.agency is not None and level in roster.agency.levels
        else:
            covered = any(may_work(m.grade, m.levels, level, level_grades) for m in people)
        if not covered:
            who = " or ".join(grades) if grades else "an agency contract"
            raise BadInput(f"--roster: nobody for level {level} (needs {who} cleared for it)")


def load_agency(path: Path) -> AgencyPlan:
    """An agency contract YAML file (the roster's ``agency`` section alone); ``BadInput``."""
    if not path.is_file():
        raise BadInput(f"--agency: no file {path}")
    raw = config_file.read(path, "--agency")
    return config_file.parse(AgencyPlan, raw, source=f"--agency {path.name}")


def load_roster(path: Path) -> Roster:
    """A roster YAML file; unknown file or a bad field is ``BadInput`` with one line."""
    if not path.is_file():
        raise BadInput(f"--roster: no file {path}")
    raw = config_file.read(path, "--roster")
    return config_file.parse(Roster, raw, source=f"--roster {path.name}")


def expected_open(accounts: int) -> dict[str, float]:
    """The open cases per level a book of ``accounts`` holds in steady state (UCI mix)."""
    return {level: share * accounts for level, share in EXPECTED_SHARE.items()}


def after_first_night(accounts: int) -> dict[str, float]:
    """The open cases per level from the first night on: the synth book reports every delinquent
    account at exactly 30 x k days past due on its as-of day (docs/simulation.md, "Known
    artefacts"), so the first night rolls each one bucket up (M1 to intermediate, M2 to advanced,
    M3 to legal, M4 to the agency). New M1 cases come later, from statements; write-off review
    keeps its share (the M6 part of ``outsource`` is not known apart; the lead's minimum covers it).
    """
    day0 = expected_open(accounts)
    return {
        "junior": 0.0,
        "intermediate": day0["junior"],
        "advanced": day0["intermediate"],
        "legal": day0["advanced"],
        "outsource": day0["legal"] + day0["outsource"],
        "write_off_review": day0["write_off_review"],
    }


def peak_open(accounts: int, levels: tuple[str, ...]) -> float:
    """The open cases at ``levels`` (one kind of people's work) at their peak: on the first day
    (the UCI mix) or from the first night on (one bucket up), whichever holds more."""
    return max(
        sum(mix[lv] for lv in levels)
        for mix in (expected_open(accounts), after_first_night(accounts))
    )


def default_roster(*, accounts: int, days: int, seed: int) -> Roster:
    """Officers, seniors, a lead and one agency, with capacity 10-20% above the expected open
    cases of each kind at its peak (``peak_open``); two officers hired during the run and one
    leaving."""
    rng = random.Random(seed)
    officer_need = peak_open(accounts, ("junior", "intermediate")) * HEADROOM
    officers = max(3, math.ceil(officer_need / OFFICER_TARGET))
    officer_capacity = max(math.ceil(officer_need / officers), 1)
    senior_need = peak_open(accounts, ("advanced", "legal")) * HEADROOM
    seniors = max(2, math.ceil(senior_need / SENIOR_TARGET))
    senior_capacity = max(math.ceil(senior_need / seniors), 5)
    lead_capacity = max(math.ceil(peak_open(accounts, ("write_off_review",)) * HEADROOM), 5)
    members = [
        Member(
            code="L01",
            grade="team_lead",
            employment="establishment",
            levels=["junior", "intermediate", "advanced", "legal"],
            capacity=lead_capacity,
            hired_days_before_start=rng.randint(2000, 4000),
        )
    ]
    members += [
        Member(
            code=f"S{i + 1:02d}",
            grade="senior_collection_specialist",
            employment="establishment",
            levels=["junior", "intermediate", "advanced", "legal"],
            capacity=senior_capacity,
            hired_days_before_start=rng.randint(1100, 3600),
        )
        for i in range(seniors)
    ]
    members += [
        Member(
            code=f"O{i + 1:02d}",
            grade="collection_officer",
            employment="labor_dispatch" if i % 4 else "establishment",
            levels=["junior", "intermediate"],
            capacity=officer_capacity,
            hired_days_before_start=rng.randint(200, 1500),
        )
        for i in range(officers)
    ]
    junior_gate = ["credit_education", "three_stops"]
    hires = [
        Hire(
            code=f"N{i + 1:02d}",
            grade="collection_officer",
            levels=["junior", "intermediate"],
            capacity=officer_capacity,
            day=max(1, round(days * share)),
            entered_days_before=7,
            courses=junior_gate,
        )
        for i, share in enumerate((0.25, 0.5))
    ]
    leavers = [Leaver(code=f"O{officers:02d}", day=max(1, round(days * 2 / 3)))]
    return Roster(members=members, agency=AgencyPlan(), hires=hires, leavers=leavers)
