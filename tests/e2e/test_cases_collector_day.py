"""One collector's day on the real data, over HTTP.

Import UCI, run the cycle (once per worker, tests/conftest.py), then: take the next case; read
the breakdown; attempt a call that compliance blocks and see why; make an allowed call; take a
promise; pay (a payments extract through ``arrears import portfolio``) and reconcile; see the
case kept, then cured after the next cycle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.service import issue_api_token
from arrears.cases.models import WorkOrder
from arrears.config import get_settings
from arrears.kit.clock import clock
from arrears.web.app import create_app
from arrears.workforce import staff_service
from arrears.workforce.models import Assignment
from arrears.workforce.schemas import StaffCreate
from tests.conftest import UciBook

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

# Monday 2005-10-03, 10:00 in Taipei (the UCI customers' zone); the snapshot is 2005-10-01.
MORNING = datetime(2005, 10, 3, 2, 0, tzinfo=UTC)
NIGHT = datetime(2005, 10, 3, 14, 30, tzinfo=UTC)  # 22:30 in Taipei


@pytest.fixture
def collector_token(engine: Engine, uci_cycled: UciBook) -> str:
    """Lee's API token, in the store once the book is in it (the book replaces the store)."""
    with Session(engine) as s, clock.frozen(MORNING):
        user = User(
            username="lee",
            display_name="Lee",
            password_hash="x",
            role="collector",
            locale="en",
            active=True,
            created_at=MORNING,
            password_changed_at=MORNING,
        )
        s.add(user)
        s.flush()
        _, secret = issue_api_token(session=s, user_id=user.id, name="e2e", days=None, actor="test")
        s.commit()
    return secret


def assign_to_collector(engine: Engine, username: str, cases: int = 20) -> None:
    """Make ``username`` a staff member and give him the most urgent cases, as the allocation
    would (the allocator's own tests cover how it chooses)."""
    with Session(engine) as s, clock.frozen(MORNING):
        member = staff_service.add_staff(
            session=s,
            data=StaffCreate(
                code="E2E-1",
                name="Lee",
                employment_type="labor_dispatch",
                grade="collection_officer",
                levels=["junior", "intermediate"],
                languages=["zh-CN", "zh-TW"],
                capacity=cases,
                hire_date=date(2005, 1, 1),
            ),
        )
        user = s.scalars(sa.select(User).where(User.username == username)).one()
        user.staff_id = member.id
        urgent = s.scalars(
            sa.select(WorkOrder)
            .where(WorkOrder.status == "open")
            .order_by(WorkOrder.priority.desc(), WorkOrder.dpd.desc(), WorkOrder.id)
            .limit(cases)
        ).all()
        for wo in urgent:
            s.add(
                Assignment(
                    work_order_id=wo.id,
                    staff_id=member.id,
                    level=wo.level,
                    reason="e2e",
                    as_of=date(2005, 10, 1),
                    assigned_at=MORNING,
                )
            )
            wo.status = "assigned"
        s.commit()


@pytest.fixture
def client(env: Path) -> Iterator[TestClient]:
    app = create_app(get_settings())
    try:
        with TestClient(app) as test_client:
            yield test_client
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_one_collector_day_on_the_real_data(
    cli: Any,
    uci_cycled: UciBook,
    env: Path,
    engine: Engine,
    collector_token: str,
    client: TestClient,
) -> None:
    # The book imported and cycled as of 2005-10-01 (tests/conftest.py, once per store).
    cycle = uci_cycled.cycle
    assert cycle is not None
    assert json.loads(cycle.stdout)["cases"]["opened"] == 5124  # past due above TWD 10
    assign_to_collector(engine, "lee")
    h = {"Authorization": f"Bearer {collector_token}"}

    with clock.frozen(MORNING):
        # 1. take the next case
        taken = client.post("/api/v1/cases/next", headers=h)
        assert taken.status_code == 200, taken.text
        case = taken.json()
        wo_id = case["id"]
        assert case["status"] == "in_progress"
        assert case["bucket"] != "M0"
        # Only his own cases: one not assigned to him is not even found.
        mine = {c["id"] for c in client.get("/api/v1/cases?limit=500", headers=h).json()}
        assert len(mine) == 20
        assert wo_id in mine
        other = next(i for i in range(1, 200) if i not in mine)
        assert client.get(f"/api/v1/cases/{other}", headers=h).status_code == 404

        # 2. read the breakdown: the real statements, aged and charged
        breakdown = client.get(f"/api/v1/cases/{wo_id}/breakdown", headers=h).json()
        assert len(breakdown) == 1
        account = breakdown[0]
        past_due = Decimal(account["amount_past_due"])
        assert past_due > 0
        kinds = [i["kind"] for i in account["items"]]
        assert "principal" in kinds
        assert sum(Decimal(i["amount"]) for i in account["items"]) == Decimal(account["total_due"])
        assert all(i["explanation"]["zh-CN"] for i in account["items"])

        # 3. a call at 22:30 local time: compliance blocks it and says why and until when
        # (the server's clock says 22:30 for this one request: the server owns the time)
        number = "+886912345678"
        with clock.frozen(NIGHT):
            blocked = client.post(
                f"/api/v1/cases/{wo_id}/contacts",
                headers=h,
                json={"channel": "call", "outcome": "no_answer", "address_used": number},
            )
        assert blocked.status_code == 201, blocked.text
        verdict = blocked.json()
        assert verdict["status"] == "blocked"
        assert verdict["outcome"] is None
        assert verdict["compliance"]["rules"] == ["time_window"]
        assert "22:30 local is outside the convenient hours" in verdict["compliance"]["reason"]
        assert verdict["compliance"]["next_allowed_at"].startswith("2005-10-04T00:00:00")

        # 4. an allowed call in the morning: the debtor promises
        made = client.post(
            f"/api/v1/cases/{wo_id}/contacts",
            headers=h,
            json={
                "channel": "call",
                "outcome": "promise_to_pay",
                "address_used": number,
                "duration_seconds": 240,
                "notes": "lost his job in August; can pay Tuesday",
            },
        )
        assert made.json()["status"] == "made", made.text

        # 5. take a promise for the past-due amount by Wednesday
        promise = client.post(
            f"/api/v1/cases/{wo_id}/promises",
            headers=h,
            json={
                "amount": f"{past_due:f}",
                "due_on": "2005-10-05",
                "contact_attempt_id": made.json()["id"],
            },
        )
        assert promise.status_code == 201, promise.text
        assert promise.json()["case"]["status"] == "promised"

    # 6. the customer pays on Tuesday; the card system's payments extract is imported
    extract = env / "extract"
    extract.mkdir()
    (extract / "payments.csv").write_text(
        "account_id,paid_on,amount,channel,reference\n"
        f"{account['account_ref']},2005-10-04,{past_due:f},online,E2E-1\n",
        encoding="utf-8",
    )
    paid = cli("import", "portfolio", str(extract), "--json")
    assert paid.exit_code == 0, paid.stderr
    with clock.frozen(datetime(2005, 10, 4, 8, 0, tzinfo=UTC)):
        reconciled = client.post(f"/api/v1/cases/{wo_id}/reconcile", headers=h, json={})
        assert reconciled.status_code == 200, reconciled.text
        result = reconciled.json()
        assert result["changed"] == [{"promise_id": promise.json()["id"], "status": "kept"}]

        # 7. the case is kept...
        shown = client.get(f"/api/v1/cases/{wo_id}", headers=h).json()
        assert shown["work_order"]["status"] == "kept"
        assert shown["promises"][0]["paid"] == f"{past_due:f}"
        assert [c["status"] for c in shown["contacts"]] == ["made", "blocked"]

    # ... and cured after the next cycle
    nxt = cli("cycle", "run", "--as-of", "2005-10-05", "--json")
    assert nxt.exit_code == 0, nxt.stderr
    assert json.loads(nxt.stdout)["cases"]["closed"] >= 1
    with clock.frozen(datetime(2005, 10, 5, 8, 0, tzinfo=UTC)):
        final = client.get(f"/api/v1/cases/{wo_id}", headers=h).json()
    assert (final["work_order"]["status"], final["work_order"]["close_reason"]) == (
        "closed",
        "cured",
    )
