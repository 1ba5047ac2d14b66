"""A collector's message on a case, end to end: rendered from a template with the case's real
figures in the DEBTOR's language, asked of compliance with its full text and fields, queued in
the outbox; the relay hands the pending ones to their channel's transport, asked again.
Keyword-only; flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.auth.masking import mask_address
from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.channels import repository as channel_repository
from arrears.channels import service as channel_service
from arrears.channels import setup, templates
from arrears.channels.models import OutboxMessage
from arrears.channels.service import RelayRun, Verdict
from arrears.channels.transports import Transport, Transports
from arrears.compliance.reasons import Reason, catalogue, explain, render
from arrears.config import get_settings
from arrears.contacts import compliance_question, outbox_service
from arrears.contacts import service as contact_service
from arrears.contacts.letters import notice, pdf
from arrears.contacts.letters.transport import PrintFolder
from arrears.kit.clock import center_today, clock
from arrears.kit.errors import BadInput, NotAuthenticated, NotFound
from arrears.portfolio import repository as portfolio_repository
from arrears.portfolio.models import Cardholder
from arrears.vocabulary import LOCALES
from arrears.workbench import letters
from arrears.workbench.contact import real_actor
from arrears.workbench.script import case_context

# On the letter channel the template is the letter's kind (docs/letters.md): cn-card is the
# formal notice, us-reg-f the validation notice, uk-conc the arrears notice.
LETTER = "letter"


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
    if channel == LETTER:
        return _queue_letter(
            session=session, wo=wo, holder=holder, kind=template, actor=actor,
            collector_ref=collector_ref,
        )  # fmt: skip
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
        send_on=clock.today(),
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


@dataclass(frozen=True)
class LetterPreview:
    """A case's letter as it would be queued now: the letter (its figures as it prints them),
    the outbox row it would be, and compliance's verdict on it (recorded: a caller that only
    looks rolls back)."""

    letter: notice.Letter
    message: OutboxMessage
    verdict: Verdict

    @property
    def refused(self) -> bool:
        """Blocked for good (queueing it would be ``RuleRefused``); a hold for now is not."""
        return not self.verdict.allowed and not self.verdict.temporal


def letter_kinds() -> list[str]:
    """The letter kinds a collector may pick, the deployment's own first."""
    own = contact_service.profile().name
    return sorted(notice.KINDS, key=lambda kind: (kind != own, notice.KINDS.index(kind)))


def no_address(case_id: int) -> BadInput:
    """A case whose customer has no postal address: no letter (said in the reader's words)."""
    reason = Reason(rule="letter.no_address", params={"case": case_id})
    return BadInput(render(reason), detail=reason.model_dump(mode="json"))


def letter_message(
    *,
    session: Session,
    wo: WorkOrder,
    holder: Cardholder,
    kind: str,
    actor: str,
    collector_ref: str,
) -> LetterPreview:
    """The case's printed letter of ``kind`` as of today, in the debtor's language, as the
    outbox row for the print folder, with compliance's verdict: its text and fields from the
    store (never the caller), its HTML the page the transport prints. An unknown kind or no
    postal address: ``BadInput``. Nothing is added to the session but the compliance check."""
    if kind not in notice.KINDS:
        raise BadInput(f"no letter kind named {kind!r}; known: {', '.join(notice.KINDS)}")
    address = (holder.address or "").strip()
    if not address:
        raise no_address(wo.id)
    letter, page = letters.compose(
        session=session, wo=wo, holder=holder, kind=kind, locale=None, as_of=center_today()
    )
    fields = pdf.letter_fields(letter)
    # For the print house's manifest and the case timeline (the transport and the page read
    # them; compliance ignores them).
    fields.update(case_id=str(wo.id), kind=kind, reference=letter.reference)
    message = OutboxMessage(
        dedupe_key=f"letter:{wo.id}:{kind}:{uuid.uuid4().hex[:16]}",
        kind="collector",
        work_order_id=wo.id,
        cardholder_id=holder.id,
        channel=LETTER,
        address=address,
        template=kind,
        locale=letter.locale,
        subject=None,
        body=pdf.plain_text(page),
        html=page,
        fields=fields,
        collector_ref=collector_ref,
        send_on=clock.today(),
    )
    verdict = outbox_service.check_message(
        session,
        message,
        clock.now(),
        actor=actor,
        wo=wo,
        acted_by=real_actor(session, actor=actor, collector=collector_ref),
    )
    return LetterPreview(letter, message, verdict)


def preview_letter(
    *, session: Session, work_order_id: int, kind: str, actor: str, collector_ref: str = "bank"
) -> LetterPreview:
    """What queueing the case's letter of ``kind`` now would queue, and compliance's verdict,
    through the very path ``queue_message`` takes. It records the compliance check: the caller
    rolls back (a preview changes nothing)."""
    wo = case_service.get(session=session, work_order_id=work_order_id)
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if holder is None:
        raise NotFound(f"case {wo.id} has no customer")
    return letter_message(
        session=session, wo=wo, holder=holder, kind=kind, actor=actor, collector_ref=collector_ref
    )


def preview_document(preview: LetterPreview) -> tuple[bytes, int]:
    """The previewed letter as the print folder would print it (the same HTML, through the same
    renderer), with the address masked as the workbench shows it: a preview shows a collector
    no more of the customer than the case page does."""
    masked = replace(preview.letter, address=mask_address(preview.letter.address))
    return pdf.render_pdf(pdf.render_html(masked))


def _queue_letter(
    *,
    session: Session,
    wo: WorkOrder,
    holder: Cardholder,
    kind: str,
    actor: str,
    collector_ref: str,
) -> OutboxMessage:
    """The case's printed letter of ``kind`` (``letter_message``), queued for the print
    folder."""
    built = letter_message(
        session=session, wo=wo, holder=holder, kind=kind, actor=actor, collector_ref=collector_ref
    )
    return channel_service.queue(
        session=session, message=built.message, verdict=built.verdict, actor=actor
    )


def all_transports(
    *, spool: Path | None = None, letters_to: Path | None = None
) -> dict[str, Transport]:
    """Every channel's transport from the settings: SMS and e-mail (``channels.setup``) and the
    letters' print folder (``ARREARS_LETTER_FOLDER``). Assembled here, above both domains: the
    channels package imports no domain (tests/layering.py), the letter transport lives with the
    letters."""
    return {
        **setup.transports(spool=spool),
        LETTER: PrintFolder(letters_to or get_settings().letter_folder),
    }


def relay(
    *, session: Session, actor: str, transports: Transports | None = None, limit: int = 500
) -> RelayRun:
    """One relay pass over every channel with a transport (the settings' by default)."""
    return channel_service.relay(
        session=session,
        transports_by_channel=transports if transports is not None else all_transports(),
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


def state_text(message: OutboxMessage, locale: str) -> str:
    """The message's state as the reader reads it (the case timeline, the CLI, the API): the
    state word, and for a held, cancelled, failed or bounced one the rule and reason, from the
    per-rule templates (compliance/reasons.yaml) in ``locale``."""
    compliance = message.compliance or {}
    if message.status == "held" and message.next_allowed_at is not None:
        # The center's wall clock, as the timeline's own times are shown.
        until = message.next_allowed_at.astimezone(ZoneInfo(get_settings().time_zone))
        return render(
            Reason(
                rule="message.held",
                params={"rules": [message.held_rule or ""], "until": f"{until:%Y-%m-%d %H:%M}"},
            ),
            locale,
        )
    stored = compliance.get("why")
    if message.status in ("cancelled", "failed", "bounced"):
        if isinstance(stored, dict) and "rule" in stored:
            return explain([stored], locale)
        if message.last_error:  # a row from before reasons were stored: its English words
            return f"{message.status} ({message.last_error[:120]})"
    return catalogue().value("status", message.status, locale)


def message_out(message: OutboxMessage, locale: str) -> dict[str, object]:
    """A message as the API and the CLI show it, its state and reason in ``locale``."""
    out = channel_service.message_dict(message)
    out["state"] = state_text(message, locale)
    return out
