"""No reconciliation for a day after the center's today, whoever asks (issue 13 invariant 10,
issue 14 section 2): the promises service refuses it, so the API, the CLI and the nightly cycle
are covered alike; a past as-of stays allowed for the roles allowed today. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.service import issue_api_token
from arrears.cases.models import FollowUp, WorkOrder
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import RuleRefused
from arrears.promises import nightly as promise_nightly
from arrears.promises import service as promise_service
from arrears.promises.models import Promise
from tests.integration.test_cases_api import _as, api  # noqa: F401 (the fixture)
from tests.integration.test_cases_cli import works_the_case
from tests.integration.test_cases_workflow import MORNING, seed

# MORNING is 2026-03-02 10:00 in Shanghai: the center's today is 2026-03-02.
TOMORROW = "2026-03-03"


def promise(session: Session, wo_id: int) -> int:
    """A promise due in three days: a future as-of would break it before it is due."""
    found = promise_service.take_promise(
        session=session,
        work_order_id=wo_id,
        amount="500.00",
        due_on=date(2026, 3, 5),
        channel="call",
        actor="u:lee",
    )
    session.commit()
    return found.id


def untouched(session: Session, wo_id: int) -> None:
    session.expire_all()
    assert session.scalars(sa.select(Promise.status)).all() == ["pending"]
    wo = session.get(WorkOrder, wo_id)
    assert wo is not None
    assert (wo.status, wo.broken_promises) == ("open", 0)
    assert session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 0
    assert not session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "promise.reconcile")
    ).all()


def token(session: Session, role: str) -> dict[str, str]:
    user = User(
        username=role,
        display_name=role,
        password_hash="x",
        role=role,
        locale="en",
        active=True,
        created_at=MORNING,
        password_changed_at=MORNING,
    )
    session.add(user)
    session.flush()
    _, raw = issue_api_token(session=session, user_id=user.id, name="t", days=None, actor="test")
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_the_api_refuses_a_future_as_of_and_changes_nothing(
    api: tuple[TestClient, dict[str, str], int],  # noqa: F811
    session: Session,
) -> None:
    client, tokens, wo_id = api
    promise(session, wo_id)
    admin = token(session, "admin")
    for as_of in (TOMORROW, "2027-06-01", "2099-01-01"):
        r = client.post(
            f"/api/v1/cases/{wo_id}/reconcile",
            headers=_as(tokens, "collector"),
            json={"as_of": as_of},
        )
        assert r.status_code == 409, r.text
        assert f"{as_of} is after today (2026-03-02)" in r.text
        r = client.post("/api/v1/promises/reconcile", headers=admin, json={"as_of": as_of})
        assert r.status_code == 409, r.text
    untouched(session, wo_id)
    # Today and a past day stay allowed, for the roles allowed before.
    for as_of in ("2026-03-02", "2026-03-01"):
        r = client.post(
            f"/api/v1/cases/{wo_id}/reconcile",
            headers=_as(tokens, "collector"),
            json={"as_of": as_of},
        )
        assert r.status_code == 200, r.text
        assert r.json()["promises"][0]["status"] == "pending"
    r = client.post("/api/v1/promises/reconcile", headers=admin, json={"as_of": "2026-03-01"})
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/v1/promises/reconcile", headers=_as(tokens, "collector"), json={"as_of": "2026-03-01"}
    )
    assert r.status_code == 403


def test_the_cli_refuses_a_future_as_of_with_one_line(cli: Any, session: Session) -> None:
    with clock.frozen(MORNING):
        wo_id = seed(session)
        promise(session, wo_id)
        works_the_case(session, wo_id)
        for args in (
            ("cases", "reconcile", "--as-of", "2099-01-01"),
            ("cases", "reconcile", str(wo_id), "--as-of", TOMORROW, "--as", "lee"),
        ):
            res = cli(*args)
            assert res.exit_code == 1, res.stderr
            assert "is after today (2026-03-02)" in res.stderr
            assert len(res.stderr.strip().splitlines()) == 1
            assert "Traceback" not in res.stderr
        untouched(session, wo_id)
        res = cli(
            "cases", "reconcile", str(wo_id), "--as-of", "2026-03-01", "--json", "--as", "lee"
        )
        assert res.exit_code == 0, res.stderr


def test_the_center_s_today_not_the_utc_date_is_the_limit(session: Session) -> None:
    """At 20:00 UTC it is already tomorrow in Shanghai: that day may be reconciled, the next
    may not, and the default as-of is the center's day."""
    with clock.frozen(MORNING):
        wo_id = seed(session)
        promise(session, wo_id)
    evening = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 2026-03-03 04:00 in Shanghai
    with clock.frozen(evening):
        result = promise_nightly.reconcile_case(
            session=session, work_order_id=wo_id, actor="sys", as_of=date(2026, 3, 3)
        )
        assert result["as_of"] == date(2026, 3, 3)
        assert promise_nightly.reconcile_case(session=session, work_order_id=wo_id, actor="sys")[
            "as_of"
        ] == date(2026, 3, 3)
        with pytest.raises(RuleRefused, match="2026-03-04 is after today"):
            promise_nightly.reconcile_all(session=session, actor="sys", as_of=date(2026, 3, 4))
