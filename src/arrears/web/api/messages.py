"""JSON API of the outbound pipeline: a collector's messages on a case, the debtor's channels
and opt-outs, the relay, and the signed callbacks (delivery receipts, one-click opt-out)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.channels import repository as channel_repository
from arrears.channels import service as channel_service
from arrears.channels.schemas import (
    ChannelIn,
    DebtorChannelOut,
    MessageIn,
    MessageOut,
    OptOutIn,
    ReceiptIn,
    ReceiptOut,
    RelayOut,
)
from arrears.channels.transports import SIGNATURE_HEADER, signed_by
from arrears.config import get_settings
from arrears.kit.errors import BadInput, NotAuthenticated, NotFound
from arrears.kit.schema_types import Id
from arrears.kit.serialize import jsonable
from arrears.workbench import messages
from arrears.workforce.scoping import visible_work_order

router = APIRouter(tags=["messages"])


@router.post("/cases/{work_order_id}/messages", status_code=201, response_model=MessageOut)
def queue_message(
    work_order_id: Id,
    body: MessageIn,
    response: Response,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> dict[str, Any]:
    """Render the template with the case's data in the debtor's language, ask compliance, and
    queue it (``queued``, or ``held`` with the rule and next allowed time). 422: unknown
    template, no address on file; 409: compliance refuses it (nothing queued)."""
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    message = messages.queue_message(
        session=session,
        work_order_id=work_order_id,
        channel=body.channel,
        template=body.template,
        note=body.note,
        actor=principal.actor,
        collector_ref=principal.collector_ref,
        collector_name=principal.display_name,
    )
    response.headers["Location"] = f"/api/v1/cases/{work_order_id}/messages"
    return jsonable(messages.message_out(message, principal.locale))


@router.get("/cases/{work_order_id}/messages", response_model=list[MessageOut])
def list_messages(
    work_order_id: Id, session: DbSession, principal: Principal = Depends(require("case.read"))
) -> list[dict[str, Any]]:
    visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    found = channel_repository.messages(session, work_order_id=work_order_id)
    return jsonable([messages.message_out(m, principal.locale) for m in found])


@router.post("/messages/{message_id}/cancel", response_model=MessageOut)
def cancel_message(
    message_id: Id, session: DbSession, principal: Principal = Depends(require("case.work"))
) -> dict[str, Any]:
    """Withdraw a message not yet handed over (409 once it is sent)."""
    found = channel_repository.message(session, message_id)
    if found is None or found.work_order_id is None:
        raise NotFound(f"no message {message_id}")
    visible_work_order(session=session, principal=principal, work_order_id=found.work_order_id)
    message = channel_service.cancel(
        session=session, message_id=message_id, actor=principal.actor, reason="withdrawn"
    )
    return jsonable(messages.message_out(message, principal.locale))


@router.post("/messages/send", response_model=RelayOut)
def send_messages(
    session: DbSession, principal: Principal = Depends(require("cycle.run"))
) -> dict[str, int]:
    """One relay pass: every pending message due now to its channel's transport."""
    return messages.relay(session=session, actor=principal.actor).as_dict()


@router.get("/cases/{work_order_id}/channels", response_model=list[DebtorChannelOut])
def list_channels(
    work_order_id: Id, session: DbSession, principal: Principal = Depends(require("case.read"))
) -> list[dict[str, Any]]:
    wo = visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    return jsonable(
        [_channel(row) for row in channel_repository.debtor_channels(session, wo.cardholder_id)]
    )


@router.put("/cases/{work_order_id}/channels", response_model=DebtorChannelOut)
def set_channel(
    work_order_id: Id,
    body: ChannelIn,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> dict[str, Any]:
    """Record the debtor's address on a channel (his e-mail) and whether he prefers it."""
    wo = visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    row = channel_service.set_channel(
        session=session,
        cardholder_id=wo.cardholder_id,
        channel=body.channel,
        address=body.address,
        preferred=body.preferred,
        actor=principal.actor,
    )
    return jsonable(_channel(row))


@router.post("/cases/{work_order_id}/channels/opt-out", response_model=DebtorChannelOut)
def opt_out(
    work_order_id: Id,
    body: OptOutIn,
    session: DbSession,
    principal: Principal = Depends(require("case.work")),
) -> dict[str, Any]:
    """The debtor asked the collector to stop messages on a channel."""
    wo = visible_work_order(session=session, principal=principal, work_order_id=work_order_id)
    row = channel_service.opt_out(
        session=session,
        cardholder_id=wo.cardholder_id,
        channel=body.channel,
        via="collector",
        actor=principal.actor,
    )
    return jsonable(_channel(row))


def _channel(row: Any) -> dict[str, Any]:
    return {
        "channel": row.channel,
        "address": row.address,
        "preferred": row.preferred,
        "opted_out_at": row.opted_out_at,
        "opted_out_via": row.opted_out_via,
    }


@router.post("/channels/receipts", response_model=ReceiptOut)
async def receipt(request: Request, session: DbSession) -> dict[str, Any]:
    """A delivery receipt (or a reply) from the SMS gateway, signed with the shared secret
    (``X-Arrears-Signature: sha256=<hex HMAC of the body>``). A bad signature: 401, nothing
    written; a receipt id seen before: 200 with ``applied: false``."""
    raw = await request.body()
    if not signed_by(get_settings().sms_gateway_secret, raw, request.headers.get(SIGNATURE_HEADER)):
        raise NotAuthenticated("the receipt's signature does not match")
    try:
        body = ReceiptIn.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BadInput(f"{where}: {first['msg']}") from exc
    actor = "system:sms-gateway"
    if body.status == "reply":
        message, applied = channel_service.record_reply(
            session=session,
            receipt_id=body.receipt_id,
            message_key=body.message,
            text=body.text or "",
            actor=actor,
        )
    else:
        message, applied = channel_service.record_receipt(
            session=session,
            receipt_id=body.receipt_id,
            message_key=body.message,
            status=body.status,
            detail=body.detail,
            actor=actor,
        )
    return {"message_id": message.id, "status": message.status, "applied": applied}


@router.get("/channels/opt-out", response_model=DebtorChannelOut)
def opt_out_link(session: DbSession, m: str = "", sig: str = "") -> dict[str, Any]:
    """The opt-out link of an e-mail, opened: the customer's opt-out of that channel. Signed,
    so nobody opts out someone else: a link without its signature is 401, nothing written."""
    message = messages.opt_out_by_link(session=session, dedupe_key=m, signature=sig)
    row = channel_repository.debtor_channel(session, message.cardholder_id, message.channel)
    return jsonable(_channel(row))


@router.post("/channels/opt-out", response_model=DebtorChannelOut)
def opt_out_one_click(session: DbSession, m: str = "", sig: str = "") -> dict[str, Any]:
    """The same, as the mail client's one-click POST (RFC 8058, ``List-Unsubscribe-Post``)."""
    return opt_out_link(session=session, m=m, sig=sig)
