"""Portal test fixtures, shared with every helper building on the portal (imported by
tests/conftest.py). A customer with a delinquent case and the facts the portal asks for, links
of every kind, an app and a client on the test's store, and the link -> verify step for
TestClient and for Playwright.

    def test_something(portal_store, portal_client):
        token = portal_store.link()                       # a fresh debtor link (sms)
        r = verify(portal_client, token, portal_store.first)   # -> 303 to /portal/
        page = portal_client.get("/portal/")
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.portal import service as portal_service
from arrears.portfolio.models import Cardholder, Phone
from tests.web_seed import delinquent_account, open_case

# 10:00 in Shanghai on the web seed's day: the breakdown is as of 2026-11-20.
PORTAL_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class PortalCustomerSeed:
    """One customer as the portal knows them: the facts to type and their case."""

    cardholder_id: int
    external_ref: str
    name: str
    birth_date: date
    id_number: str
    work_order_id: int
    account_id: int
    account_ref: str
    language: str

    @property
    def id_last4(self) -> str:
        return self.id_number[-4:]

    @property
    def actor(self) -> str:
        return portal_service.customer_actor(self.external_ref)


def make_portal_customer(
    session: Session,
    n: int = 1,
    *,
    language: str = "zh-CN",
    birth_date: date | None = None,
    id_number: str | None = None,
    with_case: bool = True,
) -> PortalCustomerSeed:
    """A cardholder with a delinquent card account (three statements, one payment: two
    minimums past due on 2026-11-20) and an open case; flushed, not committed."""
    now = clock.now()
    birth = birth_date or date(1985, 3, n % 28 + 1)
    ident = id_number or f"11010119850301{n:03d}X"
    holder = Cardholder(
        external_ref=f"PC{n:04d}",
        name=f"王{n}号" if language == "zh-CN" else f"Customer {n}",
        id_number=ident,
        birth_date=birth,
        address=f"上海市浦东新区世纪大道{n}号",
        province="上海",
        city="上海",
        identity_category="private_employee",
        language=language,
        time_zones=["Asia/Shanghai"],
        flags=[],
        created_at=now,
    )
    session.add(holder)
    session.flush()
    session.add(Phone(cardholder_id=holder.id, number=f"1381111{n:04d}", type="mobile"))
    # The web seed's account and case, each closing balance n higher.
    account = delinquent_account(
        session, holder.id, ref=f"PA{n:06d}", payment_ref=f"PP{n}-1", extra=Decimal(n)
    )
    wo_id = open_case(session, holder, account, priority=50, now=now).id if with_case else 0
    return PortalCustomerSeed(
        cardholder_id=holder.id,
        external_ref=holder.external_ref,
        name=holder.name,
        birth_date=birth,
        id_number=ident,
        work_order_id=wo_id,
        account_id=account.id,
        account_ref=account.external_ref,
        language=language,
    )


def issue_portal_link(
    session: Session,
    cardholder_id: int,
    *,
    channel: str = "sms",
    audience: str = "debtor",
) -> str:
    """A fresh link's raw token (flushed, not committed)."""
    return portal_service.issue_link(
        session, cardholder_id=cardholder_id, channel=channel, audience=audience, actor="test"
    ).token


@dataclass
class PortalStore:
    """Two customers (``first`` zh-CN, ``second`` en) on the test's store, committed; ``link``
    issues and commits a new link."""

    engine: Engine
    first: PortalCustomerSeed
    second: PortalCustomerSeed
    tokens: list[str] = field(default_factory=list)

    def link(
        self,
        customer: PortalCustomerSeed | None = None,
        *,
        channel: str = "sms",
        audience: str = "debtor",
    ) -> str:
        who = customer or self.first
        with Session(self.engine, expire_on_commit=False) as s:
            token = issue_portal_link(s, who.cardholder_id, channel=channel, audience=audience)
            s.commit()
        self.tokens.append(token)
        return token


@pytest.fixture
def portal_store(engine: Engine) -> Iterator[PortalStore]:
    """The store with two portal customers; the clock frozen at ``PORTAL_NOW`` throughout."""
    clock.freeze(PORTAL_NOW)
    try:
        with Session(engine, expire_on_commit=False) as s:
            first = make_portal_customer(s, 1, language="zh-CN")
            second = make_portal_customer(s, 2, language="en")
            s.commit()
        yield PortalStore(engine, first, second)
    finally:
        clock.unfreeze()


@pytest.fixture
def portal_app(db_url: str, portal_store: PortalStore) -> Iterator[FastAPI]:
    app = create_portal_app(db_url)
    try:
        yield app
    finally:
        app.state.engine.dispose()


def create_portal_app(db_url: str, **settings: Any) -> FastAPI:
    from arrears.web.app import create_app

    return create_app(Settings(database_url=db_url, **settings))


@pytest.fixture
def portal_client(portal_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(portal_app) as c:
        yield c


def csrf_of(html: str) -> str:
    """The CSRF token a portal page carries (its forms' hidden field)."""
    found = _CSRF.search(html)
    if found is None:
        raise AssertionError("no csrf_token field on the page")
    return found.group(1)


def verify(
    client: TestClient,
    token: str,
    customer: PortalCustomerSeed,
    *,
    birth_date: date | None = None,
    id_last4: str | None = None,
) -> Response:
    """Open the link and post the facts (the customer's own unless given); not followed."""
    page = client.get(f"/portal/l/{token}")
    data = {
        "csrf_token": csrf_of(page.text),  # every portal page carries one (the language form)
        "birth_date": (birth_date or customer.birth_date).isoformat(),
        "id_last4": id_last4 if id_last4 is not None else customer.id_last4,
    }
    return client.post(f"/portal/l/{token}", data=data, follow_redirects=False)


def signed_in(client: TestClient, store: PortalStore, customer: PortalCustomerSeed) -> None:
    """Link -> verify for ``customer``; the client then holds a portal session."""
    response = verify(client, store.link(customer), customer)
    assert response.status_code == 303, response.text


# --- Playwright -----------------------------------------------------------------------------


def browser_verify(
    page: Any,
    base_url: str,
    token: str,
    customer: PortalCustomerSeed,
    *,
    birth_date: date | None = None,
    goto: bool = True,
    expect_form: bool = True,
) -> None:
    """In a Playwright page: open the link (unless ``goto`` is False: already on it), type the
    facts, submit and wait for the next page. ``expect_form=False``: the link is expected to be
    refused (no form): only opens it and checks there is none."""
    if goto:
        page.goto(f"{base_url}/portal/l/{token}")
    if not expect_form:
        assert page.locator("#verify").count() == 0
        return
    page.fill("#birth_date", (birth_date or customer.birth_date).isoformat())
    page.fill("#id_last4", customer.id_last4)
    with page.expect_navigation():
        page.click("#verify")


# --- a served app for browser tests ----------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@dataclass
class PortalServer(PortalStore):
    """A portal served by uvicorn on a copy of the migrated SQLite template, with the two
    portal customers; ``link()`` issues a link in the served store."""

    base_url: str = ""


@pytest.fixture(scope="module")
def portal_server(
    sqlite_template: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalServer]:
    """The app served in a thread (the clock frozen at ``PORTAL_NOW`` while the module runs)."""
    import shutil

    from arrears.kit.db import make_engine
    from tests.serving import served  # uvicorn only for the modules that serve

    path = tmp_path_factory.mktemp("portal_browser") / "arrears.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    clock.freeze(PORTAL_NOW)
    with Session(engine, expire_on_commit=False) as s:
        first = make_portal_customer(s, 1, language="zh-CN")
        second = make_portal_customer(s, 2, language="en")
        s.commit()
    # Online payments through the sandbox checkout (no money moves, nothing leaves the machine).
    app = create_portal_app(url, locale="en", payments_provider="sandbox")
    try:
        with served(app) as base:
            yield PortalServer(engine, first, second, base_url=base)
    finally:
        clock.unfreeze()
        app.state.engine.dispose()
        engine.dispose()


@pytest.fixture(scope="module")
def portal_browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (``/usr/bin/chromium``)."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium missing: `make browser` installs Debian's package")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def phone_page(browser: Any, locale: str = "zh-CN") -> Any:
    """A fresh 390x844 phone context's page (its own cookies) in ``locale``. CSP is bypassed
    only so axe-core can be injected (the portal has no inline script; the integration tests
    check the CSP header and that no page carries inline script or style)."""
    context = browser.new_context(
        locale=locale,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
    )
    return context.new_page()
