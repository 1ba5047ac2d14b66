"""`arrears portal link`: send a customer their single-use portal link (issue 16)."""

from __future__ import annotations

import typer

from arrears.cli import _cases as opts
from arrears.cli import identity

app = typer.Typer()


@app.callback()
def portal() -> None:
    """The customer portal: single-use links to /portal."""


@app.command()
def link(
    account: str | None = typer.Option(None, "--account", help="The card account's reference."),
    work_order_id: int | None = typer.Option(None, "--case", help="The case's id."),
    channel: str = typer.Option(..., "--channel", help="sms, email or letter"),
    audience: str = typer.Option(
        "debtor", "--audience", help="debtor, or third_party (a link that shows no debt)"
    ),
    show_url: bool = typer.Option(
        False,
        "--print",
        help="Print the link's URL and do not send it (a letter's link is always printed).",
    ),
    user: identity.AsUser = None,
    as_json: bool = opts.JSON,
) -> None:
    """Issue a single-use link for the case's customer and send it by SMS or e-mail in the
    customer's language through the outbound pipeline (compliance decides; it waits in the
    outbox for `arrears messages send`). A letter's link is printed for the letter.

    Exit 0 when issued (and queued or held), 1 when compliance refuses the message, 2 on bad
    input (no such channel, no address on file, no birth date or ID number on file); nothing is
    issued on an error. The URL is shown only with --print or for a letter: it is a secret."""
    from arrears.kit.db import unit_of_work
    from arrears.workbench import portal_links

    with unit_of_work() as session:
        wo = portal_links.case_for(
            session=session, work_order_id=work_order_id, account_ref=account
        )
        me = identity.on_case(session, user, "case.work", wo.id)
        sent = portal_links.send_link(
            session=session,
            work_order_id=wo.id,
            channel=channel,
            audience=audience,
            actor=me.actor,
            send=not show_url,
        )
        printed = show_url or sent.message is None
        payload: dict[str, object] = {
            "link_id": sent.issued.link.id,
            "case": sent.work_order_id,
            "channel": channel,
            "audience": audience,
            "expires_at": sent.issued.link.expires_at.isoformat(),
            "message_id": sent.message.id if sent.message else None,
            "message_status": sent.message.status if sent.message else None,
            "url": sent.url if printed else None,
        }

    def line() -> str:
        head = (
            f"portal link {payload['link_id']} for case {payload['case']} ({audience}, "
            f"{channel}) expires {payload['expires_at']}"
        )
        if payload["message_id"] is not None:
            head += f"; message {payload['message_id']} {payload['message_status']}"
        return head + (f"\n{payload['url']}" if payload["url"] else "")

    opts.show(payload, as_json, line)
