"""The customer takes back what he agreed to, in a real browser (Debian's Chromium) at a 390x844
phone viewport, in English and Chinese: stop phone calls -> his contact preferences show them
stopped since today -> allow them again; ask for a call back -> the window is listed ->
withdraw it. axe-core on every page (0 serious or critical), no English left on a Chinese
page, nothing wider than the phone. Screenshots under artifacts/portal_prefs_*.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_portal_act_browser import ARTIFACTS, _open, _signed_in, _submit
from tests.e2e.test_portal_act_browser import _check as _act_check
from tests.portal_fixtures import PortalCustomerSeed, PortalServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
]


def _check(page: Any, name: str, locale: str, customer: PortalCustomerSeed) -> None:
    """The action pages' checks (axe, no English in Chinese, a screenshot), and no sideways
    scrolling on the phone."""
    _act_check(page, f"prefs_{name}", locale, customer)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, (name, width)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_take_back_an_opt_out_and_a_call_back_window(
    portal_server: PortalServer, portal_browser: Any, locale: str
) -> None:
    page, customer = _signed_in(portal_server, portal_browser, locale)
    _open(page, "go-contact")
    _submit(page, "stop-call")
    with page.expect_navigation():
        page.click("#see-preferences")
    assert page.url.endswith("/portal/preferences")
    assert "2026-11-20" in page.locator("#state-call").inner_text()  # stopped since today
    assert page.locator("#state-sms").count() == 1
    _check(page, f"{locale}_stopped", locale, customer)
    said = _submit(page, "opt-in-call")
    _check(page, f"{locale}_opt_in_done", locale, customer)
    assert said
    with page.expect_navigation():
        page.click("#see-preferences")
    assert page.locator("#opt-in-call").count() == 0  # allowed again
    assert page.locator("#no-windows").count() == 1
    # A call back, then withdrawn.
    with page.expect_navigation():
        page.click("#go-call-back")
    page.fill("#day", "2026-11-23")
    page.select_option("#start", "18:00")
    page.select_option("#end", "19:00")
    _submit(page, "submit-call-back")
    with page.expect_navigation():
        page.click("#see-preferences")
    windows = page.locator("#windows li")
    assert windows.count() == 1
    assert "18:00–19:00" in windows.inner_text()
    _check(page, f"{locale}_window", locale, customer)
    withdraw = page.locator("#windows button")
    with page.expect_navigation():
        withdraw.click()
    said = page.locator("#act-done").inner_text()
    assert "18:00" in said
    assert "19:00" in said
    _check(page, f"{locale}_withdrawn", locale, customer)
    page.goto(f"{portal_server.base_url}/portal/preferences")
    assert page.locator("#no-windows").count() == 1
    _check(page, f"{locale}_after", locale, customer)
    ARTIFACTS.mkdir(exist_ok=True)
    page.context.close()
