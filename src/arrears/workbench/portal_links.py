"""Sending a customer their portal link: issue a single-use link (``portal.service``) and carry
it through the outbound pipeline in the customer's language (SMS or e-mail: rendered from the
``portal_link`` template, checked by compliance, queued in the outbox with the link's
transaction), or hand its URL back for a letter. Keyword-only; flush, never commit.

The outbox row holds the message text, hence the URL, until it is sent (a transactional outbox
sends what it stored); the link table holds only the token's hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.channels.models import OutboxMessage
from arrears.config import get_settings
from arrears.kit.errors import BadInput, NotFound
from arrears.portal import repository as portal_repository
from arrears.portal import service as portal_service
from arrears.portal.service import IssuedLink
from arrears.workbench.messages import queue_message

TEMPLATE = "portal_link"
SENT_CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class SentLink:
    issued: IssuedLink
    work_order_id: int
    message: OutboxMessage | None  # None: a letter's link, or one only printed

    @property
    def url(self) -> str:
        return self.issued.url


def case_for(
    *, session: Session, work_order_id: int | None = None, account_ref: str | None = None
) -> WorkOrder:
    """The case a link is sent about: by id, or the open case covering an account."""
    if (work_order_id is None) == (account_ref is None):
        raise BadInput("give exactly one of --case or --account")
    if work_order_id is not None:
        return case_service.get(session=session, work_order_id=work_order_id)
    assert account_ref is not None
    found = portal_repository.open_case_of_account(session, account_ref.strip())
    if found is None:
        raise NotFound(f"no open case covers account {account_ref!r}")
    return found


def send_link(
    *,
    session: Session,
    work_order_id: int,
    channel: str,
    actor: str,
    audience: str = "debtor",
    send: bool = True,
) -> SentLink:
    """Issue a link for the case's customer; for SMS and e-mail (``send``), queue the message
    that carries it. A letter's link is only issued: its URL goes on the letter. A third
    party's link is never sent from here (the contact person's own rules apply): issued only.
    Compliance refusing the message, or no address on file: nothing is issued either."""
    wo = case_service.get(session=session, work_order_id=work_order_id)
    issued = portal_service.issue_link(
        session, cardholder_id=wo.cardholder_id, channel=channel, audience=audience, actor=actor
    )
    if not send or channel not in SENT_CHANNELS or audience != "debtor":
        return SentLink(issued, wo.id, None)
    zone = ZoneInfo(get_settings().time_zone)
    expires = issued.link.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    message = queue_message(
        session=session,
        work_order_id=wo.id,
        channel=channel,
        template=TEMPLATE,
        note=None,
        actor=actor,
        extra_context={"portal_url": issued.url, "link_expires": expires},
    )
    return SentLink(issued, wo.id, message)
