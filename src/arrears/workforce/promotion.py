"""Promotion eligibility: each person, each track, criterion by criterion (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from arrears.kit.money import ZERO, fmt
from arrears.workforce.allocation import Grade
from arrears.workforce.compensation import EmploymentType
from arrears.workforce.metrics import MonthMetrics


class Criteria(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_tenure_months: int | None = Field(None, ge=0)
    window_months: int = Field(12, ge=1, le=60)
    min_recovered: Decimal | None = Field(None, ge=0)
    min_promise_kept_rate: Decimal | None = Field(None, ge=0, le=1)
    max_blocked_attempts: int | None = Field(None, ge=0)
    max_overrides: int | None = Field(None, ge=0)
    max_complaints: int | None = Field(None, ge=0)
    max_violations: int | None = Field(None, ge=0)
    min_qa_score: Decimal | None = Field(None, ge=0, le=100)
    required_courses: tuple[str, ...] = ()


class Track(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    from_grades: tuple[Grade, ...] | None = None
    from_employment: tuple[EmploymentType, ...] | None = None
    criteria: Criteria


class PromotionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tracks: dict[str, Track] = Field(min_length=1)


class Candidate(BaseModel):
    id: int
    code: str
    name: str
    grade: Grade
    employment_type: EmploymentType
    hire_date: date
    passed_courses: frozenset[str] = frozenset()


class CriterionResult(BaseModel):
    name: str
    required: str
    actual: str
    met: bool


class TrackResult(BaseModel):
    staff_id: int
    staff_code: str
    staff_name: str
    track: str
    eligible: bool
    criteria: list[CriterionResult]
    summary: str


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def window(as_of: date, months: int) -> tuple[date, date]:
    """The ``months`` full months before ``as_of``'s month: [first, last_exclusive)."""
    end = as_of.replace(day=1)
    index = end.year * 12 + end.month - 1 - months
    return date(index // 12, index % 12 + 1, 1), end


def evaluate(
    candidate: Candidate,
    track_code: str,
    track: Track,
    metrics: Iterable[MonthMetrics],
    *,
    as_of: date,
) -> TrackResult:
    """Check every configured criterion and say which are met and which are not."""
    c = track.criteria
    first, end = window(as_of, c.window_months)
    months = [m for m in metrics if first <= m.month < end]
    results: list[CriterionResult] = []

    def add(name: str, required: str, actual: str, met: bool) -> None:
        results.append(CriterionResult(name=name, required=required, actual=actual, met=met))

    if c.min_tenure_months is not None:
        tenure = months_between(candidate.hire_date, as_of)
        add(
            "tenure",
            f">= {c.min_tenure_months} months",
            f"{tenure} months",
            tenure >= c.min_tenure_months,
        )
    span = f"over {first:%Y-%m}..{end.replace(day=1):%Y-%m} (excl.)"
    if c.min_recovered is not None:
        recovered = sum((m.recovered for m in months), ZERO)
        add(
            "recovery",
            f">= {fmt(c.min_recovered)} {span}",
            fmt(recovered),
            recovered >= c.min_recovered,
        )
    if c.min_promise_kept_rate is not None:
        made = sum(m.promises_made for m in months)
        kept = sum(m.promises_kept for m in months)
        rate = Decimal(kept) / Decimal(made) if made else None
        add(
            "promise-kept rate",
            f">= {c.min_promise_kept_rate * 100:.0f}%",
            f"{rate * 100:.1f}% ({kept}/{made})" if rate is not None else "no promises taken",
            rate is not None and rate >= c.min_promise_kept_rate,
        )
    for name, limit, field in (
        ("blocked attempts", c.max_blocked_attempts, "blocked_attempts"),
        ("overrides", c.max_overrides, "overrides"),
        ("complaints", c.max_complaints, "complaints"),
        ("compliance violations", c.max_violations, "violations"),
    ):
        if limit is not None:
            total = sum(int(getattr(m, field)) for m in months)
            add(name, f"<= {limit}", str(total), total <= limit)
    if c.min_qa_score is not None:
        scores = [m.qa_score for m in months if m.qa_score is not None]
        average = sum(scores, ZERO) / len(scores) if scores else None
        add(
            "QA score",
            f"average >= {c.min_qa_score}",
            f"{average:.1f} over {len(scores)} months" if average is not None else "no QA scores",
            average is not None and average >= c.min_qa_score,
        )
    if c.required_courses:
        missing = [x for x in c.required_courses if x not in candidate.passed_courses]
        add(
            "training",
            "passed: " + ", ".join(c.required_courses),
            "all passed" if not missing else "missing: " + ", ".join(missing),
            not missing,
        )
    failed = [r.name for r in results if not r.met]
    return TrackResult(
        staff_id=candidate.id,
        staff_code=candidate.code,
        staff_name=candidate.name,
        track=track_code,
        eligible=not failed,
        criteria=results,
        summary="eligible" if not failed else "not yet: " + ", ".join(failed),
    )


def applies(track: Track, candidate: Candidate) -> bool:
    if track.from_grades is not None and candidate.grade not in track.from_grades:
        return False
    return track.from_employment is None or candidate.employment_type in track.from_employment


def report(
    candidates: Sequence[Candidate],
    metrics: dict[int, list[MonthMetrics]],
    policy: PromotionPolicy,
    *,
    as_of: date,
    track: str | None = None,
) -> list[TrackResult]:
    """Every candidate on every track that applies to them, eligible first, then by code."""
    out = []
    for code, t in policy.tracks.items():
        if track is not None and code != track:
            continue
        for candidate in candidates:
            if applies(t, candidate):
                out.append(evaluate(candidate, code, t, metrics.get(candidate.id, []), as_of=as_of))
    return sorted(out, key=lambda r: (r.track, not r.eligible, r.staff_code))
