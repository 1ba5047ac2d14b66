"""`arrears training`: Courses, completions, gates and mentors."""

from __future__ import annotations

import typer

from arrears.cli import _workforce as w
from arrears.cli import identity
from arrears.cli.output import console, print_json

app = typer.Typer(help="Training: courses, completions, gates, mentors.", no_args_is_help=True)


@app.command()
def courses(as_json: bool = w.JSON) -> None:
    """The catalogue, pass marks, and which courses gate which levels."""
    from arrears.workforce import policies

    policy = policies.training_policy()
    rows = [
        {
            "course": code,
            "title": c.title,
            "pass_score": c.pass_score,
            "gates": [lv for lv, need in policy.gates.items() if code in need],
        }
        for code, c in policy.courses.items()
    ]
    w.emit(rows, as_json, ("course", "title", "pass_score", "gates"))


@app.command()
def record(
    staff: str,
    course: str = typer.Option(..., "--course"),
    score: str = typer.Option(..., "--score"),
    on: str = typer.Option(..., "--on", help="Completion date."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Record a course result (pass or fail by the course's pass mark)."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import schemas, training_service

    data = w.build(
        schemas.CompletionCreate,
        staff=staff,
        course=course,
        score=score,
        completed_on=w.required_day(on, "--on"),
    )
    with unit_of_work() as session:
        by = identity.require(session, user, "staff.manage").actor
        out = training_service.record_completion(session=session, data=data, actor=by)
    w.emit(out, as_json, ("staff", "course", "score", "passed", "trained_levels"))


@app.command()
def status(staff: str, as_json: bool = w.JSON) -> None:
    """What someone has passed, which levels are open, what is missing for the rest."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import training_service

    with unit_of_work() as session:
        out = training_service.training_status(session=session, code=staff)
    if as_json:
        print_json(out)
        return
    w.emit(out, False, ("staff", "name", "passed", "trained_levels", "mentor"))
    for level, missing in out.next_gates.items():
        console.print(f"  {level}: needs {', '.join(missing)}")


@app.command()
def mentors(as_json: bool = w.JSON) -> None:
    """Each senior's mentees against the cap."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import staff_service

    with unit_of_work() as session:
        rows = staff_service.mentor_loads(session=session)
    w.emit(rows, as_json, ("mentor", "name", "mentees", "cap"))


@app.command()
def mentor(staff: str, user: identity.AsUser = None, as_json: bool = w.JSON) -> None:
    """(Re)assign a mentor: the least-loaded senior with a free seat."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import staff_service

    with unit_of_work() as session:
        by = identity.require(session, user, "staff.manage").actor
        out = staff_service.assign_mentor(session=session, code=staff, actor=by)
    w.emit(out, as_json, ("code", "name", "mentor"))


@app.command("end-mentoring")
def end_mentoring(
    staff: str,
    reason: str = typer.Option(..., "--reason", help="Why the mentoring ends (audited)."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """End someone's mentoring now (it also ends by itself when probation ends)."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import staff_service

    with unit_of_work() as session:
        by = identity.require(session, user, "staff.manage").actor
        out = staff_service.end_mentoring(session=session, code=staff, reason=reason, actor=by)
    w.emit(out, as_json, ("code", "name", "mentor"))
