"""`arrears writeoff propose|approve|book|sale-file`: charge-off, write-off, debt sale."""

from __future__ import annotations

from pathlib import Path

import typer

from arrears.cli import _cases as opts
from arrears.cli import identity

app = typer.Typer()


@app.command()
def propose(
    work_order_id: int,
    reason: str = typer.Option(..., "--reason"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """The maker proposes writing off a charged-off case in write-off review, at the store's
    charged-off balance (no amount is taken from the command line)."""
    from arrears.chargeoff import service
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.workforce.scoping import visible_work_order

    with unit_of_work() as session:
        me = identity.require(session, user, "settlement.propose")
        visible_work_order(session=session, principal=me, work_order_id=work_order_id)
        made = service.propose(
            session=session,
            work_order_id=work_order_id,
            actor=me.actor,
            role=me.role,
            reason=reason,
        )
        payload = jsonable(service.summary(made))
    opts.show(
        payload,
        as_json,
        lambda: f"write-off {payload['id']}: {payload['amount']} proposed, waiting for a checker",
    )


@app.command()
def approve(
    write_off_id: int,
    reject: bool = typer.Option(False, "--reject"),
    note: str | None = typer.Option(None, "--note"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """The checker's decision, as a stored user whose role's limit covers the amount (the
    promises policy's approval chain); approving closes the case as written off."""
    from arrears.chargeoff import repository, service
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import NotFound
    from arrears.kit.serialize import jsonable
    from arrears.workbench import write_off
    from arrears.workforce.scoping import visible_work_order

    with unit_of_work() as session:
        me = identity.require(session, user, "settlement.approve")
        proposed = repository.write_off(session, write_off_id)
        if proposed is None:
            raise NotFound(f"no write-off {write_off_id}")
        visible_work_order(session=session, principal=me, work_order_id=proposed.work_order_id)
        decided = write_off.decide(
            session=session,
            write_off_id=write_off_id,
            approve=not reject,
            actor=me.actor,
            role=me.role,
            note=note,
        )
        payload = jsonable(service.summary(decided))
    opts.show(payload, as_json, lambda: f"write-off {payload['id']}: {payload['status']}")


@app.command()
def book(user: identity.AsUser = None, as_json: bool = opts.JSON) -> None:
    """The charged-off book and the recoveries after write-off (rate, net of costs)."""
    from arrears.chargeoff import service
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable

    with unit_of_work() as session:
        identity.require(session, user, "analytics.read")
        payload = jsonable(service.write_off_report(session))
    after = payload["after_write_off"]
    opts.show(
        payload,
        as_json,
        lambda: (
            f"charged off {payload['charged_off']['accounts']} accounts; written off "
            f"{after['accounts']} ({after['written_off']}); recovered {after['recovered']} "
            f"(rate {after['recovery_rate']}, net {after['net_recovered']})"
        ),
    )


@app.command("sale-file")
def sale_file(
    buyer: str = typer.Option(..., "--buyer"),
    out: Path = typer.Option(Path("."), "--out", help="folder for the CSV and its manifest"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """The debt-sale file of the written-off accounts for BUYER: CSV (ID numbers masked) and a
    manifest with the row count, totals and SHA-256."""
    from arrears.chargeoff.sale import write_sale_file
    from arrears.kit import audit
    from arrears.kit.clock import clock
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        me = identity.require(session, user, "settlement.approve")
        made = write_sale_file(session=session, folder=out, buyer=buyer, now=clock.now())
        audit.record(
            session,
            actor=me.actor,
            action="write_off.sale_file",
            entity="debt_sale",
            entity_id=made["file"],
            after={"rows": made["rows"], "sha256": made["sha256"], "buyer": buyer},
        )
    opts.show(made, as_json, lambda: f"wrote {made['path']} ({made['rows']} accounts)")
