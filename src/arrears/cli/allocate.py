"""`arrears allocate`: Allocate work orders to staff and agencies."""

from __future__ import annotations

from contextlib import nullcontext

import typer

from arrears.cli import _workforce as w
from arrears.cli import identity
from arrears.cli.output import console, err_console, print_json

app = typer.Typer(help="Allocate work orders to staff and agencies.")


@app.callback(invoke_without_command=True)
def allocate(
    as_of: str = typer.Option(..., "--as-of", help="Business date (YYYY-MM-DD)."),
    rules: str = typer.Option("allocation", "--rules", help="Allocation rules: name or path."),
    user: identity.AsUser = None,
    as_json: bool = w.JSON,
) -> None:
    """Allocate every live work order: continuity, capacity, balance, placements, recall."""
    from arrears.kit.db import unit_of_work
    from arrears.workforce import allocation_service, policies

    # A day that has not come is refused by the service itself (CLI, API, simulator alike).
    day = w.required_day(as_of, "--as-of")
    policy = policies.allocation_rules(rules)
    spinner = err_console.status("allocating", spinner="dots") if not as_json else nullcontext()
    with spinner, unit_of_work() as session:
        by = identity.actor(identity.optional(session, user, "cycle.run"))
        out = allocation_service.allocate(session=session, as_of=day, actor=by, rules=policy)
    if as_json:
        print_json(out)
        return
    console.print(
        f"[bold]{out.cases}[/bold] live work orders on {out.as_of}: {out.assigned_to_staff} with "
        f"staff, {out.placed_with_agencies} placed, {out.unallocatable} unallocatable, "
        f"{out.changed} changed"
    )
    for reason, count in out.reasons.items():
        console.print(f"  {reason:34s} {count:>9,}")
    w.emit(
        [{"grade": g, **v} for g, v in out.load.items()],
        False,
        ("grade", "staff", "cases_min", "cases_max", "cases_mean", "balance_min", "balance_max"),
        title="load per grade",
    )
    for example in out.unallocatable_examples[:5]:
        console.print(
            f"  [yellow]work order {example['work_order_id']}[/yellow]: {example['detail']}"
        )
