"""`arrears messages queue|send|list|cancel|channel|opt-out`: the outbound pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from arrears.cli import _cases as opts
from arrears.cli import identity
from arrears.cli.output import console, print_json

app = typer.Typer()


def _line(m: dict[str, object]) -> str:
    # ``state``: the state with its rule and reason, in the reader's language (--locale).
    return (
        f"message {m['id']}: {m['channel']} {m['template']} ({m['locale']}) to {m['sent_to']} "
        f"[bold]{m['state']}[/bold]"
    )


@contextmanager
def _reader(locale: Callable[[], str]) -> Iterator[None]:
    """A refusal (compliance, bad input) said in the reader's language (``locale()`` when it
    is raised: the user's own once known), its rule ids kept."""
    from arrears.compliance.reasons import message_in
    from arrears.kit.errors import ArrearsError

    try:
        yield
    except ArrearsError as exc:
        raise type(exc)(message_in(exc, locale()), detail=exc.detail) from None


@app.command()
def queue(
    work_order_id: int = typer.Option(..., "--case", help="The case the message is about."),
    channel: str | None = typer.Option(
        None,
        "--channel",
        help="sms, email or letter (default: the debtor's preferred, else sms)",
    ),
    template: str = typer.Option(
        ...,
        "--template",
        help="payment_reminder, collector_note...; for a letter its kind (cn-card, us-reg-f, "
        "uk-conc)",
    ),
    note: str | None = typer.Option(None, "--note", help="your words (collector_note)"),
    user: identity.AsUser = None,
    locale: str | None = opts.LOCALE,
    as_json: bool = opts.JSON,
) -> None:
    """Render a template with the case's data in the debtor's language, ask compliance, queue.

    Exit 0 when queued or held (compliance: not now), 1 when compliance refuses it, 2 on bad
    input (unknown template or letter kind, no address on file); nothing is queued on an error.
    A refusal reads in --locale (default: your own language)."""
    from arrears.auth.masking import mask_payload
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.workbench import messages

    lang = opts.reader_locale(locale)  # bad input before anything is read or written
    with _reader(lambda: lang), unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        lang = opts.reader_locale(locale, me.locale)
        message = messages.queue_message(
            session=session,
            work_order_id=work_order_id,
            channel=channel,
            template=template,
            note=note,
            actor=me.actor,
            collector_ref=f"agency:{me.agency_id}" if me.agency_id else "bank",
            collector_name=me.display_name,
        )
        payload = jsonable(messages.message_out(message, lang))
        if me.masked:
            payload = mask_payload(payload)
    opts.show(payload, as_json, lambda: _line(payload))


@app.command("list")
def list_messages(
    work_order_id: int = typer.Option(..., "--case"),
    user: identity.AsUser = None,
    locale: str | None = opts.LOCALE,
    as_json: bool = opts.JSON,
) -> None:
    """The case's messages, newest first, with their state (and its reason in --locale)."""
    from arrears.auth.masking import mask_payload
    from arrears.channels import repository
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.workbench import messages

    if locale is not None:
        opts.reader_locale(locale)
    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.read", work_order_id)
        lang = opts.reader_locale(locale, me.locale)
        payload = jsonable(
            [
                messages.message_out(m, lang)
                for m in repository.messages(session, work_order_id=work_order_id)
            ]
        )
        if me.masked:
            payload = mask_payload(payload)
    if as_json:
        print_json(payload)
        return
    for m in payload:
        console.print(_line(m))
    if not payload:
        console.print(f"case {work_order_id}: no messages")


@app.command()
def send(
    spool: str | None = typer.Option(
        None, help="Folder the SMS spool is written to (default ARREARS_OUTBOX_SPOOL)."
    ),
    letters: str | None = typer.Option(
        None, help="Folder letters are printed to (default ARREARS_LETTER_FOLDER)."
    ),
    limit: int = typer.Option(500, min=1, help="Messages per pass."),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """One relay pass: every pending message due now, checked by compliance again, to its
    channel's transport (SMS: spool or gateway; e-mail: SMTP; letter: a PDF in the print
    folder).

    Without --as (or ARREARS_USER) it acts as `system`, as the relay's scheduler does."""
    from arrears.kit.db import unit_of_work
    from arrears.workbench import messages

    with unit_of_work() as session:
        by = identity.actor(identity.optional(session, user, "cycle.run"))
        run = messages.relay(
            session=session,
            actor=by,
            transports=messages.all_transports(
                spool=Path(spool) if spool else None,
                letters_to=Path(letters) if letters else None,
            ),
            limit=limit,
        )
        payload = run.as_dict()
    opts.show(
        payload,
        as_json,
        lambda: ", ".join(f"{k} {v}" for k, v in payload.items()),
    )


@app.command()
def cancel(
    message_id: int,
    reason: str = typer.Option("withdrawn", "--reason"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Withdraw a message not yet handed over."""
    from arrears.channels import repository, service
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import NotFound
    from arrears.kit.serialize import jsonable
    from arrears.workbench import messages

    with unit_of_work() as session:
        found = repository.message(session, message_id)
        if found is None or found.work_order_id is None:
            raise NotFound(f"no message {message_id}")
        me = identity.on_case(session, user, "case.work", found.work_order_id)
        message = service.cancel(
            session=session, message_id=message_id, actor=me.actor, reason=reason
        )
        payload = jsonable(messages.message_out(message, me.locale))
    opts.show(payload, as_json, lambda: _line(payload))


@app.command()
def channel(
    work_order_id: int = typer.Option(..., "--case"),
    channel_name: str = typer.Option(..., "--channel", help="sms or email"),
    address: str | None = typer.Option(None, "--address", help="e.g. the e-mail address"),
    preferred: bool | None = typer.Option(None, "--preferred/--not-preferred"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Record the debtor's address on a channel (his e-mail) and whether he prefers it."""
    from arrears.channels import service
    from arrears.channels.schemas import ChannelIn
    from arrears.kit.db import unit_of_work
    from arrears.kit.validation import build
    from arrears.workforce.scoping import visible_work_order

    body = build(ChannelIn, channel=channel_name, address=address, preferred=preferred)
    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        wo = visible_work_order(session=session, principal=me, work_order_id=work_order_id)
        row = service.set_channel(
            session=session,
            cardholder_id=wo.cardholder_id,
            channel=body.channel,
            address=body.address,
            preferred=body.preferred,
            actor=me.actor,
        )
        payload = {"channel": row.channel, "address": row.address, "preferred": row.preferred}
    opts.show(payload, as_json, lambda: f"case {work_order_id}: {payload['channel']} on file")


@app.command("opt-out")
def opt_out(
    work_order_id: int = typer.Option(..., "--case"),
    channel_name: str = typer.Option(..., "--channel", help="sms or email"),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """The debtor asked to stop messages on a channel: no later message goes out on it."""
    from arrears.channels import service
    from arrears.channels.schemas import OptOutIn
    from arrears.kit.db import unit_of_work
    from arrears.kit.serialize import jsonable
    from arrears.kit.validation import build
    from arrears.workforce.scoping import visible_work_order

    body = build(OptOutIn, channel=channel_name)
    with unit_of_work() as session:
        me = identity.on_case(session, user, "case.work", work_order_id)
        wo = visible_work_order(session=session, principal=me, work_order_id=work_order_id)
        row = service.opt_out(
            session=session,
            cardholder_id=wo.cardholder_id,
            channel=body.channel,
            via="collector",
            actor=me.actor,
        )
        payload = jsonable({"channel": row.channel, "opted_out_at": row.opted_out_at})
    opts.show(payload, as_json, lambda: f"case {work_order_id}: opted out of {payload['channel']}")
