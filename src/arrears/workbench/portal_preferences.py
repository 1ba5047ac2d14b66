"""The customer's contact preferences in the portal: what he agreed to (each channel allowed or
opted out since when, his call-back windows, his preferred channel) and taking it back as
easily as he gave it (Reg F 1006.6(e), 1006.14(b)(3); CONC 7): opting back in to a channel he
opted out of, withdrawing a call-back window.

The same pattern as ``portal_actions``: through the services a collector's flow reads
(``channels.service.opt_in``, ``contacts.service.withdraw_call_back_consent``), as the customer
(``customer:<external_ref>``) at the clock's time; what he can get wrong is refused in one
sentence of ``portal_said`` before anything is written; each act marks his case and leaves a
``portal.<action>`` event on its timeline, by the customer. Keyword-only; flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.channels import repository as channel_repository
from arrears.channels import service as channel_service
from arrears.compliance import repository as compliance_repository
from arrears.contacts import service as contact_service
from arrears.kit.clock import clock
from arrears.kit.errors import Conflict, RuleRefused
from arrears.portal import preferences as rules
from arrears.portfolio import repository as portfolio_repository
from arrears.workbench.portal_actions import (
    OPT_OUT_CHANNELS,
    PREFERABLE,
    Customer,
    acted,
    acted_on_all,
    zone_of,
)
from arrears.workbench.portal_said import (
    CHANNEL_NAMES,
    CHANNEL_UNKNOWN,
    NOT_OPTED_OUT,
    OPT_IN_DONE,
    WINDOW_ENDED,
    WINDOW_NOT_FOUND,
    WINDOW_WITHDRAWN,
    WITHDRAW_DONE,
    CaseNotFound,
    Done,
    InputRefused,
    PolicyRefused,
)

_WHY = "the customer acted in the self-service portal"


@dataclass(frozen=True)
class Preferences:
    """The page: every channel the portal names with its state, the current call-back windows,
    the preferred channel, and which channels he may stop here."""

    channels: list[rules.ChannelState]
    windows: list[rules.Window]
    preferred: str | None
    stoppable: tuple[str, ...] = OPT_OUT_CHANNELS


def preferences(*, session: Session, customer: Customer) -> Preferences:
    """What the customer agreed to, now, in his wall clock."""
    zone = _zone(session, customer)
    states = rules.channel_states(
        channel_repository.debtor_channels(session, customer.cardholder_id),
        channels=PREFERABLE,
        zone=zone,
    )
    windows = rules.current_windows(
        compliance_repository.consents_of(
            session, cardholder_id=customer.cardholder_id, ending_after=clock.now()
        ),
        now=clock.now(),
        zone=zone,
    )
    preferred = next((s.channel for s in states if s.preferred), None)
    return Preferences(channels=states, windows=windows, preferred=preferred)


def opt_back_in(*, session: Session, customer: Customer, channel: object) -> Done:
    """The customer opts back in to a channel he opted out of: its opt-out ends now (kept, with
    when and by whom), and the collector's contacts and messages on it are allowed again,
    subject to every other rule."""
    problem = rules.opt_in_problem(
        channel,
        offered=PREFERABLE,
        opted_out=channel_service.opted_out(session=session, cardholder_id=customer.cardholder_id),
    )
    if problem == "unknown":
        raise InputRefused(CHANNEL_UNKNOWN)
    chosen = str(channel)
    if problem == "not_opted_out":
        raise PolicyRefused(NOT_OPTED_OUT, channel=chosen)
    try:
        channel_service.opt_in(
            session=session,
            cardholder_id=customer.cardholder_id,
            channel=chosen,
            via="portal",
            actor=customer.actor,
        )
    except RuleRefused as exc:  # another submit took it back a moment ago
        raise PolicyRefused(NOT_OPTED_OUT, channel=chosen) from exc
    acted_on_all(session, customer, "opt_in", {"channel": chosen})
    return Done("opt_in", OPT_IN_DONE, {"channel": CHANNEL_NAMES[chosen]})


def withdraw_call_back(*, session: Session, customer: Customer, consent_id: object) -> Done:
    """The customer withdraws a call-back window of his: it ends now, the engine no longer
    counts it as his consent for any later call, and its call-back task is cancelled."""
    text = str(consent_id).strip() if consent_id is not None else ""
    found = compliance_repository.consent(session, int(text)) if text.isdecimal() else None
    problem = rules.withdraw_problem(found, cardholder_id=customer.cardholder_id, now=clock.now())
    if problem == "missing" or found is None:
        raise CaseNotFound(WINDOW_NOT_FOUND)
    if problem == "withdrawn":
        raise PolicyRefused(WINDOW_WITHDRAWN)
    if problem == "ended":
        raise PolicyRefused(WINDOW_ENDED)
    try:
        contact_service.withdraw_call_back_consent(
            session=session, consent=found, actor=customer.actor, reason=_WHY
        )
    except Conflict as exc:  # another submit withdrew it a moment ago
        raise PolicyRefused(WINDOW_WITHDRAWN) from exc
    after = {
        "consent_id": found.id,
        "window_start": found.window_start.isoformat(),
        "window_end": found.window_end.isoformat(),
    }
    wo = (
        case_repository.work_order(session, found.work_order_id)
        if found.work_order_id is not None
        else None
    )
    if wo is not None and wo.status != "closed":
        acted(session, wo, customer, "withdraw_call_back", after)
    else:
        acted_on_all(session, customer, "withdraw_call_back", after)
    zone = _zone(session, customer)
    start, end = found.window_start.astimezone(zone), found.window_end.astimezone(zone)
    return Done(
        "withdraw_call_back",
        WITHDRAW_DONE,
        {"date": start.date().isoformat(), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"},
        found.id,
    )


def _zone(session: Session, customer: Customer) -> ZoneInfo:
    holder = portfolio_repository.cardholder(session, customer.cardholder_id)
    if holder is None:  # the session names a customer on file: cannot happen
        raise CaseNotFound(WINDOW_NOT_FOUND)
    return zone_of(holder)
