"""`arrears cases`: Work orders: state, contacts, promises, plans."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import typer
from rich.table import Table

from arrears.cli.output import console, print_json
from arrears.kit.dates import parse_day
from arrears.kit.errors import BadInput

app = typer.Typer(help="Work orders: state, contacts, promises, plans.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON for machines.")


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


ACTOR = typer.Option(None, "--actor", help="Who acts (audit trail); default cli:<login>.")


_day = parse_day


def _required_day(value: str, option: str) -> date:
    day = _day(value, option)
    if day is None:
        raise BadInput(f"{option} is required")
    return day


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadInput(f"--at: not an ISO 8601 time: {value!r}") from exc
    if at.tzinfo is None:
        raise BadInput("--at needs a UTC offset, e.g. 2026-03-02T10:00:00+08:00")
    return at


def _show(payload: Any, as_json: bool, line: Callable[[], str]) -> None:
    """A command's result: JSON for machines, else the one line ``line`` renders."""
    if as_json:
        print_json(payload)
    else:
        console.print(line())


def _show_summary(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(payload)
        return
    console.print(
        f"case [bold]{payload['id']}[/bold] {payload['customer_ref']}: {payload['status']}"
        f"{' (' + payload['close_reason'] + ')' if payload.get('close_reason') else ''} · "
        f"{payload['bucket']} dpd {payload['dpd']} · due {payload['amount_due']} "
        f"{payload['currency']} · {payload['level']} / {payload['queue']} · v{payload['version']}"
    )


@app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status"),
    queue: str | None = typer.Option(None, "--queue"),
    limit: int = typer.Option(50, "--limit", min=1, max=10000),
    as_json: bool = JSON,
) -> None:
    """Live cases, most urgent first."""
    from sqlalchemy import select

    from arrears.cases import repository, views
    from arrears.cases.models import WorkOrder
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        rows = [
            views.summary(wo)
            for wo in repository.list_work_orders(
                session, base=select(WorkOrder), status=status, queue=queue, limit=limit
            )
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "customer", "status", "bucket", "dpd", "due", "level", "queue", "next")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["customer_ref"],
            r["status"],
            r["bucket"],
            str(r["dpd"]),
            r["amount_due"],
            r["level"],
            r["queue"],
            r["next_action_on"] or "",
        )
    console.print(table)


@app.command()
def show(work_order_id: int, as_json: bool = JSON) -> None:
    """One case: figures, breakdown, contact-person unlock, stops, promises, plans, contacts."""
    from arrears.cases import service, views
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        payload = views.detail(session, service.get(session=session, work_order_id=work_order_id))
    if as_json:
        print_json(payload)
        return
    _show_summary(payload, False)
    for part in payload["breakdown"]:
        console.print(f"  account {part['account_ref']}: total due {part['total_due']}")
        for item in part["items"]:
            console.print(
                f"    {item['kind']:<9} {item['amount']:>12}  {item['explanation']['en']}"
            )
    unlock = payload["contact_persons"]
    console.print(
        f"  contact persons: {'unlocked' if unlock['unlocked'] else 'locked'}: {unlock['reason']}"
    )
    for p in payload["promises"]:
        console.print(f"  promise {p['id']}: {p['amount']} by {p['due_on']}: {p['status']}")
    for c in payload["contacts"]:
        console.print(
            f"  {c['at']} {c['channel']} {c['party']}: {c['status']} "
            f"{c['outcome'] or ', '.join(c['compliance']['rules'])}"
        )


@app.command("next")
def next_(
    queue: str | None = typer.Option(None, "--queue"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Take the most urgent due case (it moves to in_progress)."""
    from arrears.cases import service, views
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        payload = views.summary(
            service.take_next(session=session, actor=_actor(actor), queue=queue)
        )
    _show_summary(payload, as_json)


@app.command()
def transition(
    work_order_id: int,
    to: str = typer.Argument(..., help="target state"),
    reason: str | None = typer.Option(None, "--reason"),
    close_reason: str | None = typer.Option(None, "--close-reason"),
    hold_reason: str | None = typer.Option(None, "--hold-reason"),
    escalated_to: str | None = typer.Option(None, "--escalated-to"),
    version: int | None = typer.Option(None, "--version", help="refuse if the case moved on"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Move a case through the state machine (illegal moves are refused)."""
    from arrears.cases import service, views
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        wo = service.transition(
            session=session,
            work_order_id=work_order_id,
            to=to,
            actor=_actor(actor),
            reason=reason,
            expected_version=version,
            close_reason=close_reason,
            hold_reason=hold_reason,
            escalated_to=escalated_to,
        )
        payload = views.summary(wo)
    _show_summary(payload, as_json)


@app.command()
def contact(
    work_order_id: int,
    channel: str = typer.Option("call", "--channel"),
    outcome: str = typer.Option(..., "--outcome"),
    party: str = typer.Option("debtor", "--party"),
    contact_person_id: int | None = typer.Option(None, "--contact-person"),
    purpose: str | None = typer.Option(None, "--purpose"),
    direction: str = typer.Option("outbound", "--direction"),
    duration: int | None = typer.Option(None, "--duration", help="seconds"),
    notes: str | None = typer.Option(None, "--notes"),
    content: str | None = typer.Option(None, "--content", help="message text (sms/email)"),
    at: str | None = typer.Option(None, "--at", help="ISO 8601 with offset; default now"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Log a contact attempt; compliance decides first and a block is stored as blocked.

    Exit code 0 when made, 1 when blocked."""
    from arrears.cases.schemas import jsonable
    from arrears.contacts import service
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        attempt = service.log_attempt(
            session=session,
            work_order_id=work_order_id,
            channel=channel,
            party=party,
            outcome=outcome,
            contact_person_id=contact_person_id,
            purpose=purpose,
            direction=direction,
            duration_seconds=duration,
            notes=notes,
            content=content,
            at=_when(at),
            actor=_actor(actor),
        )
        payload = jsonable(service.attempt_dict(attempt))
    if as_json:
        print_json(payload)
    elif payload["status"] == "made":
        console.print(f"attempt {payload['id']}: made, {payload['outcome']}")
    else:
        c = payload["compliance"]
        console.print(
            f"[red]attempt {payload['id']}: blocked[/red] by {', '.join(c['rules'])}: "
            f"{c['reason']}"
            + (f" (next allowed {c['next_allowed_at']})" if c["next_allowed_at"] else "")
        )
    raise typer.Exit(0 if payload["status"] == "made" else 1)


@app.command()
def promise(
    work_order_id: int,
    amount: str = typer.Option(..., "--amount"),
    due: str = typer.Option(..., "--due", help="YYYY-MM-DD"),
    channel: str = typer.Option("call", "--channel"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Take a promise to pay."""
    from arrears.cases.schemas import jsonable
    from arrears.kit.db import unit_of_work
    from arrears.promises import service

    due_on = _required_day(due, "--due")
    with unit_of_work() as session:
        found = service.take_promise(
            session=session,
            work_order_id=work_order_id,
            amount=amount,
            due_on=due_on,
            channel=channel,
            actor=_actor(actor),
        )
        payload = jsonable(service.promise_dict(found))
    _show(
        payload,
        as_json,
        lambda: f"promise {payload['id']}: {payload['amount']} by {payload['due_on']}",
    )


@app.command()
def plan(
    work_order_id: int,
    total: str = typer.Option(..., "--total"),
    instalments: int = typer.Option(..., "--instalments", min=1),
    first: str = typer.Option(..., "--first", help="first due date YYYY-MM-DD"),
    frequency: str = typer.Option("monthly", "--frequency"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Propose an instalment plan (above the threshold it waits for a checker)."""
    from arrears.cases.schemas import jsonable
    from arrears.kit.db import unit_of_work
    from arrears.promises import service

    first_due = _required_day(first, "--first")
    with unit_of_work() as session:
        found = service.propose_plan(
            session=session,
            work_order_id=work_order_id,
            total=total,
            instalments=instalments,
            first_due_on=first_due,
            frequency=frequency,
            actor=_actor(actor),
        )
        payload = jsonable(service.plan_dict(session=session, plan=found))
    _show(
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
    balance: str = typer.Option(..., "--balance"),
    discount: str = typer.Option(..., "--discount", help="share waived, e.g. 0.20"),
    due: str = typer.Option(..., "--due"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Propose a settlement offer (a discount on the balance)."""
    from arrears.cases.schemas import jsonable
    from arrears.kit.db import unit_of_work
    from arrears.promises import service

    due_on = _required_day(due, "--due")
    with unit_of_work() as session:
        found = service.propose_settlement(
            session=session,
            work_order_id=work_order_id,
            balance=balance,
            discount=discount,
            due_on=due_on,
            actor=_actor(actor),
        )
        payload = jsonable(service.plan_dict(session=session, plan=found))
    _show(
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
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Checker's decision on a proposed plan or settlement."""
    from arrears.cases.schemas import jsonable
    from arrears.kit.db import unit_of_work
    from arrears.promises import service

    with unit_of_work() as session:
        found = service.decide_plan(
            session=session,
            plan_id=plan_id,
            approve=not reject,
            actor=_actor(actor),
            role=role,
            note=note,
        )
        payload = jsonable(service.plan_summary(found))
    _show(payload, as_json, lambda: f"plan {payload['id']}: {payload['status']}")


@app.command()
def reconcile(
    work_order_id: int | None = typer.Argument(None, help="one case; default all"),
    as_of: str | None = typer.Option(None, "--as-of"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Mark promises and plan instalments against the payments received."""
    from arrears.cases.schemas import jsonable
    from arrears.kit.db import unit_of_work
    from arrears.promises import service

    day = _day(as_of, "--as-of")
    with unit_of_work() as session:
        if work_order_id is None:
            payload: Any = service.reconcile_all(session=session, actor=_actor(actor), as_of=day)
        else:
            payload = jsonable(
                service.reconcile_case(
                    session=session, work_order_id=work_order_id, actor=_actor(actor), as_of=day
                )
            )
    if as_json:
        print_json(payload)
    elif work_order_id is None:
        console.print(", ".join(f"{k}: {v}" for k, v in payload.items()))
    else:
        console.print(f"case {work_order_id}: {payload['status']}; changed: {payload['changed']}")


@app.command()
def stop(
    work_order_id: int,
    number: int = typer.Argument(..., help="1, 2 or 3"),
    locale: str | None = typer.Option(None, "--locale"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Record one of the three stops (in order); stop 3 escalates the case."""
    from arrears.cases import service
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        record = service.give_stop(
            session=session,
            work_order_id=work_order_id,
            stop=number,
            actor=_actor(actor),
            locale=locale,
        )
        payload = {"stop": record.stop, "wording": record.wording}
    _show(payload, as_json, lambda: f"stop {payload['stop']}: {payload['wording']}")


@app.command()
def script(
    work_order_id: int,
    name: str | None = typer.Option(None, "--name"),
    locale: str | None = typer.Option(None, "--locale"),
    as_json: bool = JSON,
) -> None:
    """The script for the case's level (or --name), with the account's real figures."""
    from arrears.contacts import service
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        payload = service.case_script(
            session=session, work_order_id=work_order_id, name=name, locale=locale
        )
    _show(payload, as_json, lambda: payload["text"])


@app.command("follow-up")
def follow_up(
    work_order_id: int,
    due: str = typer.Option(..., "--due"),
    kind: str = typer.Option("call_back", "--kind"),
    note: str | None = typer.Option(None, "--note"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Schedule a follow-up; the case's next action moves to it if sooner."""
    from arrears.cases import service
    from arrears.kit.db import unit_of_work

    due_on = _required_day(due, "--due")
    with unit_of_work() as session:
        task = service.schedule_follow_up(
            session=session,
            work_order_id=work_order_id,
            due_on=due_on,
            kind=kind,
            note=note,
            actor=_actor(actor),
        )
        payload = {"id": task.id, "due_on": task.due_on, "kind": task.kind}
    _show(payload, as_json, lambda: f"follow-up {payload['id']} on {payload['due_on']}")


@app.command()
def courtesy(
    on: str = typer.Option(..., "--on", help="the send day YYYY-MM-DD"),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Queue the courtesy greetings due on a day (checked by compliance) in the outbox."""
    from arrears.contacts import service
    from arrears.kit.db import unit_of_work

    day = _required_day(on, "--on")
    with unit_of_work() as session:
        queued = service.queue_courtesy_greetings(session=session, on=day, actor=_actor(actor))
        payload = {"on": day, "queued": len(queued)}
    _show(payload, as_json, lambda: f"{payload['queued']} greetings queued for {day}")


@app.command("send-outbox")
def send_outbox(
    spool: str | None = typer.Option(
        None, help="Folder the SMS gateway collects from (default ARREARS_OUTBOX_SPOOL)."
    ),
    limit: int = typer.Option(500, min=1, help="Messages per pass."),
    actor: str | None = ACTOR,
    as_json: bool = JSON,
) -> None:
    """Hand today's queued messages to the gateway, each re-checked by compliance now."""
    from pathlib import Path

    from arrears.config import get_settings
    from arrears.contacts import outbox, service
    from arrears.kit.db import unit_of_work

    folder = Path(spool) if spool else get_settings().outbox_spool
    with unit_of_work() as session:
        run = service.send_outbox(
            session=session,
            transport=outbox.SpoolTransport(folder),
            actor=_actor(actor),
            limit=limit,
        )
        payload = run.as_dict()
    _show(
        payload,
        as_json,
        lambda: (
            f"sent {payload['sent']}, held {payload['held']} (compliance: not now), "
            f"expired {payload['expired']}, retrying {payload['retrying']}, "
            f"failed {payload['failed']}; spool {folder}"
        ),
    )
