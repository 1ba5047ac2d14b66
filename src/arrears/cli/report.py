"""`arrears report`: Analytics reports: roll rates, recovery, KPIs, champion/challenger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer

from arrears.analytics import repository, service
from arrears.analytics.champion import MINIMUM_EFFECT
from arrears.analytics.kpis import collector_kpis
from arrears.analytics.model import load_model
from arrears.analytics.report import ReportData, render_html
from arrears.cli import output
from arrears.cli.output import console, err_console, print_json, progress
from arrears.kit.clock import clock
from arrears.kit.dates import parse_day
from arrears.kit.db import UnitOfWork
from arrears.kit.errors import ArrearsError

app = typer.Typer(
    help="Analytics reports: roll rates, recovery, KPIs, champion/challenger.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
UciOpt = Annotated[
    Path | None,
    typer.Option("--uci", help="Read the raw UCI CSV instead of the warehouse.", dir_okay=False),
]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


_date = parse_day


@app.command()
def rolls(json_out: JsonOpt = False, uci: UciOpt = None) -> None:
    """Bucket-to-bucket roll-rate matrix between consecutive months, cure and roll-forward rates."""
    with repository.source(uci) as con:
        result = service.rolls(con=con)
    if json_out:
        print_json(result)
        return
    buckets = result["buckets"]
    table = output.table(
        title=f"Roll rates: accounts, summed over {result['transitions']} transitions"
    )
    table.add_column("from \\ to")
    for b in buckets:
        table.add_column(b, justify="right")
    table.add_column("roll fwd", justify="right")
    table.add_column("cure", justify="right")
    for f in buckets:
        table.add_row(
            f,
            *(f"{result['matrix'][f][t]:,}" for t in buckets),
            _pct(result["roll_forward_rate"][f]),
            _pct(result["cure_rate"].get(f)),
        )
    console.print(table)


@app.command()
def recovery(
    json_out: JsonOpt = False,
    uci: UciOpt = None,
    horizon: Annotated[int, typer.Option(help="Months after entry to follow.", min=1)] = 12,
) -> None:
    """Recovery and cure curves by month of entry into delinquency."""
    with repository.source(uci) as con:
        curves = service.recovery(con=con, horizon=horizon)
    if json_out:
        print_json(curves)
        return
    table = output.table(title="Recovery by month of entry (cumulative share of balance at entry)")
    table.add_column("entered")
    table.add_column("accounts", justify="right")
    months = max((len(c["points"]) for c in curves), default=0)
    for k in range(1, months + 1):
        table.add_column(f"+{k}m", justify="right")
    for c in curves:
        cells = [_pct(p["recovery_rate"]) for p in c["points"]]
        table.add_row(
            c["entry_month"][:7], f"{c['accounts']:,}", *cells, *[""] * (months - len(cells))
        )
    console.print(table)


def _kpis(since: date | None, until: date | None) -> list[dict[str, Any]]:
    with UnitOfWork() as uow:
        attempts, promises, checks, money = repository.kpi_rows(
            uow.session, since=since, until=until
        )
    return collector_kpis(attempts=attempts, promises=promises, compliance=checks, recoveries=money)


def _agencies() -> dict[str, Any]:
    with UnitOfWork() as uow:
        return service.agency_performance(session=uow.session)


@app.command()
def kpis(
    json_out: JsonOpt = False,
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
) -> None:
    """Collector KPIs: attempts, RPC, promise and promise-kept rates, recovered, compliance."""
    rows = _kpis(_date(since, "--since"), _date(until, "--until"))
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print("No contact attempts or promises recorded yet.")
        return
    table = output.table(title="Collector KPIs")
    for col in (
        "collector",
        "attempts",
        "RPC",
        "promise",
        "kept",
        "recovered",
        "blocks",
        "overrides",
    ):
        table.add_column(col, justify="left" if col == "collector" else "right")
    for r in rows:
        table.add_row(
            r["collector"],
            f"{r['attempts']:,}",
            _pct(r["rpc_rate"]),
            _pct(r["promise_rate"]),
            _pct(r["promise_kept_rate"]),
            f"{Decimal(r['recovered']):,}",
            str(r["compliance_blocks"]),
            str(r["compliance_overrides"]),
        )
    console.print(table)


@app.command()
def champion(
    json_out: JsonOpt = False,
    uci: UciOpt = None,
    horizon_days: Annotated[int, typer.Option(help="Days after the first decision.", min=1)] = 30,
    champion: Annotated[
        str | None, typer.Option(help="The champion arm (default: the strategy's first arm).")
    ] = None,
    min_effect: Annotated[
        float,
        typer.Option(help="Pay-rate rise the power is computed for (0.05: 5 points)."),
    ] = MINIMUM_EFFECT,
) -> None:
    """Champion/challenger per test, on the accounts it targets: rates, difference, interval,
    verdict, power."""
    with repository.source(uci) as con:
        result = service.champion_challenger(
            con=con, horizon_days=horizon_days, champion=champion, minimum_effect=min_effect
        )
    if json_out:
        print_json(result)
        return
    if not result["tests"]:
        console.print("No experiment results yet: the cycle has written no decisions with arms.")
        return
    for t in result["tests"]:
        table = output.table(
            title=f"Test {t['test']}: targeted accounts paid within {horizon_days} days"
        )
        for col in ("arm", "role", "targeted", "of book", "pay rate", "95% interval"):
            table.add_column(col)
        for a in t["arms"]:
            low, high = a["pay_rate_ci"]
            book = a["book_accounts"]
            table.add_row(
                a["arm"],
                a["role"],
                f"{a['accounts']:,}",
                "–" if book is None else f"{book:,}",
                _pct(a["pay_rate"]),
                f"{_pct(low)} – {_pct(high)}",
            )
        console.print(table)
        for c in t["comparisons"]:
            low, high = c["pay_rate_difference_ci"]
            console.print(
                f"{c['challenger']} vs {c['champion']}: [bold]{c['verdict']}[/bold] "
                f"({100 * c['pay_rate_difference']:+.1f} pt, 95% {100 * low:+.1f} to "
                f"{100 * high:+.1f}; p={c['p_value']}; power {_pct(c['power'])} for "
                f"+{100 * result['minimum_effect']:.0f} pt)"
            )


# The command's earlier name, kept for scripts that call it.
app.command("arms", hidden=True)(champion)


def _optional(label: str, compute: Any) -> Any:
    """A section that cannot be computed yet is left empty (its chart says so), not fatal."""
    try:
        return compute()
    except (ArrearsError, sa.exc.SQLAlchemyError) as exc:
        message = exc.message if isinstance(exc, ArrearsError) else type(exc).__name__
        err_console.print(f"[yellow]{label}: left empty ({message})[/yellow]")
        return None


def _write_off() -> dict[str, Any] | None:
    from arrears.chargeoff import service as chargeoff_service
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        book = chargeoff_service.write_off_report(session)
    return book if book["charged_off"]["accounts"] else None


@app.command()
def portfolio(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the HTML file.", dir_okay=False)
    ],
    json_out: JsonOpt = False,
    uci: UciOpt = None,
    locale: str | None = output.LOCALE,
) -> None:
    """One self-contained, offline HTML report: buckets, rolls, recovery, KPIs, arms, model,
    in English or Chinese (``--locale``, default ARREARS_LOCALE, the bank's)."""
    lang = output.resolve_locale(locale)  # a bad locale: one line, before any work
    with progress(quiet=json_out) as bar, repository.source(uci) as con:
        task = bar.add_task("building the report", total=5)
        data = ReportData(source=str(uci) if uci else "warehouse")
        data.rolls = service.rolls(con=con)
        bar.advance(task)
        data.recovery = service.recovery(con=con)
        bar.advance(task)
        data.kpis = _optional("collector KPIs", lambda: _kpis(None, None)) or []
        bar.advance(task)
        data.arms = service.champion_challenger(con=con)
        data.agencies = _optional("agencies", _agencies) or {}
        bar.advance(task)
        data.model = _optional(
            "model", lambda: service.evaluate_model(con=con, trained=load_model())
        )
        data.write_off = _optional("charge-off and write-off", _write_off)
        bar.advance(task)
    out.parent.mkdir(parents=True, exist_ok=True)
    page = render_html(data, generated_at=clock.now(), locale=lang, words=output.words(lang))
    out.write_text(page, encoding="utf-8")
    if json_out:
        print_json({"out": str(out), "locale": lang, **data.as_json()})
        return
    console.print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
