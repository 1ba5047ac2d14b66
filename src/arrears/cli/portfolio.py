"""`arrears portfolio`: The portfolio: generate, summarise."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from arrears.cli import output
from arrears.cli.output import console, print_json, progress
from arrears.kit.db import UnitOfWork
from arrears.portfolio import repository as portfolio_repo
from arrears.portfolio.inspection import parse_as_of, portfolio_summary

app = typer.Typer(help="The portfolio: generate, summarise.", no_args_is_help=True)


@app.command()
def summary(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Age on this date, YYYY-MM-DD (default: today).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Accounts, balances and amounts past due by bucket (M0 ... M7+)."""
    day = parse_as_of(as_of)
    with UnitOfWork() as uow, progress(quiet=json_out) as bar:
        task = bar.add_task("ageing accounts", total=portfolio_repo.count_accounts(uow.session))
        result = portfolio_summary(
            session=uow.session, as_of=day, on_progress=lambda n: bar.advance(task, n)
        )
    payload = result.as_json()
    if json_out:
        print_json(payload)
        return
    table = output.table(title=f"Portfolio on {day}: {payload['accounts']:,} accounts")
    for column in ("bucket", "accounts", "share"):
        table.add_column(column, justify="right")
    money = "balances" in payload
    if money:
        table.add_column(f"balance {payload['currency'] or ''}", justify="right")
        table.add_column("past due", justify="right")
    total = payload["accounts"] or 1
    for name, count in payload["buckets"].items():
        row = [name, f"{count:,}", f"{100 * count / total:.1f}%"]
        if money:
            row += [
                f"{Decimal(payload['balances'][name]):,}",
                f"{Decimal(payload['past_due'][name]):,}",
            ]
        table.add_row(*row)
    console.print(table)
    if not money:
        console.print("The book holds several currencies: --json gives money per currency.")


@app.command()
def synth(
    accounts: Annotated[int, typer.Option("--accounts", help="How many accounts.")] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same portfolio.")] = 1,
    out: Annotated[str, typer.Option("--out", help="Folder to write the extract into.")] = (
        "var/synth"
    ),
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Snapshot date, YYYY-MM-DD (default: today)."),
    ] = None,
    profile: Annotated[
        str, typer.Option("--profile", help="Synth profile name or YAML path.")
    ] = "synth_cn",
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Generate a portfolio in the extract layout, its bucket mix calibrated to the UCI data."""
    from pathlib import Path

    from arrears.portfolio import synth as synth_mod

    day = parse_as_of(as_of)
    with progress(quiet=json_out) as bar:
        task = bar.add_task("generating accounts", total=accounts)
        result = synth_mod.synth(
            accounts=accounts,
            seed=seed,
            out=Path(out),
            as_of=day,
            fmt=fmt,  # type: ignore[arg-type]  # checked by synth()
            profile=synth_mod.load_profile(profile),
            on_chunk=lambda n: bar.advance(task, n),
        )
    payload = {"out": str(result.out), "as_of": day, "accounts": accounts, "rows": result.rows}
    if json_out:
        print_json(payload)
        return
    table = output.table(title=f"{accounts:,} accounts as of {day} in {result.out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in result.rows.items():
        table.add_row(f"{name}.{fmt}", f"{rows:,}")
    console.print(table)
