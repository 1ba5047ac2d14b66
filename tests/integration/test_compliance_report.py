"""The compliance report on SQLite and PostgreSQL: by the real actor (staff code, agency), by the
contact's day in the center's zone, every refused action whatever stage refused it (the engine,
a workflow gate, the outbox relay), with the drill-down to the checks and next-allowed times in
the debtor's and the center's zones.

Before: every block under ``bank``, days by the check's time, the step-by-step refusal missing
(5 of the 6 refused actions below would have been shown), next-allowed times in UTC only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.compliance import service as compliance_service
from arrears.compliance.models import ComplianceCheck
from arrears.compliance.reasons import message_in
from arrears.contacts import outbox_service
from arrears.contacts.models import ContactAttempt
from arrears.contacts.schemas import ContactIn
from arrears.kit.clock import clock
from arrears.kit.errors import RuleRefused
from arrears.portfolio.models import Cardholder, ContactPerson
from arrears.workbench import contact
from arrears.workforce.models import Agency
from tests.integration.test_cases_workflow import SPRING_EVE, FlakyGateway, _relay
from tests.web_seed import seed

NIGHT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai: quiet hours
MORNING = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
LATE_MADE = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai on the 20th
LATE_ENTERED = datetime(2026, 11, 21, 1, 30, tzinfo=UTC)  # 09:30 on the 21st: the check's day
RELAY_NIGHT = datetime(2026, 2, 16, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


def _contact(
    engine: Engine, at: datetime, *, user: str, case: int, collector: str = "bank", **body: Any
) -> ContactAttempt:
    with clock.frozen(at), Session(engine, expire_on_commit=False) as s:
        attempt = contact.log_attempt(
            session=s,
            work_order_id=case,
            body=ContactIn(channel="call", outcome="no_answer", **body),
            actor=f"user:{user}",
            role=user,
            collector=collector,
        )
        s.commit()
        return attempt


@pytest.fixture
def refused(engine: Engine) -> dict[str, int]:
    """Six refused actions: two by the engine at night (the collector's, the agency's), a late
    entry made at 23:30 and entered the next morning, a contact person called before step by
    step unlocks, and two greetings the relay holds at night."""
    with Session(engine) as s:
        seed(s)  # case 1 the collector's, case 2 placed with agency AG1
        for holder, name in zip(s.scalars(sa.select(Cardholder)), ("张三", "李四"), strict=True):
            holder.name = name  # the seed's 张1 carries a digit, which a greeting refuses
        s.commit()
    with clock.frozen(SPRING_EVE), Session(engine) as s:
        queued = outbox_service.queue_courtesy_greetings(
            session=s, on=date(2026, 2, 16), actor="system"
        )
        s.commit()
    with Session(engine) as s:
        first, second = s.scalars(sa.select(WorkOrder.id).order_by(WorkOrder.id)).all()[:2]
        agency = s.scalars(sa.select(Agency.id)).one()
        holder = s.get(Cardholder, s.get(WorkOrder, second).cardholder_id)  # type: ignore[union-attr]
        assert holder is not None
        holder.time_zones = ["Asia/Taipei"]  # the agency's debtor lives in Taipei
        spouse = s.scalars(
            sa.select(ContactPerson.id).where(
                ContactPerson.cardholder_id == s.get(WorkOrder, first).cardholder_id  # type: ignore[union-attr]
            )
        ).one()
        s.commit()
    ids = {
        "night": _contact(engine, NIGHT, user="collector", case=first).id,
        "agency": _contact(
            engine, NIGHT, user="agency_user", case=second, collector=f"agency:{agency}"
        ).id,
        "late": _contact(engine, LATE_ENTERED, user="collector", case=first, made_at=LATE_MADE).id,
        "step": _contact(
            engine,
            MORNING,
            user="collector",
            case=first,
            party="contact_person",
            contact_person_id=spouse,
            purpose="callback_request",
        ).id,
    }
    with Session(engine) as s:
        statuses = s.scalars(
            sa.select(ContactAttempt.status).where(ContactAttempt.id.in_(ids.values()))
        ).all()
        assert statuses == ["blocked"] * 4
    assert _relay(engine, RELAY_NIGHT, FlakyGateway()).held == len(queued.queued) == 2
    return ids


def test_the_report_names_the_actor_counts_contact_days_and_every_stage(
    engine: Engine, refused: dict[str, int]
) -> None:
    with Session(engine) as s:
        rows = compliance_service.report(session=s)
        assert s.scalar(sa.select(sa.func.count()).select_from(ComplianceCheck).where(
            ComplianceCheck.allowed.is_(False))) == 6  # fmt: skip
    got = {(r.day, r.actor, r.stage, r.rule): r.blocked for r in rows}
    assert got == {
        ("2026-02-16", "system:relay", "relay", "time_window"): 2,
        # the night call and the late entry made at 23:30: both on the 20th, the contact's day
        ("2026-11-20", "S-collector", "engine", "time_window"): 2,
        ("2026-11-20", "agency:AG1", "engine", "time_window"): 1,
        ("2026-11-21", "S-collector", "workflow", "workflow.step_by_step"): 1,
    }
    assert all(r.actor != "bank" for r in rows)
    # The drill-down: the checks a row counts, each the refused action it stands for.
    step = next(r for r in rows if r.stage == "workflow")
    with Session(engine) as s:
        (check,) = compliance_service.blocked(session=s, ids=step.checks)
        attempt = s.get(ContactAttempt, refused["step"])
        assert attempt is not None
        assert attempt.compliance_detail["workflow_check_id"] == check.id
    assert check.rules == ["workflow.step_by_step"]
    assert check.collector == "bank"  # whom the rules count against stays recorded
    assert check.contact_at_center.at == "2026-11-21T10:00:00+08:00"


def test_next_allowed_times_are_shown_in_the_debtors_and_the_centers_zones(
    engine: Engine, refused: dict[str, int]
) -> None:
    with Session(engine) as s:
        (agency,) = compliance_service.blocked(session=s, actor="agency:AG1")
        (night, late) = sorted(
            compliance_service.blocked(session=s, actor="S-collector", stage="engine"),
            key=lambda c: c.contact_at,
        )
    # 08:00 the next morning in Taipei is 00:00 UTC: never shown as UTC alone.
    assert agency.next_allowed_at == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    assert agency.next_allowed_center is not None
    assert (agency.next_allowed_center.zone, agency.next_allowed_center.at) == (
        "Asia/Shanghai",
        "2026-11-21T08:00:00+08:00",
    )
    assert [(t.zone, t.at) for t in agency.next_allowed_debtor] == [
        ("Asia/Taipei", "2026-11-21T08:00:00+08:00")
    ]
    assert night.day == late.day == "2026-11-20"
    assert late.contact_at == LATE_MADE


def test_the_cli_report_and_its_drill_down(cli: Any, refused: dict[str, int]) -> None:
    report = cli("compliance", "report", "--json", "--from", "2026-11-20", "--to", "2026-11-21")
    assert report.exit_code == 0, report.stderr
    rows = json.loads(report.stdout)
    assert {(r["day"], r["actor"], r["stage"], r["blocked"]) for r in rows} == {
        ("2026-11-20", "S-collector", "engine", 2),
        ("2026-11-20", "agency:AG1", "engine", 1),
        ("2026-11-21", "S-collector", "workflow", 1),
    }
    listed = cli("compliance", "report", "--checks", "--actor", "agency:AG1", "--json")
    assert listed.exit_code == 0, listed.stderr
    (check,) = json.loads(listed.stdout)
    assert check["next_allowed_debtor"] == [
        {"zone": "Asia/Taipei", "at": "2026-11-21T08:00:00+08:00"}
    ]
    table = cli("compliance", "report", "--checks", "--stage", "workflow")
    assert table.exit_code == 0, table.stderr
    assert "rules: workflow.step_by_step" in table.stdout
    night = cli("compliance", "report", "--checks", "--actor", "agency:AG1")
    assert "allowed again: 2026-11-21 08:00 Asia/Shanghai (center)\n" in night.stdout
    assert "               2026-11-21 08:00 Asia/Taipei (debtor)\n" in night.stdout
    bad = cli("compliance", "report", "--stage", "gate", "--checks")
    assert bad.exit_code == 2
    assert "--stage must be one of" in bad.stderr
    no_checks = cli("compliance", "report", "--actor", "S-collector")
    assert no_checks.exit_code == 2
    assert "add --checks" in no_checks.stderr


def test_a_workflow_refusal_cannot_be_overridden(engine: Engine, refused: dict[str, int]) -> None:
    with Session(engine) as s:
        (check,) = compliance_service.blocked(session=s, stage="workflow")
        with pytest.raises(RuleRefused, match="workflow refusal"):
            compliance_service.override(
                session=s, check_id=check.id, actor="o", role="compliance_officer", reason="r"
            )


def test_the_drill_down_reads_every_stage_in_the_readers_language(
    cli: Any, engine: Engine, refused: dict[str, int]
) -> None:
    """The workflow gate's refusal keeps its rule id and parameters (not only English text), so
    the drill-down, the CLI's --locale and the override refusal read in Chinese too."""
    with Session(engine) as s:
        (en,) = compliance_service.blocked(session=s, stage="workflow")
        (zh,) = compliance_service.blocked(session=s, stage="workflow", locale="zh-CN")
        stored = s.get(ComplianceCheck, zh.id)
        assert stored is not None
        assert stored.reasons is not None
        assert [r["rule"] for r in stored.reasons] == ["workflow.step_by_step"]
        relayed = compliance_service.blocked(session=s, stage="relay", locale="zh-CN")
        with pytest.raises(RuleRefused) as refusal:
            compliance_service.override(
                session=s, check_id=zh.id, actor="o", role="compliance_officer", reason="r"
            )
    assert en.reason.startswith("the debtor has had 0 of the 3 attempts")
    assert zh.reason.startswith("自2026-09-26起已对本人联系0次")
    assert len(relayed) == 2
    assert all("time_window" in c.rules for c in relayed)
    assert all(not c.reason.isascii() for c in relayed)
    assert "流程拦截" in message_in(refusal.value, "zh-CN")
    listed = cli("compliance", "report", "--checks", "--stage", "workflow", "--locale", "zh-CN",
                 "--json")  # fmt: skip
    assert listed.exit_code == 0, listed.stderr
    assert [c["reason"] for c in json.loads(listed.stdout)] == [zh.reason]
    bad = cli("compliance", "report", "--checks", "--locale", "klingon")
    assert bad.exit_code == 2
    assert "--locale must be one of" in bad.stderr


def test_days_are_the_centers_even_for_a_contact_before_dawn_in_utc(
    engine: Engine, refused: dict[str, int]
) -> None:
    """The late entry made at 15:30 UTC on the 20th, checked at 01:30 UTC on the 21st: by the
    check's time in the center's zone it was the 21st; it is counted on the 20th."""
    with Session(engine) as s:
        on_21st = compliance_service.report(
            session=s, start=date(2026, 11, 21), end=date(2026, 11, 21)
        )
    assert {(r.actor, r.stage) for r in on_21st} == {("S-collector", "workflow")}
