"""The portfolio report opened in Chromium: every chart renders with data; empty parts say so."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arrears.analytics import repository, service
from arrears.analytics.champion import experiment_results
from arrears.analytics.kpis import AttemptRow, PromiseRow, RecoveryRow, collector_kpis
from arrears.analytics.model import evaluate, train
from arrears.analytics.profile import load_model_profile
from arrears.analytics.report import ReportData, render_html
from tests.e2e.browsing import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.realdata, pytest.mark.slow]

CHARTS = ("bucket-mix", "roll-heatmap", "recovery", "kpis", "arms", "lift", "calibration")
# Sections that speak in words when the book has none of their data (an empty report has all).
WORDS_ONLY = ("agencies",)


def _full_report(uci_csv: Path) -> ReportData:
    with repository.uci_file(uci_csv) as con:
        data = ReportData(source=str(uci_csv))
        data.rolls = service.rolls(con=con)
        data.recovery = service.recovery(con=con)
        features, y, as_of = service.training_set(con=con)
    # A small model is enough to exercise the charts; the full one is tested elsewhere.
    profile = load_model_profile().model_copy(
        update={"params": {"n_estimators": 60, "num_leaves": 7}}
    )
    trained = train(features, y, profile=profile, as_of=as_of)
    data.model = evaluate(features, y, trained)
    data.kpis = collector_kpis(
        attempts=[
            AttemptRow("amy", True, True, 30),
            AttemptRow("amy", False, False, 70),
            AttemptRow("bo", True, False, 45),
        ],
        promises=[PromiseRow("amy", "kept", 20), PromiseRow("amy", "broken", 10)],
        recoveries=[RecoveryRow("amy", Decimal("12000.00"))],
    )
    outcomes: list[dict[str, Any]] = [
        {"test": "t1", "arm": "champion", "amount": Decimal(100 if i % 3 == 0 else 0)}
        for i in range(300)
    ] + [
        {"test": "t1", "arm": "sms_first", "amount": Decimal(100 if i % 2 == 0 else 0)}
        for i in range(300)
    ]
    data.arms = experiment_results(outcomes)
    return data


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: requests.append(req.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def test_every_chart_renders_with_data(browser: Any, uci_csv: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    html.write_text(
        render_html(_full_report(uci_csv), generated_at=datetime.now(UTC)), encoding="utf-8"
    )
    page, errors, requests = _open(browser, html)
    try:
        for key in CHARTS:
            page.wait_for_selector(f"#chart-{key} .main-svg", timeout=30_000)
            traces = page.evaluate(f"document.getElementById('chart-{key}').data.length")
            assert traces > 0, key
            box = page.locator(f"#chart-{key} .main-svg").first.bounding_box()
            assert box is not None
            assert box["width"] > 100
            assert box["height"] > 100
            # something was drawn: bars, lines/markers or the heatmap image
            drawn = page.evaluate(
                f"document.querySelectorAll('#chart-{key} .trace, #chart-{key} .hm image,"
                f" #chart-{key} .point').length"
            )
            assert drawn > 0, key
        # Every chart of the book has data; the UCI book has no agency placements, and the
        # agencies section says so in words.
        empty = page.evaluate(
            "[...document.querySelectorAll('.no-data')].map(e => e.closest('section').id)"
        )
        assert set(empty) <= set(WORDS_ONLY)
        assert errors == []
        assert all(u.startswith(("file:", "data:", "blob:", "about:")) for u in requests), requests
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "analytics_report.png"), full_page=True)
    finally:
        page.close()


def test_an_empty_report_says_so_plainly(browser: Any, tmp_path: Path) -> None:
    html = tmp_path / "empty.html"
    html.write_text(
        render_html(ReportData(source="nothing yet"), generated_at=datetime.now(UTC)),
        encoding="utf-8",
    )
    page, errors, _ = _open(browser, html)
    try:
        assert page.locator(".no-data").count() == len(CHARTS) + len(WORDS_ONLY)
        assert page.locator(".main-svg").count() == 0
        assert "No trained model yet" in page.inner_text("#lift")
        assert errors == []
    finally:
        page.close()
