"""The portfolio report in Chinese (issue 18, "the HTML report is English only"): every section
with data and every section without, opened in Chromium, reads Chinese (the page check's
no-raw-identifier, no-English-sentence rule; codes such as bucket names and the strategy's arm
and test names allowed) and passes axe-core; amounts, counts and dates in the reader's locale.
The report goes through the same catalog the workbench and the CLI use (``cli.output.words``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arrears.analytics.champion import experiment_results
from arrears.analytics.kpis import AttemptRow, PromiseRow, RecoveryRow, collector_kpis
from arrears.analytics.recovery import after_write_off
from arrears.analytics.report import ReportData, render_html
from arrears.cli.output import words
from tests.e2e.browsing import ARTIFACTS
from tests.e2e.pagecheck import readable_text, serious_violations, untranslated

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GENERATED = datetime(2026, 11, 29, 23, 5, tzinfo=UTC)
BUCKETS = ["M0", "M1", "M2", "M3"]
# Data shown as it is: the collectors' user names and the strategy's test and arm names.
ALLOW = {"amy", "bo", "t1", "champion_call", "sms_first", "arrears", "AG1", "AG2"}


def _rolls() -> dict[str, Any]:
    matrix = {f: {t: (20 if f == t else 3) for t in BUCKETS} for f in BUCKETS}
    rates = {f: {t: matrix[f][t] / 29 for t in BUCKETS} for f in BUCKETS}
    return {
        "buckets": BUCKETS,
        "transitions": 2,
        "matrix": matrix,
        "rates": rates,
        "roll_forward_rate": {b: 0.1 for b in BUCKETS},
        "roll_forward_rate_by_balance": {b: 0.12 for b in BUCKETS},
        "cure_rate": {b: 0.2 for b in BUCKETS[1:]},
        "cure_rate_by_balance": {b: 0.18 for b in BUCKETS[1:]},
        "bucket_mix": [
            {"month": m, "accounts": {b: 30_000 - 100 * i for i, b in enumerate(BUCKETS)}}
            for m in ("2026-08-01", "2026-09-01", "2026-10-01")
        ],
    }


def _full() -> ReportData:
    """A book with every section's data."""
    groups = [
        {
            "group": code,
            "cases": 30,
            "contacted": 20,
            "promised": 9,
            "recovered": Decimal("1234567.80"),
            "recovery_rate": 0.21,
            "complaints": 1,
            "compliance_blocks": 2,
            "contact_rate": 0.66,
            "promise_rate": 0.3,
        }
        for code in ("AG1", "AG2", "in-house")
    ]
    outcomes: list[dict[str, Any]] = [
        {"test": "t1", "arm": "champion_call", "amount": Decimal(100 if i % 3 == 0 else 0)}
        for i in range(300)
    ] + [
        {"test": "t1", "arm": "sms_first", "amount": Decimal(100 if i % 2 == 0 else 0)}
        for i in range(300)
    ]
    return ReportData(
        source="warehouse",
        rolls=_rolls(),
        recovery=[
            {
                "entry_month": "2026-07-01",
                "accounts": 1_200,
                "points": [{"month": k, "recovery_rate": 0.05 * k} for k in (1, 2, 3)],
            }
        ],
        kpis=collector_kpis(
            attempts=[AttemptRow("amy", True, True, 30), AttemptRow("bo", True, False, 45)],
            promises=[PromiseRow("amy", "kept", 20), PromiseRow("amy", "broken", 10)],
            recoveries=[RecoveryRow("amy", Decimal("12000.00"))],
        ),
        arms=experiment_results(outcomes),
        agencies={
            "groups": groups,
            "champion_challenger": {
                "comparisons": [
                    {
                        "challenger": "AG2",
                        "champion": "AG1",
                        "pay_rate_difference": 0.01,
                        "p_value": 0.4,
                        "verdict": "not yet significant",
                    }
                ]
            },
        },
        model={
            "auc": 0.78,
            "baseline_auc": 0.61,
            "n_holdout": 9000,
            "top_decile_lift": 2.9,
            "top_decile_gain": 0.29,
            "lift": [
                {"decile": d, "lift": 3 - 0.3 * d, "cumulative_gain": d / 10} for d in range(1, 11)
            ],
            "calibration": [
                {"mean_predicted": p / 10, "observed_rate": p / 10 + 0.01} for p in range(1, 10)
            ],
        },
        write_off={
            "charged_off": {"accounts": 39, "balance": Decimal("5194576.80")},
            "awaiting_write_off": {"accounts": 3, "balance": Decimal("100000.00")},
            "after_write_off": after_write_off(
                written_off=Decimal("5094576.80"), accounts=36, recovered=Decimal("25000.00")
            ),
        },
    )


def _open(browser: Any, html: str, path: Path) -> Any:
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    if 'data-has-data="true"' in html:
        page.wait_for_selector(".main-svg", timeout=30_000)
    assert errors == []
    return page


@pytest.mark.parametrize("book", ["full", "empty"])
def test_the_chinese_report_reads_chinese_and_passes_axe(
    browser: Any,
    tmp_path: Path,
    book: str,
) -> None:
    data = _full() if book == "full" else ReportData(source="warehouse")
    html = render_html(data, generated_at=GENERATED, locale="zh-CN", words=words("zh-CN"))
    page = _open(browser, html, tmp_path / f"report_{book}.html")
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report_zh_{book}.png"), full_page=True)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        text = readable_text(page)
        left = untranslated(text, allow=ALLOW | set(BUCKETS))
        assert left == [], left
        assert serious_violations(page) == []
        assert "资产组合报告" in page.locator("h1").inner_text()
        # The date as a Chinese reader writes it.
        assert "2026年11月29日 23:05 UTC" in page.locator(".meta").inner_text()
        if book == "full":
            # Every chart drew, with its words in Chinese: titles, axes, legends, months.
            for section in ("bucket-mix", "roll-heatmap", "recovery", "kpis", "arms", "lift"):
                drawn = page.locator(f"#chart-{section}").text_content() or ""
                assert re.search(r"[\u4e00-\u9fff]{2}", drawn), section
            assert "2026年8月" in (page.locator("#chart-bucket-mix").text_content() or "")
            # Amounts and counts grouped; the words among the data translated.
            write_off = page.locator("#write-off").inner_text()
            assert "5,194,576.80" in write_off
            assert "行内" in page.locator("#agencies").inner_text()
            assert "尚不显著" in page.locator("#agencies").inner_text()
            assert "冠军" in page.locator("#arms table").first.inner_text()
            assert "（全部）" in page.locator("#kpis table").inner_text()
        else:
            assert page.locator(".no-data").count() == 8
    finally:
        page.close()


def test_the_english_report_is_unchanged_in_words_and_grouped_in_numbers(
    browser: Any,
    tmp_path: Path,
) -> None:
    """The same page in English: the message ids are the text; numbers grouped the English way."""
    html = render_html(_full(), generated_at=GENERATED)
    page = _open(browser, html, tmp_path / "report_en.html")
    try:
        page.screenshot(path=str(ARTIFACTS / "report_en_full.png"), full_page=True)
        assert page.locator("h1").inner_text() == "Portfolio report"
        assert "November 29, 2026 23:05 UTC" in page.locator(".meta").inner_text()
        assert "5,194,576.80" in page.locator("#write-off").inner_text()
        assert "Aug 2026" in (page.locator("#chart-bucket-mix").text_content() or "")
        assert serious_violations(page) == []
    finally:
        page.close()
