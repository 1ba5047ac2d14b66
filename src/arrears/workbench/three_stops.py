"""The three stops with an abusive debtor, as a collector gives them: the stop's scripted
wording in the customer's language (checked for prohibited language), recorded in order on the
case; stop 3 escalates it (``arrears.cases.three_stops`` is the rule, ``cases.service`` the
record).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases import service as case_service
from arrears.cases.models import ThreeStop
from arrears.cases.three_stops import STOP_SCRIPTS, check_stop
from arrears.config import get_settings
from arrears.contacts import scripts
from arrears.contacts import service as contact_service
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
    """Say stop ``stop`` (1, 2, 3 in order) and record it."""
    wo = case_service.get(session=session, work_order_id=work_order_id)
    case_service.check_version(wo, expected_version)
    contact_service.linked_attempt(
        session=session, work_order_id=wo.id, contact_attempt_id=contact_attempt_id
    )
    check_stop(given=[s.stop for s in case_repository.stops_given(session, wo.id)], stop=stop)
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
        contact_attempt_id=contact_attempt_id,
    )
