"""A blocked action in the Chinese workbench explains itself in Chinese (Playwright, Chromium)."""

from __future__ import annotations

import re

import pytest

from arrears.kit.clock import clock
from tests.e2e.test_web_browser import EARLY, _shot, _sign_in
from tests.e2e.test_web_browser import server as server  # noqa: F401 - fixture
from tests.web_seed import Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_a_blocked_call_shows_its_reason_in_chinese(
    server: tuple[str, Seeded],  # noqa: F811
    browser: object,
) -> None:
    base, seeded = server
    clock.freeze(EARLY)  # 07:50 in Shanghai: before the calling hours
    page = _sign_in(browser, base, "collector", locale="zh-CN")
    page.goto(f"{base}/cases/{seeded.work_orders[0]}")  # type: ignore[attr-defined]
    page.click("#switch-locale")  # type: ignore[attr-defined]  # the user's own setting
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    blocked = page.locator("#precheck-slot #precheck[data-allowed=false]")  # type: ignore[attr-defined]
    blocked.wait_for(timeout=10_000)
    reason = blocked.locator(".reason").inner_text()
    assert "不在Asia/Shanghai的允许联系时段内" in reason, reason
    assert "07:50" in reason
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", reason), reason  # no English sentence
    # The machine-readable rule id stays as it is.
    assert blocked.locator("code.rule").inner_text() == "time_window"
    _shot(page, "10_call_blocked_zh")
    page.click("#switch-locale")  # type: ignore[attr-defined]  # back to English for the next user
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    english = page.locator("#precheck-slot #precheck[data-allowed=false] .reason")  # type: ignore[attr-defined]
    english.wait_for(timeout=10_000)
    assert "outside the convenient hours" in english.inner_text()
    assert not HAN.search(english.inner_text())
    page.context.close()  # type: ignore[attr-defined]
