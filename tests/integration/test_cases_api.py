"""The workflow's JSON API over a real store: routes, roles, bad input, conflicts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.auth import policy
from arrears.auth.models import User
from arrears.auth.service import issue_api_token
from arrears.cases.models import ThreeStop
from arrears.config import Settings
from arrears.contacts.models import ContactAttempt
from arrears.kit.clock import clock
from arrears.promises.models import Promise, RepaymentPlan
from arrears.web.app import create_app
from tests.integration.test_cases_workflow import MORNING, seed

ROLES = ("collector", "team_lead", "analyst")


@pytest.fixture
def api(
    db_url: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, dict[str, str], int]]:
    # These tests are about the workflow routes, so every scope sees every case here; the real
    # assignment scoping is exercised by the e2e collector's day and the web suite.
    for role in ROLES:
        monkeypatch.setitem(policy.CASE_SCOPE, role, "all")
    with clock.frozen(MORNING):
        wo_id = seed(session)
        tokens: dict[str, str] = {}
        for role in ROLES:
            user = User(
                username=role,
                display_name=role,
                password_hash="x",
                role=role,
                locale="en",
                active=True,
                created_at=MORNING,
                password_changed_at=MORNING,
            )
            session.add(user)
            session.flush()
            _, tokens[role] = issue_api_token(
                session=session, user_id=user.id, name="t", days=None, actor="test"
            )
        session.commit()
    clock.freeze(MORNING)
    app = create_app(Settings(database_url=db_url, fee_schedule="cn-card"))
    try:
        with TestClient(app) as client:
            yield client, tokens, wo_id
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def _as(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(
    api: tuple[TestClient, dict[str, str], int], session: Session
) -> None:
    client, tokens, wo_id = api
    h = _as(tokens, "collector")
    r = client.post(
        "/api/v1/cases/9999/promises", headers=h, json={"amount": "10", "due_on": "2026-03-05"}
    )
    assert r.status_code == 404
    assert "no case 9999" in r.text
    r = client.post(
        f"/api/v1/cases/{wo_id}/promises",
        headers=h,
        json={"amount": "-10.00", "due_on": "2026-03-05"},
    )
    assert r.status_code == 422
    assert "must be positive" in r.text
    r = client.post(
        f"/api/v1/cases/{wo_id}/promises",
        headers=h,
        json={"amount": "10.00", "due_on": "2026-02-01"},
    )
    assert r.status_code == 422
    assert "in the past" in r.text
    r = client.post(
        f"/api/v1/cases/{wo_id}/plans",
        headers=h,
        json={"first_due_on": "2026-03-10", "amounts": ["50.00", "49.00"]},
    )
    assert r.status_code == 422
    assert "must match to the cent" in r.text
    r = client.post(f"/api/v1/cases/{wo_id}/stops", headers=h, json={"stop": 2})
    # Well formed, refused by the three-stops rule: 409, apart from malformed input's 422.
    assert r.status_code == 409
    assert r.json()["error"] == "rule_refused"
    assert "before stop 1" in r.text
    session.expire_all()
    assert count(session, Promise) == 0
    assert count(session, RepaymentPlan) == 0
    assert count(session, ThreeStop) == 0


def test_roles_without_the_permission_are_refused(
    api: tuple[TestClient, dict[str, str], int],
) -> None:
    client, tokens, wo_id = api
    r = client.post(
        f"/api/v1/cases/{wo_id}/contacts",
        headers=_as(tokens, "analyst"),
        json={"channel": "call", "outcome": "no_answer"},
    )
    assert r.status_code == 403
    r = client.get(f"/api/v1/cases/{wo_id}")
    assert r.status_code == 401


def test_illegal_move_and_stale_version_are_409(
    api: tuple[TestClient, dict[str, str], int],
) -> None:
    client, tokens, wo_id = api
    h = _as(tokens, "collector")
    r = client.post(f"/api/v1/cases/{wo_id}/transition", headers=h, json={"to": "kept"})
    assert r.status_code == 409
    assert "cannot move from open to kept" in r.text
    ok = client.post(
        f"/api/v1/cases/{wo_id}/transition", headers=h, json={"to": "in_progress", "version": 1}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2
    stale = client.post(
        f"/api/v1/cases/{wo_id}/transition",
        headers=h,
        json={"to": "on_hold", "hold_reason": "dispute", "version": 1},
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text


def test_blocked_call_is_stored_and_explained_then_allowed_call_and_promise(
    api: tuple[TestClient, dict[str, str], int], session: Session
) -> None:
    client, tokens, wo_id = api
    h = _as(tokens, "collector")
    night = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai, on the server's clock
    with clock.frozen(night):
        blocked = client.post(
            f"/api/v1/cases/{wo_id}/contacts",
            headers=h,
            json={"channel": "call", "outcome": "no_answer"},
        )
    assert blocked.status_code == 201, blocked.text
    body = blocked.json()
    assert body["status"] == "blocked"
    assert body["outcome"] is None
    assert "time_window" in body["compliance"]["rules"]
    assert body["compliance"]["next_allowed_at"].startswith("2026-03-03T00:00:00")
    made = client.post(
        f"/api/v1/cases/{wo_id}/contacts",
        headers=h,
        json={"channel": "call", "outcome": "promise_to_pay", "duration_seconds": 200},
    )
    assert made.json()["status"] == "made"
    promise = client.post(
        f"/api/v1/cases/{wo_id}/promises",
        headers=h,
        json={"amount": "1020.00", "due_on": "2026-03-06", "contact_attempt_id": made.json()["id"]},
    )
    assert promise.status_code == 201, promise.text
    assert promise.json()["case"]["status"] == "promised"
    case = client.get(f"/api/v1/cases/{wo_id}", headers=h).json()
    assert sorted(c["status"] for c in case["contacts"]) == ["blocked", "made"]
    assert case["contact_persons_unlock"]["unlocked"] is False
    assert case["accounts"][0]["total_due"]
    session.expire_all()
    assert count(session, ContactAttempt) == 2


def test_settlement_maker_checker_over_http(
    api: tuple[TestClient, dict[str, str], int],
) -> None:
    client, tokens, wo_id = api
    offer = client.post(
        f"/api/v1/cases/{wo_id}/settlements",
        headers=_as(tokens, "collector"),
        json={"discount": "0.10", "due_on": "2026-03-20"},
    )
    assert offer.status_code == 201, offer.text
    assert offer.json()["status"] == "proposed"
    plan_id = offer.json()["id"]
    denied = client.post(
        f"/api/v1/plans/{plan_id}/decision",
        headers=_as(tokens, "collector"),
        json={"approve": True},
    )
    assert denied.status_code == 403
    ok = client.post(
        f"/api/v1/plans/{plan_id}/decision",
        headers=_as(tokens, "team_lead"),
        json={"approve": True, "note": "ok"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "active"
    # 90 % of the 5,291.00 owed (the itemization-date figure; it was 5,344.60)
    assert ok.json()["instalments"][0]["amount"] == "4761.90"


def test_script_and_three_stops_over_http(
    api: tuple[TestClient, dict[str, str], int],
) -> None:
    client, tokens, wo_id = api
    h = _as(tokens, "collector")
    script = client.get(f"/api/v1/cases/{wo_id}/script?locale=zh-CN", headers=h)
    assert script.status_code == 200, script.text
    assert "合计应还" in script.json()["text"]
    spoken = client.post(
        f"/api/v1/cases/{wo_id}/contacts",
        headers=h,
        json={"channel": "call", "outcome": "abusive"},
    )
    assert spoken.json()["status"] == "made", spoken.text
    for stop in (1, 2, 3):
        r = client.post(f"/api/v1/cases/{wo_id}/stops", headers=h, json={"stop": stop})
        assert r.status_code == 201, r.text
    assert r.json()["case"]["status"] == "escalated"
    assert r.json()["case"]["problem_customer"] is True
