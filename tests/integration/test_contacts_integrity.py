"""The contact log's integrity controls (issue 14): what compliance counts is serialized per
debtor, the server owns the time of a contact, links to another case's attempt are refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases.models import ThreeStop, WorkOrder
from arrears.contacts.models import ContactAttempt
from arrears.contacts.schemas import ContactIn
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import ArrearsError, BadInput, RuleRefused
from arrears.promises.models import Promise
from arrears.workbench import contact
from tests.integration.test_cases_api import _as, api  # noqa: F401 - the API fixture
from tests.integration.test_cases_cli import works_the_case
from tests.integration.test_cases_workflow import MORNING, count, seed

BURST = 8  # collectors logging a call on one debtor at the same moment


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


def _burst(engine: Engine, wo_id: int) -> list[str]:
    """``BURST`` threads, each its own session, log a call on the same case at once."""
    start = threading.Barrier(BURST)
    outcomes: list[str] = []

    def one(n: int) -> None:
        with Session(engine) as s:
            start.wait()
            try:
                attempt = contact.log_attempt(
                    session=s,
                    work_order_id=wo_id,
                    body=ContactIn(channel="call", party="debtor", outcome="no_answer"),
                    actor=f"u:c{n}",
                )
                s.commit()
                outcomes.append(attempt.status)
            except ArrearsError as exc:  # a clean refusal is fine; a lost count is not
                s.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("status", ["in_progress", "open"])
def test_a_burst_of_calls_on_one_debtor_keeps_the_daily_cap(engine: Engine, status: str) -> None:
    """cn-card: 3 dials a day. Eight collectors at once used to store 4 to 10 as compliant; on an
    open case (the first contact moves it) all but one got a 409 for a version they never saw."""
    with Session(engine) as setup:
        wo_id = seed(setup)
        setup.execute(sa.update(WorkOrder).values(status=status))
        setup.commit()
    outcomes = _burst(engine, wo_id)
    with Session(engine) as s:
        made = s.scalar(
            sa.select(sa.func.count())
            .select_from(ContactAttempt)
            .where(ContactAttempt.status == "made")
        )
    assert made == 3, outcomes
    assert sorted(outcomes) == ["blocked"] * (BURST - 3) + ["made"] * 3


# --- the server owns time ------------------------------------------------------------------------

NIGHT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai: no calls


def test_the_api_refuses_a_time_chosen_by_the_client(
    api: tuple[TestClient, dict[str, str], int],  # noqa: F811 - the fixture imported above
    session: Session,
) -> None:
    """A call refused now used to be stored as compliant by dating it yesterday morning."""
    client, tokens, wo_id = api
    yesterday_morning = (MORNING - timedelta(days=1)).isoformat()
    with clock.frozen(NIGHT):
        answer = client.post(
            f"/api/v1/cases/{wo_id}/contacts",
            headers=_as(tokens, "collector"),
            json={"channel": "call", "outcome": "no_answer", "at": yesterday_morning},
        )
    assert answer.status_code == 422, answer.text
    assert "at" in answer.text
    assert count(session, ContactAttempt) == 0


def _log(session: Session, wo_id: int, **fields: Any) -> ContactAttempt:
    return contact.log_attempt(
        session=session,
        work_order_id=wo_id,
        body=ContactIn(channel="call", party="debtor", **fields),
        actor="u:lee",
    )


def test_a_contact_is_recorded_at_the_servers_time(session: Session) -> None:
    wo_id = seed(session)
    with clock.frozen(NIGHT):
        attempt = _log(session, wo_id, outcome="no_answer")
    session.commit()
    assert (attempt.at, attempt.created_at, attempt.late_entry) == (NIGHT, NIGHT, False)
    assert attempt.status == "blocked"
    assert "time_window" in attempt.compliance_rules


def test_a_late_entry_is_decided_when_made_flagged_and_audited(session: Session) -> None:
    """A field visit's call at 20:00 entered at 09:00 the next morning."""
    wo_id = seed(session)
    made = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
    entered = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 the next day
    with clock.frozen(entered):
        attempt = _log(session, wo_id, outcome="right_party_contact", made_at=made)
    session.commit()
    assert attempt.status == "made"
    assert (attempt.at, attempt.created_at, attempt.late_entry) == (made, entered, True)
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "contact.late_entry")
    ).one()
    assert event.entity_id == str(attempt.id)
    assert event.after is not None
    assert event.after["made_at"] == made.isoformat()
    # A late entry said to be made at 23:00 is decided at 23:00: outside the hours.
    with clock.frozen(entered):
        night = _log(session, wo_id, outcome="no_answer", made_at=made + timedelta(hours=3))
    assert night.status == "blocked"
    assert night.late_entry
    assert "time_window" in night.compliance_rules


@pytest.mark.parametrize(
    ("made_at", "error", "words"),
    [
        (MORNING + timedelta(seconds=1), BadInput, "after now"),
        (MORNING - timedelta(hours=24, seconds=1), RuleRefused, "up to 24 h"),
    ],
)
def test_a_future_or_too_old_late_entry_is_refused_and_stores_nothing(
    session: Session, made_at: datetime, error: type[Exception], words: str
) -> None:
    wo_id = seed(session)
    with pytest.raises(error, match=words):
        _log(session, wo_id, outcome="no_answer", made_at=made_at)
    session.rollback()
    assert count(session, ContactAttempt) == 0


def test_a_late_entry_is_checked_against_the_history_after_it(session: Session) -> None:
    """Three calls logged at 10:00, 11:00, 12:00 fill the day (cn-card: 3); a late entry for a call
    at 09:00 would make the noon call the fourth of the day: it is stored blocked."""
    wo_id = seed(session)
    for hour in (0, 1, 2):
        with clock.frozen(MORNING + timedelta(hours=hour)):
            assert _log(session, wo_id, outcome="no_answer").status == "made"
    with clock.frozen(MORNING + timedelta(hours=3)):
        late = _log(session, wo_id, outcome="no_answer", made_at=MORNING - timedelta(hours=1))
    session.commit()
    assert late.late_entry
    assert late.status == "blocked"
    assert late.compliance_rules[:2] == ["late_entry.history", "daily_cap"]
    assert (MORNING + timedelta(hours=2)).isoformat() in late.compliance_reason
    # One made the day before does not count on this day: allowed.
    with clock.frozen(MORNING + timedelta(hours=3)):
        earlier = _log(session, wo_id, outcome="no_answer", made_at=MORNING - timedelta(hours=13))
    assert earlier.status == "made"


def test_the_cli_takes_a_late_entry_and_no_longer_a_time_of_its_own(
    session: Session, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wo_id = seed(session)
    works_the_case(session, wo_id)
    monkeypatch.setenv("ARREARS_USER", "lee")
    made = (MORNING - timedelta(hours=1)).isoformat()
    logged = cli(
        "cases",
        "contact",
        str(wo_id),
        "--outcome",
        "no_answer",
        "--made-at",
        made,
        "--json",
    )
    assert logged.exit_code == 0, logged.stderr
    payload = json.loads(logged.stdout)
    assert payload["late_entry"] is True
    assert payload["at"].startswith("2026-03-02T01:00:00")
    refused = cli("cases", "contact", str(wo_id), "--outcome", "no_answer", "--at", made)
    assert refused.exit_code == 2


# --- links to a contact attempt stay within the case ---------------------------------------------


@pytest.mark.parametrize("link", ["other_case", "unknown", "huge", "blocked"])
def test_a_stop_naming_a_contact_of_another_case_or_none_is_refused(
    api: tuple[TestClient, dict[str, str], int],  # noqa: F811 - the fixture imported above
    session: Session,
    link: str,
) -> None:
    """Another team's attempt id used to be linked; an unknown one was a 500. Now one 422 for
    all, naming the field and telling nothing of the other case."""
    client, tokens, wo_id = api
    attempt_id = _attempt_for(session, wo_id, link)
    answer = client.post(
        f"/api/v1/cases/{wo_id}/stops",
        headers=_as(tokens, "collector"),
        json={"stop": 1, "contact_attempt_id": attempt_id},
    )
    assert answer.status_code == 422, answer.text
    assert f"contact_attempt_id: {attempt_id} is not a contact made on case {wo_id}" in answer.text
    assert count(session, ThreeStop) == 0


def _attempt_for(session: Session, wo_id: int, link: str) -> int:
    """An attempt id of the kind ``link`` names, for a promise or a stop on ``wo_id``."""
    if link == "unknown":
        return 999_999
    if link == "huge":
        return 2**70
    if link == "blocked":
        with clock.frozen(NIGHT):
            blocked = _log(session, wo_id, outcome="no_answer")
        session.commit()
        assert blocked.status == "blocked"
        return blocked.id
    other = seed(session, ref="C2")
    made = _log(session, other, outcome="right_party_contact")
    session.commit()
    assert made.status == "made"
    return made.id


@pytest.mark.parametrize("link", ["other_case", "unknown", "huge", "blocked"])
def test_a_promise_naming_a_contact_of_another_case_or_none_is_refused(
    api: tuple[TestClient, dict[str, str], int],  # noqa: F811 - the fixture imported above
    session: Session,
    link: str,
) -> None:
    client, tokens, wo_id = api
    attempt_id = _attempt_for(session, wo_id, link)
    answer = client.post(
        f"/api/v1/cases/{wo_id}/promises",
        headers=_as(tokens, "collector"),
        json={"amount": "100.00", "due_on": "2026-03-06", "contact_attempt_id": attempt_id},
    )
    assert answer.status_code == 422, answer.text
    assert f"contact_attempt_id: {attempt_id} is not a contact made on case {wo_id}" in answer.text
    assert count(session, Promise) == 0
