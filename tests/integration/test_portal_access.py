"""Portal access on SQLite and PostgreSQL: links are single use and expire, verification is
throttled per link and per address, no personal data before verification, third-party links
show no debt, one customer's link never reveals another's data, CSRF, session expiry."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.portal.models import PortalLink, PortalSession
from arrears.web.portal import PORTAL_COOKIE
from tests.portal_fixtures import PORTAL_NOW, PortalStore, csrf_of, verify

WRONG_BIRTH = date(1970, 1, 1)


def _personal(store: PortalStore) -> list[str]:
    """What must never be in a page before verification (either customer's)."""
    found: list[str] = []
    for c in (store.first, store.second):
        found += [
            c.name,
            c.id_number,
            c.id_last4,
            c.birth_date.isoformat(),
            c.account_ref,
            c.account_ref[-4:],
            c.external_ref,
        ]
    return found + ["10,001.00", "10001", "王1号", "Customer 2"]


def test_link_verify_shows_the_breakdown_and_audits_as_the_customer(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    token = portal_store.link()
    response = verify(portal_client, token, portal_store.first)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/"
    assert PORTAL_COOKIE in response.cookies
    home = portal_client.get("/portal/")
    assert home.status_code == 200
    assert portal_store.first.name in home.text
    assert 'data-kind="principal"' in home.text
    assert 'data-kind="fee"' in home.text
    assert home.headers["cache-control"] == "no-store"
    # The CSP admits no inline code: the portal has none (no script at all, no style attribute).
    for page in (home, portal_client.get("/portal/history")):
        assert "<script" not in page.text
        assert "style=" not in page.text
        assert "<style" not in page.text
    assert "content-security-policy" in home.headers
    assert home.headers["x-frame-options"] == "DENY"
    assert home.headers["x-content-type-options"] == "nosniff"
    actors = set(session.scalars(select(AuditEvent.actor)).all())
    assert portal_store.first.actor in actors
    actions = set(
        session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == portal_store.first.actor)
        ).all()
    )
    assert {"portal.verify", "portal.view.owed"} <= actions


def test_a_link_works_once(portal_store: PortalStore, portal_client: TestClient) -> None:
    token = portal_store.link()
    assert verify(portal_client, token, portal_store.first).status_code == 303
    portal_client.cookies.clear()
    again = portal_client.get(f"/portal/l/{token}")
    assert again.status_code == 410
    assert 'data-state="used"' in again.text
    assert verify(portal_client, token, portal_store.first).status_code == 410
    for secret in _personal(portal_store):
        assert secret not in again.text


def test_an_expired_link_is_refused(portal_store: PortalStore, portal_client: TestClient) -> None:
    token = portal_store.link(channel="sms")
    clock.freeze(PORTAL_NOW + timedelta(hours=72))
    page = portal_client.get(f"/portal/l/{token}")
    assert page.status_code == 410
    assert 'data-state="expired"' in page.text
    # A letter's link lives 30 days.
    clock.freeze(PORTAL_NOW)
    letter = portal_store.link(channel="letter")
    clock.freeze(PORTAL_NOW + timedelta(days=29))
    assert portal_client.get(f"/portal/l/{letter}").status_code == 200


def test_five_wrong_birth_dates_lock_the_link(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    token = portal_store.link()
    codes = [
        verify(portal_client, token, portal_store.first, birth_date=WRONG_BIRTH).status_code
        for _ in range(5)
    ]
    assert codes == [401, 401, 401, 401, 429]
    # Even the right answer is refused now.
    right = verify(portal_client, token, portal_store.first)
    assert right.status_code == 429
    assert 'data-state="locked"' in right.text
    link = session.scalars(select(PortalLink)).one()
    assert link.locked
    assert link.failed_attempts == 5
    assert link.used_at is None
    assert session.scalars(select(PortalSession)).all() == []


def test_no_personal_data_before_verification(
    portal_store: PortalStore, portal_client: TestClient
) -> None:
    token = portal_store.link()
    pages = [
        portal_client.get(f"/portal/l/{token}"),
        verify(portal_client, token, portal_store.first, birth_date=WRONG_BIRTH),
        portal_client.get("/portal/l/not-a-token"),
        portal_client.get("/portal/ended"),
    ]
    for page in pages:
        for secret in _personal(portal_store):
            assert secret not in page.text, (page.url, secret)
    # Unverified, the customer's pages send to /portal/ended.
    assert portal_client.get("/portal/", follow_redirects=False).headers["location"] == (
        "/portal/ended"
    )


def test_csrf_is_required(portal_store: PortalStore, portal_client: TestClient) -> None:
    token = portal_store.link()
    portal_client.get(f"/portal/l/{token}")
    data = {
        "birth_date": portal_store.first.birth_date.isoformat(),
        "id_last4": portal_store.first.id_last4,
    }
    refused = portal_client.post(f"/portal/l/{token}", data=data, follow_redirects=False)
    assert refused.status_code == 403
    # The portal's own page, not the workbench's.
    assert 'id="form-refused"' in refused.text
    assert "workbench" not in refused.text.lower()
    forged = portal_client.post(
        f"/portal/l/{token}", data={**data, "csrf_token": "x" * 43}, follow_redirects=False
    )
    assert forged.status_code == 403
    # Signed in, the token is the portal session's: the pre-session one no longer passes.
    before = csrf_of(portal_client.get(f"/portal/l/{token}").text)
    assert verify(portal_client, token, portal_store.first).status_code == 303
    out = portal_client.post("/portal/sign-out", data={"csrf_token": before})
    assert out.status_code == 403
    home = portal_client.get("/portal/")
    assert csrf_of(home.text) != before


def test_an_address_is_throttled_across_links(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    """20 wrong answers from one address (4 links x 5) and the 21st try is refused before
    anything is compared, even on a fresh link with the right answer."""
    for _ in range(4):
        token = portal_store.link()
        for _ in range(5):
            verify(portal_client, token, portal_store.first, birth_date=WRONG_BIRTH)
    fresh = portal_store.link()
    refused = verify(portal_client, fresh, portal_store.first)
    assert refused.status_code == 429
    assert 'id="throttled"' in refused.text
    assert session.scalars(select(PortalSession)).all() == []
    # The fresh link was not touched: another address may still use it.
    link = session.scalars(select(PortalLink).order_by(PortalLink.id.desc())).first()
    assert link is not None
    assert link.failed_attempts == 0
    other = TestClient(portal_client.app, client=("198.51.100.9", 50000))
    assert verify(other, fresh, portal_store.first).status_code == 303


def test_guessing_tokens_counts_against_the_address(
    portal_store: PortalStore, portal_client: TestClient
) -> None:
    page = portal_client.get("/portal/l/" + "a" * 43)
    token = csrf_of(page.text)
    codes = [
        portal_client.post(
            f"/portal/l/{'b' * 42}{i % 10}", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        for i in range(21)
    ]
    assert codes[:20] == [410] * 20
    assert codes[20] == 429


def test_a_third_party_link_shows_no_debt(
    portal_store: PortalStore, portal_client: TestClient
) -> None:
    token = portal_store.link(audience="third_party")
    page = portal_client.get(f"/portal/l/{token}")
    assert page.status_code == 200
    assert 'id="third-party-message"' in page.text
    assert "<form" not in page.text.split("<main", 1)[1]  # nothing to verify, nothing to type
    for secret in _personal(portal_store):
        assert secret not in page.text
    for word in ("owe", "debt", "overdue", "CNY", "欠款", "逾期"):
        assert word not in page.text.split("<main", 1)[1].split("</main>", 1)[0]
    # And it cannot be turned into a session.
    posted = verify(portal_client, token, portal_store.first)
    assert posted.status_code == 410
    assert 'data-state="third_party"' in posted.text
    assert PORTAL_COOKIE not in posted.cookies


def test_one_customers_link_never_reveals_anothers_data(
    portal_store: PortalStore, portal_client: TestClient
) -> None:
    first, second = portal_store.first, portal_store.second
    # The first customer's link with the second customer's facts: refused.
    token = portal_store.link(first)
    wrong = verify(
        portal_client, token, first, birth_date=second.birth_date, id_last4=second.id_last4
    )
    assert wrong.status_code == 401
    # Verified as the second, only the second's data appears.
    assert verify(portal_client, portal_store.link(second), second).status_code == 303
    for path in ("/portal/", "/portal/history"):
        page = portal_client.get(path)
        assert page.status_code == 200
        assert second.name in page.text or path != "/portal/"
        for secret in (first.name, first.account_ref[-4:], first.external_ref, "10,001.00"):
            assert secret not in page.text, (path, secret)
    assert "10,002.00" in portal_client.get("/portal/").text


def test_sessions_end_idle_and_absolute(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    assert verify(portal_client, portal_store.link(), portal_store.first).status_code == 303
    # Used every 9 minutes, the idle timer slides...
    for minutes in (9, 18, 27):
        clock.freeze(PORTAL_NOW + timedelta(minutes=minutes))
        assert portal_client.get("/portal/", follow_redirects=False).status_code == 200
    # ...but the absolute lifetime (30 min) ends it.
    clock.freeze(PORTAL_NOW + timedelta(minutes=30))
    ended = portal_client.get("/portal/", follow_redirects=False)
    assert ended.status_code == 303
    assert ended.headers["location"] == "/portal/ended"
    stored = session.scalars(select(PortalSession)).one()
    assert stored.ended_at is not None
    # A new link; idle 10 minutes ends it too.
    clock.freeze(PORTAL_NOW + timedelta(hours=1))
    assert verify(portal_client, portal_store.link(), portal_store.first).status_code == 303
    clock.freeze(PORTAL_NOW + timedelta(hours=1, minutes=10))
    assert portal_client.get("/portal/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_and_switching_language_sticks(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    assert verify(portal_client, portal_store.link(), portal_store.first).status_code == 303
    home = portal_client.get("/portal/")
    assert 'lang="zh-CN"' in home.text  # the cardholder's stored language
    token = csrf_of(home.text)
    switched = portal_client.post(
        "/portal/locale",
        data={"csrf_token": token, "locale": "en", "next": "/portal/history"},
        follow_redirects=False,
    )
    assert switched.headers["location"] == "/portal/history"
    assert 'lang="en"' in portal_client.get("/portal/").text
    switched_by = session.scalars(
        select(AuditEvent.actor).where(AuditEvent.action == "portal.locale")
    ).all()
    assert switched_by == [portal_store.first.actor]
    # Never redirected off the portal.
    away = portal_client.post(
        "/portal/locale",
        data={"csrf_token": token, "locale": "en", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/portal/"
    out = portal_client.post("/portal/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert portal_client.get("/portal/", follow_redirects=False).status_code == 303
