"""Training and mentoring rules: pass marks, level gates, and picking a mentor (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.workforce.allocation import STAFF_LEVELS, Grade


class Course(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    pass_score: Decimal = Field(ge=0, le=100)


class Mentoring(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mentor_grades: tuple[Grade, ...] = ("senior_collection_specialist",)
    max_mentees: int = Field(3, ge=1)
    mentee_grades: tuple[Grade, ...] = ("collection_officer",)


class TrainingPolicy(BaseModel):
    """The catalogue and the gates (``workforce/policies/training.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    courses: dict[str, Course]
    gates: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    mentoring: Mentoring = Mentoring()

    @model_validator(mode="after")
    def _gates_name_known_things(self) -> TrainingPolicy:
        for level, courses in self.gates.items():
            if level not in STAFF_LEVELS:
                raise ValueError(f"gates.{level}: unknown level (one of {STAFF_LEVELS})")
            unknown = [c for c in courses if c not in self.courses]
            if unknown:
                raise ValueError(f"gates.{level}: unknown courses {unknown}")
        return self

    def course(self, code: str) -> Course:
        if code not in self.courses:
            raise KeyError(code)
        return self.courses[code]

    def passes(self, code: str, score: Decimal) -> bool:
        return score >= self.course(code).pass_score


def trained_levels(passed: Iterable[str], policy: TrainingPolicy) -> frozenset[str]:
    """The levels whose gates every passed course opens (ungated levels are always open)."""
    done = set(passed)
    return frozenset(level for level in STAFF_LEVELS if set(policy.gates.get(level, ())) <= done)


def missing_for(level: str, passed: Iterable[str], policy: TrainingPolicy) -> list[str]:
    """Courses still to pass before ``level`` opens, in the policy's order."""
    done = set(passed)
    return [c for c in policy.gates.get(level, ()) if c not in done]


@dataclass(frozen=True)
class MentorCandidate:
    id: int
    grade: str
    mentees: int
    active: bool = True


def pick_mentor(
    candidates: Sequence[MentorCandidate], policy: TrainingPolicy, *, exclude: int | None = None
) -> int | None:
    """The least-loaded eligible mentor with room (ties: lowest id); None if all are full."""
    rules = policy.mentoring
    open_seats = [
        c
        for c in candidates
        if c.active
        and c.grade in rules.mentor_grades
        and c.mentees < rules.max_mentees
        and c.id != exclude
    ]
    if not open_seats:
        return None
    return min(open_seats, key=lambda c: (c.mentees, c.id)).id
