"""`arrears simulate`: run the department for N days on a copy: the daily loop's acceptance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arrears.cli import output
from arrears.cli.output import console, err_console, print_json, progress
from arrears.kit.dates import parse_day

app = typer.Typer(
    help="Simulate the collection department day by day (a digital twin) and check its rules."
)


@app.callback(invoke_without_command=True)
def simulate(
    days: Annotated[int, typer.Option("--days", help="Simulated days.")] = 60,
    accounts: Annotated[
        int, typer.Option("--accounts", help="Accounts in the generated book.")
    ] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same department.")] = 11,
    start: Annotated[
        str | None,
        typer.Option("--start", help="First simulated day, YYYY-MM-DD (default: today)."),
    ] = None,
    roster: Annotated[
        str, typer.Option("--roster", help="default, or a roster YAML file (docs/simulation.md).")
    ] = "default",
    strategy: Annotated[
        str | None, typer.Option("--strategy", help="Strategy name or file (default: settings).")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")] = "duckdb",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Empty folder to keep the store, extracts and report.html."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="An empty database URL to run on (default: a fresh one)."),
    ] = None,
    behaviour: Annotated[
        str, typer.Option("--behaviour", help="Behaviour model: name or YAML file.")
    ] = "behaviour",
    book: Annotated[
        Path | None,
        typer.Option(
            "--book",
            help="The UCI CSV: simulate its first --accounts clients instead of a generated book.",
            dir_okay=False,
        ),
    ] = None,
    agency: Annotated[
        Path | None,
        typer.Option(
            "--agency", help="An agency contract YAML (docs/simulation.md, 'The agency')."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run the daily loop on a generated book: payments, collectors, cycle, allocation; check the
    thirteen invariants every day. Exit 1 if any invariant was broken."""
    from arrears.kit.clock import center_today
    from arrears.simulation import report
    from arrears.simulation.roster import load_agency, load_roster
    from arrears.simulation.run import Options, validate
    from arrears.simulation.run import simulate as run_simulation

    first = parse_day(start, "--start") or center_today()
    options = Options(
        days=days,
        accounts=accounts,
        seed=seed,
        start=first,
        roster=None if roster == "default" else load_roster(Path(roster)),
        strategy=strategy,
        engine=engine,
        out=out,
        store=store,
        behaviour=behaviour,
        book=book,
        agency=None if agency is None else load_agency(agency),
    )
    validate(options)  # bad input: one line, exit 2, before anything is shown or written
    with progress(quiet=json_out) as bar:
        task = bar.add_task("simulating", total=max(days, 0))
        result = run_simulation(
            options,
            on_day=lambda _i, d: bar.update(task, advance=1, description=f"simulated {d}"),
        )
    if out is not None:
        (out / "simulation.json").write_text(report.to_json(result), encoding="utf-8")
        (out / "report.html").write_text(report.render_html(result), encoding="utf-8")
    if json_out:
        print_json(result.as_json())
    else:
        _show(result)
    if result.broken:
        raise typer.Exit(1)


def _show(result: object) -> None:
    from arrears.simulation.run import SimulationResult

    assert isinstance(result, SimulationResult)
    s = result.summary
    console.print(
        f"[bold]{s['days']} days[/bold] from {s['start']} on {s['accounts']:,} accounts "
        f"({s['store']}, {s['engine']}): open cases {s['open_first']:,} -> {s['open_last']:,}; "
        f"opened {s['opened']:,}, closed {s['closed']:,}; collected {s['collected']}; "
        f"{s['calls']:,} calls ({s['calls_blocked']:,} blocked by compliance); "
        f"{s['promises_taken']:,} promises (kept rate {s['promise_kept_rate']})"
    )
    table = output.table(title="invariants")
    for col in ("invariant", "held", "violations", "days broken", "first example"):
        table.add_column(col)
    for name, r in result.invariants.items():
        table.add_row(
            name,
            "[green]yes[/green]" if r["held"] else "[red]no[/red]",
            str(r["violations"]),
            str(r["days_broken"]),
            str(r["examples"][0]) if r["examples"] else "",
        )
    console.print(table)
    if result.out:
        console.print(f"report: {result.out / 'report.html'}; store: {result.store_url}")
    if result.broken:
        err_console.print(f"[red]broken:[/red] {', '.join(result.broken)}")
