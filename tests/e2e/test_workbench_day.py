"""The workbench through a working day (issue 18), in Chromium: a collector, a senior specialist,
a team lead, a compliance officer and an admin, each hitting what used to trip them. Screenshots
go to artifacts/ (``day_*.png``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.workforce.models import Assignment, Staff
from tests.e2e.browsing import ARTIFACTS
from tests.e2e.pagecheck import readable_text, serious_violations, untranslated
from tests.e2e.test_web_browser import _sign_in
from tests.serving import seeded_workbench
from tests.web_seed import ID_NUMBER, NOW, PASSWORD, PHONE, Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# 10:05 in Shanghai on the seed's day: calls are lawful.
MORNING = datetime(2026, 11, 20, 2, 5, tzinfo=UTC)
AUDIT_FILLER = 230
# 07:50 in Shanghai: before the calling hours, so a call is blocked.
EARLY = datetime(2026, 11, 19, 23, 50, tzinfo=UTC)


def _the_collector_s_day(session: Session, seeded: Seeded) -> None:
    # As in the demo roster: the collector has no mentor (mentors go to staff in probation).
    session.get(Staff, seeded.staff["collector"]).mentor_id = None  # type: ignore[union-attr]
    # Case 3 is the collector's too: the one "Next case" goes to after case 1.
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
    # A busy audit trail: more events than one page shows.
    audit.record_many(
        session,
        [
            {"actor": "user:admin", "action": "test.filler", "entity": "x", "entity_id": str(i)}
            for i in range(AUDIT_FILLER)
        ],
    )


@pytest.fixture(scope="module")
def day(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Seeded]]:
    with seeded_workbench(
        sqlite_template,
        tmp_path_factory.mktemp("day"),
        at=MORNING,
        customers=3,
        more=_the_collector_s_day,
    ) as (base, _, seeded):
        yield base, seeded


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"day_{name}.png"), full_page=True)  # type: ignore[attr-defined]


def settle(page: object) -> None:
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]


def log_contact(page: object, *, channel: str, outcome: str, notes: str = "") -> None:
    page.select_option("#contact-channel", channel)  # type: ignore[attr-defined]
    page.select_option("#contact-party", "debtor")  # type: ignore[attr-defined]
    settle(page)
    page.select_option("#contact-outcome", outcome)  # type: ignore[attr-defined]
    if notes:
        page.fill("#contact-form textarea[name=notes]", notes)  # type: ignore[attr-defined]
    page.click("#log-contact")  # type: ignore[attr-defined]
    settle(page)


def test_collector_day(day: tuple[str, Seeded], browser: object) -> None:
    base, seeded = day
    case_1, _, case_3 = seeded.work_orders
    clock.freeze(MORNING)
    page = _sign_in(browser, base, "collector")

    # The queue's figure says what it is, formatted; "Next case" is a link, not a button in one.
    header = page.locator("#queue thead").inner_text()  # type: ignore[attr-defined]
    assert "Past due at last cycle" in header
    assert "1,900.00 CNY" in page.locator("#queue").inner_text()  # type: ignore[attr-defined]
    assert page.locator("a button, button a").count() == 0  # type: ignore[attr-defined]

    # A caller gives a phone, an ID number, an account or a case number: each finds the case.
    for given in (PHONE, ID_NUMBER, "A0001", f"#{case_1}"):
        page.fill("#queue-search", given)  # type: ignore[attr-defined]
        page.click("#queue-filters button[type=submit]")  # type: ignore[attr-defined]
        settle(page)
        rows = page.locator("#queue tbody tr").inner_text()  # type: ignore[attr-defined]
        assert "张1" in rows, given
        assert "张3" not in rows, given
        # The page never shows the raw personal data it was searched by, beyond the search box.
        assert ID_NUMBER not in page.locator("#queue").inner_text()  # type: ignore[attr-defined]
    # A fragment of an ID number finds nothing: no fishing for personal data.
    page.fill("#queue-search", ID_NUMBER[:8])  # type: ignore[attr-defined]
    page.click("#queue-filters button[type=submit]")  # type: ignore[attr-defined]
    settle(page)
    assert "张1" not in page.locator("#queue tbody").inner_text()  # type: ignore[attr-defined]
    shot(page, "collector_1_search")

    page.goto(f"{base}/cases/{case_1}")  # type: ignore[attr-defined]
    # Two figures, two names: today's total owed, and the cycle's past due it differs from.
    owed = page.locator("#breakdown h2").inner_text()  # type: ignore[attr-defined]
    assert "What is owed today" in owed
    assert re.search(r"\d{1,3}(,\d{3})*\.\d{2} CNY", owed), owed
    assert "Past due at last cycle" in page.locator("#owed-explained").inner_text()  # type: ignore[attr-defined]
    assert re.fullmatch(
        r"\d{1,3}(,\d{3})*\.\d{2} CNY",
        page.locator("#plan-total").inner_text().strip(),  # type: ignore[attr-defined]
    )
    # The script is in the debtor's language (zh-CN), though the collector reads English.
    script = page.locator("#script-panel")  # type: ignore[attr-defined]
    script.wait_for(timeout=10_000)
    assert re.search(r"[\u4e00-\u9fff]{4}", script.inner_text())

    # A call with notes: the notes are on the page afterwards.
    log_contact(page, channel="call", outcome="no_answer", notes="rang out, try after lunch")
    assert "Call logged" in page.locator("#last-attempt").inner_text()  # type: ignore[attr-defined]
    assert "rang out, try after lunch" in page.locator("#contact-history").inner_text()  # type: ignore[attr-defined]
    # An SMS says so.
    log_contact(page, channel="sms", outcome="no_answer")
    assert "SMS logged" in page.locator("#last-attempt").inner_text()  # type: ignore[attr-defined]

    # No conversation today: no stop.
    page.click("#stop-1")  # type: ignore[attr-defined]
    settle(page)
    assert "in a conversation" in page.locator("#action-error").inner_text()  # type: ignore[attr-defined]
    # The debtor picks up and is abusive: the three stops, said in his language.
    log_contact(page, channel="call", outcome="abusive", notes="shouting")
    for n in (1, 2, 3):
        page.click(f"#stop-{n}")  # type: ignore[attr-defined]
        settle(page)
        assert page.locator("#action-done").count() == 1, n  # type: ignore[attr-defined]
    stops = page.locator("#three-stops li").all_inner_texts()  # type: ignore[attr-defined]
    assert len(stops) == 3
    assert all(re.search(r"[\u4e00-\u9fff]{4}", s) for s in stops), stops
    shot(page, "collector_2_stops")

    # Stop 3 handed the debtor to a senior: "Next case" goes elsewhere.
    page.click("#next-case")  # type: ignore[attr-defined]
    settle(page)
    assert page.url.endswith(f"/cases/{case_3}"), page.url  # type: ignore[attr-defined]

    # Call-back and next action, on the page.
    tomorrow = (MORNING.date() + timedelta(days=1)).isoformat()
    page.fill("#call-back-on", tomorrow)  # type: ignore[attr-defined]
    page.fill("#call-back-note", "after payday")  # type: ignore[attr-defined]
    page.click("#schedule-call-back")  # type: ignore[attr-defined]
    settle(page)
    follow_ups = page.locator("#follow-ups").inner_text()  # type: ignore[attr-defined]
    assert tomorrow in follow_ups
    assert "after payday" in follow_ups
    later = (MORNING.date() + timedelta(days=3)).isoformat()
    page.fill("#next-action-on", later)  # type: ignore[attr-defined]
    page.click("#set-next-action")  # type: ignore[attr-defined]
    settle(page)
    assert later in page.locator("#case-header").inner_text()  # type: ignore[attr-defined]

    # An instalment plan: its schedule is on the page, amounts formatted.
    page.fill("#plan-count", "3")  # type: ignore[attr-defined]
    page.fill("#plan-first", (MORNING.date() + timedelta(days=7)).isoformat())  # type: ignore[attr-defined]
    page.click("#propose-plan")  # type: ignore[attr-defined]
    settle(page)
    instalments = page.locator("#plan .instalment").all_inner_texts()  # type: ignore[attr-defined]
    assert len(instalments) == 3, instalments
    assert all(re.search(r"\d{1,3}(,\d{3})*\.\d{2}", i) for i in instalments)
    shot(page, "collector_3_plan_schedule")
    page.context.close()  # type: ignore[attr-defined]


def test_an_override_unblocks_the_collector(day: tuple[str, Seeded], browser: object) -> None:
    base, seeded = day
    case_3 = seeded.work_orders[2]
    clock.freeze(EARLY)  # 07:50: too early to call
    collector = _sign_in(browser, base, "collector")
    collector.goto(f"{base}/cases/{case_3}")  # type: ignore[attr-defined]
    log_contact(collector, channel="call", outcome="no_answer")
    assert "Not made" in collector.locator("#last-attempt").inner_text()  # type: ignore[attr-defined]

    officer = _sign_in(browser, base, "compliance_officer")
    officer.goto(f"{base}/compliance?show=open")  # type: ignore[attr-defined]
    row = officer.locator("#blocked tbody tr").first  # type: ignore[attr-defined]
    row.locator("input[name=reason]").fill("customer asked for an early call")
    row.locator("button").click()
    settle(officer)
    assert officer.locator("#overridden").count() == 1  # type: ignore[attr-defined]
    officer.context.close()  # type: ignore[attr-defined]

    # The same call now goes ahead, under the officer's override (live check and log).
    collector.reload()  # type: ignore[attr-defined]
    collector.locator("#precheck-slot #precheck[data-allowed=true]").wait_for(timeout=10_000)  # type: ignore[attr-defined]
    log_contact(collector, channel="call", outcome="right_party_contact")
    assert "Call logged" in collector.locator("#last-attempt").inner_text()  # type: ignore[attr-defined]
    shot(collector, "collector_4_overridden")
    # The debtor promises: taken on the promise form (the call was logged "right party").
    collector.fill("#promise-amount", "500")  # type: ignore[attr-defined]
    collector.fill("#promise-due", (EARLY.date() + timedelta(days=5)).isoformat())  # type: ignore[attr-defined]
    collector.check("#promise-supersede")  # type: ignore[attr-defined] # the plan proposed earlier
    collector.click("#take-promise")  # type: ignore[attr-defined]
    settle(collector)
    error = collector.locator("#action-error")  # type: ignore[attr-defined]
    assert error.count() == 0, error.inner_text()
    assert collector.locator("#action-done").count() == 1  # type: ignore[attr-defined]
    collector.context.close()  # type: ignore[attr-defined]


def test_senior_sees_the_escalation_and_the_lead_s_dashboard_adds_up(
    day: tuple[str, Seeded],
    browser: object,
) -> None:
    base, seeded = day
    clock.freeze(MORNING + timedelta(minutes=30))
    senior = _sign_in(browser, base, "senior_specialist")
    senior.goto(f"{base}/queue?view=escalated")  # type: ignore[attr-defined]
    escalated = senior.locator("#queue tbody").inner_text()  # type: ignore[attr-defined]
    assert "张1" in escalated, escalated  # stop 3 on case 1, by a collector he does not mentor
    senior.click(f"#queue a[href='/cases/{seeded.work_orders[0]}']")  # type: ignore[attr-defined]
    settle(senior)
    assert senior.locator("#three-stops li").count() == 3  # type: ignore[attr-defined]
    shot(senior, "senior_escalated")
    senior.context.close()  # type: ignore[attr-defined]

    officer = _sign_in(browser, base, "compliance_officer")
    officer.goto(f"{base}/compliance?show=overridden")  # type: ignore[attr-defined]
    overridden_on_compliance = officer.locator("#blocked tbody tr[data-check]").count()  # type: ignore[attr-defined]
    officer.context.close()  # type: ignore[attr-defined]
    assert overridden_on_compliance >= 1

    lead = _sign_in(browser, base, "team_lead")
    lead.goto(f"{base}/dashboard")  # type: ignore[attr-defined]
    row = lead.locator("#kpis tr.kpi-row", has_text="user:collector")  # type: ignore[attr-defined]
    cells = row.locator("td").all_inner_texts()
    # collector, attempts, RPC rate, promise rate, kept rate, recovered, blocked, overridden
    assert cells[3] not in ("0%", "—"), cells  # one promise after two conversations: 50 %
    assert cells[3] == "50%", cells
    assert int(cells[7]) == overridden_on_compliance, cells
    shot(lead, "lead_dashboard")
    lead.context.close()  # type: ignore[attr-defined]


def test_compliance_officer_lists_cases_read_only_and_pages_and_exports_the_audit(
    day: tuple[str, Seeded],
    browser: object,
) -> None:
    base, seeded = day
    clock.freeze(MORNING + timedelta(minutes=40))
    page = _sign_in(browser, base, "compliance_officer")
    page.click("nav a[href='/cases']")  # type: ignore[attr-defined]
    settle(page)
    listed = page.locator("#queue tbody").inner_text()  # type: ignore[attr-defined]
    assert "张1" in listed
    assert "张2" in listed  # every case: the officer's scope is all
    assert page.locator("#next-case").count() == 0  # type: ignore[attr-defined] # reads, never works
    page.fill("#queue-search", PHONE)  # type: ignore[attr-defined]
    page.click("#queue-filters button[type=submit]")  # type: ignore[attr-defined]
    settle(page)
    rows = page.locator("#queue tbody tr")  # type: ignore[attr-defined]
    assert rows.count() == 1
    rows.locator("a").first.click()
    settle(page)
    assert page.url.endswith(f"/cases/{seeded.work_orders[0]}")  # type: ignore[attr-defined]
    assert PHONE not in page.content()  # type: ignore[attr-defined] # masked as for every role
    assert page.locator("#contact-form").count() == 0  # type: ignore[attr-defined]
    shot(page, "officer_case_read_only")

    page.goto(f"{base}/compliance/audit")  # type: ignore[attr-defined]
    total = int(page.locator("#audit-total").inner_text())  # type: ignore[attr-defined]
    assert total > AUDIT_FILLER
    assert page.locator("#audit tr.audit-row").count() == 200  # type: ignore[attr-defined]
    page.click("#audit-next")  # type: ignore[attr-defined]
    settle(page)
    assert page.locator("#audit tr.audit-row").count() == total - 200  # type: ignore[attr-defined]
    shot(page, "officer_audit_page_2")
    with page.expect_download() as waiting:  # type: ignore[attr-defined]
        page.click("#audit-export")  # type: ignore[attr-defined]
    exported = Path(waiting.value.path()).read_text(encoding="utf-8").splitlines()
    assert exported[0].startswith("id,at,actor,action")
    assert len(exported) - 1 == total
    assert not any(PHONE in line for line in exported)
    page.context.close()  # type: ignore[attr-defined]


def test_admin_links_a_new_user_to_staff_and_confirms_a_deactivation(
    day: tuple[str, Seeded],
    browser: object,
) -> None:
    base, _ = day
    clock.freeze(MORNING + timedelta(minutes=50))
    page = _sign_in(browser, base, "admin")
    page.goto(f"{base}/admin/users")  # type: ignore[attr-defined]
    form = page.locator("#create-user")  # type: ignore[attr-defined]
    form.locator("input[name=username]").fill("newbie")
    form.locator("select[name=role]").select_option("collector")
    form.locator("#create-staff").fill("S-collector")
    form.locator("button[type=submit]").click()
    settle(page)
    newbie = page.locator("tr[data-user=newbie]")  # type: ignore[attr-defined]
    assert newbie.locator(".linked-staff").inner_text() == "S-collector"

    # Deactivating asks first; the user stays active until confirmed.
    newbie.locator("button[value=deactivate]").click()
    settle(page)
    assert page.locator("#confirm-deactivate").count() == 1  # type: ignore[attr-defined]
    assert "newbie" in page.locator("#confirm-deactivate-text").inner_text()  # type: ignore[attr-defined]
    assert page.locator("tr[data-user=newbie] button[value=deactivate]").count() == 1  # type: ignore[attr-defined]
    shot(page, "admin_confirm_deactivate")
    page.click("#confirm-deactivate-yes")  # type: ignore[attr-defined]
    settle(page)
    assert page.locator("tr[data-user=newbie] button[value=activate]").count() == 1  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


def test_the_lead_sees_the_team_today(day: tuple[str, Seeded], browser: object) -> None:
    base, seeded = day
    clock.freeze(MORNING + timedelta(minutes=55))
    lead = _sign_in(browser, base, "team_lead")
    lead.click("nav a[href='/team']")  # type: ignore[attr-defined]
    settle(lead)
    row = lead.locator("#team tr[data-staff=S-collector]")  # type: ignore[attr-defined]
    # On the case of the latest contact by the clock (case 1 at 10:05; case 3's were at 07:50);
    # 4 contacts made today, 1 blocked (07:50), 1 promise.
    assert row.locator(".on-case").inner_text() == f"#{seeded.work_orders[0]}"
    assert int(row.locator(".calls").inner_text()) == 4
    assert int(row.locator(".blocks").inner_text()) == 1
    assert int(row.locator(".promises").inner_text()) == 1
    assert int(row.locator(".waiting").inner_text()) >= 0
    assert lead.locator("#team tr[data-staff=S-team_lead]").count() == 1  # type: ignore[attr-defined]
    shot(lead, "lead_team_today")
    lead.context.close()  # type: ignore[attr-defined]


# Every page of the journeys, per role (the senior and lead see case 1, escalated by stop 3).
JOURNEY_PAGES = {
    "collector": ["/queue", "/cases/{case_1}", "/cases/{case_3}", "/tokens"],
    "senior_specialist": ["/queue?view=escalated", "/cases/{case_1}"],
    "team_lead": ["/queue", "/cases/{case_3}", "/dashboard", "/team", "/approvals"],
    "compliance_officer": [
        "/cases",
        "/cases/{case_1}",
        "/compliance",
        "/compliance/audit",
        "/compliance/profiles",
    ],
    "admin": ["/admin/users", "/admin/staff", "/admin/runs"],
}


def test_every_page_passes_axe_and_the_chinese_pages_read_chinese(
    day: tuple[str, Seeded],
    browser: object,
) -> None:
    base, seeded = day
    clock.freeze(MORNING + timedelta(hours=1))
    ids = {"case_1": seeded.work_orders[0], "case_3": seeded.work_orders[2]}
    # The seed's user and staff names are data shown as they are (they happen to be role names).
    allow = {"English", "arrears", *seeded.users, *(f"user:{u}" for u in seeded.users)}
    allow |= {f"S-{role}" for role in seeded.staff}
    problems: dict[str, object] = {}
    for role, paths in JOURNEY_PAGES.items():
        context = browser.new_context(  # type: ignore[attr-defined]
            locale="zh-CN", viewport={"width": 1280, "height": 900}, bypass_csp=True
        )
        page = context.new_page()
        page.goto(f"{base}/sign-in")
        page.fill("input[name=username]", role)
        page.fill("input[name=password]", PASSWORD)
        page.click("#sign-in")
        settle(page)
        for language in ("en", "zh-CN"):
            if language == "zh-CN":
                page.click("#switch-locale")
                settle(page)
            for path in paths:
                url = path.format(**ids)
                page.goto(f"{base}{url}")
                settle(page)
                bad = serious_violations(page)
                if bad:
                    problems[f"axe {language} {role} {url}"] = bad
                if language == "zh-CN":
                    left = untranslated(readable_text(page), allow=allow)
                    if left:
                        problems[f"zh {role} {url}"] = left
                    shot(page, f"zh_{role}_{url.strip('/').replace('/', '_').replace('?', '_')}")
        page.click("#switch-locale")  # back to English for this user
        settle(page)
        context.close()
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_collector_s_pages_fit_a_390_px_phone(day: tuple[str, Seeded], browser: object) -> None:
    base, seeded = day
    clock.freeze(MORNING + timedelta(hours=1))
    context = browser.new_context(  # type: ignore[attr-defined]
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.fill("input[name=username]", "collector")
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    settle(page)
    for path in ("/queue", f"/cases/{seeded.work_orders[0]}", f"/cases/{seeded.work_orders[2]}"):
        page.goto(f"{base}{path}")
        settle(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        shot(page, f"phone_{path.strip('/').replace('/', '_')}")
    # The main actions are reachable on the phone.
    page.goto(f"{base}/cases/{seeded.work_orders[2]}")
    assert page.locator("#log-contact").is_visible()
    assert page.locator("#next-case").is_visible()
    context.close()


def test_date_fields_read_year_month_day_in_chinese(
    day: tuple[str, Seeded],
    browser: object,
) -> None:
    """An English Chromium shows its native date field as mm/dd/yyyy whatever the page's
    language; in Chinese the page asks for 年-月-日 and takes it."""
    base, seeded = day
    clock.freeze(MORNING + timedelta(hours=2))
    page = _sign_in(browser, base, "collector")
    page.click("#switch-locale")  # type: ignore[attr-defined]
    settle(page)
    try:
        page.goto(f"{base}/cases/{seeded.work_orders[2]}")  # type: ignore[attr-defined]
        settle(page)
        due = page.locator("#call-back-on")  # type: ignore[attr-defined]
        assert due.get_attribute("type") == "text"
        assert due.get_attribute("placeholder") == "年-月-日"
        day_after = (MORNING.date() + timedelta(days=2)).isoformat()
        due.fill(day_after)
        page.click("#schedule-call-back")  # type: ignore[attr-defined]
        settle(page)
        assert day_after in page.locator("#follow-ups").inner_text()  # type: ignore[attr-defined]
        shot(page, "zh_date_fields")
    finally:
        page.click("#switch-locale")  # type: ignore[attr-defined] # back to English
        settle(page)
        page.context.close()  # type: ignore[attr-defined]
