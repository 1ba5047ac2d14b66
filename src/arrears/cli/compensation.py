"""`arrears compensation`: staff pay statements from the bonus plans.

Formerly `arrears pay`, a name a collector reads as a customer's payment; it still works for one
release (``DEPRECATED`` in ``arrears.cli.main``)."""

from __future__ import annotations

import typer

from arrears.cli import _workforce as w
from arrears.cli.output import print_json

app = typer.Typer(
    help="Compensation: staff pay statements from the bonus plans.", no_args_is_help=True
)


@app.command()
def statement(
    staff: str,
    month: str | None = typer.Option(None, "--month", help="YYYY-MM"),
    year: int | None = typer.Option(None, "--year"),
    plan: str = typer.Option("default", "--plan", help="Bonus plan: name or path."),
    as_json: bool = w.JSON,
) -> None:
    """One person's pay for a month or a year, line by line."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import BadInput
    from arrears.workforce import performance_service
    from arrears.workforce.metrics import parse_month

    if (month is None) == (year is None):
        raise BadInput("give --month YYYY-MM or --year YYYY")
    try:
        first = parse_month(month) if month else None
    except ValueError as exc:
        raise BadInput(f"--month: {exc}") from None
    with unit_of_work() as session:
        out = performance_service.pay_statement(
            session=session, code=staff, month=first, year=year, plan=plan
        )
    if as_json:
        print_json(out)
        return
    w.statement_table(
        f"{out.staff_name} · {out.period} · plan {out.plan} ({out.currency})", out.lines, out.total
    )
