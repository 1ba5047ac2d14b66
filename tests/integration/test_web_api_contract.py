"""The API's contract over a real store (SQLite and PostgreSQL): one next-case rule and one case
view for page and API, typed responses, refusals (409) apart from malformed input (422), bounds
(a 422 naming the field, never a 500), 404s that do not reveal what exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.cases.models import FollowUp, WorkOrder
from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.promises.models import RepaymentPlan
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


def _fields(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    return [d["field"] for d in body.get("detail") or []]


def test_out_of_range_ids_offsets_and_nul_text_are_a_422_naming_the_field(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "collector")
    token = {"X-CSRF-Token": csrf(app_client)}
    case_id = seeded.work_orders[0]
    huge = 2**63
    probes = [
        ("GET", f"/api/v1/workbench/cases/{huge}", None, "path.work_order_id"),
        ("GET", f"/api/v1/cases/{huge}/breakdown", None, "path.work_order_id"),
        ("POST", f"/api/v1/cases/follow-ups/{huge}/done", None, "path.follow_up_id"),
        ("GET", f"/api/v1/cases?offset={huge}", None, "query.offset"),
        ("GET", f"/api/v1/workbench/queue?offset={huge}", None, "query.offset"),
        (
            "POST",
            f"/api/v1/cases/{case_id}/follow-ups",
            {"due_on": "2026-11-23", "note": "call\x00back"},
            "body.note",
        ),
        (
            "POST",
            f"/api/v1/cases/{case_id}/contacts",
            {
                "channel": "call",
                "outcome": "no_answer",
                "party": "contact_person",
                "contact_person_id": huge,
                "purpose": "location",
            },
            "body.contact_person_id",
        ),
    ]
    for method, url, body, field in probes:
        response = app_client.request(method, url, json=body, headers=token)
        assert response.status_code == 422, (url, response.status_code, response.text)
        assert field in _fields(response), (url, response.text)


def test_huge_amounts_are_refused_in_the_api_and_the_form(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "collector")
    token = csrf(app_client)
    case_id = seeded.work_orders[0]
    for amount in ("1e400", "1" * 30):
        response = app_client.post(
            f"/api/v1/cases/{case_id}/promises",
            json={"amount": amount, "due_on": "2026-11-25"},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 422, response.text
        assert "amount" in response.text
    form = app_client.post(
        f"/cases/{case_id}/promise",
        data={"amount": "1" * 30, "due_on": "2026-11-25", "csrf_token": token},
        follow_redirects=False,
    )
    assert form.status_code == 303
    assert "too large an amount" in app_client.get(form.headers["location"]).text


def test_explicit_nulls_on_a_user_are_a_422_or_an_unlink(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "admin")
    token = {"X-CSRF-Token": csrf(app_client)}
    url = f"/api/v1/users/{seeded.users['collector']}"
    nulls = {"display_name": None, "role": None, "locale": None, "active": None}
    refused = app_client.patch(url, json=nulls, headers=token)
    assert refused.status_code == 422, refused.text
    assert sorted(_fields(refused)) == sorted(f"body.{name}" for name in nulls)
    # A null link is meaningful: it unlinks the user from their staff row.
    huge = app_client.patch(url, json={"staff_id": 2**63}, headers=token)
    assert huge.status_code == 422, huge.text
    assert _fields(huge) == ["body.staff_id"]
    unlinked = app_client.patch(url, json={"staff_id": None}, headers=token)
    assert unlinked.status_code == 200, unlinked.text
    assert unlinked.json()["staff_id"] is None


def test_an_out_of_scope_plan_or_follow_up_answers_exactly_like_a_missing_one(
    app_client: TestClient, seeded: Seeded, session: Session
) -> None:
    # Case 2 is the agency's: the collector may not see it, nor what hangs off it.
    theirs = seeded.work_orders[1]
    with clock.frozen(NOW):
        task = FollowUp(
            work_order_id=theirs,
            due_on=AS_OF,
            kind="call_back",
            status="open",
            created_by="agency",
            created_at=NOW,
        )
        plan = RepaymentPlan(
            work_order_id=theirs,
            kind="settlement",
            balance=Decimal("10000.00"),
            discount=Decimal("0.2000"),
            total=Decimal("8000.00"),
            currency="CNY",
            frequency="monthly",
            instalment_count=1,
            first_due_on=AS_OF,
            status="proposed",
            needs_checker=True,
            maker="agency",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add_all([task, plan])
        session.commit()
    missing = 10_000

    def answers(method: str, url: str, body: dict[str, object] | None) -> tuple[int, str]:
        response = app_client.request(method, url, json=body, headers=token)
        return response.status_code, response.json()["message"]

    sign_in(app_client, "collector")
    token = {"X-CSRF-Token": csrf(app_client)}
    assert missing not in (task.id, plan.id)
    assert answers("POST", f"/api/v1/cases/follow-ups/{task.id}/done", None) == (
        404,
        f"no follow-up {task.id}",
    )
    assert answers("POST", f"/api/v1/cases/follow-ups/{missing}/done", None) == (
        404,
        f"no follow-up {missing}",
    )
    assert answers("GET", f"/api/v1/plans/{plan.id}", None) == (404, f"no plan {plan.id}")
    assert answers("GET", f"/api/v1/plans/{missing}", None) == (404, f"no plan {missing}")
    # A team lead of another scope deciding on the page: the banner reads as for a missing plan.
    sign_in(app_client, "team_lead")
    page_token = csrf(app_client)
    banners = []
    for plan_id in (plan.id, missing):
        decided = app_client.post(
            f"/approvals/{plan_id}",
            data={"decision": "approve", "csrf_token": page_token},
            follow_redirects=False,
        )
        assert decided.status_code == 303
        banners.append(app_client.get(decided.headers["location"]).text)
    assert f"no plan {plan.id} awaiting you" in banners[0]
    assert f"no plan {missing} awaiting you" in banners[1]
