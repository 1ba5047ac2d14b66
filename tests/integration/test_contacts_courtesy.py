"""Courtesy greetings (issue 20, item 4), on SQLite and PostgreSQL: a customer the batch cannot
greet is skipped with the reason and everyone else is greeted (one name with a digit used to
abort the whole batch, exit 2, nobody greeted); a day already past is refused, nothing written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.auth.service import issue_api_token
from arrears.channels.models import OutboxMessage
from arrears.cli import contacts as contacts_cli
from arrears.config import Settings
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.portfolio.models import Cardholder, Phone
from arrears.web.app import create_app
from tests.integration.test_cases_workflow import seed

SPRING_EVE = datetime(2026, 2, 16, 1, tzinfo=UTC)  # 09:00 in Shanghai, the send day


def customers(session: Session) -> None:
    for ref in ("C1", "C2", "C3", "C4"):
        seed(session, ref=ref)
    by_ref = {h.external_ref: h for h in session.scalars(sa.select(Cardholder))}
    by_ref["C2"].name = "UCI client 2078"  # the real data's names carry the client number
    session.execute(sa.delete(Phone).where(Phone.cardholder_id == by_ref["C3"].id))
    session.commit()


def test_a_customer_it_cannot_greet_is_skipped_and_the_rest_greeted(
    cli: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers(session)
    with clock.frozen(SPRING_EVE):
        result = cli("cases", "courtesy", "--on", "2026-02-16", "--json")
        assert result.exit_code == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["queued"] == 2
        skipped = {s["customer_ref"]: s["reason"] for s in out["skipped"]}
        assert set(skipped) == {"C2", "C3"}
        assert "'UCI client 2078'" in skipped["C2"]
        assert "a number" in skipped["C2"]
        assert "no mobile number" in skipped["C3"]
        queued = session.scalars(sa.select(OutboxMessage.body)).all()
        assert len(queued) == 2
        assert all("春节快乐" in body and "2078" not in body for body in queued)
        # The text shows each skipped customer on its own line under the count.
        again = cli("cases", "courtesy", "--on", "2026-02-16")
        assert again.exit_code == 0, again.stderr
        assert again.stdout.splitlines()[:2] == [
            "0 greetings queued for 2026-02-16; 2 customers skipped",
            "  by reason: name_not_greetable 1, no_mobile 1",
        ]
        flat = " ".join(again.stdout.split())  # Rich wraps long lines at the terminal width
        assert {s["code"] for s in out["skipped"]} == {"name_not_greetable", "no_mobile"}
        # A book of placeholder names is skipped whole: the text shows the first, JSON all.
        monkeypatch.setattr(contacts_cli, "SKIPPED_SHOWN", 1)
        short = cli("cases", "courtesy", "--on", "2026-02-16").stdout
        assert "  ... and 1 more (--json lists every one)" in short.splitlines()
        audit = session.scalars(
            sa.select(AuditEvent.after).where(AuditEvent.action == "outbox.courtesy")
        ).first()
        assert audit is not None
        assert audit["skipped"] == {"name_not_greetable": 1, "no_mobile": 1}
        assert (
            "C2: spring_festival: the name on file ('UCI client 2078') would put a number" in flat
        )
        assert "C3: no mobile number to text" in flat


def test_no_greeting_for_a_day_already_past(cli: Any, session: Session) -> None:
    customers(session)
    with clock.frozen(datetime(2026, 2, 17, 1, tzinfo=UTC)):  # the day after the eve
        result = cli("cases", "courtesy", "--on", "2026-02-16")
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            "error: --on: 2026-02-16 has passed (today is 2026-02-17); a greeting is for today "
            "or later"
        ]
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert not session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.action.in_(["outbox.courtesy"]))
    )


def test_the_api_reports_the_skipped_and_refuses_a_past_day_with_422(
    db_url: str, session: Session
) -> None:
    customers(session)
    admin = User(
        username="ops",
        display_name="ops",
        password_hash="x",
        role="admin",
        locale="en",
        active=True,
        created_at=SPRING_EVE,
        password_changed_at=SPRING_EVE,
    )
    session.add(admin)
    session.flush()
    _, token = issue_api_token(session=session, user_id=admin.id, name="t", days=None, actor="t")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(Settings(database_url=db_url, fee_schedule="cn-card"))
    try:
        with TestClient(app) as client:
            with clock.frozen(datetime(2026, 2, 17, 1, tzinfo=UTC)):
                late = client.post(
                    "/api/v1/outbox/courtesy", json={"on": "2026-02-16"}, headers=headers
                )
            assert late.status_code == 422, late.text
            assert "has passed" in late.text
            with clock.frozen(SPRING_EVE):
                done = client.post(
                    "/api/v1/outbox/courtesy", json={"on": "2026-02-16"}, headers=headers
                )
            assert done.status_code == 200, done.text
            body = done.json()
            assert body["queued"] == 2
            assert {s["customer_ref"] for s in body["skipped"]} == {"C2", "C3"}
    finally:
        app.state.engine.dispose()
