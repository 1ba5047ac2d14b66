"""``arrears demo``: the whole main job on embedded defaults, then the workbench.

It runs the same commands an operator would, in order, so the demo exercises the real paths:
set up the store → generate a portfolio → import it → summarise → run the cycle → allocate →
create one demo user per role → serve.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import typer

from arrears.cli import output
from arrears.cli.output import console
from arrears.kit.clock import clock
from arrears.kit.errors import ArrearsError

app = typer.Typer(help="Run the main job on a generated portfolio and serve the workbench.")


def _step(title: str, argv: list[str], runner: Callable[[list[str]], int]) -> None:
    console.rule(f"[bold]{title}[/bold]  [dim]arrears {' '.join(argv)}[/dim]")
    code = runner(argv)
    if code != 0:
        raise ArrearsError(f"demo step failed: arrears {' '.join(argv)} (exit {code})")


@app.callback(invoke_without_command=True)
def demo(
    accounts: int = typer.Option(5000, help="How many accounts to generate."),
    seed: int = typer.Option(7, help="Seed of the generated portfolio."),
    workdir: Path = typer.Option(
        Path("var/demo"), help="Where the demo writes its generated extract."
    ),
    as_of: str = typer.Option("", help="As-of date of the cycle (default: today)."),
    serve: bool = typer.Option(True, help="Serve the workbench at the end."),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """Set up SQLite + DuckDB, generate and import a portfolio, run the cycle, allocate, serve."""
    from arrears.cli.main import run
    from arrears.config import get_settings

    # The store and warehouse are the configured ones (embedded defaults: ./var/arrears.db and
    # ./var/warehouse.duckdb), so every `arrears ...` command afterwards sees the demo's data.
    workdir.mkdir(parents=True, exist_ok=True)
    # The demo customer can pay in the portal through the built-in sandbox checkout (no money
    # moves) unless the operator chose a provider.
    if "ARREARS_PAYMENTS_PROVIDER" not in os.environ:
        os.environ["ARREARS_PAYMENTS_PROVIDER"] = "sandbox"
        get_settings.cache_clear()
    settings = get_settings()
    console.print(f"store: {settings.database_url}   warehouse: {settings.warehouse}")
    day = date.fromisoformat(as_of) if as_of else clock.today()
    extract = workdir / "extract"

    _step("1. operational store", ["db", "upgrade"], run)
    _step(
        "2. generate a portfolio",
        [
            "portfolio",
            "synth",
            "--accounts",
            str(accounts),
            "--seed",
            str(seed),
            "--as-of",
            day.isoformat(),
            "--out",
            str(extract),
        ],
        run,
    )
    _step("3. import it", ["import", "portfolio", str(extract)], run)
    _step("4. portfolio summary", ["portfolio", "summary", "--as-of", day.isoformat()], run)
    _step("5. the daily cycle", ["cycle", "run", "--as-of", day.isoformat()], run)
    _step("6. staff roster", ["staff", "seed", "--seed", str(seed)], run)
    _step("7. allocate work orders", ["allocate", "--as-of", day.isoformat()], run)
    _demo_users()
    _demo_portal_link(f"http://{host}:{port}")
    if serve:
        _step("9. the workbench", ["serve", "--host", host, "--port", str(port)], run)


def _demo_users() -> None:
    """One user per role, with a password generated now (none is written anywhere else)."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce.demo_roster import create_demo_users

    console.rule("[bold]8. demo users[/bold]  [dim](passwords are new at every start)[/dim]")
    with unit_of_work() as session:
        users = create_demo_users(session=session)
    table = output.table("user", "role", "password")
    for username, role, password in users:
        table.add_row(username, role, password)
    console.print(table)


def _demo_portal_link(base_url: str) -> None:
    """One working customer-portal link for a demo customer, with the facts to type (the
    portfolio is generated: nobody's real birth date)."""
    from arrears.kit.db import unit_of_work
    from arrears.portal import service as portal_service
    from arrears.portal.demo import demo_customer

    console.rule("[bold]8b. customer portal[/bold]  [dim](one single-use link)[/dim]")
    with unit_of_work() as session:
        found = demo_customer(session)
        if found is None:
            console.print("no open case with a birth date and an ID number on file: no link")
            return
        issued = portal_service.issue_link(
            session, cardholder_id=found.cardholder_id, channel="sms", actor="demo"
        )
    url = portal_service.link_url(issued.token, base_url)
    console.print(f"portal link for customer {found.external_ref} ({found.language}): ", end="")
    console.print(url, markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"  verify with birth date {found.birth_date.isoformat()} and ID last 4 {found.id_last4}",
        markup=False,
        highlight=False,
    )
