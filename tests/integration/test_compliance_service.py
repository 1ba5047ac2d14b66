"""The compliance service on SQLite and PostgreSQL: record, override (audited), refuse, report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.compliance import service
from arrears.compliance.models import ComplianceCheck
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, Conflict, NotPermitted, RuleRefused
from tests.unit.compliance_helpers import US, call, ny, person, proposal
from tests.web_seed import stored_user

DAY1 = datetime(2026, 4, 7, 14, 0, tzinfo=UTC)
DAY2 = datetime(2026, 4, 8, 14, 0, tzinfo=UTC)


def _blocked(
    session: Session,
    *,
    collector: str = "bank",
    at: datetime = DAY1,
    contact: datetime | None = None,
    actor: str = "collector-7",
) -> ComplianceCheck:
    """A cease hold plus a late hour: blocked by two rules. ``at`` is when the check runs,
    ``contact`` when the contact is made (default 22:00 in New York on 7 April: 02:00 UTC on
    the 8th)."""
    with clock.frozen(at):
        decision, record = service.check(
            session=session,
            profile=US,
            person=person(flags=["cease"]),
            proposed=proposal(contact or ny(7, 22), collector=collector),
            actor=actor,
        )
    assert not decision.allowed
    return record


def test_check_records_every_decision(session: Session) -> None:
    with clock.frozen(DAY1):
        allowed, ok = service.check(
            session=session, profile=US, person=person(), proposed=proposal(ny(7, 10)), actor="c7"
        )
    blocked = _blocked(session)
    session.commit()
    assert allowed.allowed
    rows = session.scalars(sa.select(ComplianceCheck).order_by(ComplianceCheck.id)).all()
    assert [r.allowed for r in rows] == [True, False]
    assert rows[0].permitted
    assert not rows[1].permitted
    assert rows[1].rules == ["hold.cease", "time_window"]
    assert rows[1].person_ref == "P1"
    assert rows[1].proposed["channel"] == "call"
    assert rows[1].next_allowed_at == datetime(2026, 4, 8, 12, 0, tzinfo=UTC)
    assert rows[1].at == DAY1
    assert ok.id != blocked.id


def test_compliance_officer_overrides_with_a_reason_and_it_is_audited(session: Session) -> None:
    record = _blocked(session)
    with clock.frozen(DAY1):
        service.override(
            session=session,
            check_id=record.id,
            actor="officer-1",
            role="compliance_officer",
            reason="Consumer's written request to be called tonight",
        )
    session.commit()
    session.expire_all()
    saved = session.get(ComplianceCheck, record.id)
    assert saved is not None
    assert saved.permitted
    assert saved.overridden_by == "officer-1"
    assert saved.override_reason == "Consumer's written request to be called tonight"
    events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "compliance.override")
    ).all()
    assert len(events) == 1
    assert events[0].entity_id == str(record.id)
    assert events[0].actor == "officer-1"
    assert events[0].reason == saved.override_reason
    assert events[0].after is not None
    assert events[0].after["rules"] == ["hold.cease", "time_window"]
    with pytest.raises(Conflict):
        service.override(
            session=session, check_id=record.id, actor="o2", role="compliance_officer", reason="x"
        )


@pytest.mark.parametrize(
    ("role", "reason", "error"),
    [
        ("collector", "boss said so", NotPermitted),
        ("team_lead", "urgent", NotPermitted),
        (None, "urgent", NotPermitted),
        ("compliance_officer", "", BadInput),
        ("compliance_officer", "   ", BadInput),
    ],
)
def test_override_is_refused(session: Session, role: str | None, reason: str, error: type) -> None:
    record = _blocked(session)
    session.commit()
    with pytest.raises(error):
        service.override(session=session, check_id=record.id, actor="x", role=role, reason=reason)
    session.rollback()
    saved = session.get(ComplianceCheck, record.id)
    assert saved is not None
    assert saved.overridden_by is None
    count = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert count == 0


def test_an_allowed_decision_cannot_be_overridden(session: Session) -> None:
    with clock.frozen(DAY1):
        _, ok = service.check(
            session=session, profile=US, person=person(), proposed=proposal(ny(7, 10)), actor="c"
        )
    with pytest.raises(RuleRefused, match="nothing to override"):
        service.override(
            session=session, check_id=ok.id, actor="o", role="compliance_officer", reason="r"
        )


def test_check_with_override_in_one_step(session: Session) -> None:
    history = [call(ny(d, 10)) for d in range(1, 8)]
    with clock.frozen(DAY1):
        decision, record = service.check(
            session=session,
            profile=US,
            person=person(),
            proposed=proposal(ny(7, 15)),
            history=history,
            actor="officer-1",
            role="compliance_officer",
            override_reason="Returning the consumer's voicemail at their request",
        )
    session.commit()
    assert decision.rules == ["reg_f.call_cap"]
    assert record.permitted
    with pytest.raises(NotPermitted):
        service.check(
            session=session,
            profile=US,
            person=person(),
            proposed=proposal(ny(7, 15)),
            history=history,
            actor="c7",
            role="collector",
            override_reason="please",
        )


def test_report_counts_by_contact_day_actor_stage_and_rule(session: Session) -> None:
    first = _blocked(session, at=DAY1)
    _blocked(session, at=DAY1)
    _blocked(session, collector="agency-1", actor="agency:AG9", at=DAY1)
    # Checked on the 8th (14:00 UTC) for a contact made on the 8th in New York (02:00 UTC 9th).
    late = _blocked(session, at=DAY2, contact=ny(8, 22))
    with clock.frozen(DAY1):
        service.check(
            session=session, profile=US, person=person(), proposed=proposal(ny(7, 10)), actor="c"
        )
        service.override(
            session=session, check_id=first.id, actor="o", role="compliance_officer", reason="r"
        )
    session.commit()
    rows = {
        (r.day, r.actor, r.stage, r.rule): (r.blocked, r.overridden, len(r.checks))
        for r in service.report(session=session, time_zone="UTC")
    }
    assert rows == {
        ("2026-04-08", "collector-7", "engine", "hold.cease"): (2, 1, 2),
        ("2026-04-08", "collector-7", "engine", "time_window"): (2, 1, 2),
        ("2026-04-08", "agency:AG9", "engine", "hold.cease"): (1, 0, 1),
        ("2026-04-08", "agency:AG9", "engine", "time_window"): (1, 0, 1),
        ("2026-04-09", "collector-7", "engine", "hold.cease"): (1, 0, 1),
        ("2026-04-09", "collector-7", "engine", "time_window"): (1, 0, 1),
    }
    only_9th = service.report(
        session=session, start=date(2026, 4, 9), end=date(2026, 4, 9), time_zone="UTC"
    )
    assert {(r.day, r.rule, r.blocked, tuple(r.checks)) for r in only_9th} == {
        ("2026-04-09", "hold.cease", 1, (late.id,)),
        ("2026-04-09", "time_window", 1, (late.id,)),
    }
    assert service.report(session=session, end=date(2026, 4, 7), time_zone="UTC") == []
    # 17:00 UTC on 7 April (13:00 in New York: the cease hold alone) is already 01:00 on the
    # 8th in Beijing.
    _blocked(session, at=DAY2, contact=datetime(2026, 4, 7, 17, 0, tzinfo=UTC))
    session.commit()
    beijing = service.report(
        session=session, time_zone="Asia/Shanghai", start=date(2026, 4, 8), end=date(2026, 4, 8)
    )
    assert {(r.day, r.actor, r.rule, r.blocked) for r in beijing} == {
        ("2026-04-08", "collector-7", "hold.cease", 3),
        ("2026-04-08", "collector-7", "time_window", 2),
        ("2026-04-08", "agency:AG9", "hold.cease", 1),
        ("2026-04-08", "agency:AG9", "time_window", 1),
    }
    utc_days = {r.day for r in service.report(session=session, time_zone="UTC")}
    assert utc_days == {"2026-04-07", "2026-04-08", "2026-04-09"}


def test_report_and_override_through_the_cli(session: Session, cli: object) -> None:
    record = _blocked(session)
    stored_user(session, "c7", "collector")
    stored_user(session, "o1", "compliance_officer")  # the role comes from the store
    session.commit()
    refused = cli(  # type: ignore[operator]
        "compliance",
        "override",
        str(record.id),
        "--as",
        "c7",
        "--reason",
        "x",
    )
    assert refused.exit_code == 1
    assert "user 'c7' (collector) may not compliance.override" in refused.stderr
    done = cli(  # type: ignore[operator]
        "compliance",
        "override",
        str(record.id),
        "--as",
        "o1",
        "--reason",
        "documented consent",
        "--json",
    )
    assert done.exit_code == 0, done.stderr
    import json

    assert json.loads(done.stdout)["overridden_by"] == "user:o1"

    report = cli(  # type: ignore[operator]
        "compliance",
        "report",
        "--json",
        "--from",
        "2026-04-08",
        "--to",
        "2026-04-08",
        "--tz",
        "UTC",
    )
    assert report.exit_code == 0, report.stderr
    assert {(r["rule"], r["blocked"], r["overridden"]) for r in json.loads(report.stdout)} == {
        ("hold.cease", 1, 1),
        ("time_window", 1, 1),
    }
    bad = cli("compliance", "report", "--from", "07/04/2026")  # type: ignore[operator]
    assert bad.exit_code == 2
    assert "--from" in bad.stderr
