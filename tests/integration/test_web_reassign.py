"""Team-lead reassignment over HTTP: the JSON route and the case-page form (CSRF), and who may
not use them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.config import Settings
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.web.app import create_app
from arrears.workforce.models import Assignment, Staff
from tests.integration.test_web_api import csrf, sign_in
from tests.integration.test_workforce_reassign import add_collector
from tests.web_seed import NOW, Seeded, seed


@pytest.fixture
def ctx(db_url: str, session: Session, tmp_path: Path) -> Iterator[tuple[TestClient, Seeded]]:
    with clock.frozen(NOW):
        seeded = seed(session)
        add_collector(session, "C2")
        add_collector(session, "ELSEWHERE", team="T2")
        session.commit()
    clock.freeze(NOW)
    app = create_app(Settings(database_url=db_url, warehouse=tmp_path / "warehouse.duckdb"))
    try:
        with TestClient(app) as client:
            yield client, seeded
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def holder_code(session: Session, work_order_id: int) -> str | None:
    session.expire_all()
    return session.scalar(
        sa.select(Staff.code)
        .join(Assignment, Assignment.staff_id == Staff.id)
        .where(Assignment.work_order_id == work_order_id, Assignment.ended_at.is_(None))
    )


def test_api_team_lead_reassigns_within_team(
    ctx: tuple[TestClient, Seeded], session: Session
) -> None:
    client, seeded = ctx
    sign_in(client, "team_lead")
    case = seeded.work_orders[0]
    url = f"/api/v1/cases/{case}/reassign"
    headers = {"X-CSRF-Token": csrf(client)}
    outside = client.post(url, json={"to_staff": "ELSEWHERE", "reason": "x"}, headers=headers)
    # Well formed, refused by the allocator's rules: 409 rule_refused, not 422.
    assert outside.status_code == 409, outside.text
    assert "not in your team" in outside.text
    untrained = client.post(url, json={"to_staff": "S-team_lead", "reason": "x"}, headers=headers)
    assert untrained.status_code == 409
    assert holder_code(session, case) == "S-collector"
    ok = client.post(url, json={"to_staff": "C2", "reason": "sick leave"}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["from_staff"] == "S-collector"
    assert ok.json()["to_staff"] == "C2"
    assert holder_code(session, case) == "C2"
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.reassign")).one()
    assert event.actor == "user:team_lead"
    # The placed case is outside the lead's scope: 404, as if it did not exist.
    placed = client.post(
        f"/api/v1/cases/{seeded.work_orders[1]}/reassign",
        json={"to_staff": "C2", "reason": "x"},
        headers=headers,
    )
    assert placed.status_code == 404


@pytest.mark.parametrize("role", ["collector", "agency_user", "admin", "analyst"])
def test_api_refuses_other_roles(
    ctx: tuple[TestClient, Seeded], session: Session, role: str
) -> None:
    client, seeded = ctx
    sign_in(client, role)
    for case in seeded.work_orders:
        response = client.post(
            f"/api/v1/cases/{case}/reassign",
            json={"to_staff": "C2", "reason": "mine now"},
            headers={"X-CSRF-Token": csrf(client)},
        )
        assert response.status_code in (403, 404), (role, case, response.status_code)
        assert response.status_code == 403  # the permission check comes before the scope
    assert holder_code(session, seeded.work_orders[0]) == "S-collector"


def test_case_page_form_with_csrf(ctx: tuple[TestClient, Seeded], session: Session) -> None:
    client, seeded = ctx
    case = seeded.work_orders[0]
    sign_in(client, "collector")
    assert 'id="reassign-form"' not in client.get(f"/cases/{case}").text
    sign_in(client, "team_lead")
    page = client.get(f"/cases/{case}")
    assert page.status_code == 200
    assert 'id="reassign-form"' in page.text
    assert 'value="C2"' in page.text
    assert 'value="ELSEWHERE"' not in page.text
    form = {"to_staff": "C2", "reason": "workload"}
    no_token = client.post(f"/cases/{case}/reassign", data=form, follow_redirects=False)
    assert no_token.status_code == 403
    assert holder_code(session, case) == "S-collector"
    bad = client.post(
        f"/cases/{case}/reassign", data={**form, "reason": " ", "csrf_token": csrf(client)}
    )
    assert bad.status_code == 200
    assert 'id="action-error"' in bad.text
    assert holder_code(session, case) == "S-collector"
    done = client.post(
        f"/cases/{case}/reassign",
        data={**form, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert holder_code(session, case) == "C2"
    assert 'id="action-done"' in client.get(done.headers["location"]).text
