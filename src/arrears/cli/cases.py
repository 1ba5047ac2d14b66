"""`arrears cases`: Work orders: state, contacts, promises, plans.

The group's case commands live here; its contact and promise commands in
``cli/contacts.py`` and ``cli/promises.py`` (one module per domain, one group for the
collector)."""

from __future__ import annotations

import typer

from arrears.cli import _cases as opts
from arrears.cli import contacts, identity, output, promises
from arrears.cli.output import console, print_json

app = typer.Typer(help="Work orders: state, contacts, promises, plans.", no_args_is_help=True)


@app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status"),
    queue: str | None = typer.Option(None, "--queue"),
    limit: int = typer.Option(50, "--limit", min=1, max=10000),
    as_json: bool = opts.JSON,
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
    table = output.table(
        "id", "customer", "status", "bucket", "dpd", "due", "level", "queue", "next"
    )
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
def show(
    work_order_id: int,
    locale: str | None = output.LOCALE,
    as_json: bool = opts.JSON,
) -> None:
    """One case: figures, breakdown, contact persons (with the ids `cases contact
    --contact-person` takes) and their unlock, stops, promises, plans, contacts."""
    from arrears.auth.masking import mask_phone
    from arrears.cases import service
    from arrears.kit.db import unit_of_work
    from arrears.workbench import case_view

    lang = output.resolve_locale(locale)
    with unit_of_work() as session:
        view = case_view.build_case_view(
            session=session, work_order=service.get(session=session, work_order_id=work_order_id)
        )
    payload = view.model_dump(mode="json")
    if as_json:
        print_json(payload)
        return
    _ = output.words(lang)
    opts.show_summary(payload["work_order"], False)
    for part in payload["accounts"]:
        console.print(
            f"  {_('Account')} {part['account_ref']}: {_('Total due')} {part['total_due']}",
            highlight=False,
        )
        for item in part["items"]:
            explanation = item["explanation"].get(lang) or item["explanation"]["en"]
            console.print(
                f"    {_(item['kind'])} {item['amount']}: {explanation}",
                markup=False,
                highlight=False,
            )
    unlock = payload["contact_persons_unlock"]
    console.print(
        f"  {_('Contact persons')} (--contact-person ID): "
        f"{_('unlocked') if unlock['unlocked'] else _('locked')}: {unlock['reason']}",
        markup=False,
        highlight=False,
    )
    for person in payload["customer"]["contact_persons"]:
        phone = f": {mask_phone(person['phone'])}" if person["phone"] else ""
        console.print(
            f"    {person['id']} {person['name']} ({_(person['relation'])}){phone}",
            markup=False,
            highlight=False,
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
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Take the most urgent due case in your case scope (it moves to in_progress)."""
    from arrears.cases import service, views
    from arrears.kit.db import unit_of_work
    from arrears.workforce.scoping import scoped_work_orders

    with unit_of_work() as session:
        me = identity.require(session, user, "queue.read")
        taken = service.take_next(
            session=session, actor=me.actor, base=scoped_work_orders(me), queue=queue
        )
        payload = views.summary(taken)
    opts.show_summary(payload, as_json)


@app.command()
def transition(
    work_order_id: int,
    to: str = typer.Argument(..., help="target state"),
    reason: str | None = typer.Option(None, "--reason"),
    close_reason: str | None = typer.Option(None, "--close-reason"),
    hold_reason: str | None = typer.Option(None, "--hold-reason"),
    escalated_to: str | None = typer.Option(None, "--escalated-to"),
    version: int | None = typer.Option(None, "--version", help="refuse if the case moved on"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Move a case through the state machine (illegal moves are refused); closing it ends its
    assignment."""
    from arrears.cases import views
    from arrears.kit.db import unit_of_work
    from arrears.workforce import closing

    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        wo = closing.transition(
            session=session,
            work_order_id=work_order_id,
            to=to,
            actor=me.actor,
            reason=reason,
            expected_version=version,
            close_reason=close_reason,
            hold_reason=hold_reason,
            escalated_to=escalated_to,
        )
        payload = views.summary(wo)
    opts.show_summary(payload, as_json)


@app.command()
def stop(
    work_order_id: int,
    number: int = typer.Argument(..., help="1, 2 or 3"),
    locale: str | None = typer.Option(None, "--locale"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Record one of the three stops (in order); stop 3 escalates the case."""
    from arrears.kit.db import unit_of_work
    from arrears.workbench import three_stops

    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        record = three_stops.give_stop(
            session=session,
            work_order_id=work_order_id,
            stop=number,
            actor=me.actor,
            locale=locale,
        )
        payload = {"stop": record.stop, "wording": record.wording}
    opts.show(payload, as_json, lambda: f"stop {payload['stop']}: {payload['wording']}")


@app.command()
def script(
    work_order_id: int,
    name: str | None = typer.Option(None, "--name"),
    locale: str | None = typer.Option(None, "--locale"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """The script for the case's level (or --name), with the account's real figures, in the
    words of who speaks: the --as user, else the case's collector."""
    from arrears.kit.db import unit_of_work
    from arrears.workbench.script import case_script

    with unit_of_work() as session:
        speaker = (
            identity.on_case(session, user, "case.read", work_order_id).display_name
            if user and user.strip()
            else ""
        )
        payload = case_script(
            session=session,
            work_order_id=work_order_id,
            name=name,
            locale=locale,
            collector_name=speaker,
        )
    opts.show(payload, as_json, lambda: payload["text"])


@app.command("follow-up")
def follow_up(
    work_order_id: int,
    due: str = typer.Option(..., "--due"),
    kind: str = typer.Option("call_back", "--kind"),
    note: str | None = typer.Option(None, "--note"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Schedule a follow-up; the case's next action moves to it if sooner."""
    from arrears.cases import service
    from arrears.kit.db import unit_of_work

    due_on = opts.required_day(due, "--due")
    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        task = service.schedule_follow_up(
            session=session,
            work_order_id=work_order_id,
            due_on=due_on,
            kind=kind,
            note=note,
            actor=me.actor,
        )
        payload = {"id": task.id, "due_on": task.due_on, "kind": task.kind}
    opts.show(payload, as_json, lambda: f"follow-up {payload['id']} on {payload['due_on']}")


app.add_typer(contacts.app)
app.add_typer(promises.app)
