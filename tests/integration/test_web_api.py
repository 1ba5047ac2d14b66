"""The JSON API and pages over a real store (SQLite and PostgreSQL): every route's permission
denials per role, agency isolation, masking, the breakdown on the case view."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.auth.policy import ROLES, can
from arrears.config import Settings
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.web.app import create_app
from tests.web_seed import (
    ADDRESS,
    CONTACT_PHONE,
    ID_NUMBER,
    NOW,
    PASSWORD,
    PHONE,
    Seeded,
    seed,
)

RAW_PII = (ID_NUMBER, ADDRESS, PHONE, CONTACT_PHONE)


@pytest.fixture
def seeded(session: Session) -> Seeded:
    with clock.frozen(NOW):
        result = seed(session)
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


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    client.cookies.clear()
    client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def csrf(client: TestClient) -> str:
    """The CSRF token the app puts in its pages for this client's session (or, signed out, for
    its pre-session nonce), read from a page as a browser has it."""
    found = _CSRF_META.search(client.get("/sign-in").text)
    return found.group(1) if found else ""


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    schema = client.app.openapi()  # type: ignore[attr-defined]
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
    ]


def _fill(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_api_route_refuses_anonymous_callers(app_client: TestClient) -> None:
    routes = api_routes(app_client)
    assert ("GET", "/api/v1/workbench/cases/{work_order_id}") in routes
    for method, path in routes:
        response = app_client.request(method, _fill(path), json={})
        # Unsafe methods without a token meet the CSRF check first: also a refusal.
        assert response.status_code in (401, 403), (method, path, response.status_code)
        if method == "GET":
            assert response.status_code == 401
            assert response.json()["error"] == "not_authenticated"


# (method, path template, json body, permission the route needs)
MY_ROUTES = (
    ("GET", "/api/v1/users", None, "users.manage"),
    ("POST", "/api/v1/users", {"username": "newbie", "role": "collector"}, "users.manage"),
    ("GET", "/api/v1/users/{user}", None, "users.manage"),
    ("PATCH", "/api/v1/users/{user}", {"display_name": "X"}, "users.manage"),
    ("POST", "/api/v1/users/{user}/reset-password", None, "users.manage"),
    ("GET", "/api/v1/tokens", None, "tokens.manage"),
    ("POST", "/api/v1/tokens", {"name": "ci"}, "tokens.manage"),
    ("GET", "/api/v1/workbench/queue", None, "queue.read"),
    ("GET", "/api/v1/workbench/next", None, "queue.read"),
    ("GET", "/api/v1/workbench/cases/{case}", None, "case.read"),
    ("POST", "/api/v1/workbench/cases/{case}/unmask", {"field": "id_number"}, "pii.unmask"),
)


def test_each_role_is_denied_what_its_policy_does_not_grant(
    app_client: TestClient, seeded: Seeded
) -> None:
    for role in ROLES:
        _check_role(app_client, seeded, role)


def _check_role(app_client: TestClient, seeded: Seeded, role: str) -> None:
    sign_in(app_client, role)
    me = app_client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["role"] == role
    target_user = seeded.users["collector"]
    for method, template, body, permission in MY_ROUTES:
        path = template.format(user=target_user, case=seeded.work_orders[0])
        response = app_client.request(
            method, path, json=body, headers={"X-CSRF-Token": csrf(app_client)}
        )
        if can(role, permission):
            assert response.status_code != 403, (role, method, path, response.text)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert response.json()["error"] == "not_permitted"


def test_roles_are_denied_the_things_they_must_not_do(app_client: TestClient) -> None:
    # The policy itself, stated plainly: these denials are requirements, not derived.
    assert not can("collector", "users.manage")
    assert not can("collector", "settlement.approve")
    assert not can("agency_user", "pii.unmask")
    assert not can("agency_user", "case.reassign")
    assert not can("analyst", "case.read")
    assert not can("admin", "case.read")
    assert not can("team_lead", "compliance.override")
    assert can("compliance_officer", "compliance.override")
    assert can("team_lead", "settlement.approve")


def test_agency_user_cannot_reach_a_case_not_placed_with_the_agency(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "agency_user")
    mine, not_placed = seeded.work_orders[1], seeded.work_orders[0]
    assert app_client.get(f"/api/v1/workbench/cases/{not_placed}").status_code == 404
    page = app_client.get(f"/cases/{not_placed}")
    assert page.status_code == 404
    assert "张1" not in page.text
    unmask = app_client.post(
        f"/api/v1/workbench/cases/{not_placed}/unmask",
        json={"field": "id_number"},
        headers={"X-CSRF-Token": csrf(app_client)},
    )
    assert unmask.status_code == 403
    queue = app_client.get("/api/v1/workbench/queue").json()
    assert [row["id"] for row in queue["rows"]] == [mine]
    assert app_client.get("/api/v1/workbench/next").json() == {"work_order_id": mine}
    assert app_client.get(f"/cases/{mine}").status_code == 200


def test_scopes_follow_live_assignments(app_client: TestClient, seeded: Seeded) -> None:
    first, placed = seeded.work_orders
    expected = {
        "collector": [first],  # assigned to them
        "senior_specialist": [first],  # their mentee's case
        "team_lead": [first],  # their team's case; the placement is the agency's
        "agency_user": [placed],
    }
    for role, ids in expected.items():
        sign_in(app_client, role)
        rows = app_client.get("/api/v1/workbench/queue").json()["rows"]
        assert [r["id"] for r in rows] == ids, role
        hidden = next(i for i in seeded.work_orders if i not in ids)
        assert app_client.get(f"/api/v1/workbench/cases/{hidden}").status_code == 404, role


def test_case_view_shows_the_breakdown_that_sums_to_the_total(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "compliance_officer")
    body = app_client.get(f"/api/v1/workbench/cases/{seeded.work_orders[0]}").json()
    account = body["accounts"][0]
    assert account["dpd"] > 0
    assert account["bucket"] == "M2"
    items = account["items"]
    assert {i["kind"] for i in items} >= {"principal", "fee", "interest"}
    assert sum(Decimal(i["amount"]) for i in items) == Decimal(account["total_due"])
    assert all(i["explanation"]["en"] and i["explanation"]["zh-CN"] for i in items)
    # Money is a string in JSON, never a float.
    assert isinstance(account["total_due"], str)


def test_masked_fields_never_appear_in_json_or_html(app_client: TestClient, seeded: Seeded) -> None:
    shown = 0
    for role in ROLES:
        shown += _check_masked(app_client, seeded, role)
    assert shown >= 1  # at least one role saw the case, so masking was actually exercised


def _check_masked(app_client: TestClient, seeded: Seeded, role: str) -> int:
    sign_in(app_client, role)
    case_id = seeded.work_orders[0]
    api = app_client.get(f"/api/v1/workbench/cases/{case_id}")
    page = app_client.get(f"/cases/{case_id}")
    for response in (api, page):
        if response.status_code in (403, 404):  # no case access or out of scope: nothing shown
            assert "张1" not in response.text
            continue
        assert response.status_code == 200
        for raw in RAW_PII:
            assert raw not in response.text, (role, raw)
    if api.status_code != 200:
        return 0
    customer = api.json()["customer"]
    assert customer["id_number"].startswith("110")
    assert "*" in customer["id_number"]
    assert customer["phones"][0]["phone"] == "138****5678"
    assert customer["contact_persons"][0]["phone"] == "139****4321"
    return 1


def test_unmask_is_allowed_only_to_unmasking_roles_and_audited(
    app_client: TestClient, seeded: Seeded, session: Session
) -> None:
    case_id = seeded.work_orders[0]
    sign_in(app_client, "compliance_officer")
    response = app_client.post(
        f"/api/v1/workbench/cases/{case_id}/unmask",
        json={"field": "phone", "item_id": seeded.phones[0]},
        headers={"X-CSRF-Token": csrf(app_client)},
    )
    assert response.status_code == 200
    assert response.json()["value"] == PHONE
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.unmask")).all()
    assert [(e.actor, e.entity_id) for e in events] == [
        ("user:compliance_officer", str(seeded.cardholders[0]))
    ]
    # A phone of another customer is not reachable through this case.
    other = app_client.post(
        f"/api/v1/workbench/cases/{case_id}/unmask",
        json={"field": "phone", "item_id": seeded.phones[1]},
        headers={"X-CSRF-Token": csrf(app_client)},
    )
    assert other.status_code == 404
    bad = app_client.post(
        f"/api/v1/workbench/cases/{case_id}/unmask",
        json={"field": "name"},
        headers={"X-CSRF-Token": csrf(app_client)},
    )
    assert bad.status_code == 422


def test_admin_creates_a_user_who_can_sign_in_and_reset_ends_sessions(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "admin")
    created = app_client.post(
        "/api/v1/users",
        json={"username": "wang.wei", "role": "collector", "display_name": "王伟"},
        headers={"X-CSRF-Token": csrf(app_client)},
    )
    assert created.status_code == 201
    password = created.json()["password"]
    user_id = created.json()["user"]["id"]
    duplicate = app_client.post(
        "/api/v1/users",
        json={"username": "wang.wei", "role": "collector"},
        headers={"X-CSRF-Token": csrf(app_client)},
    )
    assert duplicate.status_code == 409
    agency_without_agency = app_client.post(
        "/api/v1/users",
        json={"username": "agent2", "role": "agency_user"},
        headers={"X-CSRF-Token": csrf(app_client)},
    )
    assert agency_without_agency.status_code == 422

    other = TestClient(app_client.app)
    sign_in(other, "wang.wei", password)
    assert other.get("/api/v1/me").json()["username"] == "wang.wei"

    reset = app_client.post(
        f"/api/v1/users/{user_id}/reset-password", headers={"X-CSRF-Token": csrf(app_client)}
    )
    assert reset.status_code == 200
    assert other.get("/api/v1/me").status_code == 401  # the old session ended
    sign_in(other, "wang.wei", reset.json()["password"])
    assert other.get("/api/v1/me").status_code == 200


def test_admin_users_page_creates_and_lists_users(app_client: TestClient) -> None:
    sign_in(app_client, "admin")
    page = app_client.get("/admin/users")
    assert page.status_code == 200
    assert 'data-user="collector"' in page.text
    created = app_client.post(
        "/admin/users",
        data={"username": "li.na", "role": "analyst", "csrf_token": csrf(app_client)},
    )
    assert created.status_code == 201
    assert 'data-user="li.na"' in created.text
    assert 'id="new-password"' in created.text


def test_queue_page_and_api_list_cases_in_priority_order(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "compliance_officer")
    # Compliance officers read any case but have no queue of their own.
    assert app_client.get("/api/v1/workbench/queue").status_code == 403
    sign_in(app_client, "collector")
    page = app_client.get("/queue")
    assert page.status_code == 200
    assert f'href="/cases/{seeded.work_orders[0]}"' in page.text
    assert f'href="/cases/{seeded.work_orders[1]}"' not in page.text
    filtered = app_client.get("/api/v1/workbench/queue", params={"bucket": "M5"}).json()
    assert filtered["total"] == 0
    nxt = app_client.get("/queue/next", follow_redirects=False)
    assert nxt.headers["location"] == f"/cases/{seeded.work_orders[0]}"


def test_language_switch_is_per_user_and_shows_chinese_labels(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "compliance_officer")
    case_id = seeded.work_orders[0]
    english = app_client.get(f"/cases/{case_id}").text
    assert "What is owed" in english
    switched = app_client.post(
        "/locale",
        data={"locale": "zh-CN", "next": f"/cases/{case_id}", "csrf_token": csrf(app_client)},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    app_client.cookies.delete("arrears_locale")  # the choice is stored on the user
    chinese = app_client.get(f"/cases/{case_id}").text
    assert "欠款明细" in chinese
    assert "What is owed" not in chinese
    assert app_client.get("/api/v1/me").json()["locale"] == "zh-CN"


def test_openapi_documents_the_api(app_client: TestClient) -> None:
    schema = app_client.get("/api/openapi.json").json()
    assert "/api/v1/workbench/cases/{work_order_id}" in schema["paths"]
    assert app_client.get("/api/docs").status_code == 200


def test_assets_are_served_by_the_app(app_client: TestClient) -> None:
    htmx = app_client.get("/assets/htmx.min.js")
    assert htmx.status_code == 200
    assert "htmx" in htmx.text[:2000]
    assert app_client.get("/assets/plotly.min.js").status_code == 200
    assert app_client.get("/assets/../../etc/passwd").status_code == 404


def test_demo_users_one_per_role_linked_to_the_workforce(
    app_client: TestClient, seeded: Seeded, session: Session
) -> None:
    from arrears.workforce.demo_roster import create_demo_users

    with clock.frozen(NOW):
        first = create_demo_users(session=session)
        session.commit()
        second = create_demo_users(session=session)
        session.commit()
    assert [role for _, role, _ in first] == list(ROLES)
    assert len({password for _, _, password in first}) == len(ROLES)
    assert [u for u, _, _ in first] == [u for u, _, _ in second]
    assert all(a[2] != b[2] for a, b in zip(first, second, strict=True))  # rotated
    passwords = {role: password for _, role, password in second}
    sign_in(app_client, "demo_collector", passwords["collector"])
    rows = app_client.get("/api/v1/workbench/queue").json()["rows"]
    assert [r["id"] for r in rows] == [seeded.work_orders[0]]
    sign_in(app_client, "demo_agency_user", passwords["agency_user"])
    rows = app_client.get("/api/v1/workbench/queue").json()["rows"]
    assert [r["id"] for r in rows] == [seeded.work_orders[1]]


def test_a_served_app_warms_up_before_its_first_request(db_url: str, seeded: Seeded) -> None:
    # `arrears serve` builds the app with warm=True: templates compiled, catalogs parsed and
    # connections pooled at startup, so the morning's first collectors do not pay for them.
    from arrears.web import i18n
    from arrears.web.templating import environment

    assert environment.cache is not None
    environment.cache.clear()
    i18n.translations.cache_clear()
    app = create_app(Settings(database_url=db_url), warm=True)
    try:
        with TestClient(app) as c:
            assert i18n.translations.cache_info().currsize == 2
            assert len(environment.cache) == len(environment.list_templates())
            pooled = 1 if db_url.startswith("sqlite") else 4
            assert app.state.engine.pool.checkedin() >= pooled
            signed = sign_in(c, "collector")
            assert signed.get("/queue").status_code == 200
    finally:
        app.state.engine.dispose()
