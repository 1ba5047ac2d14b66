"""`arrears account`: Look at one account."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

import typer

from arrears.cli import output
from arrears.cli.output import console, print_json
from arrears.config import get_settings
from arrears.delinquency import load_fee_schedule
from arrears.kit.db import UnitOfWork
from arrears.portfolio.inspection import account_view, parse_as_of

app = typer.Typer(help="Look at one account.", no_args_is_help=True)


@app.command()
def show(
    account_id: Annotated[str, typer.Argument(help="The card system's account number.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Age on this date, YYYY-MM-DD (default: today).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    locale: Annotated[
        str | None, typer.Option("--locale", help="en or zh-CN (default: ARREARS_LOCALE).")
    ] = None,
    fee_schedule: Annotated[
        str | None,
        typer.Option("--fee-schedule", help="Profile name or YAML path (default: settings)."),
    ] = None,
) -> None:
    """The account, its cardholder, history, DPD, bucket and what is owed, explained."""
    settings = get_settings()
    lang = output.resolve_locale(locale)
    day = parse_as_of(as_of)
    schedule = load_fee_schedule(fee_schedule or settings.fee_schedule)
    with UnitOfWork() as uow:
        view = account_view(
            session=uow.session, external_ref=account_id.strip(), as_of=day, schedule=schedule
        )
        payload = view.as_json(lang)
    if json_out:
        print_json(payload)
        return
    _render(payload, lang)


_WORDS: dict[str, dict[Literal["en", "zh-CN"], str]] = {
    "account": {"en": "Account", "zh-CN": "账户"},
    "as_of": {"en": "as of", "zh-CN": "截至"},
    "dpd": {"en": "days past due", "zh-CN": "逾期天数"},
    "bucket": {"en": "bucket", "zh-CN": "账龄"},
    "past_due": {"en": "amount past due", "zh-CN": "逾期金额"},
    "statements": {"en": "Statements", "zh-CN": "账单"},
    "payments": {"en": "Payments", "zh-CN": "还款"},
    "reports": {"en": "Reported status", "zh-CN": "上报状态"},
    "owed": {"en": "What is owed", "zh-CN": "欠款明细"},
    "total": {"en": "total due", "zh-CN": "应还合计"},
}


def _render(p: dict[str, Any], lang: Literal["en", "zh-CN"]) -> None:
    def w(key: str) -> str:
        return _WORDS[key][lang]

    a, cur = p["account"], p["account"]["currency"]
    console.print(
        f"[bold]{w('account')} {a['external_ref']}[/bold] · {p['cardholder']['name']} · "
        f"{a['product']} · {a['status']} · {w('as_of')} {p['as_of']}"
    )
    console.print(
        f"{w('dpd')}: [bold]{p['dpd']}[/bold] · {w('bucket')}: [bold]{p['bucket']}[/bold] · "
        f"{w('past_due')}: {p['amount_past_due']} {cur}"
    )
    statements = output.table(title=w("statements"))
    for column in ("cycle_date", "due_date", "closing_balance", "minimum_due"):
        statements.add_column(column, justify="right")
    for s in p["statements"]:
        statements.add_row(
            str(s["cycle_date"]),
            str(s["due_date"]),
            f"{Decimal(s['closing_balance']):,}",
            f"{Decimal(s['minimum_due']):,}",
        )
    console.print(statements)
    if p["payments"]:
        payments = output.table(title=w("payments"))
        for column in ("paid_on", "amount", "channel", "reference"):
            payments.add_column(column)
        for pay in p["payments"]:
            payments.add_row(
                str(pay["paid_on"]), f"{Decimal(pay['amount']):,}", pay["channel"], pay["reference"]
            )
        console.print(payments)
    if p["reports"]:
        console.print(
            f"{w('reports')}: "
            + ", ".join(f"{r['reported_on']} → {r['status']}" for r in p["reports"])
        )
    owed = output.table(title=f"{w('owed')} ({p['fee_schedule']})", show_lines=True)
    owed.add_column("item")
    owed.add_column("amount", justify="right")
    owed.add_column("why")
    for item in p["breakdown"]["items"]:
        owed.add_row(item["kind"], f"{Decimal(item['amount']):,}", item["explanation"])
    total = f"{Decimal(p['breakdown']['total_due']):,}"
    owed.add_row(f"[bold]{w('total')}[/bold]", f"[bold]{total}[/bold]", cur)
    console.print(owed)
