"""Web hardening (issue 14 §6) on SQLite and PostgreSQL: CSRF tokens bound to the session, the
client address behind proxies and sign-in throttling per username and per address, security
headers and no-store caching, the API docs served by the app, Secure cookies, expiring API
tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arrears.auth.models import ApiToken, UserSession
from arrears.auth.security_policy import load_security_policy
from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.web.app import create_app
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import NOW, PASSWORD, Seeded, seed

POLICY = load_security_policy("default")


@pytest.fixture
def seeded(session: Session) -> Seeded:
    with clock.frozen(NOW):
        result = seed(session, customers=1)
        session.commit()
    return result


@pytest.fixture
def make_app(db_url: str, seeded: Seeded) -> Iterator[object]:
    """``make_app(**settings)``: an app on this test's store (disposed at the end)."""
    apps: list[FastAPI] = []

    def build(**settings: object) -> FastAPI:
        app = create_app(Settings(database_url=db_url, **settings))  # type: ignore[arg-type]
        apps.append(app)
        return app

    clock.freeze(NOW)
    try:
        yield build
    finally:
        clock.unfreeze()
        for app in apps:
            app.state.engine.dispose()


@pytest.fixture
def app(make_app: object) -> FastAPI:
    return make_app()  # type: ignore[operator,no-any-return]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _sign_in_form(c: TestClient, username: str, password: str, token: str | None) -> int:
    data = {"username": username, "password": password}
    if token is not None:
        data["csrf_token"] = token
    return c.post("/sign-in", data=data, follow_redirects=False).status_code


NEW_USER = {"username": "x.y", "role": "analyst"}


# --- 1. CSRF tokens bound to the session ----------------------------------------------------


def test_a_planted_cookie_with_a_matching_field_is_refused(client: TestClient) -> None:
    # Before sign-in (login CSRF): the old double-submit pair, and a nonce of the attacker's.
    client.get("/sign-in")
    planted = "A" * 43
    for name in ("arrears_csrf", "arrears_presession"):
        client.cookies.set(name, planted)
        assert _sign_in_form(client, "admin", PASSWORD, planted) == 403
    # Signed in: a cookie planted beside the session, with a field (or header) to match.
    sign_in(client, "admin")
    client.cookies.set("arrears_csrf", planted)
    assert (
        client.post("/api/v1/users", json=NEW_USER, headers={"X-CSRF-Token": planted}).status_code
        == 403
    )
    form = {"username": "p.q", "role": "analyst", "csrf_token": planted}
    assert client.post("/admin/users", data=form).status_code == 403
    assert [u["username"] for u in client.get("/api/v1/users").json()].count("x.y") == 0
    assert (
        client.post(
            "/api/v1/users", json=NEW_USER, headers={"X-CSRF-Token": csrf(client)}
        ).status_code
        == 201
    )


def test_a_token_from_another_session_is_refused(app: FastAPI) -> None:
    with TestClient(app) as first, TestClient(app) as second:
        sign_in(first, "admin")
        sign_in(second, "admin")  # the same user, another browser
        stolen = csrf(first)
        assert stolen
        assert stolen != csrf(second)
        refused = second.post("/api/v1/users", json=NEW_USER, headers={"X-CSRF-Token": stolen})
        assert refused.status_code == 403
        # A new session of the same browser gets a new token; the old one is dead.
        sign_in(first, "admin")
        assert csrf(first) != stolen
        again = first.post("/api/v1/users", json=NEW_USER, headers={"X-CSRF-Token": stolen})
        assert again.status_code == 403
        done = first.post("/api/v1/users", json=NEW_USER, headers={"X-CSRF-Token": csrf(first)})
        assert done.status_code == 201


def test_the_sign_in_form_token_is_bound_to_its_browser(app: FastAPI) -> None:
    with TestClient(app) as mine, TestClient(app) as theirs:
        mine.get("/sign-in")
        theirs.get("/sign-in")
        assert csrf(mine) != csrf(theirs)
        assert _sign_in_form(theirs, "admin", PASSWORD, csrf(mine)) == 403
        before = csrf(mine)
        assert _sign_in_form(mine, "admin", PASSWORD, before) == 303
        # Once signed in, only the session's token counts: the pre-session one no longer does.
        refused = mine.post("/api/v1/users", json=NEW_USER, headers={"X-CSRF-Token": before})
        assert refused.status_code == 403


def test_a_cross_site_request_is_refused_even_with_a_valid_token(client: TestClient) -> None:
    sign_in(client, "admin")
    headers = {"X-CSRF-Token": csrf(client)}
    for site in ("cross-site", "same-site"):
        sent = client.post(
            "/api/v1/users", json=NEW_USER, headers={**headers, "Sec-Fetch-Site": site}
        )
        assert sent.status_code == 403
    ok = client.post(
        "/api/v1/users", json=NEW_USER, headers={**headers, "Sec-Fetch-Site": "same-origin"}
    )
    assert ok.status_code == 201


def test_a_form_from_an_ended_session_asks_to_sign_in_again(client: TestClient) -> None:
    sign_in(client, "admin")
    token = csrf(client)
    clock.freeze(NOW + timedelta(hours=13))  # past the absolute lifetime
    form = {"username": "late.one", "role": "analyst", "csrf_token": token}
    response = client.post("/admin/users", data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert "sign in again" in response.text or "请重新登录" in response.text


# --- 2. The client's address behind proxies; throttling per username and per address ------


def _session_ip(session: Session) -> str:
    session.expire_all()
    return session.scalars(select(UserSession.ip).order_by(UserSession.id.desc())).first() or ""


def test_forwarded_for_counts_only_from_a_trusted_proxy(make_app: object, session: Session) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    untrusted = make_app()  # type: ignore[operator]
    with TestClient(untrusted, client=("198.51.100.7", 50000)) as c:
        c.get("/sign-in")
        c.post(
            "/sign-in",
            data={"username": "collector", "password": PASSWORD, "csrf_token": csrf(c)},
            headers=forwarded,
        )
    assert _session_ip(session) == "198.51.100.7"
    trusted = make_app(trusted_proxies="10.0.0.1, 198.51.100.0/24")  # type: ignore[operator]
    with TestClient(trusted, client=("198.51.100.7", 50000)) as c:
        c.get("/sign-in")
        # The client wrote the left entry itself; the proxy appended the address it saw.
        chain = {"X-Forwarded-For": "1.2.3.4, 203.0.113.9"}
        c.post(
            "/sign-in",
            data={"username": "collector", "password": PASSWORD, "csrf_token": csrf(c)},
            headers=chain,
        )
    assert _session_ip(session) == "203.0.113.9"


def test_spraying_usernames_from_one_address_is_throttled(client: TestClient) -> None:
    client.get("/sign-in")
    token = csrf(client)
    limit = POLICY.sign_in.failures_per_address
    for n in range(limit):
        # A new username each time, and a new X-Forwarded-For: neither helps (not a trusted peer).
        client.headers["X-Forwarded-For"] = f"203.0.113.{n + 1}"
        assert _sign_in_form(client, f"guess{n}", "wrong-password", token) == 401
    client.headers["X-Forwarded-For"] = "192.0.2.200"
    assert _sign_in_form(client, "analyst", PASSWORD, token) == 429  # even the right password
    clock.freeze(NOW + POLICY.sign_in.window + timedelta(minutes=1))
    assert _sign_in_form(client, "analyst", PASSWORD, token) == 303


def test_one_username_from_many_addresses_is_throttled(app: FastAPI) -> None:
    limit = POLICY.sign_in.failures_per_username
    for n in range(limit):
        with TestClient(app, client=(f"198.51.100.{n + 1}", 50000)) as c:
            c.get("/sign-in")
            assert _sign_in_form(c, "collector", "wrong-password", csrf(c)) == 401
    with TestClient(app, client=("192.0.2.10", 50000)) as fresh:
        fresh.get("/sign-in")
        assert _sign_in_form(fresh, "collector", PASSWORD, csrf(fresh)) == 429
        assert _sign_in_form(fresh, "analyst", PASSWORD, csrf(fresh)) == 303


def test_the_limits_are_the_policy_files(make_app: object, tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        "sign_in: {window_minutes: 60, failures_per_username: 2, failures_per_address: 3}\n"
        "sessions: {idle_minutes: 5, absolute_hours: 1, touch_every_seconds: 30}\n"
        "api_tokens: {default_days: 7, max_days: 30}\n"
    )
    app = make_app(security_policy=str(strict))  # type: ignore[operator]
    with TestClient(app) as c:
        c.get("/sign-in")
        for _ in range(2):
            assert _sign_in_form(c, "collector", "wrong-password", csrf(c)) == 401
        assert _sign_in_form(c, "collector", PASSWORD, csrf(c)) == 429
        assert _sign_in_form(c, "analyst", PASSWORD, csrf(c)) == 303
        clock.freeze(NOW + timedelta(minutes=6))  # past this policy's idle timeout
        assert c.get("/api/v1/me").status_code == 401


def test_a_bad_trusted_proxies_setting_fails_at_start() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(trusted_proxies="10.0.0.1, proxy.example")


# --- 3. Headers ------------------------------------------------------------------------------


def _bearer(client: TestClient) -> dict[str, str]:
    issued = client.post(
        "/api/v1/tokens", json={"name": "t"}, headers={"X-CSRF-Token": csrf(client)}
    )
    return {"Authorization": f"Bearer {issued.json()['secret']}"}


def test_every_authenticated_response_is_no_store(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "collector")
    case = seeded.work_orders[0]
    paths = [
        "/queue",
        f"/cases/{case}",
        f"/cases/{case}/script",
        "/api/v1/me",
        f"/api/v1/workbench/cases/{case}",
        "/cases/999999",
        "/api/v1/users",
    ]
    for path in paths:
        response = client.get(path)
        assert response.headers.get("cache-control") == "no-store", path
    posted = client.post(
        f"/cases/{case}/promise",
        data={"amount": "-1", "due_on": "2026-11-25", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert posted.headers.get("cache-control") == "no-store"
    bearer = TestClient(client.app)
    auth = _bearer(client)
    assert bearer.get("/api/v1/me", headers=auth).headers.get("cache-control") == "no-store"
    # Public files stay cacheable for everyone.
    assert client.get("/static/app.css").headers.get("cache-control") != "no-store"


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    anonymous = [
        client.get("/sign-in"),
        client.get("/api/v1/me"),
        client.get("/healthz"),
        client.get("/nowhere"),
    ]
    sign_in(client, "collector")
    signed = [client.get("/queue"), client.get("/api/v1/me")]
    for response in anonymous + signed:
        policy = response.headers["content-security-policy"]
        directives = {d.strip().split(" ", 1)[0]: d.strip() for d in policy.split(";")}
        assert directives["frame-ancestors"] == "frame-ancestors 'none'"
        assert directives["default-src"] == "default-src 'self'"
        assert directives["script-src"] == "script-src 'self'"
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "DENY"


def test_pages_carry_no_inline_script_or_style(client: TestClient, seeded: Seeded) -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)
    sign_in(client, "team_lead")
    for path in (
        "/queue",
        f"/cases/{seeded.work_orders[0]}",
        "/approvals",
        "/dashboard",
        "/legal",
        "/tokens",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert not inline.findall(page.text), (path, inline.findall(page.text))


# --- 4. API docs from the app itself ---------------------------------------------------------


def test_api_docs_and_redoc_load_only_the_apps_own_assets(client: TestClient) -> None:
    for path in ("/api/docs", "/api/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text), page.text
        for ref in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
            assert client.get(ref).status_code == 200, ref
    assert client.get("/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert client.get("/assets/redoc.standalone.js").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200


# --- 5. Secure on every cookie ---------------------------------------------------------------


def test_secure_mode_marks_every_cookie_secure_flash_locale_and_csrf_too(
    make_app: object, seeded: Seeded
) -> None:
    case = seeded.work_orders[0]
    for secure in (False, True):
        app = make_app(secure_cookies=secure)  # type: ignore[operator]
        cookies: list[str] = []
        with TestClient(app, base_url="https://testserver") as c:
            cookies += c.get("/sign-in").headers.get_list("set-cookie")
            signed = c.post(
                "/sign-in",
                data={"username": "collector", "password": PASSWORD, "csrf_token": csrf(c)},
                follow_redirects=False,
            )
            cookies += signed.headers.get_list("set-cookie")
            # A refused promise comes back as a one-shot message cookie, deleted once shown.
            flashed = c.post(
                f"/cases/{case}/promise",
                data={"amount": "-1", "due_on": "2026-11-25", "csrf_token": csrf(c)},
                follow_redirects=False,
            )
            cookies += flashed.headers.get_list("set-cookie")
            cookies += c.get(f"/cases/{case}").headers.get_list("set-cookie")
            switched = c.post(
                "/locale", data={"locale": "en", "csrf_token": csrf(c)}, follow_redirects=False
            )
            cookies += switched.headers.get_list("set-cookie")
            ended = c.post("/sign-out", data={"csrf_token": csrf(c)}, follow_redirects=False)
            cookies += ended.headers.get_list("set-cookie")
        names = {cookie.split("=", 1)[0] for cookie in cookies}
        assert names >= {"arrears_presession", "arrears_session", "arrears_locale", "arrears_flash"}
        assert all(("; secure" in cookie.lower()) is secure for cookie in cookies), cookies


# --- 6. API tokens expire --------------------------------------------------------------------


def test_a_token_gets_the_policy_default_lifetime_and_then_is_401(client: TestClient) -> None:
    sign_in(client, "team_lead")
    issued = client.post(
        "/api/v1/tokens",
        json={"name": "dialer", "days": None},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert issued.status_code == 201
    default = timedelta(days=POLICY.api_tokens.default_days)
    assert issued.json()["token"]["expires_at"].startswith((NOW + default).date().isoformat())
    auth = {"Authorization": f"Bearer {issued.json()['secret']}"}
    bearer = TestClient(client.app)
    clock.freeze(NOW + default - timedelta(minutes=1))
    assert bearer.get("/api/v1/me", headers=auth).status_code == 200
    clock.freeze(NOW + default)
    expired = bearer.get("/api/v1/me", headers=auth)
    assert expired.status_code == 401
    assert bearer.get("/api/v1/workbench/queue", headers=auth).status_code == 401


def test_a_token_longer_than_the_policy_allows_is_refused(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "team_lead")
    longest = POLICY.api_tokens.max_days
    too_long = client.post(
        "/api/v1/tokens",
        json={"name": "forever", "days": longest + 1},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert too_long.status_code == 409
    assert too_long.json()["error"] == "rule_refused"
    assert too_long.json()["message"].startswith("days: ")
    assert str(longest) in too_long.json()["message"]
    huge = client.post(
        "/api/v1/tokens",
        json={"name": "forever", "days": 10**30},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert huge.status_code == 409
    assert session.scalars(select(ApiToken)).all() == []
    ok = client.post(
        "/api/v1/tokens",
        json={"name": "year", "days": longest},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert ok.status_code == 201
    # The page says so too, and issues nothing.
    page = client.post(
        "/tokens", data={"name": "forever", "days": str(longest + 1), "csrf_token": csrf(client)}
    )
    assert f"at most {longest} days" in page.text
    assert 'id="new-token"' not in page.text
    session.expire_all()
    assert len(session.scalars(select(ApiToken)).all()) == 1


def test_a_token_issued_without_expiry_ends_at_the_policy_maximum(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "analyst")
    issued = client.post(
        "/api/v1/tokens", json={"name": "old"}, headers={"X-CSRF-Token": csrf(client)}
    )
    auth = {"Authorization": f"Bearer {issued.json()['secret']}"}
    # As tokens were issued before every token had an expiry.
    session.execute(update(ApiToken).values(expires_at=None))
    session.commit()
    bearer = TestClient(client.app)
    clock.freeze(NOW + timedelta(days=POLICY.api_tokens.max_days) - timedelta(minutes=1))
    assert bearer.get("/api/v1/me", headers=auth).status_code == 200
    clock.freeze(NOW + timedelta(days=POLICY.api_tokens.max_days))
    assert bearer.get("/api/v1/me", headers=auth).status_code == 401
