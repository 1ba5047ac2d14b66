"""The workbench in a real browser (Playwright driving Debian's Chromium), screenshots saved
under artifacts/: a collector's day, a team lead's approval, agency isolation, Chinese labels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session

from arrears.kit.clock import clock
from arrears.promises import plan_service
from arrears.workforce.models import Assignment
from tests.e2e.browsing import ARTIFACTS
from tests.serving import seeded_workbench
from tests.web_seed import NOW, PASSWORD, Seeded

# One worker runs the module (one server, one browser); each test stands on its own.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

# 07:50 in Shanghai: calls are not allowed before 08:00.
EARLY = datetime(2026, 11, 19, 23, 50, tzinfo=UTC)


def _case_3_awaits_the_lead(session: Session, seeded: Seeded) -> None:
    """Case 3: the collector's too, with a settlement waiting for the team lead."""
    session.add(
        Assignment(
            work_order_id=seeded.work_orders[2],
            staff_id=seeded.staff["collector"],
            level="junior",
            reason="test",
            as_of=NOW.date(),
            assigned_at=NOW,
        )
    )
    session.flush()
    plan_service.propose_settlement(
        session=session,
        work_order_id=seeded.work_orders[2],
        discount="0.20",
        due_on=date(2026, 11, 28),
        actor="user:collector",
    )


@pytest.fixture(scope="module")
def server(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Seeded]]:
    with seeded_workbench(
        sqlite_template,
        tmp_path_factory.mktemp("browser"),
        at=EARLY,
        customers=3,
        more=_case_3_awaits_the_lead,
    ) as (base, _, seeded):
        yield base, seeded


def _sign_in(browser: object, base: str, username: str, locale: str = "en-US") -> object:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    page.wait_for_load_state("networkidle")
    return page


def _shot(page: object, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"web_{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_collector_day_next_case_breakdown_blocked_then_allowed_call_and_promise(
    server: tuple[str, Seeded], browser: object
) -> None:
    base, seeded = server
    clock.freeze(EARLY)
    page = _sign_in(browser, base, "collector")
    assert page.url.endswith("/queue")  # type: ignore[attr-defined]
    _shot(page, "1_queue")

    page.click("#next-case")  # type: ignore[attr-defined]
    page.wait_for_url(f"**/cases/{seeded.work_orders[0]}")  # type: ignore[attr-defined]
    breakdown = page.locator("#breakdown")  # type: ignore[attr-defined]
    assert "Total due" in breakdown.inner_text()
    assert breakdown.locator("tr[data-kind=fee]").count() >= 1
    page.locator("#script-panel").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    _shot(page, "2_case_breakdown")

    # The live pre-check (HTMX, on load): 07:50 local is before the calling hours.
    blocked = page.locator("#precheck-slot #precheck[data-allowed=false]")  # type: ignore[attr-defined]
    blocked.wait_for(timeout=10_000)
    text = blocked.inner_text()
    assert "time_window" in text
    assert "2026-11-20 08:00" in text
    _shot(page, "3_call_blocked")

    clock.freeze(EARLY + timedelta(minutes=15))  # 08:05 local
    page.select_option("#contact-party", "debtor")  # type: ignore[attr-defined]
    page.locator("#precheck-slot #precheck[data-allowed=true]").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    page.select_option("#contact-outcome", "promise_to_pay")  # type: ignore[attr-defined]
    page.click("#log-contact")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert "Call logged" in page.locator("#last-attempt").inner_text()  # type: ignore[attr-defined]
    _shot(page, "4_call_logged")

    page.fill("#promise-amount", "1900.00")  # type: ignore[attr-defined]
    page.fill("#promise-due", "2026-11-25")  # type: ignore[attr-defined]
    page.click("#take-promise")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.locator("#action-done").count() == 1  # type: ignore[attr-defined]
    assert "1,900.00" in page.locator("#promise").inner_text()  # type: ignore[attr-defined]
    _shot(page, "5_promise_taken")

    # The lawful third-party contact from the page: a neighbour asked where the customer lives
    # (the form's purpose reaches compliance; without it the engine blocks third_party.purpose).
    page.select_option("#contact-party", "third_party")  # type: ignore[attr-defined]
    page.select_option("#contact-purpose", "location_information")  # type: ignore[attr-defined]
    page.locator("#precheck-slot #precheck[data-allowed=true]").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    page.select_option("#contact-outcome", "third_party_contact")  # type: ignore[attr-defined]
    page.click("#log-contact")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert "Call logged" in page.locator("#last-attempt").inner_text()  # type: ignore[attr-defined]
    _shot(page, "6_third_party_location_call")

    page.fill("#settlement-due", "2026-11-28")  # type: ignore[attr-defined]
    # The promise is the case's live arrangement: the settlement replaces it, explicitly.
    page.check("#settlement-supersede")  # type: ignore[attr-defined]
    page.click("#propose-settlement")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.locator("#settlement .plan-row").count() == 1  # type: ignore[attr-defined]
    assert page.locator("#action-done").count() == 1  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


def test_team_lead_approves_the_settlement(server: tuple[str, Seeded], browser: object) -> None:
    base, seeded = server
    clock.freeze(EARLY + timedelta(minutes=20))
    page = _sign_in(browser, base, "team_lead")
    page.goto(f"{base}/approvals")  # type: ignore[attr-defined]
    waiting = page.locator(f"#approvals tr:has(a[href='/cases/{seeded.work_orders[2]}'])")  # type: ignore[attr-defined]
    assert waiting.count() == 1
    _shot(page, "6_approvals")
    waiting.locator("button.approve").click()
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.locator("#decided").count() == 1  # type: ignore[attr-defined]
    assert waiting.count() == 0
    _shot(page, "7_approved")
    page.context.close()  # type: ignore[attr-defined]


def test_agency_user_cannot_reach_a_case_not_placed_with_the_agency(
    server: tuple[str, Seeded], browser: object
) -> None:
    base, seeded = server
    clock.freeze(EARLY + timedelta(minutes=20))
    page = _sign_in(browser, base, "agency_user")
    queue = page.locator("#queue").inner_text()  # type: ignore[attr-defined]
    assert "张2" in queue
    assert "张1" not in queue
    response = page.goto(f"{base}/cases/{seeded.work_orders[0]}")  # type: ignore[attr-defined]
    assert response.status == 404
    assert "张1" not in page.content()  # type: ignore[attr-defined]
    _shot(page, "8_agency_not_placed")
    page.context.close()  # type: ignore[attr-defined]


def test_case_page_in_chinese(server: tuple[str, Seeded], browser: object) -> None:
    base, seeded = server
    clock.freeze(EARLY + timedelta(minutes=20))
    page = _sign_in(browser, base, "collector")
    page.goto(f"{base}/cases/{seeded.work_orders[0]}")  # type: ignore[attr-defined]
    page.click("#switch-locale")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    body = page.locator("main").inner_text()  # type: ignore[attr-defined]
    for label in ("欠款明细", "客户资料", "时间线", "合计应还", "逾期天数"):
        assert label in body, label
    assert "What is owed" not in body
    _shot(page, "9_case_zh")
    # Back to English for whoever signs in next as this user.
    page.click("#switch-locale")  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


# --- web hardening (issue 14 §6) ----------------------------------------------------------------


def _csp_violations(page: object) -> list[str]:
    """Console reports of anything the Content-Security-Policy refused, collected as they come."""
    found: list[str] = []
    page.on(  # type: ignore[attr-defined]
        "console",
        lambda m: (
            found.append(f"{m.text} at {m.location}")
            if "Content Security Policy" in m.text
            else None
        ),
    )
    return found


def test_back_after_sign_out_does_not_show_the_customers_page(
    server: tuple[str, Seeded], browser: object
) -> None:
    base, seeded = server
    clock.freeze(EARLY + timedelta(minutes=20))
    page = _sign_in(browser, base, "collector")
    page.goto(f"{base}/cases/{seeded.work_orders[0]}")  # type: ignore[attr-defined]
    assert "张1" in page.locator("main").inner_text()  # type: ignore[attr-defined]
    page.click("#sign-out")  # type: ignore[attr-defined]
    page.wait_for_url("**/sign-in")  # type: ignore[attr-defined]
    page.go_back()  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    _shot(page, "10_back_after_sign_out")
    assert "张1" not in page.content()  # type: ignore[attr-defined]
    assert "/sign-in" in page.url  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


def test_api_docs_and_redoc_render_without_any_other_host(
    server: tuple[str, Seeded], browser: object
) -> None:
    base, _ = server
    ours = urlsplit(base).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    elsewhere: list[str] = []
    context.on(
        "request",
        lambda r: elsewhere.append(r.url) if urlsplit(r.url).netloc not in ("", ours) else None,
    )
    refused = _csp_violations(page)
    page.goto(f"{base}/api/docs")
    operations = page.locator(".opblock")
    operations.first.wait_for(timeout=20_000)
    assert operations.count() >= 10
    page.wait_for_load_state("networkidle")
    _shot(page, "11_api_docs")
    page.goto(f"{base}/api/redoc")
    page.get_by_text("Collections workbench and integration API.").first.wait_for(timeout=20_000)
    assert page.locator("[role=menuitem], li[data-item-id]").count() >= 10
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / "web_12_api_redoc.png"))  # the first screen: it is long
    context.close()
    assert elsewhere == []
    assert refused == []


def test_pages_work_under_the_content_security_policy(
    server: tuple[str, Seeded], browser: object
) -> None:
    base, seeded = server
    clock.freeze(EARLY + timedelta(minutes=20))  # 08:10 local: calls allowed
    collector = _sign_in(browser, base, "collector")
    refused = _csp_violations(collector)
    collector.goto(f"{base}/cases/{seeded.work_orders[2]}")  # type: ignore[attr-defined]
    # HTMX still loads the script panel and runs the live pre-check (case 3, so the collector's
    # day on case 1 keeps its own history).
    collector.locator("#script-panel").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    collector.select_option("#contact-party", "debtor")  # type: ignore[attr-defined]
    collector.locator("#precheck-slot #precheck[data-allowed=true]").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    collector.select_option("#contact-outcome", "no_answer")  # type: ignore[attr-defined]
    collector.click("#log-contact")  # type: ignore[attr-defined]
    collector.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert collector.locator("#last-attempt").count() == 1  # type: ignore[attr-defined]
    collector.context.close()  # type: ignore[attr-defined]

    lead = _sign_in(browser, base, "team_lead")
    on_dashboard = _csp_violations(lead)
    lead.goto(f"{base}/dashboard")  # type: ignore[attr-defined]
    lead.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    # The figures travel as data and static/charts.js draws them: at least the KPI chart.
    figures = lead.locator(".plot[data-figure]")  # type: ignore[attr-defined]
    assert figures.count() >= 1
    assert lead.locator(".plot[data-figure] .main-svg").count() >= figures.count()  # type: ignore[attr-defined]
    # Plotly's own rules (modebar, hover) went in through the CSSOM into the one empty <style>
    # the policy admits.
    rules = lead.evaluate(  # type: ignore[attr-defined]
        "document.getElementById('plotly.js-style-global').sheet.cssRules.length"
    )
    assert rules > 0
    lead.locator(".plot[data-figure]").first.hover()  # type: ignore[attr-defined]
    _shot(lead, "13_dashboard_under_csp")
    lead.context.close()  # type: ignore[attr-defined]
    assert refused == []
    # The one refusal: the stylesheet of MapLibre (map traces) that plotly.min.js injects as it
    # loads. The dashboard draws no maps; the policy keeps it out, as it should.
    assert all("/assets/plotly.min.js" in v and "style-src" in v for v in on_dashboard)
    assert len(on_dashboard) <= 1


def test_swagger_try_it_out_works_for_a_signed_in_browser(
    server: tuple[str, Seeded], browser: object
) -> None:
    """The docs page hands Swagger UI the session's CSRF token, for this origin only."""
    base, _ = server
    clock.freeze(EARLY + timedelta(minutes=20))
    page = _sign_in(browser, base, "analyst")
    page.goto(f"{base}/api/docs")  # type: ignore[attr-defined]
    operation = page.locator("#operations-auth-issue_token_api_v1_tokens_post")  # type: ignore[attr-defined]
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator("textarea.body-param__text").fill('{"name": "from-the-docs"}')
    operation.locator(".execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip().startswith("201")
    page.context.close()  # type: ignore[attr-defined]
