"""`arrears cases promise|plan|settle|approve|reconcile`: promises, plans, settlements."""

from __future__ import annotations

from typing import Any

import typer

from arrears.cli import _cases as opts
from arrears.cli.output import console, print_json
from arrears.kit.dates import parse_day

app = typer.Typer()

SUPERSEDE = "replace the case's live promise, plan or settlement (cancelled, audited)"


@app.command()
def promise(
    work_order_id: int,
    amount: str = typer.Option(..., "--amount"),
    due: str = typer.Option(..., "--due", help="YYYY-MM-DD"),
    channel: str = typer.Option("call", "--channel"),
    supersede: bool = typer.Option(False, "--supersede", help=SUPERSEDE),
    actor: str | None = opts.ACTOR,
    as_json: bool = opts.JSON,
) -> None:
    """Take a promise to pay (at most what the case owes today)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import service

    due_on = opts.required_day(due, "--due")
    with unit_of_work() as session:
        found = service.take_promise(
            session=session,
            work_order_id=work_order_id,
            amount=amount,
            due_on=due_on,
            channel=channel,
            actor=opts.actor_name(actor),
            supersede=supersede,
        )
        payload = jsonable(service.promise_dict(found))
    opts.show(
        payload,
        as_json,
        lambda: f"promise {payload['id']}: {payload['amount']} by {payload['due_on']}",
    )


@app.command()
def plan(
    work_order_id: int,
    instalments: int = typer.Option(..., "--instalments", min=1),
    first: str = typer.Option(..., "--first", help="first due date YYYY-MM-DD"),
    frequency: str = typer.Option("monthly", "--frequency"),
    total: str | None = typer.Option(
        None, "--total", help="default: what the case owes; less only as the policy allows"
    ),
    supersede: bool = typer.Option(False, "--supersede", help=SUPERSEDE),
    actor: str | None = opts.ACTOR,
    as_json: bool = opts.JSON,
) -> None:
    """Propose an instalment plan over what the case owes (outside the auto-approval bounds it
    waits for a checker)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import plan_service, service

    first_due = opts.required_day(first, "--first")
    with unit_of_work() as session:
        found = plan_service.propose_plan(
            session=session,
            work_order_id=work_order_id,
            total=total,
            instalments=instalments,
            first_due_on=first_due,
            frequency=frequency,
            actor=opts.actor_name(actor),
            supersede=supersede,
        )
        payload = jsonable(service.plan_dict(session=session, plan=found))
    opts.show(
        payload,
        as_json,
        lambda: (
            f"plan {payload['id']}: {payload['status']}, "
            f"{payload['instalment_count']} x from {payload['first_due_on']}"
        ),
    )


@app.command()
def settle(
    work_order_id: int,
    discount: str = typer.Option(..., "--discount", help="share waived, e.g. 0.20"),
    due: str = typer.Option(..., "--due"),
    supersede: bool = typer.Option(False, "--supersede", help=SUPERSEDE),
    actor: str | None = opts.ACTOR,
    as_json: bool = opts.JSON,
) -> None:
    """Propose a settlement offer (a discount on what the case owes today)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import plan_service, service

    due_on = opts.required_day(due, "--due")
    with unit_of_work() as session:
        found = plan_service.propose_settlement(
            session=session,
            work_order_id=work_order_id,
            discount=discount,
            due_on=due_on,
            actor=opts.actor_name(actor),
            supersede=supersede,
        )
        payload = jsonable(service.plan_dict(session=session, plan=found))
    opts.show(
        payload,
        as_json,
        lambda: f"settlement {payload['id']}: pay {payload['total']}: {payload['status']}",
    )


@app.command()
def approve(
    plan_id: int,
    role: str = typer.Option(..., "--role", help="the checker's role"),
    reject: bool = typer.Option(False, "--reject"),
    note: str | None = typer.Option(None, "--note"),
    actor: str | None = opts.ACTOR,
    as_json: bool = opts.JSON,
) -> None:
    """Checker's decision on a proposed plan or settlement."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import plan_service, service

    with unit_of_work() as session:
        found = plan_service.decide_plan(
            session=session,
            plan_id=plan_id,
            approve=not reject,
            actor=opts.actor_name(actor),
            role=role,
            note=note,
        )
        payload = jsonable(service.plan_summary(found))
    opts.show(payload, as_json, lambda: f"plan {payload['id']}: {payload['status']}")


@app.command()
def reconcile(
    work_order_id: int | None = typer.Argument(None, help="one case; default all"),
    as_of: str | None = typer.Option(None, "--as-of"),
    actor: str | None = opts.ACTOR,
    as_json: bool = opts.JSON,
) -> None:
    """Mark promises and plan instalments against the payments received."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import service

    day = parse_day(as_of, "--as-of")
    with unit_of_work() as session:
        if work_order_id is None:
            payload: Any = service.reconcile_all(
                session=session, actor=opts.actor_name(actor), as_of=day
            )
        else:
            payload = jsonable(
                service.reconcile_case(
                    session=session,
                    work_order_id=work_order_id,
                    actor=opts.actor_name(actor),
                    as_of=day,
                )
            )
    if as_json:
        print_json(payload)
    elif work_order_id is None:
        console.print(", ".join(f"{k}: {v}" for k, v in payload.items()))
    else:
        console.print(f"case {work_order_id}: {payload['status']}; changed: {payload['changed']}")
