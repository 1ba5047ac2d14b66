"""Security: CSRF, session expiry (injectable clock), the sign-in rate limit, API tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.auth.models import ApiToken, SignInAttempt, UserSession
from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.web.app import create_app
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import NOW, PASSWORD, seed


@pytest.fixture
def client(db_url: str, session: Session) -> Iterator[TestClient]:
    with clock.frozen(NOW):
        seed(session, customers=1)
        session.commit()
    clock.freeze(NOW)
    app = create_app(Settings(database_url=db_url))
    try:
        with TestClient(app) as c:
            yield c
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def _post_sign_in(c: TestClient, username: str, password: str, token: str | None) -> int:
    data = {"username": username, "password": password}
    if token is not None:
        data["csrf_token"] = token
    return c.post("/sign-in", data=data, follow_redirects=False).status_code


def test_csrf_missing_or_wrong_is_rejected_on_forms_and_api(client: TestClient) -> None:
    client.get("/sign-in")
    assert _post_sign_in(client, "admin", PASSWORD, None) == 403
    assert _post_sign_in(client, "admin", PASSWORD, "forged") == 403
    assert client.get("/api/v1/me").status_code == 401  # nothing signed in
    assert _post_sign_in(client, "admin", PASSWORD, csrf(client)) == 303
    # Signed in with the cookie: an unsafe API call needs the header (or the form field).
    body = {"username": "x.y", "role": "analyst"}
    assert client.post("/api/v1/users", json=body).status_code == 403
    assert (
        client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": "no"}).status_code == 403
    )
    ok = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf(client)})
    assert ok.status_code == 201
    # Sign-out is a form too.
    assert client.post("/sign-out", follow_redirects=False).status_code == 403
    assert client.get("/api/v1/me").status_code == 200


def test_a_rejected_csrf_request_changes_nothing(client: TestClient, session: Session) -> None:
    sign_in(client, "admin")
    client.post("/admin/users", data={"username": "ghost", "role": "analyst"})
    assert client.get("/api/v1/users").json()[-1]["username"] != "ghost"
    assert "ghost" not in [u["username"] for u in client.get("/api/v1/users").json()]


def test_session_expires_after_idle_time_and_slides_with_use(client: TestClient) -> None:
    sign_in(client, "collector")
    clock.freeze(NOW + timedelta(minutes=25))
    assert client.get("/api/v1/me").status_code == 200  # used: the idle timer restarts
    clock.freeze(NOW + timedelta(minutes=50))
    assert client.get("/api/v1/me").status_code == 200
    clock.freeze(NOW + timedelta(minutes=50 + 31))
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/queue", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/sign-in")


def test_session_expires_after_its_absolute_lifetime_even_when_used(client: TestClient) -> None:
    sign_in(client, "collector")
    for minutes in range(20, 12 * 60, 20):
        clock.freeze(NOW + timedelta(minutes=minutes))
        assert client.get("/api/v1/me").status_code == 200, minutes
    clock.freeze(NOW + timedelta(hours=12, minutes=1))
    assert client.get("/api/v1/me").status_code == 401


def test_sign_out_ends_the_session_server_side(client: TestClient, session: Session) -> None:
    sign_in(client, "collector")
    cookie = client.cookies.get("arrears_session")
    assert client.post("/sign-out", data={"csrf_token": csrf(client)}).status_code == 200
    client.cookies.set("arrears_session", cookie or "")  # replaying the old cookie
    assert client.get("/api/v1/me").status_code == 401
    ended = session.scalars(select(UserSession)).all()
    assert [s.ended_at is not None for s in ended] == [True]


def test_sign_in_is_rate_limited_per_username(client: TestClient, session: Session) -> None:
    client.get("/sign-in")
    token = csrf(client)
    for _ in range(5):
        assert _post_sign_in(client, "collector", "wrong-password", token) == 401
    # The sixth try is refused even with the right password.
    assert _post_sign_in(client, "collector", PASSWORD, token) == 429
    # Another username from the same address is not affected.
    assert _post_sign_in(client, "analyst", PASSWORD, token) == 303
    token = csrf(client)  # signed in now: the form's token is bound to the new session
    # The window passes.
    clock.freeze(NOW + timedelta(minutes=16))
    assert _post_sign_in(client, "collector", PASSWORD, token) == 303
    failures = session.scalars(
        select(SignInAttempt).where(SignInAttempt.succeeded.is_(False))
    ).all()
    assert len(failures) == 5


def test_unknown_user_and_wrong_password_read_the_same(client: TestClient) -> None:
    client.get("/sign-in")
    english = {"Accept-Language": "en"}
    a = client.post(
        "/sign-in",
        data={"username": "nobody", "password": "x", "csrf_token": csrf(client)},
        headers=english,
    )
    b = client.post(
        "/sign-in",
        data={"username": "collector", "password": "x", "csrf_token": csrf(client)},
        headers=english,
    )
    assert a.status_code == b.status_code == 401
    assert "wrong username or password" in a.text
    assert "wrong username or password" in b.text


def test_api_tokens_are_hashed_at_rest_expire_and_can_be_revoked(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "team_lead")
    issued = client.post(
        "/api/v1/tokens",
        json={"name": "dialer", "days": 30},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert issued.status_code == 201
    secret = issued.json()["secret"]
    token_id = issued.json()["token"]["id"]
    stored = session.scalars(select(ApiToken)).one()
    assert secret not in (stored.token_hash, stored.prefix)
    assert len(stored.token_hash) == 64

    bearer = TestClient(client.app)
    auth = {"Authorization": f"Bearer {secret}"}
    assert bearer.get("/api/v1/me", headers=auth).json()["username"] == "team_lead"
    # No cookies, no CSRF token needed; permissions are the user's.
    created = bearer.post("/api/v1/tokens", json={"name": "second"}, headers=auth)
    assert created.status_code == 201
    assert bearer.get("/api/v1/users", headers=auth).status_code == 403
    assert bearer.get("/api/v1/me", headers={"Authorization": "Bearer arr_nope"}).status_code == 401

    clock.freeze(NOW + timedelta(days=31))
    assert bearer.get("/api/v1/me", headers=auth).status_code == 401
    clock.freeze(NOW + timedelta(days=1))
    assert bearer.get("/api/v1/me", headers=auth).status_code == 200
    revoked = bearer.delete(f"/api/v1/tokens/{token_id}", headers=auth)
    assert revoked.status_code == 204
    assert bearer.get("/api/v1/me", headers=auth).status_code == 401


def test_sign_in_never_redirects_off_site(client: TestClient) -> None:
    client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "username": "collector",
            "password": PASSWORD,
            "next": "//evil.example/phish",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/queue"


def test_deactivated_user_loses_sessions_and_cannot_sign_in(client: TestClient) -> None:
    seeded_user = TestClient(client.app)
    sign_in(seeded_user, "collector")
    sign_in(client, "admin")
    users = {u["username"]: u["id"] for u in client.get("/api/v1/users").json()}
    response = client.patch(
        f"/api/v1/users/{users['collector']}",
        json={"active": False},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert response.status_code == 200
    assert seeded_user.get("/api/v1/me").status_code == 401
    seeded_user.get("/sign-in")
    assert _post_sign_in(seeded_user, "collector", PASSWORD, csrf(seeded_user)) == 401


def test_tokens_page_issues_shows_once_and_revokes_only_own(client: TestClient) -> None:
    sign_in(client, "analyst")
    issued = client.post("/tokens", data={"name": "report-bot", "csrf_token": csrf(client)})
    assert issued.status_code == 200
    secret = re.search(r'id="new-token">[^<]*<code>([^<]+)</code>', issued.text)
    assert secret is not None
    listing = client.get("/tokens")
    assert secret.group(1) not in listing.text  # shown once
    assert 'class="token-row"' in listing.text
    api = TestClient(client.app)
    assert (
        api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret.group(1)}"}).json()["role"]
        == "analyst"
    )
    token_id = re.search(r'action="/tokens/(\d+)/revoke"', listing.text)
    assert token_id is not None
    sign_in(client, "collector")
    other = client.post(f"/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf(client)})
    assert other.status_code == 404
    sign_in(client, "analyst")
    client.post(f"/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf(client)})
    assert (
        api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret.group(1)}"}).status_code
        == 401
    )


def test_secure_cookies_setting_marks_every_cookie_secure(db_url: str, session: Session) -> None:
    # The setting, not only the factory argument: `serve --workers N` builds the app from it.
    with clock.frozen(NOW):
        seed(session, customers=1)
        session.commit()
    for secure in (False, True):
        app = create_app(Settings(database_url=db_url, secure_cookies=secure))
        try:
            # The test client speaks https so it sends Secure cookies back.
            with TestClient(app, base_url="https://testserver") as c:
                first = c.get("/sign-in")
                signed = c.post(
                    "/sign-in",
                    data={"username": "collector", "password": PASSWORD, "csrf_token": csrf(c)},
                    follow_redirects=False,
                )
        finally:
            app.state.engine.dispose()
        assert signed.status_code == 303
        cookies = first.headers.get_list("set-cookie") + signed.headers.get_list("set-cookie")
        assert {c.split("=", 1)[0] for c in cookies} >= {"arrears_presession", "arrears_session"}
        assert all(("; secure" in c.lower()) is secure for c in cookies), cookies
