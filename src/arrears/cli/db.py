"""``arrears db``: schema migrations."""

from __future__ import annotations

import typer

from arrears.cli.output import console
from arrears.config import get_settings
from arrears.migrations import runner

app = typer.Typer(help="Operational store: create and upgrade the schema.", no_args_is_help=True)


@app.command()
def upgrade(
    revision: str = typer.Argument("heads", help="Target revision (default: every head)."),
) -> None:
    """Apply the migrations to ARREARS_DATABASE_URL (SQLite or PostgreSQL)."""
    url = get_settings().database_url
    runner.upgrade(url, revision)
    console.print(f"[green]schema at[/green] {', '.join(runner.current(url))}")


@app.command()
def current() -> None:
    """Show the revisions the store is at."""
    console.print(", ".join(runner.current(get_settings().database_url)) or "(empty)")
