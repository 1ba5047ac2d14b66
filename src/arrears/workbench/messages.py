"""A collector's message on a case, end to end: rendered from a template with the case's real
figures in the DEBTOR's language, asked of compliance with its full text and fields, queued in
the outbox; the relay hands the pending ones to their channel's transport, asked again.
Keyword-only; flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.channels import repository as channel_repository
from arrears.channels import service as channel_service
from arrears.channels import setup, templates
from arrears.channels.models import OutboxMessage
from arrears.channels.service import RelayRun
from arrears.channels.transports import Transports
from arrears.config import get_settings
from arrears.contacts import compliance_question, outbox_service
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotAuthenticated, NotFound
from arrears.portfolio import repository as portfolio_repository
from arrears.vocabulary import LOCALES
from arrears.workbench.contact import real_actor
from arrears.workbench.script import case_context


def _address(session: Session, *, cardholder_id: int, channel: str, case_id: int) -> str:
    """Where the message goes: the first mobile number, or the e-mail on file."""
    if channel == "sms":
        for phone in portfolio_repository.phones(session, cardholder_id):
            number = compliance_question.e164(phone.number) if phone.type == "mobile" else None
            if number:
                return number
        raise BadInput(f"case {case_id}: the customer has no mobile number on file")
    address = channel_service.address_on_file(
        session=session, cardholder_id=cardholder_id, channel=channel
    )
    if not address:
        raise BadInput(f"case {case_id}: the customer has no {channel} address on file")
    return address


def queue_message(
    *,
    session: Session,
    work_order_id: int,
    channel: str | None,
    template: str,
    note: str | None,
    actor: str,
    collector_ref: str = "bank",
    collector_name: str = "",
    extra_context: Mapping[str, object] | None = None,
) -> OutboxMessage:
    """Render, check and queue one message on the case (``extra_context``: values a template
    needs beyond the case's figures, e.g. the portal link). Unknown template, no address on file:
    ``BadInput``; compliance refusing it for good (a threat, a hold, an opt-out):
    ``RuleRefused``; blocked only for now (the hour): queued as held. Nothing is queued on an
    error. Without ``channel``, the debtor's preferred one (else SMS)."""
    wo = case_service.get(session=session, work_order_id=work_order_id)
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {wo.id} has no customer")
    channel = channel or (
        channel_service.preferred_channel(session=session, cardholder_id=holder.id) or "sms"
    )
    templates.check_name(template, channel)
    if template in templates.NOTE_TEMPLATES and not (note or "").strip():
        raise BadInput(f"template {template} needs the collector's words (note)")
    address = _address(session, cardholder_id=holder.id, channel=channel, case_id=wo.id)
    # The debtor's language, not the collector's.
    locale = holder.language if holder.language in LOCALES else get_settings().locale
    key = f"message:{wo.id}:{channel}:{uuid.uuid4().hex[:16]}"
    opt_out = templates.opt_out_text(channel, locale)
    context = case_context(
        session=session, work_order=wo, holder=holder, locale=locale, collector_name=collector_name
    )
    context.update(
        note=(note or "").strip(),
        opt_out=opt_out,
        opt_out_link=setup.opt_out_link(key) if channel == "email" else None,
    )
    context.update(extra_context or {})
    rendered = templates.render(template, channel=channel, locale=locale, context=context)
    message = OutboxMessage(
        dedupe_key=key,
        kind="collector",
        work_order_id=wo.id,
        cardholder_id=holder.id,
        channel=channel,
        address=address,
        template=template,
        locale=locale,
        subject=rendered.subject,
        body=rendered.body,
        html=rendered.html,
        fields={"opt_out": opt_out},
        collector_ref=collector_ref,
        send_on=channel_service.local_today(),
    )
    verdict = outbox_service.check_message(
        session,
        message,
        clock.now(),
        actor=actor,
        wo=wo,
        acted_by=real_actor(session, actor=actor, collector=collector_ref),
    )
    return channel_service.queue(session=session, message=message, verdict=verdict, actor=actor)


def relay(
    *, session: Session, actor: str, transports: Transports | None = None, limit: int = 500
) -> RelayRun:
    """One relay pass over every channel with a transport (the settings' by default)."""
    return channel_service.relay(
        session=session,
        transports_by_channel=transports if transports is not None else setup.transports(),
        gate=outbox_service.gate(actor),
        actor=actor,
        unsubscribe=lambda m: setup.opt_out_link(m.dedupe_key) if m.channel == "email" else None,
        limit=limit,
    )


def opt_out_by_link(*, session: Session, dedupe_key: str, signature: str) -> OutboxMessage:
    """The customer used the opt-out link of an e-mail: his opt-out of that channel."""
    secret = get_settings().link_secret
    if not (secret and signature) or not setup.link_signature_ok(secret, dedupe_key, signature):
        raise NotAuthenticated("this opt-out link is not valid")
    message = channel_repository.message_by_key(session, dedupe_key)
    if message is None:
        raise NotFound("this opt-out link names no message")
    channel_service.opt_out(
        session=session,
        cardholder_id=message.cardholder_id,
        channel=message.channel,
        via="link",
        actor=f"customer:{message.cardholder_id}",
    )
    return message
