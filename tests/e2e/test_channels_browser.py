"""A collector's message from the case page in a real browser (Playwright driving Debian's
Chromium): before the hours it is held with its rule and shows so on the timeline; a threat is
refused with its rule and never queued. Screenshots under artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from arrears.kit.clock import clock
from tests.e2e.test_web_browser import EARLY, _shot, _sign_in
from tests.serving import seeded_workbench
from tests.web_seed import Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Seeded]]:
    with seeded_workbench(
        sqlite_template, tmp_path_factory.mktemp("channels-browser"), at=EARLY
    ) as (base, _, seeded):
        yield base, seeded


def test_a_message_before_the_hours_is_held_and_a_threat_is_refused(
    server: tuple[str, Seeded],
    browser: object,
) -> None:
    base, seeded = server
    case = seeded.work_orders[0]
    clock.freeze(EARLY)  # 07:50 in Shanghai: no SMS before 08:00
    page = _sign_in(browser, base, "collector")
    page.goto(f"{base}/cases/{case}")  # type: ignore[attr-defined]
    page.select_option("#message-channel", "sms")  # type: ignore[attr-defined]
    page.select_option("#message-template", "payment_reminder")  # type: ignore[attr-defined]
    page.click("#queue-message")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.locator("#action-done").count() == 1  # type: ignore[attr-defined]
    timeline = page.locator("#timeline").inner_text()  # type: ignore[attr-defined]
    assert "sms · payment_reminder (zh-CN) · held (time_window, until 2026-11-20 08:00)" in (
        timeline
    )
    _shot(page, "channels_1_held_on_timeline")

    page.select_option("#message-template", "collector_note")  # type: ignore[attr-defined]
    page.fill("#message-note", "再不还钱就告诉你单位")  # type: ignore[attr-defined]
    page.click("#queue-message")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    error = page.locator("#action-error").inner_text()  # type: ignore[attr-defined]
    assert "content.third_party_threat" in error
    assert page.locator("#timeline").inner_text().count("· sms ·") == 0  # type: ignore[attr-defined]
    assert page.locator("#timeline").inner_text().count("payment_reminder") == 1  # type: ignore[attr-defined]
    _shot(page, "channels_2_threat_refused")
    page.context.close()  # type: ignore[attr-defined]
