"""What the customer can do in the portal, in a real browser (Playwright driving Debian's
Chromium) at a 390x844 phone viewport, in English and Chinese: link -> verify -> promise;
-> plan; -> dispute; -> call-back window; -> opt out. axe-core runs on every page (0 serious or
critical), and no English is left on a Chinese page. Then the collector's side: the case list
flags the case whose customer acted, and the case page's timeline shows the action as the
customer's. Screenshots under artifacts/portal_act_*.png."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.passwords import hash_password
from arrears.kit.clock import clock
from tests.e2e.pagecheck import readable_text, serious_violations, untranslated
from tests.portal_fixtures import (
    PortalCustomerSeed,
    PortalServer,
    browser_verify,
    make_portal_customer,
    phone_page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PASSWORD = "correct-horse-battery"
# Customers 1 and 2 are the fixture's; each journey takes a fresh one from here.
_numbers = itertools.count(10)


def _check(page: Any, name: str, locale: str, customer: PortalCustomerSeed) -> None:
    """axe on the page as it stands; in Chinese, no English left; a screenshot."""
    assert serious_violations(page) == [], name
    if locale == "zh-CN":
        found = untranslated(readable_text(page), allow={"English", customer.name})
        assert found == [], (name, found)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal_act_{name}.png"), full_page=True)


def _fresh(server: PortalServer, locale: str) -> PortalCustomerSeed:
    """A new customer with an open case, speaking ``locale``, in the served store."""
    with Session(server.engine, expire_on_commit=False) as s:
        customer = make_portal_customer(s, next(_numbers), language=locale)
        s.commit()
    return customer


def _signed_in(server: PortalServer, browser: Any, locale: str) -> tuple[Any, PortalCustomerSeed]:
    customer = _fresh(server, locale)
    page = phone_page(browser, locale)
    browser_verify(page, server.base_url, server.link(customer), customer)
    assert page.url.endswith("/portal/")
    return page, customer


def _open(page: Any, link: str) -> None:
    """From the customer's home: the "What you can do" tab, then one action."""
    page.click("#tab-act")
    page.wait_for_url("**/portal/act")
    with page.expect_navigation():
        page.click(f"#{link}")


def _submit(page: Any, button: str) -> str:
    with page.expect_navigation():
        page.click(f"#{button}")
    done = page.locator("#act-done")
    assert done.count() == 1, page.content()[:2000]
    text: str = done.inner_text()
    return text


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_promise(portal_server: PortalServer, portal_browser: Any, locale: str) -> None:
    page, customer = _signed_in(portal_server, portal_browser, locale)
    page.click("#tab-act")
    page.wait_for_url("**/portal/act")
    _check(page, f"{locale}_act", locale, customer)
    with page.expect_navigation():
        page.click("#go-promise")
    _check(page, f"{locale}_promise", locale, customer)
    # Too much first: the form comes back with one sentence, the amount kept.
    page.fill("#amount", "99999999")
    page.fill("#due_on", "2026-12-01")
    with page.expect_navigation():
        page.click("#submit-promise")
    assert page.locator("#act-error").count() == 1
    assert page.locator("#amount").input_value() == "99999999"
    _check(page, f"{locale}_promise_refused", locale, customer)
    page.fill("#amount", "800")
    page.fill("#due_on", "2026-12-01")
    said = _submit(page, "submit-promise")
    assert "800.00" in said
    assert "2026-12-01" in said
    _check(page, f"{locale}_promise_done", locale, customer)
    page.click("#see-history")
    page.wait_for_url("**/portal/history")
    assert "800.00" in page.locator("main").inner_text()
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_plan(portal_server: PortalServer, portal_browser: Any, locale: str) -> None:
    page, customer = _signed_in(portal_server, portal_browser, locale)
    _open(page, "go-plan")
    _check(page, f"{locale}_plan", locale, customer)
    assert page.locator("input[name=instalments]").count() == 3  # 3, 6 and 12 months
    page.check("#plan-6")
    page.fill("#first_due_on", "2026-12-05")
    said = _submit(page, "submit-plan")
    assert "6" in said
    assert "2026-12-05" in said
    _check(page, f"{locale}_plan_done", locale, customer)
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_dispute(portal_server: PortalServer, portal_browser: Any, locale: str) -> None:
    page, customer = _signed_in(portal_server, portal_browser, locale)
    _open(page, "go-dispute")
    _check(page, f"{locale}_dispute", locale, customer)
    page.fill("#text", "I never had this card" if locale == "en" else "我从未办过这张卡")
    _submit(page, "submit-dispute")
    _check(page, f"{locale}_dispute_done", locale, customer)
    # Raised twice: told it is being checked, no second hold.
    page.goto(f"{portal_server.base_url}/portal/dispute")
    page.fill("#text", "again")
    with page.expect_navigation():
        page.click("#submit-dispute")
    assert page.locator("#act-error").count() == 1
    _check(page, f"{locale}_dispute_again", locale, customer)
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_call_back_window(portal_server: PortalServer, portal_browser: Any, locale: str) -> None:
    page, customer = _signed_in(portal_server, portal_browser, locale)
    _open(page, "go-call-back")
    _check(page, f"{locale}_call_back", locale, customer)
    page.fill("#day", "2026-11-23")
    page.select_option("#start", "18:00")
    page.select_option("#end", "19:00")
    said = _submit(page, "submit-call-back")
    assert "18:00" in said
    assert "19:00" in said
    _check(page, f"{locale}_call_back_done", locale, customer)
    # The other pages of the list, so each is checked too.
    for path in ("hardship", "settlement"):
        page.goto(f"{portal_server.base_url}/portal/{path}")
        _check(page, f"{locale}_{path}", locale, customer)
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_opt_out(portal_server: PortalServer, portal_browser: Any, locale: str) -> None:
    page, customer = _signed_in(portal_server, portal_browser, locale)
    _open(page, "go-contact")
    _check(page, f"{locale}_contact", locale, customer)
    _submit(page, "stop-sms")
    _check(page, f"{locale}_opt_out_done", locale, customer)
    page.goto(f"{portal_server.base_url}/portal/contact")
    assert page.locator("#stopped-sms").count() == 1
    assert page.locator("#stop-sms").count() == 0
    assert page.locator("#prefer-sms").count() == 0  # a stopped channel cannot be preferred
    _check(page, f"{locale}_contact_after", locale, customer)
    page.context.close()


def test_the_collector_sees_the_customers_promise(
    portal_server: PortalServer, portal_browser: Any
) -> None:
    page, customer = _signed_in(portal_server, portal_browser, "en")
    _open(page, "go-promise")
    page.fill("#amount", "300")
    page.fill("#due_on", "2026-11-30")
    _submit(page, "submit-promise")
    page.context.close()

    with Session(portal_server.engine) as s:
        s.add(
            User(
                username="head",
                display_name="Head of collections",
                password_hash=hash_password(PASSWORD),
                role="head_of_collections",
                locale="en",
                active=True,
                created_at=clock.now(),
                password_changed_at=clock.now(),
            )
        )
        s.commit()
    # CSP bypassed only so axe-core can be injected (the workbench has no inline script).
    context = portal_browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    desk = context.new_page()
    desk.goto(f"{portal_server.base_url}/sign-in")
    desk.fill("input[name=username]", "head")
    desk.fill("input[name=password]", PASSWORD)
    with desk.expect_navigation():
        desk.click("button[type=submit]")
    desk.goto(f"{portal_server.base_url}/cases?search={customer.external_ref}")
    row = desk.locator(f"#queue tr:has(a[href='/cases/{customer.work_order_id}'])")
    assert row.locator(".customer-acted").count() == 1
    assert serious_violations(desk) == []
    desk.screenshot(path=str(ARTIFACTS / "portal_act_collector_list.png"), full_page=True)
    with desk.expect_navigation():
        desk.click(f"a[href='/cases/{customer.work_order_id}']")
    timeline = desk.locator("#timeline tr.by-customer")
    assert timeline.count() >= 1
    text = desk.locator("#timeline").inner_text()
    assert "portal.promise" in text
    assert customer.actor in text
    assert serious_violations(desk) == []
    desk.screenshot(path=str(ARTIFACTS / "portal_act_collector_case.png"), full_page=True)
    context.close()
