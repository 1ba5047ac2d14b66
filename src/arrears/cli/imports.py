"""`arrears import`: Load data: the real UCI card data or the bank's own extract."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.table import Table

from arrears.cli.output import console, err_console, print_json, progress
from arrears.config import get_settings
from arrears.kit.dates import require_day
from arrears.kit.db import unit_of_work
from arrears.kit.errors import BadInput
from arrears.kit.faults import crash_point
from arrears.portfolio import extract, service, warehouse
from arrears.portfolio.extract import RowError

app = typer.Typer(
    help="Load data: the real UCI card data or the bank's own extract.", no_args_is_help=True
)

_SHOWN = 20  # bad rows listed on the terminal; the --report file has them all


def _show_errors(errors: list[RowError]) -> None:
    table = Table(title=f"{len(errors)} problem(s)", show_lines=False)
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
    table = Table(title=f"imported {outcome.source}")
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


def _load_store(
    outcome: service.ImportOutcome,
    plan: service.ImportPlan,
    validated: extract.Validated,
    on_progress: service.Progress,
) -> int:
    """The store half of an import, one committed step at a time; returns the batch id.

    ``loading`` is committed first, on its own, so a process killed during the load leaves a
    batch the rerun recognises; the load and the move to ``store_done`` commit together.
    """
    batch_id = plan.batch_id
    if batch_id is None:
        with unit_of_work() as session:
            batch_id = service.open_batch(
                session, kind=outcome.kind, source=outcome.source, sha256=outcome.sha256
            )
        crash_point("after_batch_open")
    claimed = False
    try:
        with unit_of_work() as session:
            batch = service.claim_batch(session, batch_id=batch_id)
            claimed = True
            outcome.loaded = service.load_batch(
                session, batch=batch, validated=validated, on_progress=on_progress
            )
            crash_point("before_store_commit")
    except BaseException:
        # Our load failed and rolled back: a failed import leaves no batch behind. If even that
        # cannot be written, the batch stays ``loading`` and the rerun loads it again.
        if claimed:
            with contextlib.suppress(Exception), unit_of_work() as session:
                service.discard_batch(session, batch_id=batch_id)
        raise
    crash_point("after_store_commit")
    return batch_id


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
    outcomes: pa.Table | None = None,
) -> None:
    wh_path = get_settings().warehouse
    outcome = service.ImportOutcome(kind=kind, source=source, sha256=sha256)
    wh: dict[str, int] = {}
    plan = service.ImportPlan("load")
    if not warehouse_only:
        with unit_of_work() as session:
            plan = service.plan_import(session, kind=kind, sha256=sha256, force=force)
        if plan.action == "done":
            outcome.batch_id, outcome.already_loaded = plan.batch_id, True
            outcome.state, outcome.loaded = plan.state, plan.counts
            _finish(outcome, as_json, wh)
            return
    with progress(quiet=as_json) as bar:
        totals: dict[str, int] = {}
        tasks: dict[str, object] = {}

        def on_progress(table: str, n: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=None)
            totals[table] = totals.get(table, 0) + n
            bar.update(tasks[table], completed=totals[table])  # type: ignore[arg-type]

        if warehouse_only:
            known = warehouse.known_refs(wh_path)
            validated = extract.validate(sources, sha256=sha256, known_refs=known)
        else:
            with unit_of_work() as session:  # reads only: which parents the store holds
                known = service.store_known_refs(session)
                validated = extract.validate(sources, sha256=sha256, known_refs=known)
        outcome.errors, outcome.read = validated.errors, dict(validated.rows_read)
        try:
            # A batch the store already took was judged then: its good rows go to the warehouse.
            if plan.action != "warehouse":
                try:
                    service.check_policy(validated, on_error)
                except service.ImportRejected as exc:
                    _reject(exc, report)
                    raise
            if not warehouse_only:
                outcome.resumed = plan.state
                if plan.action == "load":
                    outcome.batch_id = _load_store(outcome, plan, validated, on_progress)
                else:
                    outcome.batch_id, outcome.loaded = plan.batch_id, plan.counts
                outcome.state = "store_done"
            if outcome.errors:
                # Quarantined rows always land in a report: the one asked for, or one beside
                # the warehouse named after the import.
                report = report or wh_path.parent / "quarantine" / f"{kind}-{sha256[:12]}.csv"
                service.write_report(outcome.errors, report)
                outcome.report = str(report)
            bar.add_task("warehouse", total=None)
            wh = warehouse.write(validated, wh_path, outcomes=outcomes)
            crash_point("after_warehouse_commit")
            if warehouse_only:
                outcome.loaded = dict(wh)
            elif outcome.batch_id is not None:
                with unit_of_work() as session:
                    service.complete_batch(session, batch_id=outcome.batch_id, warehouse=wh)
                outcome.state = "complete"
        finally:
            validated.close()
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
        outcomes=outcomes,
    )
