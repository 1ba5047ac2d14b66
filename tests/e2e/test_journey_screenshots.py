"""Screenshots of every role's pages in English and Chinese, and of the collector's pages on a
390-px phone in Chinese, as test artifacts (``artifacts/journey_*.png``, git-ignored). The
journeys themselves (``test_workbench_day.py``) shoot their steps in English and their pages in
Chinese; these complete the set: each role's pages in both languages, including the three roles
the journeys do not walk (head of collections, analyst, agency user), each page checked as the
journeys' pages are (axe-core, and in Chinese no raw identifier or English sentence)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from arrears.kit.clock import clock
from tests.e2e.browsing import ARTIFACTS, settle
from tests.e2e.pagecheck import readable_text, serious_violations, untranslated
from tests.e2e.test_web_browser import server as server  # noqa: F401 - the seeded server
from tests.web_seed import PASSWORD, Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MORNING = datetime(2026, 11, 20, 2, 5, tzinfo=UTC)  # 10:05 in Shanghai
PAGES = {
    "collector": ["/queue", "/cases/{case_1}", "/tokens"],
    "senior_specialist": ["/queue", "/queue?view=escalated", "/cases/{case_1}"],
    "team_lead": ["/queue", "/cases/{case_3}", "/dashboard", "/team", "/approvals"],
    "head_of_collections": ["/queue", "/dashboard", "/team", "/approvals"],
    "compliance_officer": ["/cases", "/cases/{case_1}", "/compliance", "/compliance/audit"],
    "analyst": ["/dashboard"],
    "admin": ["/admin/users", "/admin/staff", "/admin/runs"],
    "agency_user": ["/queue"],
}
PHONE_PAGES = ["/queue", "/cases/{case_1}", "/cases/{case_3}"]


def _name(url: str) -> str:
    return url.strip("/").replace("/", "_").replace("?", "_").replace("=", "-")


def _signed_in(browser: Any, base: str, role: str, **options: Any) -> Any:
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    settle(page)
    return page


def _switch_locale(page: Any) -> None:
    page.click("#switch-locale")
    settle(page)


def test_every_role_s_pages_in_english_and_chinese(
    server: tuple[str, Seeded],  # noqa: F811
    browser: Any,
) -> None:
    base, seeded = server
    clock.freeze(MORNING)
    ids = {"case_1": seeded.work_orders[0], "case_3": seeded.work_orders[2]}
    allow = {"English", "arrears", *seeded.users, *(f"user:{u}" for u in seeded.users)}
    allow |= {f"S-{role}" for role in seeded.staff}
    ARTIFACTS.mkdir(exist_ok=True)
    problems: dict[str, object] = {}
    shots = 0
    for role, paths in PAGES.items():
        # bypass_csp: axe-core is injected as a script the policy would refuse.
        page = _signed_in(
            browser, base, role, viewport={"width": 1280, "height": 900}, bypass_csp=True
        )
        try:
            for language in ("en", "zh-CN"):
                if language == "zh-CN":
                    _switch_locale(page)
                assert page.evaluate("document.documentElement.lang") == language, role
                for path in paths:
                    url = path.format(**ids)
                    response = page.goto(f"{base}{url}")
                    settle(page)
                    assert response is not None
                    assert response.status == 200, (role, url, response.status)
                    bad = serious_violations(page)
                    if bad:
                        problems[f"axe {language} {role} {url}"] = bad
                    if language == "zh-CN":
                        left = untranslated(readable_text(page), allow=allow)
                        if left:
                            problems[f"zh {role} {url}"] = left
                    page.screenshot(
                        path=str(ARTIFACTS / f"journey_{language}_{role}_{_name(url)}.png"),
                        full_page=True,
                    )
                    shots += 1
            _switch_locale(page)  # back to English for this user
        finally:
            page.context.close()
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
    assert shots == 2 * sum(len(p) for p in PAGES.values())


def test_the_collector_s_pages_on_a_390_px_phone_in_chinese(
    server: tuple[str, Seeded],  # noqa: F811
    browser: Any,
) -> None:
    base, seeded = server
    clock.freeze(MORNING)
    ids = {"case_1": seeded.work_orders[0], "case_3": seeded.work_orders[2]}
    page = _signed_in(
        browser,
        base,
        "collector",
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    try:
        _switch_locale(page)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        for path in PHONE_PAGES:
            url = path.format(**ids)
            page.goto(f"{base}{url}")
            settle(page)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, (url, width)
            page.screenshot(
                path=str(ARTIFACTS / f"journey_phone_zh-CN_collector_{_name(url)}.png"),
                full_page=True,
            )
        _switch_locale(page)  # back to English for this user
    finally:
        page.context.close()
