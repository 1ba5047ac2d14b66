"""The contact flow follows the jurisdiction the settings name, not the first one the process
happened to load (issue #12): the same calls decided under cn-card, us-reg-f and uk-conc."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.config import get_settings
from arrears.contacts.models import ContactAttempt
from arrears.contacts.schemas import ContactIn
from arrears.kit.clock import clock
from arrears.portfolio.models import Cardholder
from arrears.workbench import contact
from tests.integration.test_cases_workflow import MORNING, seed

CALL = {"channel": "call", "party": "debtor", "outcome": "no_answer"}


def _call(session: Session, wo_id: int, at: datetime) -> ContactAttempt:
    """A call the server records at ``at`` (its clock, not the caller's word)."""
    with clock.frozen(at):
        return contact.log_attempt(
            session=session, work_order_id=wo_id, body=ContactIn(**CALL), actor="u:lee"
        )


@pytest.fixture
def jurisdiction(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Switch ``ARREARS_JURISDICTION`` within one process, as a reconfigured worker would."""
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _use(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("ARREARS_JURISDICTION", name)
    get_settings.cache_clear()


def test_us_reg_f_counts_seven_calls_in_seven_days_not_three_a_day(
    session: Session, jurisdiction: pytest.MonkeyPatch
) -> None:
    with clock.frozen(MORNING):
        wo_id = seed(session)
        _use(jurisdiction, "cn-card")
        assert _call(session, wo_id, MORNING).compliance_profile == "cn-card"
        _use(jurisdiction, "us-reg-f")
        statuses = [_call(session, wo_id, MORNING + timedelta(hours=h)).status for h in (1, 2, 3)]
    # cn-card's daily cap would block the fourth call of the day; Reg F counts 7 in 7 days.
    assert statuses == ["made", "made", "made"]
    with clock.frozen(MORNING + timedelta(days=2)):
        more = [_call(session, wo_id, MORNING + timedelta(days=2, hours=h)) for h in (0, 1, 2, 3)]
    assert [a.status for a in more] == ["made", "made", "made", "blocked"]
    assert more[-1].compliance_profile == "us-reg-f"
    assert "reg_f.call_cap" in more[-1].compliance_rules


def test_uk_conc_keeps_sunday_hours_and_one_contact_a_day_for_the_vulnerable(
    session: Session, jurisdiction: pytest.MonkeyPatch
) -> None:
    sunday_morning = MORNING - timedelta(days=1, minutes=30)  # Sun 1 March 09:30 in Shanghai
    with clock.frozen(sunday_morning):
        wo_id = seed(session)
        _use(jurisdiction, "cn-card")
        assert _call(session, wo_id, sunday_morning).status == "made"
        _use(jurisdiction, "uk-conc")
        sunday = _call(session, wo_id, sunday_morning + timedelta(minutes=5))
    assert sunday.status == "blocked"
    assert sunday.compliance_profile == "uk-conc"
    assert "time_window" in sunday.compliance_rules
    holder = session.get_one(Cardholder, session.get_one(WorkOrder, wo_id).cardholder_id)
    holder.flags = ["vulnerable"]
    session.flush()
    with clock.frozen(MORNING):
        first = _call(session, wo_id, MORNING)
        second = _call(session, wo_id, MORNING + timedelta(hours=2))
    assert (first.status, second.status) == ("made", "blocked")
    assert any(r.startswith("vulnerable") for r in second.compliance_rules)
