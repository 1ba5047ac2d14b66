"""The one CLI entry point: ``arrears GROUP COMMAND``. Expected errors never show a traceback."""

from __future__ import annotations

import sys

import click
import typer

from arrears.cli import (
    account,
    agencies,
    allocate,
    cases,
    compliance,
    cycle,
    db,
    demo,
    imports,
    model,
    pay,
    portfolio,
    promotion,
    report,
    serve,
    staff,
    training,
)
from arrears.cli.output import err_console
from arrears.kit.errors import ArrearsError

app = typer.Typer(
    name="arrears",
    help="arrears: the collections platform of a credit-card center.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(imports.app, name="import")
app.add_typer(portfolio.app, name="portfolio")
app.add_typer(account.app, name="account")
app.add_typer(cycle.app, name="cycle")
app.add_typer(compliance.app, name="compliance")
app.add_typer(cases.app, name="cases")
app.add_typer(staff.app, name="staff")
app.add_typer(agencies.app, name="agencies")
app.add_typer(allocate.app, name="allocate")
app.add_typer(training.app, name="training")
app.add_typer(pay.app, name="pay")
app.add_typer(promotion.app, name="promotion")
app.add_typer(report.app, name="report")
app.add_typer(model.app, name="model")
app.add_typer(serve.app, name="serve")
app.add_typer(demo.app, name="demo")


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; map expected errors to a one-line message and an exit code."""
    try:
        result = app(args=argv, standalone_mode=False)
    except ArrearsError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc.message}")
        return _exit(exc.exit_code, argv)
    except click.exceptions.Abort:
        err_console.print("aborted")
        return _exit(130, argv)
    except click.ClickException as exc:
        exc.show()
        return _exit(exc.exit_code, argv)
    except click.exceptions.Exit as exc:
        return _exit(exc.exit_code, argv)
    return _exit(result if isinstance(result, int) else 0, argv)


def _exit(code: int, argv: list[str] | None) -> int:
    # Called as a console script (argv None): exit the process. Called from tests: return.
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    run()
