"""What the workforce services take and return (the API and CLI render these)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.kit.schema_types import Body
from arrears.kit.wording import language_tag
from arrears.vocabulary import BUCKETS, LEVELS
from arrears.workforce.allocation import STAFF_LEVELS, Grade
from arrears.workforce.compensation import EmploymentType, PayLine, PayStatement, Tier, check_tiers
from arrears.workforce.exchange import DEFAULT_FIELDS, check_fields
from arrears.workforce.promotion import CriterionResult, TrackResult

__all__ = [
    "Agency",
    "AgencyContract",
    "AgencyContractCreate",
    "AgencyCreate",
    "AllocationSummary",
    "Completion",
    "CompletionCreate",
    "CriterionResult",
    "MentorLoad",
    "MetricMonthCreate",
    "PayLine",
    "PayStatement",
    "ReassignRequest",
    "Reassignment",
    "SeedSummary",
    "Staff",
    "StaffCreate",
    "StaffUpdate",
    "Team",
    "TrackResult",
    "TrainingStatus",
]


class _In(Body):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StaffCreate(_In):
    code: str = Field(min_length=1, max_length=32, description="Employee number.")
    name: str = Field(min_length=1, max_length=120)
    employment_type: EmploymentType
    grade: Grade
    team: str | None = Field(None, description="Team code (created if new).")
    agency: str | None = Field(None, description="Agency code, for agency users only.")
    levels: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["zh-CN"])
    regions: list[str] = Field(default_factory=list)
    capacity: int = Field(ge=0, le=100_000)
    hire_date: date

    @field_validator("levels")
    @classmethod
    def _known_levels(cls, value: list[str]) -> list[str]:
        return known_levels(value)

    @field_validator("languages")
    @classmethod
    def _language_tags(cls, value: list[str]) -> list[str]:
        return language_tags(value)


def known_levels(value: list[str]) -> list[str]:
    unknown = [v for v in value if v not in STAFF_LEVELS]
    if unknown:
        raise ValueError(f"unknown levels {unknown}; expected {list(STAFF_LEVELS)}")
    return sorted(set(value), key=STAFF_LEVELS.index)


def language_tags(value: list[str]) -> list[str]:
    """BCP-47 tags Babel knows (allocation matches cases on them), each once, in the given order."""
    return list(dict.fromkeys(language_tag(v) for v in value))


class StaffUpdate(_In):
    grade: Grade | None = None
    employment_type: EmploymentType | None = None
    team: str | None = None
    levels: list[str] | None = None
    languages: list[str] | None = None
    regions: list[str] | None = None
    capacity: int | None = Field(None, ge=0, le=100_000)
    status: Literal["active", "on_leave"] | None = None

    @field_validator("levels")
    @classmethod
    def _known_levels(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else known_levels(value)

    @field_validator("languages")
    @classmethod
    def _language_tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else language_tags(value)


class Staff(BaseModel):
    id: int
    code: str
    name: str
    employment_type: str
    grade: str
    team: str | None
    agency: str | None
    levels: list[str]
    trained_levels: list[str]
    languages: list[str]
    regions: list[str]
    capacity: int
    open_cases: int
    hire_date: date
    status: str
    left_on: date | None
    mentor: str | None
    version: int


class Team(BaseModel):
    id: int
    code: str
    name: str


class AgencyCreate(_In):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=120)


class Agency(BaseModel):
    id: int
    code: str
    name: str
    status: str
    placements: int
    users: int


class AgencyContractCreate(_In):
    agency: str
    code: str = Field(min_length=1, max_length=32)
    buckets: list[str] = Field(min_length=1)
    levels: list[str] = Field(min_length=1)
    commission_pct: Decimal = Field(ge=0, le=100)
    start_date: date
    end_date: date | None = None
    recall_on_cure: bool = True
    recall_on_contract_end: bool = True
    recall_after_days: int | None = Field(None, gt=0)
    max_placements: int | None = Field(None, ge=0)
    commission_tiers: list[Tier] | None = Field(
        None, min_length=1, description="Marginal tiers (rate 0-1); the first is commission_pct."
    )
    commission_cap: Decimal | None = Field(None, gt=0, description="Monthly cap per contract.")
    exchange_fields: list[str] | None = Field(
        None, description="Fields of the daily exchange files (default: exchange.DEFAULT_FIELDS)."
    )
    masked_fields: list[str] = Field(default_factory=list)

    @field_validator("buckets")
    @classmethod
    def _known_buckets(cls, value: list[str]) -> list[str]:
        return _known(value, BUCKETS, "buckets")

    @field_validator("levels")
    @classmethod
    def _known_case_levels(cls, value: list[str]) -> list[str]:
        return _known(value, LEVELS, "levels")

    @model_validator(mode="after")
    def _consistent(self) -> AgencyContractCreate:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date: before start_date")
        check_fields(self.exchange_fields or DEFAULT_FIELDS, self.masked_fields)
        if self.commission_tiers is not None:
            check_tiers(self.commission_tiers)
            if self.commission_tiers[0].rate * 100 != self.commission_pct:
                raise ValueError("commission_tiers: the first tier's rate is commission_pct")
        return self


def _known(value: list[str], words: tuple[str, ...], what: str) -> list[str]:
    """Words from the vocabulary only (a contract for bucket "M9" would never place a case)."""
    unknown = [v for v in value if v not in words]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; expected {list(words)}")
    return sorted(set(value), key=words.index)


class AgencyContract(BaseModel):
    id: int
    agency: str
    code: str
    buckets: list[str]
    levels: list[str]
    commission_pct: Decimal
    start_date: date
    end_date: date | None
    recall_on_cure: bool
    recall_on_contract_end: bool
    recall_after_days: int | None
    max_placements: int | None
    commission_tiers: list[Tier] | None = None
    commission_cap: Decimal | None = None
    exchange_fields: list[str] = Field(default_factory=list)
    masked_fields: list[str] = Field(default_factory=list)


class AllocationSummary(BaseModel):
    as_of: date
    cases: int
    changed: int
    reasons: dict[str, int]
    assigned_to_staff: int
    placed_with_agencies: int
    unallocatable: int
    unallocatable_examples: list[dict[str, object]]
    unassigned_reasons: dict[int, str] = Field(
        default_factory=dict,
        description="Every case left without a holder: work order id -> reason code.",
    )
    load: dict[str, dict[str, object]] = Field(
        description="Per grade: staff, min/max/mean open cases and balance."
    )


class CompletionCreate(_In):
    staff: str
    course: str
    score: Decimal = Field(ge=0, le=100)
    completed_on: date


class Completion(BaseModel):
    staff: str
    course: str
    score: Decimal
    passed: bool
    completed_on: date
    trained_levels: list[str]


class TrainingStatus(BaseModel):
    staff: str
    name: str
    passed: list[str]
    trained_levels: list[str]
    next_gates: dict[str, list[str]]
    mentor: str | None


class MentorLoad(BaseModel):
    mentor: str
    name: str
    mentees: list[str]
    cap: int


class MetricMonthCreate(_In):
    staff: str
    month: date
    recovered: Decimal = Field(Decimal("0.00"), ge=0, description="Never negative.")
    promises_made: int = Field(0, ge=0)
    promises_kept: int = Field(0, ge=0)
    blocked_attempts: int = Field(0, ge=0)
    overrides: int = Field(0, ge=0)
    complaints: int = Field(0, ge=0)
    violations: int = Field(0, ge=0)
    qa_score: Decimal | None = Field(None, ge=0, le=100)


class SeedSummary(BaseModel):
    agencies: int
    created: int
    skipped: int
    teams: int
    mentors_assigned: int


class ReassignRequest(_In):
    """A team lead moves one case to another collector."""

    to_staff: str = Field(min_length=1, description="Staff code of the new holder.")
    reason: str = Field(min_length=1, max_length=500)


class Reassignment(BaseModel):
    work_order_id: int
    from_staff: str | None
    to_staff: str
    level: str
    reason: str
    assignment_id: int
    to_staff_open_cases: int
    to_staff_capacity: int
