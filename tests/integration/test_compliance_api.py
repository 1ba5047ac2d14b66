"""The compliance JSON API over a real store: roles, decisions, override, report, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.service import issue_api_token
from arrears.compliance import service
from arrears.config import Settings
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.web.app import create_app
from tests.unit.compliance_helpers import US, ny, person, proposal

NOW = datetime(2026, 4, 7, 14, 0, tzinfo=UTC)
ROLES = ("collector", "compliance_officer", "analyst")
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "compliance-examples"


@pytest.fixture
def api(db_url: str, session: Session) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    headers: dict[str, dict[str, str]] = {}
    for role in ROLES:
        user = User(
            username=role,
            display_name=role,
            password_hash="x",
            role=role,
            locale="en",
            active=True,
            created_at=NOW,
            password_changed_at=NOW,
        )
        session.add(user)
        session.flush()
        _, token = issue_api_token(session=session, user_id=user.id, name="t", days=None, actor="t")
        headers[role] = {"Authorization": f"Bearer {token}"}
    session.commit()
    clock.freeze(NOW)
    app = create_app(Settings(database_url=db_url))
    try:
        with TestClient(app) as client:
            yield client, headers
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def test_check_answers_a_scenario_for_any_worker(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, h = api
    scenario = json.loads((EXAMPLES / "34-us-several-blocks.json").read_text())
    r = client.post("/api/v1/compliance/check", json=scenario, headers=h["collector"])
    assert r.status_code == 200, r.text
    assert r.json()["rules"] == ["time_window", "reg_f.cooldown"]
    assert r.json()["next_allowed_at"] == "2026-04-13T12:00:00Z"
    assert (
        client.post("/api/v1/compliance/check", json=scenario, headers=h["analyst"]).status_code
        == 403
    )
    scenario["person"]["phones"][0]["number"] = "212"
    bad = client.post("/api/v1/compliance/check", json=scenario, headers=h["collector"])
    assert bad.status_code == 422
    path = client.post(
        "/api/v1/compliance/check?profile=/etc/passwd", json=scenario, headers=h["collector"]
    )
    assert path.status_code in (404, 422)


def test_profiles_are_readable_by_compliance_only(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, h = api
    r = client.get("/api/v1/compliance/profiles", headers=h["compliance_officer"])
    assert [p["name"] for p in r.json()] == ["cn-card", "uk-conc", "us-reg-f"]
    shown = client.get("/api/v1/compliance/profiles/cn-card", headers=h["compliance_officer"])
    assert shown.json()["daily_cap"]["max_contacts"] == 3
    assert (
        client.get("/api/v1/compliance/profiles/x", headers=h["compliance_officer"]).status_code
        == 404
    )
    assert client.get("/api/v1/compliance/profiles", headers=h["collector"]).status_code == 403


def test_override_and_report(
    api: tuple[TestClient, dict[str, dict[str, str]]], session: Session
) -> None:
    client, h = api
    with clock.frozen(NOW):
        _, record = service.check(
            session=session,
            profile=US,
            person=person(flags=["cease"]),
            proposed=proposal(ny(7, 10)),
            actor="user:collector",
        )
    session.commit()
    url = f"/api/v1/compliance/checks/{record.id}/override"
    assert client.post(url, json={"reason": "x"}, headers=h["collector"]).status_code == 403
    assert client.post(url, json={"reason": ""}, headers=h["compliance_officer"]).status_code == 422
    r = client.post(
        url, json={"reason": "written consent on file"}, headers=h["compliance_officer"]
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "id": record.id,
        "overridden_by": "user:compliance_officer",
        "rules": ["hold.cease"],
    }
    assert (
        client.post(url, json={"reason": "again"}, headers=h["compliance_officer"]).status_code
        == 409
    )
    audited = session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "compliance.override")
    )
    assert audited == 1
    rows = client.get(
        "/api/v1/compliance/report?from=2026-04-07&to=2026-04-07&tz=UTC",
        headers=h["compliance_officer"],
    ).json()
    assert rows == [
        {
            "day": "2026-04-07",
            "actor": "user:collector",
            "stage": "engine",
            "rule": "hold.cease",
            "blocked": 1,
            "overridden": 1,
            "checks": [record.id],
        }
    ]
    (drill,) = client.get(
        "/api/v1/compliance/blocked",
        params={"id": rows[0]["checks"]},
        headers=h["compliance_officer"],
    ).json()
    assert drill["id"] == record.id
    assert drill["overridden_by"] == "user:compliance_officer"
    assert drill["contact_at_center"]["zone"] == "Asia/Shanghai"  # the center's, not UTC
    assert drill["next_allowed_at"] is None  # a cease hold has no next time
    refused = client.get("/api/v1/compliance/blocked", headers=h["collector"])
    assert refused.status_code == 403
    bad = client.get("/api/v1/compliance/report?tz=Mars/Base", headers=h["compliance_officer"])
    assert bad.status_code == 422
    assert "tz" in bad.text
