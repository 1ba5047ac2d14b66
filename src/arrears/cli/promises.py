"""`arrears cases promise|plan|settle|approve|reconcile`: promises, plans, settlements."""

from __future__ import annotations

from typing import Any

import typer

from arrears.cli import _cases as opts
from arrears.cli import identity
from arrears.cli.output import console, print_json
from arrears.kit import wording
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
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Take a promise to pay (at most what the case owes today)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import service

    due_on = opts.required_day(due, "--due")
    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        found = service.take_promise(
            session=session,
            work_order_id=work_order_id,
            amount=amount,
            due_on=due_on,
            channel=channel,
            actor=me.actor,
            supersede=supersede,
        )
        payload = jsonable(service.promise_dict(found))
    opts.show(
        payload,
        as_json,
        lambda: (
            f"promise {payload['id']}: {_amount(payload['amount'], payload.get('currency'))} "
            f"by {payload['due_on']}"
        ),
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
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Propose an instalment plan over what the case owes (outside the auto-approval bounds it
    waits for a checker)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import plan_service, service

    first_due = opts.required_day(first, "--first")
    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        found = plan_service.propose_plan(
            session=session,
            work_order_id=work_order_id,
            total=total,
            instalments=instalments,
            first_due_on=first_due,
            frequency=frequency,
            actor=me.actor,
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
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Propose a settlement offer (a discount on what the case owes today)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import plan_service, service

    due_on = opts.required_day(due, "--due")
    with unit_of_work() as session:
        me = identity.on_case(session, user, "settlement.propose", work_order_id)
        found = plan_service.propose_settlement(
            session=session,
            work_order_id=work_order_id,
            discount=discount,
            due_on=due_on,
            actor=me.actor,
            supersede=supersede,
        )
        payload = jsonable(service.plan_dict(session=session, plan=found))
    opts.show(
        payload,
        as_json,
        lambda: (
            f"settlement {payload['id']}: pay {_amount(payload['total'], payload['currency'])}: "
            f"{payload['status']}"
        ),
    )


@app.command()
def approve(
    plan_id: int,
    reject: bool = typer.Option(False, "--reject"),
    note: str | None = typer.Option(None, "--note"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Checker's decision on a proposed plan or settlement, as a stored user whose role's limit
    covers the amount at stake (the role comes from the store, never from the command line)."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import NotFound
    from arrears.kit.serialize import jsonable
    from arrears.promises import plan_service, repository, service
    from arrears.workforce.scoping import visible_work_order

    with unit_of_work() as session:
        me = identity.require(session, user, "plan.approve", "settlement.approve")
        proposed = repository.plan(session, plan_id)
        if proposed is None:
            raise NotFound(f"no plan {plan_id}")
        visible_work_order(session=session, principal=me, work_order_id=proposed.work_order_id)
        found = plan_service.decide_plan(
            session=session,
            plan_id=plan_id,
            approve=not reject,
            actor=me.actor,
            role=me.role,
            note=note,
        )
        payload = jsonable(service.plan_summary(found))
    opts.show(payload, as_json, lambda: decided(payload))


def decided(plan: dict[str, Any]) -> str:
    """A checker's decision as a collector says it: "settlement 4: rejected", "plan 5:
    approved (2,000.00 over 4 instalments)" (the kind first: a rejected settlement is not a
    rejected plan)."""
    kind = "settlement" if plan["kind"] == "settlement" else "plan"
    what = (
        f"pay {_amount(plan['total'], plan['currency'])} once"
        if kind == "settlement"
        else f"{_amount(plan['total'], plan['currency'])} over "
        f"{wording.count_of(plan['instalment_count'], 'instalment', 'instalments')}"
    )
    return f"{kind} {plan['id']}: {plan['status']} ({what})"


def _amount(value: str, currency: str | None = None) -> str:
    """Grouped, two decimals (Babel), with the currency when the payload names it."""
    text = wording.amount(value, currency or "CNY")
    return f"{text} {currency}" if currency else text


@app.command()
def reconcile(
    work_order_id: int | None = typer.Argument(None, help="one case; default all"),
    as_of: str | None = typer.Option(None, "--as-of"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Mark promises and plan instalments against the payments received.

    One case needs a user who works it; the whole book without --as (or ARREARS_USER) acts as
    `system`, as a nightly scheduler does."""
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.promises import nightly

    day = parse_day(as_of, "--as-of")
    with unit_of_work() as session:
        if work_order_id is None:
            by = identity.actor(identity.optional(session, user, "cycle.run"))
            payload: Any = nightly.reconcile_all(session=session, actor=by, as_of=day)
        else:
            me = identity.on_case(session, user, "case.work", work_order_id)
            payload = jsonable(
                nightly.reconcile_case(
                    session=session,
                    work_order_id=work_order_id,
                    actor=me.actor,
                    as_of=day,
                )
            )
    if as_json:
        print_json(payload)
    elif work_order_id is None:
        console.print(", ".join(f"{k}: {v}" for k, v in payload.items()))
    else:
        console.print(f"case {work_order_id}: {payload['status']}; changed: {payload['changed']}")
