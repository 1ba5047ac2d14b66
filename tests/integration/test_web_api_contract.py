"""The API's contract over a real store (SQLite and PostgreSQL): one next-case rule and one case
view for page and API, typed responses, refusals (409) apart from malformed input (422), bounds
(a 422 naming the field, never a 500), 404s that do not reveal what exists."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.web.app import create_app
from arrears.workbench.schemas import CaseView
from arrears.workforce.models import Assignment
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import AS_OF, NOW, Seeded, seed


@pytest.fixture
def seeded(session: Session) -> Seeded:
    """Three customers; case 1 and case 3 are the collector's, case 2 the agency's."""
    with clock.frozen(NOW):
        result = seed(session, customers=3)
        session.add(
            Assignment(
                work_order_id=result.work_orders[2],
                staff_id=result.staff["collector"],
                level="junior",
                reason="test",
                as_of=AS_OF,
                assigned_at=NOW,
            )
        )
        session.commit()
    return result


@pytest.fixture
def app_client(db_url: str, seeded: Seeded) -> Iterator[TestClient]:
    clock.freeze(NOW)
    app = create_app(Settings(database_url=db_url, fee_schedule="cn-card"))
    try:
        with TestClient(app) as client:
            yield client
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def _set_status(session: Session, work_order_id: int, status: str) -> None:
    wo = session.get(WorkOrder, work_order_id)
    assert wo is not None
    wo.status = status
    session.commit()


def test_page_and_api_pick_the_same_next_case(
    app_client: TestClient, seeded: Seeded, session: Session
) -> None:
    # Case 1 (priority 99) is already being worked; case 3 (priority 97) is fresh. The one rule
    # offers a fresh case before one already in progress, whichever path asks.
    first, _, third = seeded.work_orders
    _set_status(session, first, "in_progress")
    _set_status(session, third, "assigned")
    sign_in(app_client, "collector")
    page = app_client.get("/queue/next", follow_redirects=False)
    api_peek = app_client.get("/api/v1/workbench/next").json()["work_order_id"]
    taken = app_client.post("/api/v1/cases/next", headers={"X-CSRF-Token": csrf(app_client)})
    assert taken.status_code == 200, taken.text
    assert page.headers["location"] == f"/cases/{third}"
    assert api_peek == third
    assert taken.json()["id"] == third


def test_page_and_api_show_one_case_view(app_client: TestClient, seeded: Seeded) -> None:
    sign_in(app_client, "collector")
    case_id = seeded.work_orders[0]
    token = {"X-CSRF-Token": csrf(app_client)}
    made = app_client.post(
        f"/api/v1/cases/{case_id}/follow-ups",
        json={"due_on": "2026-11-23", "kind": "call_back", "note": "after payday"},
        headers=token,
    )
    assert made.status_code == 201, made.text
    detail = app_client.get(f"/api/v1/cases/{case_id}")
    workbench = app_client.get(f"/api/v1/workbench/cases/{case_id}")
    assert detail.status_code == workbench.status_code == 200
    # One shape: both routes answer the same CaseView, follow-ups and all.
    assert detail.json() == workbench.json()
    view = CaseView.model_validate(detail.json())
    assert [f.note for f in view.follow_ups] == ["after payday"]
    assert view.three_stops.next == 1
    page = app_client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "after payday" in page.text
    assert re.search(r"张1", page.text)
