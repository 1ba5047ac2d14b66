"""Staff: the roster (add, update, leave, CSV import) and mentoring (who mentors whom).

Mentoring sits with the staff rows because hiring and leaving move mentors: a new officer in
probation gets a mentor from the hire date, a leaver's mentees get new ones, and a mentorship
ends with the probation period (the nightly run) or by command. Keyword-only, flush never commit,
return schemas; every change audited.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from arrears.kit import audit
from arrears.kit.clock import center_today, clock
from arrears.kit.errors import BadInput, Conflict, NotFound, RuleRefused
from arrears.kit.textfile import not_utf8
from arrears.workforce import allocation as al
from arrears.workforce import repository as repo
from arrears.workforce import schemas
from arrears.workforce.models import Staff, Team
from arrears.workforce.policies import allocation_rules, training_policy
from arrears.workforce.training import MentorCandidate, TrainingPolicy, pick_mentor, trained_levels

ACTOR = "system"


def _staff_out(
    session: Session,
    member: Staff,
    *,
    policy: TrainingPolicy | None = None,
    maps: tuple[dict[int, str], dict[int, str], dict[int, str]] | None = None,
    passed: dict[int, set[str]] | None = None,
    open_cases: dict[int, int] | None = None,
) -> schemas.Staff:
    policy = policy or training_policy()
    teams, agencies, codes = maps or repo.code_maps(session)
    passed = passed if passed is not None else repo.passed_courses(session, member.id)
    counts = open_cases if open_cases is not None else repo.open_case_counts(session)
    return schemas.Staff(
        id=member.id,
        code=member.code,
        name=member.name,
        employment_type=member.employment_type,
        grade=member.grade,
        team=teams.get(member.team_id) if member.team_id else None,
        agency=agencies.get(member.agency_id) if member.agency_id else None,
        levels=list(member.levels),
        trained_levels=sorted(
            trained_levels(passed.get(member.id, set()), policy), key=al.STAFF_LEVELS.index
        ),
        languages=list(member.languages),
        regions=list(member.regions),
        capacity=member.capacity,
        open_cases=counts.get(member.id, 0),
        hire_date=member.hire_date,
        status=member.status,
        left_on=member.left_on,
        mentor=codes.get(member.mentor_id) if member.mentor_id else None,
        version=member.version,
    )


def _snapshot(member: Staff) -> dict[str, Any]:
    return {
        "grade": member.grade,
        "employment_type": member.employment_type,
        "team_id": member.team_id,
        "levels": list(member.levels),
        "languages": list(member.languages),
        "regions": list(member.regions),
        "capacity": member.capacity,
        "status": member.status,
        "mentor_id": member.mentor_id,
    }


def _team(session: Session, code: str | None) -> Team | None:
    if not code:
        return None
    team = repo.team_by_code(session, code)
    if team is None:
        team = Team(code=code, name=code, created_at=clock.now())
        session.add(team)
        session.flush()
    return team


def get_staff(*, session: Session, code: str) -> schemas.Staff:
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    return _staff_out(session, member)


def holder_name(*, session: Session, work_order_id: int) -> str | None:
    """Who works the case now, by name: the collector, or the agency it is placed with."""
    live = repo.live_assignment_of(session, work_order_id)
    if live is None:
        return None
    if live.staff_id is not None:
        member = repo.staff_by_id(session, live.staff_id)
        return member.name if member else None
    agency = repo.agency_by_id(session, live.agency_id) if live.agency_id else None
    return agency.name if agency else None


def list_staff(
    *, session: Session, status: str | None = None, grade: str | None = None
) -> list[schemas.Staff]:
    policy = training_policy()
    maps = repo.code_maps(session)
    passed = repo.passed_courses(session)
    counts = repo.open_case_counts(session)
    return [
        _staff_out(session, m, policy=policy, maps=maps, passed=passed, open_cases=counts)
        for m in repo.list_staff(session, status=status, grade=grade)
    ]


def check_hire_date(hire_date: date) -> date:
    """A hire date at most ``probation.entered_ahead_days`` after the center's today (an offer
    signed for next month); later is a typing error (2030), ``BadInput``."""
    ahead = allocation_rules().probation.entered_ahead_days
    latest = center_today() + timedelta(days=ahead)
    if hire_date > latest:
        raise BadInput(
            f"hire_date: {hire_date} is more than {ahead} days after today ({center_today()})"
        )
    return hire_date


def add_staff(
    *, session: Session, data: schemas.StaffCreate, actor: str = ACTOR, mentor: bool = True
) -> schemas.Staff:
    """Add a person; a new hire of a mentee grade gets the least-loaded senior as mentor."""
    check_hire_date(data.hire_date)
    if repo.staff_by_code(session, data.code) is not None:
        raise Conflict(f"staff member {data.code!r} already exists")
    agency_id = None
    if data.employment_type == "agency":
        if not data.agency:
            raise BadInput("agency users need --agency (the agency's code)")
        agency = repo.agency_by_code(session, data.agency)
        if agency is None:
            raise NotFound(f"no agency {data.agency!r}")
        agency_id = agency.id
    elif data.agency:
        raise BadInput("only staff of employment type 'agency' belong to an agency")
    team = _team(session, data.team)
    now = clock.now()
    member = Staff(
        code=data.code,
        name=data.name,
        employment_type=data.employment_type,
        grade=data.grade,
        team_id=team.id if team else None,
        agency_id=agency_id,
        levels=list(data.levels),
        languages=list(data.languages),
        regions=list(data.regions),
        capacity=data.capacity,
        hire_date=data.hire_date,
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.add",
        entity="staff",
        entity_id=member.id,
        after={"code": member.code, **_snapshot(member)},
    )
    policy = training_policy()
    if (
        mentor
        and data.employment_type != "agency"
        and data.grade in policy.mentoring.mentee_grades
        and in_probation(member, center_today())
    ):  # hired before their first day: the nightly run pairs them from the hire date
        pair_with_mentor(session=session, member=member, policy=policy, actor=actor)
    return _staff_out(session, member, policy=policy)


def update_staff(
    *, session: Session, code: str, changes: schemas.StaffUpdate, actor: str = ACTOR
) -> schemas.Staff:
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    if member.status == "left":
        raise BadInput(f"{code} has left; nothing to update")
    before = _snapshot(member)
    # An explicit null only means something for the team (leave it); elsewhere it is "no change".
    fields = {
        k: v
        for k, v in changes.model_dump(exclude_unset=True).items()
        if v is not None or k == "team"
    }
    if "team" in fields:
        team = _team(session, fields.pop("team"))
        member.team_id = team.id if team else None
    for key, value in fields.items():
        setattr(member, key, value)
    member.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.update",
        entity="staff",
        entity_id=member.id,
        before=before,
        after=_snapshot(member),
    )
    return _staff_out(session, member)


def leave(*, session: Session, code: str, on: date, actor: str = ACTOR) -> schemas.Staff:
    """Mark someone as left. Their mentees get new mentors now; their cases move at the next
    allocation run (reason ``assignee_left``)."""
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    if member.status == "left":
        raise BadInput(f"{code} already left on {member.left_on}")
    if on < member.hire_date:
        raise BadInput(f"--on: {on} is before {code}'s hire date ({member.hire_date})")
    before = _snapshot(member)
    member.status = "left"
    member.left_on = on
    member.mentor_id = None
    member.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.leave",
        entity="staff",
        entity_id=member.id,
        before=before,
        after=_snapshot(member),
    )
    policy = training_policy()
    today = center_today()
    for mentee in repo.mentees_of(session, member.id):
        mentee.mentor_id = None
        session.flush()
        if in_probation(mentee, today):
            pair_with_mentor(
                session=session, member=mentee, policy=policy, actor=actor, exclude=member.id
            )
    return _staff_out(session, member, policy=policy)


STAFF_CSV_COLUMNS = (
    "code",
    "name",
    "employment_type",
    "grade",
    "team",
    "agency",
    "levels",
    "languages",
    "regions",
    "capacity",
    "hire_date",
)


def import_staff(*, session: Session, path: Path, actor: str = ACTOR) -> int:
    """Load a roster CSV (list columns separated by ``;``). Any bad row rejects the whole file,
    and the error names the row and the column."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [
                c
                for c in ("code", "name", "employment_type", "grade", "capacity", "hire_date")
                if c not in (reader.fieldnames or [])
            ]
            if missing:
                raise BadInput(f"{path.name}: missing columns {missing}")
            rows = list(reader)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    parsed: list[schemas.StaffCreate] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        raw: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k}
        for key in ("levels", "languages", "regions"):
            if key in raw:
                raw[key] = [v.strip() for v in raw[key].split(";") if v.strip()]
        for key in ("team", "agency"):
            if key in raw and not raw[key]:
                raw[key] = None
        raw = {k: v for k, v in raw.items() if k in STAFF_CSV_COLUMNS}
        try:
            item = schemas.StaffCreate.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            column = ".".join(str(p) for p in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise BadInput(f"{path.name} row {number}, column {column}: {message}") from None
        if item.code in seen:
            raise BadInput(f"{path.name} row {number}, column code: duplicate {item.code!r}")
        try:
            check_hire_date(item.hire_date)
        except BadInput as exc:
            raise BadInput(f"{path.name} row {number}, column {exc.message}") from None
        seen.add(item.code)
        parsed.append(item)
    clash = repo.existing_codes(session, [p.code for p in parsed])
    if clash:
        raise Conflict(f"{path.name}: staff already exist: {', '.join(sorted(clash)[:5])}")
    # Seniors first so that new officers in the same file can be given mentors.
    order = sorted(parsed, key=lambda p: p.grade == "collection_officer")
    for item in order:
        add_staff(session=session, data=item, actor=actor)
    return len(parsed)


# --- mentoring -----------------------------------------------------------------------------------


def pair_with_mentor(
    *,
    session: Session,
    member: Staff,
    policy: TrainingPolicy,
    actor: str,
    exclude: int | None = None,
    day: date | None = None,
    days: int | None = None,
) -> bool:
    """Give ``member`` the least-loaded mentor with a free seat (never ``exclude``); False when
    every mentor is at the cap. Seats count current mentees only (in probation, not left)."""
    counts = current_mentee_counts(session, day or center_today(), days)
    candidates = [
        MentorCandidate(
            id=s.id, grade=s.grade, mentees=counts.get(s.id, 0), active=s.status == "active"
        )
        for s in repo.mentor_candidates(session, policy.mentoring.mentor_grades)
        if s.id != member.id
    ]
    chosen = pick_mentor(candidates, policy, exclude=exclude)
    if chosen is None:
        return False
    member.mentor_id = chosen
    member.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.mentor",
        entity="staff",
        entity_id=member.id,
        after={"mentor_id": chosen},
        reason="least-loaded senior with a free seat",
    )
    return True


def probation_days() -> int:
    """The one probation period: the allocation policy's (``probation.days``)."""
    return allocation_rules().probation_days


def in_probation(member: Staff, day: date, days: int | None = None) -> bool:
    """Active and within the probation period from the hire date on ``day``."""
    days = probation_days() if days is None else days
    return member.status == "active" and al.in_probation(member.hire_date, day, days)


def current_mentee_counts(session: Session, day: date, days: int | None = None) -> dict[int, int]:
    """Mentor id -> mentees still in probation on ``day`` (the cap counts only these)."""
    days = probation_days() if days is None else days
    counts: dict[int, int] = {}
    for row in repo.mentees(session):
        if row.status == "active" and al.in_probation(row.hire_date, day, days):
            counts[row.mentor_id] = counts.get(row.mentor_id, 0) + 1
    return counts


def _end(session: Session, member: Staff, *, actor: str, reason: str) -> None:
    before = member.mentor_id
    member.mentor_id = None
    member.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.mentor_end",
        entity="staff",
        entity_id=member.id,
        before={"mentor_id": before},
        after={"mentor_id": None},
        reason=reason,
    )


def end_mentoring(*, session: Session, code: str, reason: str, actor: str = ACTOR) -> schemas.Staff:
    """End someone's mentorship now (a team lead's decision), audited with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("reason: say why the mentoring ends")
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    if member.mentor_id is None:
        raise RuleRefused(f"{code} has no mentor")
    _end(session, member, actor=actor, reason=reason)
    return _staff_out(session, member, policy=training_policy())


def review_mentorships(
    *,
    session: Session,
    day: date,
    actor: str = ACTOR,
    policy: TrainingPolicy | None = None,
    days: int | None = None,
) -> tuple[int, int]:
    """The nightly step: end the mentorships of people out of probation (or gone) on ``day``,
    then give a mentor to each new hire of a mentee grade in probation who has none and finds a
    free seat (lowest id first). Returns (ended, paired); a second run changes nothing."""
    policy = policy or training_policy()
    days = probation_days() if days is None else days
    ended = paired = 0
    for member in repo.staff_with_mentor(session):
        if not in_probation(member, day, days):
            why = "left" if member.status == "left" else f"probation of {days} days ended"
            _end(session, member, actor=actor, reason=why)
            ended += 1
    for member in repo.mentoring_candidates(session, policy.mentoring.mentee_grades):
        if member.mentor_id is None and in_probation(member, day, days):
            paired += pair_with_mentor(
                session=session, member=member, policy=policy, actor=actor, day=day, days=days
            )
    return ended, paired


def assign_mentor(*, session: Session, code: str, actor: str = ACTOR) -> schemas.Staff:
    """(Re)assign a mentor to someone in probation: mentors go to new hires only."""
    member = repo.staff_by_code(session, code)
    if member is None:
        raise NotFound(f"no staff member {code!r}")
    if not in_probation(member, center_today()):
        raise RuleRefused(
            f"{code} is not in probation (hired {member.hire_date}, probation "
            f"{probation_days()} days): mentors go to new hires only"
        )
    policy = training_policy()
    previous = member.mentor_id
    member.mentor_id = None
    session.flush()
    if not pair_with_mentor(
        session=session, member=member, policy=policy, actor=actor, exclude=previous
    ):
        member.mentor_id = previous
        raise Conflict("every mentor is at the mentee cap")
    return _staff_out(session, member, policy=policy)


def mentor_loads(*, session: Session) -> list[schemas.MentorLoad]:
    policy = training_policy()
    out = []
    for mentor in repo.mentor_candidates(session, policy.mentoring.mentor_grades):
        if mentor.status != "active":
            continue
        today = center_today()
        mentees = [m for m in repo.mentees_of(session, mentor.id) if in_probation(m, today)]
        out.append(
            schemas.MentorLoad(
                mentor=mentor.code,
                name=mentor.name,
                mentees=[m.code for m in mentees],
                cap=policy.mentoring.max_mentees,
            )
        )
    return out
