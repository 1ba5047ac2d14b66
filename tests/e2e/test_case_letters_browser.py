"""A collector sends the printed letter from the case page in a real browser (Playwright driving
Debian's Chromium), in English and in Chinese: the letter channel lists only its kinds, the
preview shows the figures of the page's own breakdown and opens the PDF with the session, and
the queued letter shows on the timeline with its reference. Screenshots under artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from arrears.kit.clock import clock
from tests.e2e.browsing import ARTIFACTS
from tests.e2e.test_web_browser import _shot, _sign_in
from tests.serving import seeded_workbench
from tests.web_seed import NOW, Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Seeded]]:
    # At NOW, 10:00 in Shanghai: the page's day and the center's are one.
    with seeded_workbench(sqlite_template, tmp_path_factory.mktemp("letters-browser"), at=NOW) as (
        base,
        _,
        seeded,
    ):
        yield base, seeded


def _amount(text: str) -> Decimal:
    """The number in a formatted amount (``CN¥1,937.50``, ``1,937.50 CNY``)."""
    found = re.search(r"\d[\d,]*\.\d\d", text)
    assert found is not None, text
    return Decimal(found.group(0).replace(",", ""))


def _send_letter(page: object, base: str, case: int, shot: str) -> str:
    """Choose the letter, preview it (checked against the page's figures and its PDF), queue
    it; returns the preview's headline."""
    p: object = page
    p.select_option("#message-channel", "letter")  # type: ignore[attr-defined]
    assert p.is_hidden("#message-note")  # type: ignore[attr-defined]  # a letter's words are the bank's
    offered = p.eval_on_selector_all(  # type: ignore[attr-defined]
        "#message-template option",
        "os => os.filter(o => !o.matches(':disabled')).map(o => o.value)",
    )
    assert offered == ["cn-card", "us-reg-f", "uk-conc"]  # the letter's kinds, nothing else
    assert p.input_value("#message-template") == "cn-card"  # type: ignore[attr-defined]
    p.click("#preview-letter")  # type: ignore[attr-defined]
    p.wait_for_selector('#letter-preview[data-status="allowed"]')  # type: ignore[attr-defined]
    reference = f"CN-CARD-{case}-20261120"
    assert p.inner_text("#letter-reference") == reference  # type: ignore[attr-defined]
    # The letter's total is the page's "what is owed today": one ledger.
    owed = _amount(p.inner_text("#owed-today"))  # type: ignore[attr-defined]
    assert _amount(p.inner_text("#letter-preview .letter-total")) == owed  # type: ignore[attr-defined]
    address = p.inner_text("#letter-address")  # type: ignore[attr-defined]
    assert "*" in address  # masked, as on the page
    headline = p.inner_text("#letter-preview strong")  # type: ignore[attr-defined]
    p.locator("#message").screenshot(path=str(ARTIFACTS / f"web_{shot}.png"))  # type: ignore[attr-defined]
    href = p.get_attribute("#letter-pdf", "href")  # type: ignore[attr-defined]
    pdf = p.request.get(f"{base}{href}")  # type: ignore[attr-defined]
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert pdf.body().startswith(b"%PDF")
    p.click("#queue-message")  # type: ignore[attr-defined]
    p.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert p.locator("#action-done").count() == 1  # type: ignore[attr-defined]
    return str(headline)


def test_a_collector_previews_and_sends_a_letter_in_english(
    server: tuple[str, Seeded], browser: object
) -> None:
    base, seeded = server
    case = seeded.work_orders[0]
    clock.freeze(NOW)
    page = _sign_in(browser, base, "collector")
    page.goto(f"{base}/cases/{case}")  # type: ignore[attr-defined]
    # The SMS templates until the letter is chosen; no preview for an SMS.
    assert page.is_hidden("#preview-letter")  # type: ignore[attr-defined]
    headline = _send_letter(page, base, case, "letters_0_preview_en")
    assert headline == "Letter preview: compliance allows it now"
    timeline = page.locator("#timeline").inner_text()  # type: ignore[attr-defined]
    assert f"letter · cn-card (zh-CN) · CN-CARD-{case}-20261120 · queued" in timeline
    _shot(page, "letters_1_queued_en")
    page.context.close()  # type: ignore[attr-defined]


def test_a_collector_previews_and_sends_a_letter_in_chinese(
    server: tuple[str, Seeded], browser: object
) -> None:
    base, seeded = server
    case = seeded.work_orders[0]
    clock.freeze(NOW)
    page = _sign_in(browser, base, "collector", locale="zh-CN")
    page.goto(f"{base}/cases/{case}")  # type: ignore[attr-defined]
    page.click("#switch-locale")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    try:
        labels = page.eval_on_selector_all(  # type: ignore[attr-defined]
            "#message-channel option", "os => os.map(o => o.textContent)"
        )
        assert "信函" in labels
        headline = _send_letter(page, base, case, "letters_0_preview_zh")
        assert headline == "信函预览：合规检查现在允许发送"
        timeline = page.locator("#timeline").inner_text()  # type: ignore[attr-defined]
        # The first letter (sent in English) and this one: two, each with its reference.
        assert timeline.count(f"信函 · cn-card (zh-CN) · CN-CARD-{case}-20261120 · 已排队") == 2
        _shot(page, "letters_2_queued_zh")
    finally:
        # Back to English for whoever signs in next as this user.
        page.click("#switch-locale")  # type: ignore[attr-defined]
        page.context.close()  # type: ignore[attr-defined]
