"""The customer portal in a real browser (Playwright driving Debian's Chromium) at a 390x844
phone viewport, in English and Chinese: link -> verify -> the owed breakdown, the history, Pay
(sandbox checkout); five wrong birth dates lock the link; expired, reused and third-party
links show no data. axe-core runs on every page (0 serious or critical), and no English is
left on a Chinese page. Screenshots under artifacts/portal_*.png."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from arrears.kit.clock import clock
from tests.e2e.pagecheck import readable_text, serious_violations, untranslated
from tests.portal_fixtures import (
    PORTAL_NOW,
    PortalCustomerSeed,
    PortalServer,
    browser_verify,
    phone_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WRONG_BIRTH = date(1970, 1, 1)


def _check(page: Any, name: str, locale: str, customer: PortalCustomerSeed | None = None) -> None:
    """axe on the page as it stands; in Chinese, no English left; a screenshot."""
    assert serious_violations(page) == [], name
    if locale == "zh-CN":
        allow = {"English"} | ({customer.name} if customer else set())
        assert untranslated(readable_text(page), allow=allow) == [], name
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal_{name}.png"), full_page=True)


def _customer(server: PortalServer, locale: str) -> PortalCustomerSeed:
    """The seed customer whose stored language is ``locale`` (pages speak the customer's)."""
    return server.second if locale == "en" else server.first


def _no_personal_data(page: Any, *customers: PortalCustomerSeed) -> None:
    html = page.content()
    for c in customers:
        for secret in (c.name, c.id_number, c.birth_date.isoformat(), c.account_ref[-4:]):
            assert secret not in html


@pytest.mark.parametrize(("locale", "which"), [("en", "second"), ("zh-CN", "first")])
def test_link_verify_see_the_breakdown_and_history(
    portal_server: PortalServer, portal_browser: Any, locale: str, which: str
) -> None:
    customer: PortalCustomerSeed = getattr(portal_server, which)  # en: an English customer
    page = phone_page(portal_browser, locale)
    token = portal_server.link(customer)
    page.goto(f"{portal_server.base_url}/portal/l/{token}")
    assert page.locator("html").get_attribute("lang") == customer.language
    _no_personal_data(page, portal_server.first, portal_server.second)
    _check(page, f"{locale}_1_verify", locale)

    browser_verify(page, portal_server.base_url, token, customer, goto=False)
    assert page.url.endswith("/portal/")
    assert customer.name in page.locator(".hello").inner_text()
    lines = page.locator("section.account li.line")
    assert lines.count() >= 3
    kinds = {lines.nth(i).get_attribute("data-kind") for i in range(lines.count())}
    assert {"principal", "interest", "fee"} <= kinds
    for i in range(lines.count()):  # every line explained in a sentence
        assert len(lines.nth(i).locator(".why").inner_text().strip()) > 10
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone
    _check(page, f"{locale}_2_owed", locale, customer)

    page.click("nav.tabs a[href='/portal/history']")
    page.wait_for_url("**/portal/history")
    _check(page, f"{locale}_3_history", locale, customer)

    # Pay part of what is owed through the sandbox checkout, and come back to the result.
    page.click("nav.tabs a[href='/portal/pay']")
    page.wait_for_url("**/portal/pay")
    _check(page, f"{locale}_5_pay", locale, customer)
    page.fill("#amount-1", "100.00")
    with page.expect_navigation():
        page.click("#pay-1-go")
    assert "/payments/sandbox/" in page.url
    with page.expect_navigation():
        page.click("#sandbox-pay")
    assert "/portal/payments/done" in page.url
    assert page.locator("#payment-status").get_attribute("data-status") == "succeeded"
    _check(page, f"{locale}_6_paid", locale, customer)

    # Switch language and back: the page follows.
    other = "zh-CN" if locale == "en" else "en"
    with page.expect_navigation():
        page.click("#switch-locale")
    assert page.locator("html").get_attribute("lang") == other
    with page.expect_navigation():
        page.click("#switch-locale")
    assert page.locator("html").get_attribute("lang") == locale

    with page.expect_navigation():
        page.click("#sign-out")
    assert "/portal/ended" in page.url
    _no_personal_data(page, customer)
    _check(page, f"{locale}_4_signed_out", locale)
    # Back to the customer's page: signed out, nothing shown.
    page.goto(f"{portal_server.base_url}/portal/")
    assert "/portal/ended" in page.url
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_reused_link_is_refused(
    portal_server: PortalServer, portal_browser: Any, locale: str
) -> None:
    customer = _customer(portal_server, locale)
    token = portal_server.link(customer)
    page = phone_page(portal_browser, locale)
    browser_verify(page, portal_server.base_url, token, customer)
    assert page.url.endswith("/portal/")
    page.context.close()
    again = phone_page(portal_browser, locale)
    again.goto(f"{portal_server.base_url}/portal/l/{token}")
    assert again.locator("html").get_attribute("lang") == locale
    assert again.locator("#refused-reason").get_attribute("data-state") == "used"
    _no_personal_data(again, customer)
    _check(again, f"{locale}_reused", locale)
    again.context.close()


def test_wrong_birth_date_five_times_locks_the_link(
    portal_server: PortalServer, portal_browser: Any
) -> None:
    customer = portal_server.first  # zh-CN
    token = portal_server.link(customer)
    page = phone_page(portal_browser, "zh-CN")
    page.goto(f"{portal_server.base_url}/portal/l/{token}")
    for attempt in range(1, 6):
        page.fill("#birth_date", WRONG_BIRTH.isoformat())
        page.fill("#id_last4", customer.id_last4)
        with page.expect_navigation():
            page.click("#verify")
        if attempt < 5:
            assert page.locator("#verify-error").count() == 1
            if attempt == 1:
                _check(page, "zh-CN_wrong_answer", "zh-CN")
    assert page.locator("#refused-reason").get_attribute("data-state") == "locked"
    _no_personal_data(page, customer)
    _check(page, "zh-CN_locked", "zh-CN")
    # The right answer no longer opens it.
    browser_verify(page, portal_server.base_url, token, customer, expect_form=False)
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_an_expired_link_is_refused(
    portal_server: PortalServer, portal_browser: Any, locale: str
) -> None:
    # The page speaks the link's customer's language (the browser's does not matter).
    customer = _customer(portal_server, locale)
    token = portal_server.link(customer, channel="email")
    page = phone_page(portal_browser, "en-US")
    clock.freeze(PORTAL_NOW + timedelta(hours=73))
    try:
        page.goto(f"{portal_server.base_url}/portal/l/{token}")
        assert page.locator("#refused-reason").get_attribute("data-state") == "expired"
        assert page.locator("html").get_attribute("lang") == locale
        _no_personal_data(page, customer)
        _check(page, f"{locale}_expired", locale)
    finally:
        clock.freeze(PORTAL_NOW)
        page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_third_party_link_shows_only_a_request_to_pass_on(
    portal_server: PortalServer, portal_browser: Any, locale: str
) -> None:
    customer = _customer(portal_server, locale)
    token = portal_server.link(customer, audience="third_party")
    page = phone_page(portal_browser, locale)
    page.goto(f"{portal_server.base_url}/portal/l/{token}")
    assert page.locator("html").get_attribute("lang") == locale
    assert page.locator("#third-party-message").count() == 1
    assert page.locator("main form").count() == 0
    _no_personal_data(page, portal_server.first, portal_server.second)
    _check(page, f"{locale}_third_party", locale)
    page.context.close()
