"""`arrears staff`: Staff: officers, specialists, leads."""

from __future__ import annotations

from pathlib import Path

import typer

from arrears.cli import _workforce as w
from arrears.cli import identity
from arrears.cli.output import console

app = typer.Typer(help="Staff: officers, specialists, leads.", no_args_is_help=True)

COLUMNS = (
    "code",
    "name",
    "grade",
    "employment_type",
    "team",
    "levels",
    "trained_levels",
    "capacity",
    "open_cases",
    "status",
    "mentor",
)


@app.command()
def add(
    code: str = typer.Argument(..., help="Employee number."),
    name: str = typer.Option(..., "--name"),
    grade: str = typer.Option(
        ..., "--grade", help="collection_officer, senior_collection_specialist, team_lead, manager."
    ),
    employment: str = typer.Option(
        ..., "--employment", help="labor_dispatch, establishment or agency."
    ),
    capacity: int = typer.Option(..., "--capacity", help="Maximum open cases."),
    hire_date: str = typer.Option(..., "--hire-date"),
    team: str | None = typer.Option(None, "--team"),
    agency: str | None = typer.Option(None, "--agency", help="Agency code (agency users)."),
    levels: str = typer.Option("", "--levels", help="Comma list: junior,intermediate,..."),
    languages: str = typer.Option("zh-CN", "--languages"),
    regions: str = typer.Option("", "--regions"),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Add a staff member (a new officer gets a senior mentor automatically)."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import schemas, staff_service

    data = w.build(
        schemas.StaffCreate,
        code=code,
        name=name,
        grade=grade,
        employment_type=employment,
        capacity=capacity,
        hire_date=w.required_day(hire_date, "--hire-date"),
        team=team,
        agency=agency,
        levels=w.split(levels),
        languages=w.split(languages),
        regions=w.split(regions),
    )
    with unit_of_work() as session:
        by = identity.require(session, user, "staff.manage").actor
        out = staff_service.add_staff(session=session, data=data, actor=by)
    w.emit(out, as_json, COLUMNS)


@app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status"),
    grade: str | None = typer.Option(None, "--grade"),
    as_json: bool = w.JSON,
) -> None:
    """The roster with trained levels and open cases."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import staff_service

    with unit_of_work() as session:
        rows = staff_service.list_staff(session=session, status=status, grade=grade)
    w.emit(rows, as_json, COLUMNS, title=f"{len(rows)} staff")


@app.command()
def show(code: str, as_json: bool = w.JSON) -> None:
    """One staff member."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import staff_service

    with unit_of_work() as session:
        out = staff_service.get_staff(session=session, code=code)
    w.emit(out, as_json, COLUMNS)


@app.command()
def update(
    code: str,
    capacity: int | None = typer.Option(None, "--capacity"),
    grade: str | None = typer.Option(None, "--grade"),
    employment: str | None = typer.Option(None, "--employment"),
    team: str | None = typer.Option(None, "--team"),
    levels: str | None = typer.Option(None, "--levels"),
    languages: str | None = typer.Option(None, "--languages"),
    regions: str | None = typer.Option(None, "--regions"),
    status: str | None = typer.Option(None, "--status", help="active or on_leave."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Change capacity, grade, levels, ...; the next allocation rebalances."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import schemas, staff_service

    changes = w.build(
        schemas.StaffUpdate,
        capacity=capacity,
        grade=grade,
        employment_type=employment,
        team=team,
        levels=w.split(levels) if levels is not None else None,
        languages=w.split(languages) if languages is not None else None,
        regions=w.split(regions) if regions is not None else None,
        status=status,
    )
    with unit_of_work() as session:
        by = identity.require(session, user, "staff.manage").actor
        out = staff_service.update_staff(session=session, code=code, changes=changes, actor=by)
    w.emit(out, as_json, COLUMNS)


@app.command()
def leave(
    code: str,
    on: str = typer.Option(..., "--on", help="Last day (YYYY-MM-DD)."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Record that someone left; mentees get new mentors, cases move at the next allocation."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import staff_service

    with unit_of_work() as session:
        by = identity.require(session, user, "staff.manage").actor
        out = staff_service.leave(
            session=session, code=code, on=w.required_day(on, "--on"), actor=by
        )
    w.emit(out, as_json, COLUMNS)
    if not as_json and out.open_cases:
        console.print(f"{out.open_cases} open cases move at the next `arrears allocate`.")


@app.command("import")
def import_(
    path: Path = typer.Argument(
        ...,
        help="CSV: code,name,employment_type,grade,team,agency,levels,languages,regions,"
        "capacity,hire_date (lists with ;).",
    ),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Load a roster CSV; one bad row rejects the file (row and column named)."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import staff_service

    with unit_of_work() as session:
        by = identity.actor(identity.optional(session, user, "staff.manage"))
        count = staff_service.import_staff(session=session, path=path, actor=by)
    w.emit({"imported": count}, as_json, ("imported",))


@app.command()
def seed(
    officers: int = typer.Option(40, "--officers", min=0),
    seniors: int = typer.Option(8, "--seniors", min=0),
    leads: int = typer.Option(2, "--leads", min=0),
    seed: int = typer.Option(7, "--seed"),
    agencies: int = typer.Option(1, "--agencies", min=0, help="Demo agencies with a contract."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """A deterministic demo roster with teams, training records and mentors (idempotent)."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import demo_roster

    with unit_of_work() as session:
        by = identity.actor(identity.optional(session, user, "staff.manage"))
        out = demo_roster.seed_roster(
            session=session,
            officers=officers,
            seniors=seniors,
            leads=leads,
            seed=seed,
            agencies=agencies,
            actor=by,
        )
    w.emit(out, as_json, ("created", "skipped", "teams", "mentors_assigned", "agencies"))


@app.command()
def metrics(
    path: Path = typer.Argument(
        ...,
        help="CSV: staff,month,recovered,promises_made,promises_kept,blocked_attempts,"
        "overrides,complaints,violations,qa_score.",
    ),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Load monthly performance records (pay and promotion read them); all rows or none."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import performance_service

    with unit_of_work() as session:
        by = identity.actor(identity.optional(session, user, "staff.manage"))
        count = performance_service.import_metrics(session=session, path=path, actor=by)
    w.emit({"months": count}, as_json, ("months",))


@app.command("metrics-derive")
def metrics_derive(
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Derive recovered, promises and blocked/overridden attempts per collector from the
    workbench for a month (complaints, violations and QA stay as loaded)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import BadInput
    from arrears.workforce import performance_service
    from arrears.workforce.metrics import parse_month

    try:
        first = parse_month(month)
    except ValueError as exc:
        raise BadInput(f"--month: {exc}") from None
    with unit_of_work() as session:
        by = identity.actor(identity.optional(session, user, "staff.manage"))
        count = performance_service.derive_metrics(session=session, month=first, actor=by)
    w.emit({"staff_months": count}, as_json, ("staff_months",))
