"""The case page's breakdown says where interest and fees stopped (issue 13, invariant 8).
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.web.app import create_app
from tests.integration.test_web_api import sign_in
from tests.web_seed import NOW, Seeded, seed

# The seeded case's oldest unpaid instalment fell due on 2026-09-25; seen on 2027-03-01 it is
# 157 days past due, past cn-card's non-accrual at 90 days (2026-12-24).
LATER = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def seeded(session: Session) -> Seeded:
    with clock.frozen(NOW):
        result = seed(session)
        session.commit()
    return result


@pytest.fixture
def app_client(db_url: str, seeded: Seeded) -> Iterator[TestClient]:
    clock.freeze(LATER)
    app = create_app(Settings(database_url=db_url, fee_schedule="cn-card"))
    try:
        with TestClient(app) as client:
            yield client
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def test_case_page_breakdown_says_where_accrual_stopped(
    app_client: TestClient, seeded: Seeded
) -> None:
    sign_in(app_client, "compliance_officer")
    case_id = seeded.work_orders[0]
    account = app_client.get(f"/api/v1/workbench/cases/{case_id}").json()["accounts"][0]
    assert account["dpd"] == 157
    (stop,) = [i for i in account["items"] if i["kind"] == "accrual_stop"]
    assert Decimal(stop["amount"]) == 0
    assert "stopped on 2026-12-24" in stop["explanation"]["en"]
    assert "non-accrual" in stop["explanation"]["en"]
    assert "停止计息" in stop["explanation"]["zh-CN"]
    # Interest from the itemization date (the 2026-10-05 statement, whose balance holds what
    # was billed before) to the non-accrual: 80 days, not 157 (nor 90 counted back from 09-25).
    interest = next(i for i in account["items"] if i["kind"] == "interest")
    assert "80 days past due after the itemization date 2026-10-05" in interest["explanation"]["en"]
    assert "none after the non-accrual on 2026-12-24" in interest["explanation"]["en"]
    page = app_client.get(f"/cases/{case_id}").text
    assert 'data-kind="accrual_stop"' in page
    assert "accrual stopped" in page
    assert "stopped on 2026-12-24" in page
