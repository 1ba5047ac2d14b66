"""The three stops with an abusive debtor, as a collector gives them: the stop's scripted
wording in the customer's language (checked for prohibited language), recorded in order on the
case; stop 3 escalates it (``arrears.cases.three_stops`` is the rule, ``cases.service`` the
record).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import ThreeStop
from arrears.cases.three_stops import STOP_SCRIPTS, check_in_conversation, check_stop
from arrears.config import get_settings
from arrears.contacts import repository as contact_repository
from arrears.contacts import scripts
from arrears.contacts import service as contact_service
from arrears.contacts.vocabulary import RIGHT_PARTY_OUTCOMES
from arrears.kit.clock import center_today
from arrears.portfolio import repository as portfolio_repository


def give_stop(
    *,
    session: Session,
    work_order_id: int,
    stop: int,
    actor: str,
    locale: str | None = None,
    contact_attempt_id: int | None = None,
    expected_version: int | None = None,
) -> ThreeStop:
    """Say stop ``stop`` (1, 2, 3 in order) in a conversation with the debtor logged today
    (``contact_attempt_id``, or the latest such), and record it linked to that conversation."""
    wo = case_service.get(session=session, work_order_id=work_order_id)
    case_service.check_version(wo, expected_version)
    linked = contact_service.linked_attempt(
        session=session, work_order_id=wo.id, contact_attempt_id=contact_attempt_id
    )
    check_stop(given=[s.stop for s in case_repository.stops_given(session, wo.id)], stop=stop)
    conversation = _todays_conversation(session, wo.id, linked)
    check_in_conversation(stop=stop, conversation=conversation is not None)
    holder = portfolio_repository.cardholder(session, wo.cardholder_id)
    if locale is None:
        # The customer's language if we have scripts in it (zh-TW customers get zh-CN).
        spoken = holder.language if holder else None
        locale = spoken if spoken in scripts.LOCALES else get_settings().locale
    wording = contact_service.checked_script(
        name=STOP_SCRIPTS[stop],
        locale=locale,
        context={"customer_name": holder.name if holder else ""},
    )
    return case_service.record_stop(
        session=session,
        work_order_id=wo.id,
        stop=stop,
        actor=actor,
        locale=locale,
        wording=wording,
        contact_attempt_id=conversation,
    )


def _todays_conversation(session: Session, work_order_id: int, linked: int | None) -> int | None:
    """The conversation with the debtor the stop is said in: the linked attempt if it is one,
    else the latest logged on the case today (the center's day)."""
    zone = ZoneInfo(get_settings().time_zone)
    today = center_today()
    for attempt in reversed(contact_repository.attempts(session, work_order_id=work_order_id)):
        spoken = (
            attempt.status == "made"
            and attempt.party == "debtor"
            and attempt.outcome in RIGHT_PARTY_OUTCOMES
        )
        if linked is not None and attempt.id == linked:
            return attempt.id if spoken else None
        if linked is None and spoken and attempt.at.astimezone(zone).date() == today:
            return attempt.id
    return None
