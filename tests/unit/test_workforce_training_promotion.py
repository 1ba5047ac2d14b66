"""Training gates, mentor choice, and the promotion report criterion by criterion."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.kit.config_file import parse
from arrears.kit.errors import BadInput
from arrears.workforce import promotion as pr
from arrears.workforce.metrics import MonthMetrics
from arrears.workforce.policies import load
from arrears.workforce.training import (
    MentorCandidate,
    TrainingPolicy,
    missing_for,
    pick_mentor,
    trained_levels,
)

TRAINING = load(TrainingPolicy, "policies", "training")
PROMOTION = load(pr.PromotionPolicy, "policies", "promotion")
AS_OF = date(2026, 11, 29)
ALL_COURSES = frozenset(TRAINING.courses)


def test_no_intermediate_until_negotiation_and_compliance_are_passed() -> None:
    basics = {"credit_education", "three_stops"}
    assert trained_levels(basics, TRAINING) == {"junior"}
    assert missing_for("intermediate", basics, TRAINING) == ["negotiation", "legal_compliance"]
    assert "intermediate" in trained_levels(basics | {"negotiation", "legal_compliance"}, TRAINING)
    assert trained_levels(set(), TRAINING) == frozenset()
    assert TRAINING.passes("three_stops", Decimal("80"))
    assert not TRAINING.passes("three_stops", Decimal("79.5"))


def test_gates_must_name_known_courses_and_levels() -> None:
    raw = TRAINING.model_dump(mode="json")
    raw["gates"]["junior"] = ["juggling"]
    with pytest.raises(BadInput, match=r"gates\.junior.*juggling"):
        parse(TrainingPolicy, raw)


def test_mentor_is_the_least_loaded_senior_with_room() -> None:
    candidates = [
        MentorCandidate(id=5, grade="senior_collection_specialist", mentees=1),
        MentorCandidate(id=3, grade="senior_collection_specialist", mentees=1),
        MentorCandidate(id=2, grade="senior_collection_specialist", mentees=0, active=False),
        MentorCandidate(id=1, grade="collection_officer", mentees=0),
        MentorCandidate(id=9, grade="senior_collection_specialist", mentees=3),
    ]
    assert pick_mentor(candidates, TRAINING) == 3
    assert pick_mentor(candidates, TRAINING, exclude=3) == 5
    assert pick_mentor(candidates[3:], TRAINING) is None  # the only senior with a seat is full


@given(loads=st.lists(st.integers(0, 5), min_size=1, max_size=12))
def test_mentor_choice_respects_the_cap_and_is_least_loaded(loads: list[int]) -> None:
    candidates = [
        MentorCandidate(id=i, grade="senior_collection_specialist", mentees=n)
        for i, n in enumerate(loads)
    ]
    chosen = pick_mentor(candidates, TRAINING)
    room = [c for c in candidates if c.mentees < TRAINING.mentoring.max_mentees]
    if not room:
        assert chosen is None
    else:
        assert chosen is not None
        assert loads[chosen] == min(c.mentees for c in room)
        assert chosen == min(c.id for c in room if c.mentees == loads[chosen])


def officer(**kw: object) -> pr.Candidate:
    base: dict[str, object] = {
        "id": 1,
        "code": "E001",
        "name": "Li Lei",
        "grade": "collection_officer",
        "employment_type": "labor_dispatch",
        "hire_date": date(2023, 6, 1),
        "passed_courses": ALL_COURSES,
    }
    return pr.Candidate.model_validate({**base, **kw})


def good_year(**kw: object) -> list[MonthMetrics]:
    months = []
    for i in range(12):
        index = 2025 * 12 + 10 + i  # 2025-11 .. 2026-10
        fields: dict[str, object] = {
            "month": date(index // 12, index % 12 + 1, 1),
            "recovered": Decimal("110000.00"),
            "promises_made": 40,
            "promises_kept": 28,
            "blocked_attempts": 1,
            "qa_score": Decimal("88"),
        }
        fields.update(kw)
        months.append(MonthMetrics.model_validate(fields))
    return months


def test_a_strong_officer_is_eligible_on_both_tracks() -> None:
    results = pr.report([officer()], {1: good_year()}, PROMOTION, as_of=AS_OF)
    assert {r.track: r.eligible for r in results} == {
        "officer_to_senior": True,
        "dispatch_to_establishment": True,
    }
    senior = next(r for r in results if r.track == "officer_to_senior")
    by_name = {c.name: c for c in senior.criteria}
    assert by_name["recovery"].actual == "1320000.00"
    assert by_name["promise-kept rate"].actual == "70.0% (336/480)"
    assert by_name["tenure"].actual == "41 months"
    assert by_name["blocked attempts"].actual == "12"


def test_the_report_explains_each_failed_criterion() -> None:
    metrics = good_year(complaints=1, qa_score=Decimal("84"))
    metrics[3] = metrics[3].model_copy(update={"violations": 1})
    candidate = officer(hire_date=date(2025, 2, 1), passed_courses=ALL_COURSES - {"negotiation"})
    [result] = pr.report(
        [candidate], {1: metrics}, PROMOTION, as_of=AS_OF, track="officer_to_senior"
    )
    failed = {c.name: c for c in result.criteria if not c.met}
    assert set(failed) == {"tenure", "complaints", "compliance violations", "QA score", "training"}
    assert failed["complaints"].actual == "12"
    assert failed["training"].actual == "missing: negotiation"
    assert result.summary.startswith("not yet: tenure")
    assert not result.eligible


def test_metrics_outside_the_window_do_not_count() -> None:
    old = [
        m.model_copy(update={"month": m.month.replace(year=m.month.year - 2)}) for m in good_year()
    ]
    [result] = pr.report([officer()], {1: old}, PROMOTION, as_of=AS_OF, track="officer_to_senior")
    by_name = {c.name: c for c in result.criteria}
    assert by_name["recovery"].actual == "0.00"
    assert by_name["promise-kept rate"].actual == "no promises taken"
    assert not result.eligible


def test_tracks_apply_by_grade_and_employment() -> None:
    senior = officer(grade="senior_collection_specialist", employment_type="establishment")
    assert pr.report([senior], {}, PROMOTION, as_of=AS_OF) == []
    dispatched_senior = officer(grade="senior_collection_specialist")
    assert [r.track for r in pr.report([dispatched_senior], {}, PROMOTION, as_of=AS_OF)] == [
        "dispatch_to_establishment"
    ]
