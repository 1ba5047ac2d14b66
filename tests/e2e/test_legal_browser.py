"""/legal in Chromium (issue 17): a senior opens a legal case from a work order's page, moves it
through its stages, an illegal move is refused with a message that names the allowed ones, and
the hold each stage implies shows on the legal case and on the work order; in English and in
Chinese, with no serious or critical axe violation and no English left on the Chinese pages.
Screenshots go to artifacts/ (``legal_*.png``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.workforce.models import Assignment
from tests import serving
from tests.e2e.browsing import ARTIFACTS
from tests.e2e.pagecheck import readable_text, serious_violations, untranslated
from tests.web_seed import NOW, PASSWORD, Seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MORNING = datetime(2026, 11, 20, 2, 5, tzinfo=UTC)  # 10:05 in Shanghai


def _two_cases_for_the_senior(session: Session, seeded: Seeded) -> None:
    """Cases 3 and 4 are the senior's: one walked through in English, one in Chinese."""
    for wo in seeded.work_orders[2:]:
        session.add(
            Assignment(
                work_order_id=wo,
                staff_id=seeded.staff["senior_specialist"],
                level="junior",
                reason="test",
                as_of=NOW.date(),
                assigned_at=NOW,
            )
        )


@pytest.fixture(scope="module")
def served(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Seeded]]:
    with serving.seeded_workbench(
        sqlite_template,
        tmp_path_factory.mktemp("legal"),
        at=MORNING,
        customers=4,
        more=_two_cases_for_the_senior,
    ) as (base, _, seeded):
        yield base, seeded


def sign_in(chromium: object, base: str, locale: str = "en-US") -> object:
    """The senior, in a context where axe may be injected (the app's CSP forbids inline)."""
    context = chromium.new_context(  # type: ignore[attr-defined]
        locale=locale, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.fill("input[name=username]", "senior_specialist")
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    settle(page)
    return page


def settle(page: object) -> None:
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]


def checked(page: object, problems: dict[str, object], name: str, *, chinese: bool) -> None:
    """axe on the page as it stands; on a Chinese page, no English or raw identifier left."""
    bad = serious_violations(page)
    if bad:
        problems[f"axe {name}"] = bad
    if chinese:
        left = untranslated(readable_text(page), allow={"senior_specialist", "English"})
        if left:
            problems[f"zh {name}"] = left
    page.screenshot(path=str(ARTIFACTS / f"legal_{name}.png"), full_page=True)  # type: ignore[attr-defined]


def move(page: object, to: str, **fields: str) -> None:
    page.select_option("#legal-to", to)  # type: ignore[attr-defined]
    for name, value in fields.items():
        page.fill(f"#legal-{name}", value)  # type: ignore[attr-defined]
    page.click("#legal-move-submit")  # type: ignore[attr-defined]
    settle(page)


def stage(page: object) -> str:
    return str(page.locator("#legal-stage").get_attribute("data-stage"))  # type: ignore[attr-defined]


def held(page: object) -> str:
    return str(page.locator("#legal-hold").get_attribute("data-held"))  # type: ignore[attr-defined]


def test_a_senior_walks_a_legal_case_through_its_stages(
    served: tuple[str, Seeded],
    browser: object,
) -> None:
    base, seeded = served
    case = seeded.work_orders[2]
    problems: dict[str, object] = {}
    page = sign_in(browser, base)
    page.goto(f"{base}/cases/{case}")  # type: ignore[attr-defined]
    settle(page)
    page.click("#legal-open")  # type: ignore[attr-defined]
    settle(page)
    assert "/legal/cases/" in page.url  # type: ignore[attr-defined]
    assert page.locator("#legal-done").inner_text() == "Legal case opened"  # type: ignore[attr-defined]
    assert stage(page) == "pre_litigation_review"
    assert held(page) == "no"
    checked(page, problems, "en_opened", chinese=False)

    # Straight to judgment: refused, the allowed moves named, nothing changed.
    move(page, "judgment")
    error = page.locator("#legal-error").inner_text()  # type: ignore[attr-defined]
    assert error == (
        "A legal case cannot move from Pre-litigation review to Judgment. From Pre-litigation "
        "review it may move to: Filed with the court, Closed."
    )
    assert stage(page) == "pre_litigation_review"
    checked(page, problems, "en_refused", chinese=False)
    # Filing without the court's reference: refused with what it needs.
    move(page, "filed", court="Pudong People's Court")
    assert (
        "Filing needs the court and the court's reference."
        in page.locator(  # type: ignore[attr-defined]
            "#legal-error"
        ).inner_text()
    )
    assert stage(page) == "pre_litigation_review"

    move(page, "filed", court="Pudong People's Court", reference="(2026)沪0115民初1号")
    assert stage(page) == "filed"
    assert held(page) == "yes"
    assert "On hold: litigation" in page.locator("#legal-hold").inner_text()  # type: ignore[attr-defined]
    checked(page, problems, "en_filed", chinese=False)
    # The work order shows the hold and links back to its legal case.
    page.click("#legal-work-order")  # type: ignore[attr-defined]
    settle(page)
    header = page.locator("#case-header").inner_text()  # type: ignore[attr-defined]
    assert "on_hold" in header or "On hold" in header
    assert "Filed with the court" in page.locator("#legal-link").inner_text()  # type: ignore[attr-defined]
    page.click("#legal-link")  # type: ignore[attr-defined]
    settle(page)

    move(page, "hearing", hearing="2027-01-15")
    assert (stage(page), held(page)) == ("hearing", "yes")
    move(page, "enforcement")  # not before a judgment
    assert "may move to: Hearing, Judgment, Closed" in page.locator("#legal-error").inner_text()  # type: ignore[attr-defined]
    move(page, "judgment")
    assert (stage(page), held(page)) == ("judgment", "yes")
    move(page, "closed", outcome="judgment satisfied")
    assert (stage(page), held(page)) == ("closed", "no")  # the hold is lifted
    assert page.locator("#legal-move-form").count() == 0  # type: ignore[attr-defined]
    checked(page, problems, "en_closed", chinese=False)
    page.goto(f"{base}/legal")  # type: ignore[attr-defined]
    settle(page)
    checked(page, problems, "en_queue", chinese=False)
    page.context.close()  # type: ignore[attr-defined]
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_same_in_chinese(served: tuple[str, Seeded], browser: object) -> None:
    base, seeded = served
    case = seeded.work_orders[3]
    problems: dict[str, object] = {}
    page = sign_in(browser, base, locale="zh-CN")
    page.click("#switch-locale")  # type: ignore[attr-defined]
    settle(page)
    try:
        page.goto(f"{base}/cases/{case}")  # type: ignore[attr-defined]
        settle(page)
        assert page.locator("#legal-open").inner_text() == "启动法律程序"  # type: ignore[attr-defined]
        page.click("#legal-open")  # type: ignore[attr-defined]
        settle(page)
        assert stage(page) == "pre_litigation_review"
        checked(page, problems, "zh_opened", chinese=True)
        move(page, "enforcement")
        error = page.locator("#legal-error").inner_text()  # type: ignore[attr-defined]
        assert error == (
            "法律案件不能从“诉前审查”推进到“强制执行”。“诉前审查”之后只能推进到：已起诉立案、已结案。"
        )
        assert stage(page) == "pre_litigation_review"
        checked(page, problems, "zh_refused", chinese=True)
        move(page, "filed", court="浦东新区人民法院", reference="(2026)沪0115民初2号")
        assert (stage(page), held(page)) == ("filed", "yes")
        assert "已暂停：诉讼中" in page.locator("#legal-hold").inner_text()  # type: ignore[attr-defined]
        checked(page, problems, "zh_filed", chinese=True)
        page.goto(f"{base}/legal")  # type: ignore[attr-defined]
        settle(page)
        assert "已起诉立案" in page.locator("#legal-queue").inner_text()  # type: ignore[attr-defined]
        checked(page, problems, "zh_queue", chinese=True)
    finally:
        page.click("#switch-locale")  # type: ignore[attr-defined]  # back to English
        page.context.close()  # type: ignore[attr-defined]
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
