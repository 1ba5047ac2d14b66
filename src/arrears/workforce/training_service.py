"""Training records: course results and where each person stands against the level gates.
Keyword-only, flush never commit, return schemas; every change audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.dates import not_after_today
from arrears.kit.errors import BadInput, Conflict, NotFound
from arrears.workforce import allocation as al
from arrears.workforce import repository as repo
from arrears.workforce import schemas
from arrears.workforce.models import TrainingCompletion
from arrears.workforce.policies import training_policy
from arrears.workforce.training import missing_for, trained_levels

ACTOR = "system"


def record_completion(
    *, session: Session, data: schemas.CompletionCreate, actor: str = ACTOR
) -> schemas.Completion:
    policy = training_policy()
    if data.course not in policy.courses:
        raise BadInput(f"course: unknown {data.course!r}; one of {sorted(policy.courses)}")
    member = repo.staff_by_code(session, data.staff)
    if member is None:
        raise NotFound(f"no staff member {data.staff!r}")
    not_after_today(data.completed_on, "completed_on", refusal=BadInput)
    if data.completed_on < member.hire_date:
        raise BadInput(
            f"completed_on: {data.completed_on} is before {member.code}'s hire date "
            f"({member.hire_date})"
        )
    passed = policy.passes(data.course, data.score)
    row = TrainingCompletion(
        staff_id=member.id,
        course=data.course,
        completed_on=data.completed_on,
        score=data.score,
        passed=passed,
        recorded_at=clock.now(),
    )
    session.add(row)
    try:
        session.flush()
    except Exception as exc:  # the unique constraint: same course, same day
        raise Conflict(
            f"{data.staff} already has a {data.course} result on {data.completed_on}"
        ) from exc
    audit.record(
        session,
        actor=actor,
        action="training.completion",
        entity="staff",
        entity_id=member.id,
        after={"course": data.course, "score": str(data.score), "passed": passed},
    )
    levels = trained_levels(repo.passed_courses(session, member.id).get(member.id, set()), policy)
    return schemas.Completion(
        staff=member.code,
        course=data.course,
        score=data.score,
        passed=passed,
        completed_on=data.completed_on,
        trained_levels=sorted(levels, key=al.STAFF_LEVELS.index),
    )


def training_status(*, session: Session, code: str) -> schemas.TrainingStatus:
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    policy = training_policy()
    passed = repo.passed_courses(session, member.id).get(member.id, set())
    mentor = repo.staff_by_id(session, member.mentor_id) if member.mentor_id else None
    return schemas.TrainingStatus(
        staff=member.code,
        name=member.name,
        passed=sorted(passed),
        trained_levels=sorted(trained_levels(passed, policy), key=al.STAFF_LEVELS.index),
        next_gates={
            level: missing
            for level in al.STAFF_LEVELS
            if (missing := missing_for(level, passed, policy))
        },
        mentor=mentor.code if mentor else None,
    )
