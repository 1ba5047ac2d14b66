"""The legal and agency routes of the JSON API on SQLite and PostgreSQL: who may call them,
illegal stage moves (409), bad input (422), nothing written when refused."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.service import issue_api_token
from arrears.kit.clock import clock
from arrears.legal.models import LegalCase
from arrears.workforce.models import Agency, AgencyContract
from tests.integration.test_cases_api import _as, count
from tests.integration.test_cases_api import api as api  # noqa: F401 (fixture)

Api = tuple[TestClient, dict[str, str], int]


def token_for(session: Session, role: str) -> dict[str, str]:
    """A stored user of ``role`` and a bearer header (the shared fixture has three roles)."""
    now = clock.now()
    user = User(
        username=role,
        display_name=role,
        password_hash="x",
        role=role,
        locale="en",
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    _, token = issue_api_token(session=session, user_id=user.id, name="t", days=None, actor="test")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_legal_routes(api: Api, session: Session) -> None:  # noqa: F811
    client, tokens, wo_id = api
    lead = _as(tokens, "team_lead")
    r = client.post(
        "/api/v1/legal/cases", headers=_as(tokens, "collector"), json={"work_order_id": wo_id}
    )
    assert r.status_code == 403
    r = client.post("/api/v1/legal/cases", headers=lead, json={"work_order_id": wo_id})
    assert r.status_code == 201, r.text
    legal_id = r.json()["id"]
    r = client.post(
        f"/api/v1/legal/cases/{legal_id}/stage", headers=lead, json={"to": "enforcement"}
    )
    assert r.status_code == 409
    r = client.post(
        f"/api/v1/legal/cases/{legal_id}/stage",
        headers=lead,
        json={"to": "filed", "court": "Pudong"},
    )
    assert r.status_code == 422
    assert count(session, LegalCase) == 1
    assert session.scalar(sa.select(LegalCase.stage)) == "pre_litigation_review"
    body: dict[str, Any] = {"to": "filed", "court": "Pudong", "reference": "R-1"}
    r = client.post(
        f"/api/v1/legal/cases/{legal_id}/stage",
        headers=token_for(session, "senior_specialist"),
        json=body,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/legal/cases/{legal_id}/costs",
        headers=lead,
        json={"kind": "court_fee", "amount": "120.00", "borne_by": "customer"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["on_balance"] == "120.00"  # cn-card adds the customer's court costs
    queue = client.get("/api/v1/legal/queue", headers=lead).json()
    assert [(q["id"], q["stage"], q["case_status"]) for q in queue] == [
        (legal_id, "filed", "on_hold")
    ]


def test_agency_contract_and_statement_routes(api: Api, session: Session) -> None:  # noqa: F811
    client, tokens, _ = api
    admin = token_for(session, "admin")
    session.add(Agency(code="AGX", name="X", status="active", created_at=clock.now()))
    session.commit()
    before = count(session, AgencyContract)
    contract = {
        "agency": "AGX",
        "code": "AGX-1",
        "buckets": ["M4", "M9"],
        "levels": ["outsource"],
        "commission_pct": "12",
        "start_date": "2026-01-01",
    }
    r = client.post("/api/v1/agencies/contracts", headers=admin, json=contract)
    assert r.status_code == 422
    assert "M9" in r.text
    assert count(session, AgencyContract) == before
    r = client.post(
        "/api/v1/agencies/contracts", headers=admin, json={**contract, "buckets": ["M4"]}
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/agencies/contracts",
        headers=admin,
        json={**contract, "code": "AGX-2", "buckets": ["M4"]},
    )
    assert r.status_code == 422  # overlaps AGX-1
    assert "overlaps AGX-1" in r.text
    r = client.get("/api/v1/agencies/AGX/statement?month=2099-01", headers=admin)
    assert r.status_code == 422  # not closed
    r = client.get("/api/v1/agencies/AGX/statement?month=2020-01", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == "0.00"


def test_the_legal_queue_page(api: Api, session: Session) -> None:  # noqa: F811
    client, tokens, wo_id = api
    lead = _as(tokens, "team_lead")
    assert (
        client.post("/api/v1/legal/cases", headers=lead, json={"work_order_id": wo_id}).status_code
        == 201
    )
    page = client.get("/legal", headers=lead)
    assert page.status_code == 200
    assert 'class="legal-row"' in page.text
    assert "pre_litigation_review" in page.text
    assert 'data-nav="/legal"' in page.text  # the lead's nav lists it
    assert client.get("/legal", headers=_as(tokens, "collector")).status_code == 403
