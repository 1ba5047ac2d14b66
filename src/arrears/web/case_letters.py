"""The printed letter from the case page: a preview of what queueing it would queue (its owed
breakdown as the letter prints it, compliance's verdict) and the letter itself as a PDF, both
behind the session's sign-in and scope. They run the outbound pipeline's own letter path
(``workbench.messages.preview_letter``) and roll it back: a preview records nothing. Queueing
is the message form's (``case_actions.queue_message``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.channels import service as channel_service
from arrears.compliance.reasons import explain, message_in
from arrears.contacts.letters import notice, pdf
from arrears.kit.errors import ArrearsError
from arrears.web.context import current_locale
from arrears.web.templating import render
from arrears.workbench import messages
from arrears.workforce.scoping import visible_work_order

router = APIRouter(include_in_schema=False)


def _preview(
    session: Session, principal: Principal, work_order_id: int, kind: str
) -> messages.LetterPreview:
    """The letter queueing would queue now (the case in scope first: 404 outside it)."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return messages.preview_letter(
        session=session,
        work_order_id=work_order_id,
        kind=kind,
        actor=principal.actor,
        collector_ref=principal.collector_ref,
    )


def _shown(found: messages.LetterPreview, reader: str) -> dict[str, Any]:
    """The preview as the page shows it: figures in the letter's own words and format (as it
    prints them), the verdict in the reader's language; ``address`` is masked by ``render``."""
    letter, verdict = found.letter, found.verdict
    if found.refused:
        status = "refused"
        reason = message_in(channel_service.refusal(messages.LETTER, verdict), reader)
    elif not verdict.allowed:
        status = "held"
        reason = explain(verdict.reasons, reader) or verdict.reason
    else:
        status, reason = "allowed", ""
    return {
        "kind": letter.kind,
        "reference": letter.reference,
        "locale": letter.locale,
        "letter_date": letter.letter_date.isoformat(),
        "customer_name": letter.customer_name,
        "address": letter.address,
        "accounts": [
            {
                "account_ref": a.account_ref,
                "currency": a.currency,
                "lines": [
                    {
                        "item": pdf.words(letter.locale, f"kinds.{line.kind}"),
                        "amount": notice.money(line.amount, a.currency),
                        "explanation": line.explanation,
                    }
                    for line in a.lines
                ],
                "total_due": f"{a.total_due:f}",
                "total_text": notice.money(a.total_due, a.currency),
            }
            for a in letter.accounts
        ],
        "total_text": notice.amounts_text(letter)
        if letter.currency == "mixed"
        else notice.money(letter.total(), letter.currency),
        "status": status,
        "rules": verdict.rules,
        "reason": reason,
        "next_allowed_at": verdict.next_allowed_at,
    }


@router.post("/cases/{work_order_id}/message/preview")
def letter_preview(
    work_order_id: int,
    request: Request,
    session: DbSession,
    channel: Annotated[str, Form()],
    template: Annotated[str, Form()],
    principal: Principal = Depends(require("case.work")),
) -> Response:
    """HTMX: the letter the message form would queue, with compliance's verdict; changes
    nothing. Without HTMX the button posts here and gets the same panel as a page."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    reader = current_locale.get()
    context: dict[str, Any] = {"work_order_id": work_order_id, "template": template}
    if channel != messages.LETTER:
        context["error"] = None
        context["not_a_letter"] = True
        return render(request, "_letter_preview.html", context)
    try:
        context["preview"] = _shown(_preview(session, principal, work_order_id, template), reader)
    except ArrearsError as exc:
        # No address, an unknown kind, nothing owed: the sentence, and nothing to queue.
        context["error"] = message_in(exc, reader)
    finally:
        session.rollback()  # the compliance check a preview asked is not a decision taken
    return render(request, "_letter_preview.html", context)


@router.get("/cases/{work_order_id}/letter-preview.pdf")
def letter_preview_pdf(
    work_order_id: int,
    session: DbSession,
    kind: Annotated[str, Query(max_length=40)],
    principal: Principal = Depends(require("case.work")),
) -> Response:
    """The letter as the print folder would print it (the address masked), for the signed-in
    collector only: no public URL, never cached. A letter compliance refuses is not rendered
    (the error page says why, in the reader's language)."""
    try:
        found = _preview(session, principal, work_order_id, kind)
        if found.refused:
            raise channel_service.refusal(messages.LETTER, found.verdict)
    finally:
        session.rollback()
    document, _ = messages.preview_document(found)
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{found.letter.reference}-preview.pdf"',
            "Cache-Control": "no-store",
        },
    )
