"""`arrears cases ...` against a real store: JSON output, exit codes, one-line errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from arrears.kit.clock import clock
from arrears.workforce.models import Assignment, Staff
from tests.integration.test_cases_workflow import MORNING, seed
from tests.web_seed import stored_user


def works_the_case(session: Session, work_order_id: int, username: str = "lee") -> None:
    """A stored collector (user and staff row) to whom the case is assigned."""
    now = clock.now()
    staff = Staff(
        code=f"S-{username}",
        name=username,
        employment_type="establishment",
        grade="collection_officer",
        levels=["junior"],
        languages=["zh-CN"],
        regions=[],
        capacity=100,
        hire_date=date(2024, 1, 1),
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(staff)
    session.flush()
    session.add(
        Assignment(
            work_order_id=work_order_id,
            staff_id=staff.id,
            level="junior",
            reason="test",
            as_of=now.date(),
            assigned_at=now,
        )
    )
    stored_user(session, username, "collector", staff_id=staff.id)
    session.commit()


def test_a_collector_day_from_the_command_line(
    cli: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock.frozen(MORNING):
        wo_id = seed(session)
        works_the_case(session, wo_id)
        monkeypatch.setenv("ARREARS_USER", "lee")
        listed = cli("cases", "list", "--json")
        assert listed.exit_code == 0, listed.stderr
        assert [c["id"] for c in json.loads(listed.stdout)] == [wo_id]

        taken = cli("cases", "next", "--json")
        assert json.loads(taken.stdout)["status"] == "in_progress"

        with clock.frozen(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)):  # 23:00 in Shanghai
            blocked = cli("cases", "contact", str(wo_id), "--outcome", "no_answer", "--json")
        assert blocked.exit_code == 1
        assert json.loads(blocked.stdout)["compliance"]["rules"] == ["time_window"]

        made = cli("cases", "contact", str(wo_id), "--outcome", "promise_to_pay")
        assert made.exit_code == 0, made.stderr
        assert "made" in made.stdout

        bad = cli("cases", "promise", str(wo_id), "--amount", "-1", "--due", "2026-03-05")
        assert bad.exit_code == 2
        assert "must be positive" in bad.stderr
        assert "Traceback" not in bad.stderr

        ok = cli(
            "cases", "promise", str(wo_id), "--amount", "500.00", "--due", "2026-03-05", "--json"
        )
        assert ok.exit_code == 0, ok.stderr
        assert json.loads(ok.stdout)["amount"] == "500.00"

        illegal = cli("cases", "transition", str(wo_id), "open")
        assert illegal.exit_code == 1
        assert "cannot move from promised to open" in illegal.stderr

        out_of_order = cli("cases", "stop", str(wo_id), "3")
        assert out_of_order.exit_code == 1  # a rule refuses it; malformed input would be 2
        assert "before stop 1, 2" in out_of_order.stderr

        shown = cli("cases", "show", str(wo_id), "--json")
        detail = json.loads(shown.stdout)
        assert detail["work_order"]["status"] == "promised"
        assert len(detail["contacts"]) == 2

        script = cli("cases", "script", str(wo_id), "--locale", "en")
        assert "Total due" in script.stdout

        unknown = cli("cases", "show", "999")
        assert unknown.exit_code == 1
        assert "no case 999" in unknown.stderr


def test_courtesy_greetings_queued_then_relayed_to_the_spool(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    seed(session)
    with clock.frozen(datetime(2026, 2, 16, 1, tzinfo=UTC)):
        queued = cli("cases", "courtesy", "--on", "2026-02-16", "--json")
        assert json.loads(queued.stdout)["queued"] == 1, queued.stderr
    with clock.frozen(datetime(2026, 2, 16, 2, tzinfo=UTC)):
        sent = cli("cases", "send-outbox", "--spool", str(tmp_path), "--json")
        assert sent.exit_code == 0, sent.stderr
        assert json.loads(sent.stdout)["sent"] == 1
        again = cli("cases", "send-outbox", "--spool", str(tmp_path))
        assert "sent 0" in again.stdout
    assert len((tmp_path / "sms-20260216.jsonl").read_text("utf-8").splitlines()) == 1
    # An unwritable spool: the gateway "refuses", the message stays queued for the next pass.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the spool folder should be")
    with clock.frozen(datetime(2026, 2, 16, 2, tzinfo=UTC)):
        seed(session, ref="C2")
        cli("cases", "courtesy", "--on", "2026-02-16")
        refused = cli("cases", "send-outbox", "--spool", str(blocked), "--json")
        assert refused.exit_code == 0, refused.stderr
        assert json.loads(refused.stdout)["retrying"] == 1
