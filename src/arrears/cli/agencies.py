"""`arrears agencies`: Outside collection agencies (placements, contracts, recall)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from arrears.cli import _workforce as w
from arrears.cli import identity

app = typer.Typer(help="Outside agencies: contracts, placements, recall.", no_args_is_help=True)

CONTRACT_COLUMNS = (
    "code",
    "agency",
    "buckets",
    "levels",
    "commission_pct",
    "start_date",
    "end_date",
    "recall_on_cure",
    "recall_on_contract_end",
    "recall_after_days",
    "max_placements",
)


@app.command()
def add(
    code: str,
    name: str = typer.Option(..., "--name"),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Register an agency."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import agency_service, schemas

    data = w.build(schemas.AgencyCreate, code=code, name=name)
    with unit_of_work() as session:
        by = identity.require(session, user, "agencies.manage").actor
        out = agency_service.add_agency(session=session, data=data, actor=by)
    w.emit(out, as_json, ("code", "name", "status"))


@app.command("list")
def list_(as_json: bool = w.JSON) -> None:
    """Agencies with their live placements and users."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import agency_service

    with unit_of_work() as session:
        rows = agency_service.list_agencies(session=session)
    w.emit(rows, as_json, ("code", "name", "status", "placements", "users"))


@app.command()
def contract(
    agency: str = typer.Argument(..., help="Agency code."),
    code: str = typer.Option(..., "--code"),
    buckets: str = typer.Option(..., "--buckets", help="Comma list, e.g. M4,M5,M6."),
    levels: str = typer.Option("outsource", "--levels", help="Comma list of case levels."),
    commission: str = typer.Option(..., "--commission", help="Commission in percent."),
    start: str = typer.Option(..., "--start"),
    end: str | None = typer.Option(None, "--end"),
    recall_on_cure: bool = typer.Option(True, "--recall-on-cure/--no-recall-on-cure"),
    recall_on_end: bool = typer.Option(True, "--recall-on-end/--no-recall-on-end"),
    recall_after_days: int | None = typer.Option(None, "--recall-after-days"),
    max_placements: int | None = typer.Option(None, "--max-placements"),
    tiers: str | None = typer.Option(
        None,
        "--tiers",
        help="Marginal commission tiers UP_TO:PCT, comma-separated, the last open: "
        "50000:15,:18 (the first PCT is --commission).",
    ),
    cap: str | None = typer.Option(None, "--cap", help="Monthly commission cap per contract."),
    fields: str | None = typer.Option(
        None, "--fields", help="Fields of the daily exchange files (comma list)."
    ),
    masked: str | None = typer.Option(None, "--masked", help="Exchange fields sent masked."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Add a contract: which buckets and levels the agency takes, commission, recall rules."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import BadInput
    from arrears.workforce import agency_service, schemas

    pct = _number(commission, "--commission")
    tier_list = None
    if tiers is not None:
        tier_list = []
        for part in w.split(tiers):
            up_to, sep, rate = part.partition(":")
            if not sep:
                raise BadInput(f"--tiers: {part!r} is not UP_TO:PCT")
            tier_list.append(
                {
                    "up_to": _number(up_to, "--tiers") if up_to else None,
                    "rate": _number(rate, "--tiers") / 100,
                }
            )
    data = w.build(
        schemas.AgencyContractCreate,
        agency=agency,
        code=code,
        buckets=w.split(buckets),
        levels=w.split(levels),
        commission_pct=pct,
        start_date=w.required_day(start, "--start"),
        end_date=w.day(end, "--end"),
        recall_on_cure=recall_on_cure,
        recall_on_contract_end=recall_on_end,
        recall_after_days=recall_after_days,
        max_placements=max_placements,
        commission_tiers=tier_list,
        commission_cap=_number(cap, "--cap") if cap is not None else None,
        exchange_fields=w.split(fields) if fields is not None else None,
        masked_fields=w.split(masked),
    )
    with unit_of_work() as session:
        by = identity.require(session, user, "agencies.manage").actor
        out = agency_service.add_contract(session=session, data=data, actor=by)
    w.emit(out, as_json, CONTRACT_COLUMNS)


def _number(value: str, option: str) -> Decimal:
    from arrears.kit.errors import BadInput

    try:
        return Decimal(value)
    except ArithmeticError:
        raise BadInput(f"{option}: not a number: {value!r}") from None


@app.command("end-contract")
def end_contract(
    code: str,
    on: str = typer.Option(..., "--on"),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """End a contract; placements are recalled at the next allocation if the contract says so."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import agency_service

    with unit_of_work() as session:
        by = identity.require(session, user, "agencies.manage").actor
        out = agency_service.end_contract(
            session=session, code=code, on=w.required_day(on, "--on"), actor=by
        )
    w.emit(out, as_json, CONTRACT_COLUMNS)


@app.command()
def contracts(as_json: bool = w.JSON) -> None:
    """Every contract."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import agency_service

    with unit_of_work() as session:
        rows = agency_service.list_contracts(session=session)
    w.emit(rows, as_json, CONTRACT_COLUMNS)


@app.command()
def statement(
    agency: str = typer.Argument(..., help="Agency code."),
    month: str = typer.Option(..., "--month", help="YYYY-MM; the month must be over."),
    as_json: bool = w.JSON,
) -> None:
    """The agency's commission for a month, line by line (payments while placed, tiers, cap,
    clawback of reversed payments)."""
    from arrears.cli.output import print_json
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import BadInput
    from arrears.workforce import agency_service
    from arrears.workforce.metrics import parse_month

    try:
        first = parse_month(month)
    except ValueError as exc:
        raise BadInput(f"--month: {exc}") from None
    with unit_of_work() as session:
        out = agency_service.commission_statement(session=session, agency=agency, month=first)
    if as_json:
        print_json(out)
        return
    w.statement_table(
        f"{out.agency} · {out.period} · commission ({out.currency})", out.lines, out.total
    )


@app.command("reverse-payment")
def reverse_payment(
    account: str = typer.Argument(..., help="Card account reference."),
    reference: str = typer.Argument(..., help="The payment's reference."),
    reason: str = typer.Option(..., "--reason"),
    user: identity.AsUser = None,
) -> None:
    """Record that a payment was taken back today; its commission is clawed back this month."""
    from arrears.cli.output import console
    from arrears.kit.db import unit_of_work
    from arrears.workforce import agency_service

    with unit_of_work() as session:
        by = identity.require(session, user, "agencies.manage").actor
        row = agency_service.reverse_payment(
            session=session, account=account, reference=reference, reason=reason, actor=by
        )
        day = row.reversed_on
    console.print(f"payment {reference} on {account} reversed on {day}")


@app.command()
def export(
    agency: str = typer.Argument(..., help="Agency code."),
    day: str = typer.Option(..., "--day", help="YYYY-MM-DD: the day's placements and recalls."),
    out: Path = typer.Option(..., "--out", file_okay=False, help="Directory for the files."),
    as_json: bool = w.JSON,
) -> None:
    """The day's placement and recall files for the agency, with manifest.csv (SHA-256)."""
    from arrears.kit.db import unit_of_work
    from arrears.workbench import agency_exchange

    with unit_of_work() as session:
        rows = agency_exchange.export_day(
            session=session, agency=agency, day=w.required_day(day, "--day"), out=out
        )
    w.emit([{"file": k, "rows": v} for k, v in rows.items()], as_json, ("file", "rows"))


@app.command("import-activity")
def import_activity(
    agency: str = typer.Argument(..., help="Agency code."),
    directory: Path = typer.Argument(
        ..., file_okay=False, help="activity.csv, payments.csv, manifest.csv"
    ),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """The agency's contacts (through compliance) and payments; all or nothing."""
    from arrears.kit.db import unit_of_work
    from arrears.workbench import agency_exchange

    with unit_of_work() as session:
        by = identity.require(session, user, "agencies.manage").actor
        out = agency_exchange.import_activity(
            session=session, agency=agency, directory=directory, actor=by
        )
    w.emit(out, as_json, tuple(out))
