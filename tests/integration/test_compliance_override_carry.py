"""An officer's override lets the collector act (issue 18): the same block on the same person
and channel goes ahead for the rest of the center's day, recorded as overridden by that
officer; another rule, another channel or the next day is decided afresh. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from arrears.compliance import service as compliance_service
from arrears.compliance.models import ComplianceCheck
from arrears.kit.clock import clock
from tests.integration.test_cases_workflow import log_attempt, seed

NIGHT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai: outside calling hours


def test_an_override_carries_to_the_same_block_for_the_rest_of_the_day(session: Session) -> None:
    with clock.frozen(NIGHT):
        wo_id = seed(session)
        first = log_attempt(
            session=session,
            work_order_id=wo_id,
            actor="u:lee",
            channel="call",
            party="debtor",
            outcome="no_answer",
            now=NIGHT,
        )
        assert first.status == "blocked"
        compliance_service.override(
            session=session,
            check_id=first.compliance_check_id,  # type: ignore[arg-type]
            actor="u:officer",
            role="compliance_officer",
            reason="the customer asked for a late call",
        )
        session.commit()

    later = NIGHT + timedelta(minutes=10)
    again = log_attempt(
        session=session,
        work_order_id=wo_id,
        actor="u:lee",
        channel="call",
        party="debtor",
        outcome="right_party_contact",
        now=later,
    )
    assert (again.status, again.outcome) == ("made", "right_party_contact")
    carried = session.get(ComplianceCheck, again.compliance_check_id)
    assert carried is not None
    assert carried.overridden_by == "u:officer"
    assert carried.override_reason.startswith(
        f"under override of check {first.compliance_check_id}"
    )

    # Another channel is decided afresh (the officer let a call through, not an SMS).
    sms = log_attempt(
        session=session,
        work_order_id=wo_id,
        actor="u:lee",
        channel="sms",
        party="debtor",
        outcome="no_answer",
        now=later,
    )
    assert sms.status == "blocked"

    # The next evening in Shanghai: the override is yesterday's.
    next_night = NIGHT + timedelta(days=1)
    tomorrow = log_attempt(
        session=session,
        work_order_id=wo_id,
        actor="u:lee",
        channel="call",
        party="debtor",
        outcome="no_answer",
        now=next_night,
    )
    assert tomorrow.status == "blocked"
