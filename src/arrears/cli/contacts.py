"""`arrears cases contact|courtesy|send-outbox`: the contact log and the outbox."""

from __future__ import annotations

import typer

from arrears.cli import _cases as opts
from arrears.cli import identity
from arrears.cli.output import console, print_json

app = typer.Typer()


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
    made_at: str | None = typer.Option(
        None,
        "--made-at",
        help="a late entry: when the contact was made (ISO 8601 with offset, within the "
        "late-entry window); default: recorded now",
    ),
    user: identity.AsUser = None,
    locale: str | None = opts.LOCALE,
    as_json: bool = opts.JSON,
) -> None:
    """Log a contact attempt; compliance decides first and a block is stored as blocked.

    Exit code 0 when made, 1 when blocked."""
    from arrears.contacts import service
    from arrears.contacts.schemas import ContactIn
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.kit.validation import build
    from arrears.workbench import contact as contact_flow

    if locale is not None:
        opts.reader_locale(locale)  # bad input before anything is written
    body = build(
        ContactIn,
        channel=channel,
        party=party,
        outcome=outcome,
        contact_person_id=contact_person_id,
        purpose=purpose,
        direction=direction,
        duration_seconds=duration,
        notes=notes,
        content=content,
        made_at=opts.when(made_at, "--made-at"),
    )
    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        attempt = contact_flow.log_attempt(
            session=session,
            work_order_id=work_order_id,
            body=body,
            actor=me.actor,
        )
        payload = jsonable(
            service.attempt_dict(attempt, locale=opts.reader_locale(locale, me.locale))
        )
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


SKIPPED_SHOWN = 20  # a whole book may be skipped (placeholder names): the text shows the first


@app.command()
def courtesy(
    on: str = typer.Option(..., "--on", help="the send day YYYY-MM-DD"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Queue the courtesy greetings due on a day (checked by compliance) in the outbox.

    Without --as (or ARREARS_USER) it acts as `system`, as a nightly scheduler does."""
    from dataclasses import asdict

    from arrears.contacts import outbox_service
    from arrears.kit.db import unit_of_work

    day = opts.required_day(on, "--on")
    with unit_of_work() as session:
        by = identity.actor(identity.optional(session, user, "cycle.run"))
        run = outbox_service.queue_courtesy_greetings(session=session, on=day, actor=by)
        payload = {
            "on": day,
            "queued": len(run.queued),
            "skipped": [asdict(s) for s in run.skipped],
        }

    def lines() -> str:
        from collections import Counter

        from rich.markup import escape

        head = f"{payload['queued']} greetings queued for {day}"
        if not run.skipped:
            return head
        codes = Counter(s.code for s in run.skipped)
        shown = run.skipped[:SKIPPED_SHOWN]
        more = len(run.skipped) - len(shown)
        return "\n".join(
            [
                f"{head}; {len(run.skipped)} customers skipped",
                "  by reason: " + ", ".join(f"{c} {n}" for c, n in sorted(codes.items())),
            ]
            + [f"  {escape(s.customer_ref)}: {escape(s.reason)}" for s in shown]
            + ([f"  ... and {more} more (--json lists every one)"] if more else [])
        )

    opts.show(payload, as_json, lines)


@app.command("send-outbox")
def send_outbox(
    spool: str | None = typer.Option(
        None, help="Folder the SMS gateway collects from (default ARREARS_OUTBOX_SPOOL)."
    ),
    limit: int = typer.Option(500, min=1, help="Messages per pass."),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Hand today's queued messages to the gateway, each re-checked by compliance now.

    Without --as (or ARREARS_USER) it acts as `system`, as the relay's scheduler does."""
    from pathlib import Path

    from arrears.channels import transports as outbox
    from arrears.config import get_settings
    from arrears.contacts import outbox_service
    from arrears.kit.db import unit_of_work

    folder = Path(spool) if spool else get_settings().outbox_spool
    with unit_of_work() as session:
        by = identity.actor(identity.optional(session, user, "cycle.run"))
        run = outbox_service.send_outbox(
            session=session,
            transport=outbox.SpoolTransport(folder),
            actor=by,
            limit=limit,
        )
        payload = run.as_dict()
    opts.show(
        payload,
        as_json,
        lambda: (
            f"sent {payload['sent']}, held {payload['held']} (compliance: not now), "
            f"expired {payload['expired']}, retrying {payload['retrying']}, "
            f"failed {payload['failed']}; already with the gateway after a crash "
            f"{payload['recovered']}; spool {folder}"
        ),
    )
