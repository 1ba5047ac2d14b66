"""Keyboard shortcuts on the case page (issue 18: "keyboard shortcuts for the frequent actions"):
N goes to the next case, L to the contact form's outcome, P to the promise's amount; each is
named on the page with <kbd>, and none fires while the collector types in a field (a note, an
amount, a select) or with a modifier held (the browser's Ctrl+L, Ctrl+P stay the browser's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from arrears.kit.clock import clock
from tests.e2e.browsing import ARTIFACTS
from tests.e2e.test_web_browser import _sign_in
from tests.e2e.test_web_browser import server as server  # noqa: F401 - the seeded server
from tests.web_seed import Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# 10:05 in Shanghai on the seed's day.
MORNING = datetime(2026, 11, 20, 2, 5, tzinfo=UTC)


def _case_page(browser: Any, base: str, case: int) -> tuple[Any, list[str]]:
    page: Any = _sign_in(browser, base, "collector")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"{base}/cases/{case}")
    page.wait_for_load_state("networkidle")
    page.locator("body").click(position={"x": 5, "y": 5})  # focus on the page, not a field
    asked.clear()
    return page, asked


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_each_shortcut_does_its_action(
    server: tuple[str, Seeded],  # noqa: F811
    browser: Any,
) -> None:
    base, seeded = server
    clock.freeze(MORNING)
    case = seeded.work_orders[0]
    page, asked = _case_page(browser, base, case)
    try:
        hint = page.locator("#shortcuts kbd").all_inner_texts()
        assert hint == ["N", "L", "P"], hint
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "shortcuts_case_page.png"))

        # L: the outcome of the contact form, focused and in view.
        page.keyboard.press("l")
        assert _focused(page) == "contact-outcome"
        assert page.locator("#contact-outcome").is_visible()
        page.locator("body").click(position={"x": 5, "y": 5})

        # P: the promise's amount, focused; what is typed next is the amount.
        page.keyboard.press("p")
        assert _focused(page) == "promise-amount"
        page.keyboard.type("500")
        assert page.input_value("#promise-amount") == "500"
        page.locator("body").click(position={"x": 5, "y": 5})

        # N: the next case, as the "Next case" link goes.
        assert not any("/queue/next" in u for u in asked)
        with page.expect_navigation():
            page.keyboard.press("n")
        page.wait_for_load_state("networkidle")
        assert any(u.endswith("/queue/next") for u in asked), asked
        assert "/cases/" in page.url
    finally:
        page.context.close()


def test_no_shortcut_fires_while_typing_in_a_field_or_with_a_modifier(
    server: tuple[str, Seeded],  # noqa: F811
    browser: Any,
) -> None:
    base, seeded = server
    clock.freeze(MORNING)
    case = seeded.work_orders[0]
    page, asked = _case_page(browser, base, case)
    try:
        url = page.url
        # Count the clicks the "n" shortcut would make on the link (and keep the page here):
        # the key's handler runs within the key press, so the count is final when it returns.
        page.evaluate(
            """document.getElementById('next-case').addEventListener('click', e => {
                 window.nextClicks = (window.nextClicks || 0) + 1; e.preventDefault(); })"""
        )
        notes = page.locator("#contact-form textarea[name=notes]")
        notes.click()
        page.keyboard.type("nlp pln")
        assert notes.input_value() == "nlp pln"
        assert _focused(page) == ""  # the textarea has no id: still the one focused
        assert page.evaluate("document.activeElement.name") == "notes"

        page.locator("#promise-amount").click()
        page.keyboard.type("nl")
        assert page.input_value("#promise-amount") == "nl"
        assert _focused(page) == "promise-amount"

        # In a select, letters pick options; they are not shortcuts either.
        page.locator("#contact-channel").focus()
        page.keyboard.press("n")
        page.keyboard.press("p")
        assert _focused(page) == "contact-channel"

        # With a modifier, the key is not ours.
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("Alt+n")
        page.keyboard.press("Shift+n")
        page.keyboard.press("Alt+l")
        assert _focused(page) not in ("contact-outcome", "promise-amount")

        assert page.evaluate("window.nextClicks || 0") == 0
        # The same key on the page itself is the shortcut (so the count above could move).
        page.keyboard.press("n")
        assert page.evaluate("window.nextClicks || 0") == 1
        assert page.url == url
        assert not any("/queue/next" in u for u in asked), asked
    finally:
        page.context.close()
