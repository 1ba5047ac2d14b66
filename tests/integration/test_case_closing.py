"""A closed case holds no assignment (issue 13, invariant 1), when a person closes it: over the
API and the CLI, on SQLite and PostgreSQL. The cycle's close step is in test_cycle_sync.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.workforce.models import Assignment, Staff
from tests.integration.test_cases_api import _as, api  # noqa: F401 (the fixture)
from tests.integration.test_cases_workflow import MORNING, seed
from tests.web_seed import stored_user


def hold(session: Session, work_order_id: int) -> int:
    """Give the case to collector O01, as allocation would; returns the assignment id."""
    now = clock.now()
    officer = Staff(
        code="O01",
        name="O01",
        employment_type="establishment",
        grade="collection_officer",
        levels=["junior"],
        languages=[],
        regions=[],
        capacity=50,
        hire_date=date(2025, 1, 1),
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(officer)
    session.flush()
    wo = session.get(WorkOrder, work_order_id)
    assert wo is not None
    row = Assignment(
        work_order_id=wo.id,
        staff_id=officer.id,
        level=wo.level,
        reason="new",
        as_of=now.date(),
        assigned_at=now,
    )
    wo.status = "assigned"
    session.add(row)
    session.commit()
    return row.id


def ended(session: Session, assignment_id: int) -> tuple[bool, str | None]:
    session.expire_all()
    row = session.get(Assignment, assignment_id)
    assert row is not None
    return row.ended_at is not None, row.ended_reason


def ended_events(session: Session) -> list[AuditEvent]:
    return list(
        session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "assignment.ended"))
    )


def test_closing_over_the_api_ends_the_assignment_audited(
    api: tuple[TestClient, dict[str, str], int],  # noqa: F811
    session: Session,
) -> None:
    client, tokens, wo_id = api
    held = hold(session, wo_id)
    h = _as(tokens, "team_lead")
    # A close the state machine refuses (no reason) changes nothing: the collector keeps it.
    bad = client.post(f"/api/v1/cases/{wo_id}/transition", headers=h, json={"to": "closed"})
    assert bad.status_code == 422
    assert ended(session, held) == (False, None)
    r = client.post(
        f"/api/v1/cases/{wo_id}/transition",
        headers=h,
        json={"to": "closed", "close_reason": "written_off", "reason": "charged off"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["close_reason"]) == ("closed", "written_off")
    assert ended(session, held) == (True, "case_closed")
    (event,) = ended_events(session)
    assert (event.entity, event.entity_id, event.actor) == (
        "work_order",
        str(wo_id),
        "user:team_lead",
    )
    assert (event.before["staff"], event.before["assignment_id"]) == ("O01", held)
    assert event.reason == "case closed (written_off)"


def test_closing_from_the_cli_ends_the_assignment_audited(cli: Any, session: Session) -> None:
    with clock.frozen(MORNING):
        wo_id = seed(session)
        held = hold(session, wo_id)
        officer = session.get(Assignment, held)
        assert officer is not None
        stored_user(session, "o01", "collector", staff_id=officer.staff_id)
        session.commit()
        res = cli(
            "cases", "transition", str(wo_id), "closed", "--close-reason", "paid", "--as", "o01"
        )
        assert res.exit_code == 0, res.stderr
    assert ended(session, held) == (True, "case_closed")
    (event,) = ended_events(session)
    assert (event.entity_id, event.reason) == (str(wo_id), "case closed (paid)")


def test_the_payment_that_closes_a_case_still_counts_for_its_collector(session: Session) -> None:
    """Ending the assignment on the day the case closes keeps that day's payment with the
    collector who held the case (pay is derived from who held the case on the payment day)."""
    from arrears.portfolio.models import CardAccount, Payment
    from arrears.workforce import closing, performance_service
    from arrears.workforce.models import StaffMetricMonth

    with clock.frozen(MORNING):
        wo_id = seed(session)
        held = hold(session, wo_id)
        session.get(Assignment, held).as_of = date(2026, 2, 20)  # held since before the payment
        account = session.scalars(sa.select(CardAccount)).one()
        session.add(
            Payment(
                account_id=account.id, paid_on=MORNING.date(), amount=D("5200.00"), reference="P1"
            )
        )
        closing.transition(
            session=session, work_order_id=wo_id, to="closed", actor="cycle", close_reason="paid"
        )
        assert ended(session, held) == (True, "case_closed")
        performance_service.derive_metrics(session=session, month=date(2026, 3, 1))
        session.commit()
    row = session.scalars(sa.select(StaffMetricMonth)).one()
    assert row.recovered == D("5200.00")


def test_the_last_holder_still_reads_the_case_it_closed(session: Session) -> None:
    """Ending the assignment does not hide the closed case from the collector who held it."""
    from arrears.auth.policy import Principal
    from arrears.workforce import closing
    from arrears.workforce.scoping import scoped_work_orders

    with clock.frozen(MORNING):
        wo_id = seed(session)
        seed(session, ref="C2")
        held = hold(session, wo_id)
        officer = session.get(Assignment, held).staff_id
        closing.transition(
            session=session, work_order_id=wo_id, to="closed", actor="x", close_reason="paid"
        )
        session.commit()
    me = Principal(user_id=1, username="o01", role="collector", staff_id=officer)
    stranger = Principal(user_id=2, username="o02", role="collector", staff_id=officer + 1)
    # C2's case is open and unassigned: nobody's. C1's is closed: still its last holder's.
    assert [w.id for w in session.scalars(scoped_work_orders(me))] == [wo_id]
    assert session.scalars(scoped_work_orders(stranger)).all() == []
