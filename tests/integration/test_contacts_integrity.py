"""The contact log's integrity controls (issue 14): what compliance counts is serialized per
debtor, the server owns the time of a contact, links to another case's attempt are refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.contacts.models import ContactAttempt
from arrears.contacts.schemas import ContactIn
from arrears.kit.clock import clock
from arrears.kit.errors import ArrearsError
from arrears.workbench import contact
from tests.integration.test_cases_workflow import MORNING, seed

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
