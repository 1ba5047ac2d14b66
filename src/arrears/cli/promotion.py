"""`arrears promotion`: Promotion eligibility, criterion by criterion."""

from __future__ import annotations

import typer

from arrears.cli import _workforce as w
from arrears.cli import output
from arrears.cli.output import console, print_json

app = typer.Typer(help="Promotion: eligibility explained.", no_args_is_help=True)


@app.command()
def report(
    as_of: str | None = typer.Option(None, "--as-of", help="Report date (default today)."),
    track: str | None = typer.Option(None, "--track"),
    policy: str = typer.Option("promotion", "--policy", help="Criteria: name or path."),
    only_eligible: bool = typer.Option(False, "--eligible", help="Only those who qualify."),
    as_json: bool = w.JSON,
) -> None:
    """Who qualifies for senior specialist and for the establishment, and why (not)."""
    from arrears.kit.clock import clock
    from arrears.kit.db import unit_of_work
    from arrears.workforce import performance_service

    day = w.day(as_of, "--as-of") or clock.today()
    with unit_of_work() as session:
        rows = performance_service.promotion_report(
            session=session, as_of=day, track=track, policy=policy
        )
    if only_eligible:
        rows = [r for r in rows if r.eligible]
    if as_json:
        print_json(rows)
        return
    table = output.table(title=f"promotion report {day}")
    for column in ("track", "staff", "name", "status", "criteria"):
        table.add_column(column)
    for r in rows:
        detail = "; ".join(
            f"{'✓' if c.met else '✗'} {c.name}: {c.actual} (need {c.required})" for c in r.criteria
        )
        colour = "green" if r.eligible else "yellow"
        table.add_row(
            r.track, r.staff_code, r.staff_name, f"[{colour}]{r.summary}[/{colour}]", detail
        )
    console.print(table)
