"""`arrears import`: Load data: the real UCI card data or the bank's own extract."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from arrears.cli import identity, output
from arrears.cli.output import console, err_console, print_json, progress
from arrears.config import get_settings
from arrears.kit.dates import require_day
from arrears.kit.db import unit_of_work
from arrears.kit.errors import BadInput
from arrears.portfolio import extract, importing, service
from arrears.portfolio.extract import RowError

app = typer.Typer(
    help="Load data: the real UCI card data or the bank's own extract.", no_args_is_help=True
)

_SHOWN = 20  # bad rows listed on the terminal; the --report file has them all


def _show_errors(errors: list[RowError]) -> None:
    table = output.table(title=f"{len(errors)} problem(s)", show_lines=False)
    for name in ("file", "row", "column", "reason", "value"):
        table.add_column(name)
    for e in errors[:_SHOWN]:
        table.add_row(e.table, str(e.row), e.column, e.reason, e.value or "")
    if len(errors) > _SHOWN:
        table.caption = f"... and {len(errors) - _SHOWN} more (use --report FILE)"
    err_console.print(table)


def _finish(outcome: service.ImportOutcome, as_json: bool, wh: dict[str, int]) -> None:
    if as_json:
        print_json(outcome.as_dict() | {"warehouse": wh})
        return
    if outcome.already_loaded:
        console.print(
            f"already imported (batch {outcome.batch_id}, sha256 {outcome.sha256[:12]}): "
            "nothing changed; --force reloads"
        )
        return
    if outcome.resumed:
        console.print(
            f"[yellow]batch {outcome.batch_id} was left {outcome.resumed} by an interrupted run: "
            + (
                "the warehouse write was redone from the files"
                if outcome.resumed == "store_done"
                else "its store transaction never committed; loaded again"
            )
            + "[/yellow]"
        )
    table = output.table(title=f"imported {outcome.source}")
    table.add_column("table")
    table.add_column("read", justify="right")
    table.add_column("loaded", justify="right")
    table.add_column("warehouse", justify="right")
    for name, n in outcome.loaded.items() or wh.items():
        table.add_row(name, str(outcome.read.get(name, "")), str(n), str(wh.get(name, "")))
    console.print(table)
    if outcome.errors:
        console.print(
            f"[yellow]{len(outcome.errors)} problem(s) quarantined: {outcome.report}[/yellow]"
        )


def _run(
    *,
    sources: dict[str, Path | pa.Table],
    sha256: str,
    kind: str,
    source: str,
    on_error: service.OnError,
    report: Path | None,
    force: bool,
    warehouse_only: bool,
    as_json: bool,
    user: str | None,
    outcomes: pa.Table | None = None,
) -> None:
    # Who imports, before anything is written: a stored user who may manage imports, or (no user,
    # as a scheduler runs it) the import job.
    with unit_of_work() as session:
        acting = identity.optional(session, user, "imports.manage")
    with progress(quiet=as_json) as bar:
        totals: dict[str, int] = {}
        tasks: dict[str, object] = {}

        def on_progress(table: str, n: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=None)
            totals[table] = totals.get(table, 0) + n
            bar.update(tasks[table], completed=totals[table])  # type: ignore[arg-type]

        outcome, wh = importing.run_import(
            sources=sources,
            sha256=sha256,
            kind=kind,
            source=source,
            on_error=on_error,
            warehouse_path=get_settings().warehouse,
            report=report,
            force=force,
            warehouse_only=warehouse_only,
            outcomes=outcomes,
            on_progress=on_progress,
            on_reject=lambda exc: _reject(exc, report),
            actor=acting.actor if acting is not None else "import",
        )
    _finish(outcome, as_json, wh)


def _reject(exc: service.ImportRejected, report: Path | None) -> None:
    errors = exc.detail if isinstance(exc.detail, list) else []
    _show_errors(errors)
    if report is not None:
        service.write_report(errors, report)
        err_console.print(f"report written to {report}")


@app.command("portfolio")
def portfolio(
    path: Annotated[
        Path, typer.Argument(help="Folder of CSV or Parquet files (docs/data-formats.md).")
    ],
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error",
            help="reject: load nothing if a row is bad; quarantine: load the good rows.",
        ),
    ] = "reject",
    report: Annotated[
        Path | None,
        typer.Option(help="Write every bad row (file, row, column, reason) to this CSV."),
    ] = None,
    warehouse_only: Annotated[
        bool,
        typer.Option("--warehouse-only", help="Load the DuckDB warehouse only (large extracts)."),
    ] = False,
    force: Annotated[
        bool, typer.Option(help="Reload even if these exact files were imported before.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    user: identity.AsUser = None,
) -> None:
    """Import the bank's extract: validate every row, then load the store and the warehouse."""
    if on_error not in ("reject", "quarantine"):
        raise BadInput(f"--on-error must be reject or quarantine, not {on_error!r}")
    files = extract.find_files(path)
    _run(
        sources=dict(files),
        sha256=extract.hash_files(files),
        kind="portfolio",
        source=str(path.resolve()),
        on_error=on_error,  # type: ignore[arg-type]
        report=report,
        force=force,
        warehouse_only=warehouse_only,
        as_json=as_json,
        user=user,
    )


@app.command("uci")
def uci(
    path: Annotated[Path, typer.Argument(help="uci_credit_card_default.csv")],
    as_of: Annotated[
        str, typer.Option("--as-of", help="Snapshot date (the day after September 2005).")
    ] = "2005-10-01",
    force: Annotated[
        bool, typer.Option(help="Reload even if this file was imported before.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    user: identity.AsUser = None,
) -> None:
    """Import the real UCI card data (30,000 Taiwanese card holders, April to September 2005)."""
    from arrears.portfolio import uci as uci_reader

    snapshot = require_day(as_of, "--as-of")
    tables = uci_reader.read_uci(path, as_of=snapshot)
    outcomes = tables.pop("uci_outcomes")
    _run(
        sources=dict(tables),
        # The same file at another as-of date is another import.
        sha256=hashlib.sha256(
            f"{extract.hash_files({'uci': path})}@{snapshot}".encode()
        ).hexdigest(),
        kind="uci",
        source=str(path.resolve()),
        on_error="reject",
        report=None,
        force=force,
        warehouse_only=False,
        as_json=as_json,
        user=user,
        outcomes=outcomes,
    )
