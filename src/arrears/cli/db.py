"""``arrears db``: schema migrations and the application's database role."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy import make_url, text

from arrears.cli import output
from arrears.cli.output import console, print_json
from arrears.config import get_settings
from arrears.kit.db import make_engine
from arrears.kit.errors import BadInput, RuleRefused
from arrears.migrations import roles, runner

app = typer.Typer(help="Operational store: create and upgrade the schema.", no_args_is_help=True)


@app.command()
def upgrade(
    revision: str = typer.Argument("heads", help="Target revision (default: every head)."),
) -> None:
    """Apply the migrations to ARREARS_DATABASE_URL (SQLite or PostgreSQL), as the owner role."""
    url = get_settings().database_url
    runner.upgrade(url, revision)
    console.print(f"[green]schema at[/green] {', '.join(runner.current(url))}")
    if url.startswith("postgresql"):
        console.print(
            "if the application connects as its own role, run `arrears db roles` again so it "
            "may use any new table"
        )


@app.command()
def current() -> None:
    """Show the revisions the store is at."""
    console.print(", ".join(runner.current(get_settings().database_url)) or "(empty)")


@app.command("roles")
def roles_command(
    name: Annotated[
        str, typer.Option("--name", help="The application role to create or bring into line.")
    ] = roles.DEFAULT_ROLE,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="ARREARS_APP_PASSWORD",
            help="Its password (or ARREARS_APP_PASSWORD; asked for when the role is new). Sent "
            "as a SCRAM-SHA-256 verifier, never in clear.",
        ),
    ] = None,
    print_sql: Annotated[
        bool, typer.Option("--print-sql", help="Print the SQL and change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the grants as JSON.")] = False,
) -> None:
    """Create the least-privilege role the application connects as (PostgreSQL; run as the owner).

    The role owns nothing: it reads and writes the domain tables, only reads and appends to
    audit_event, and cannot alter, truncate or disable a trigger. Idempotent: run it again after
    every `arrears db upgrade`.
    """
    url = get_settings().database_url
    if not url.startswith("postgresql"):
        raise RuleRefused(
            "SQLite has no roles: access is the file's permissions; audit_event is append-only "
            "by its triggers (UPDATE and DELETE refused; SQLite has no TRUNCATE). See "
            "docs/operations.md"
        )
    roles.check_name(name)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            roles.refuse_owner(conn, name)
            exists = roles.role_exists(conn, name)
            if password is None and not exists and not print_sql:
                password = _ask_password(name)
            verifier = roles.scram_verifier(password) if password is not None else None
            sql = roles.statements(role=name, tables=roles.tables_of(conn), verifier=verifier)
            if print_sql:
                for statement in sql:
                    print(statement + ";")
                if verifier is None:
                    print(f"-- then, in psql: \\password {name}")
                return
            conn.execute(text("LOCK TABLE alembic_version IN SHARE MODE"))  # no upgrade midway
            for statement in sql:
                conn.exec_driver_sql(statement)
            granted = roles.grants(conn, name)
    finally:
        engine.dispose()
    if as_json:
        print_json({"role": name, "created": not exists, "grants": granted})
        return
    table = output.table(title=f"role {name} ({'created' if not exists else 'brought into line'})")
    table.add_column("table")
    table.add_column("may")
    for tbl, privileges in granted.items():
        table.add_row(tbl, ", ".join(privileges))
    console.print(table)
    as_app = make_url(url).set(username=name, password="PASSWORD")
    console.print(
        f"connect the application as {name}: "
        f"ARREARS_DATABASE_URL={as_app.render_as_string(hide_password=False)}"
    )


def _ask_password(name: str) -> str:
    if not sys.stdin.isatty():
        raise BadInput(f"role {name} is new: give --password or ARREARS_APP_PASSWORD")
    value: str = typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    return value
