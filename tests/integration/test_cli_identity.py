"""The CLI acts as a stored user (``--as`` or ``ARREARS_USER``): role, agency and staff link come
from the store, never from what was typed. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.cases.models import FollowUp
from arrears.cli import identity
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotPermitted
from arrears.portfolio.models import ImportBatch
from arrears.promises.models import RepaymentPlan
from tests.unit.test_import_extract import minimal, write_extract
from tests.web_seed import NOW, _password_hash, seed, stored_user

Cli = Callable[..., Any]


@pytest.fixture
def people(session: Session) -> Session:
    now = datetime.now(UTC)
    for username, role, agency_id, staff_id, active in (
        ("wang", "collector", None, 17, True),
        ("partner", "agency_user", 3, None, True),
        ("lead", "team_lead", None, 5, True),
        ("left", "team_lead", None, 6, False),
    ):
        session.add(
            User(
                username=username,
                display_name=username.title(),
                password_hash=_password_hash(),
                role=role,
                agency_id=agency_id,
                staff_id=staff_id,
                locale="en",
                active=active,
                created_at=now,
                password_changed_at=now,
            )
        )
    session.commit()
    return session


def test_resolve_takes_role_agency_and_staff_from_the_store(people: Session) -> None:
    wang = identity.resolve(people, "wang")
    assert (wang.username, wang.role, wang.staff_id, wang.agency_id) == (
        "wang",
        "collector",
        17,
        None,
    )
    assert (wang.via, wang.actor) == ("cli", "user:wang")
    partner = identity.resolve(people, " partner ")
    assert (partner.role, partner.agency_id, partner.case_scope) == ("agency_user", 3, "agency")
    with pytest.raises(BadInput, match="no user 'nobody' in the store"):
        identity.resolve(people, "nobody")
    with pytest.raises(BadInput, match="user 'left' is deactivated"):
        identity.resolve(people, "left")


def test_require_and_optional_check_the_stored_role(people: Session) -> None:
    assert identity.require(people, "lead", "cycle.abandon").role == "team_lead"
    with pytest.raises(NotPermitted, match=r"user 'wang' \(collector\) may not cycle.abandon"):
        identity.require(people, "wang", "cycle.abandon")
    for nobody in (None, "", "   "):
        with pytest.raises(BadInput, match="--as USERNAME"):
            identity.require(people, nobody, "cycle.abandon")
        assert identity.optional(people, nobody, "cycle.run") is None
    assert identity.actor(None) == "system"
    with pytest.raises(NotPermitted):
        identity.optional(people, "lead", "cycle.run")  # leads do not start runs


def test_as_wins_over_the_environment(
    env: Path, engine: Engine, people: Session, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    with Session(engine) as s:
        s.add(
            CycleRun(
                as_of=now.date(),
                engine="duckdb",
                strategy_name="default",
                strategy_hash="x" * 64,
                status="running",
                started_at=now,
                heartbeat_at=now,
                counts={},
                durations={},
            )
        )
        s.commit()
    monkeypatch.setenv("ARREARS_USER", "wang")  # a collector: may not abandon
    assert cli("cycle", "abandon", "1", "--reason", "x").exit_code == 1
    res = cli("cycle", "abandon", "1", "--reason", "hung since 02:00", "--as", "lead")
    assert res.exit_code == 0, res.stderr
    with Session(engine) as s:
        run = s.scalars(sa.select(CycleRun)).one()
        assert run.status == "failed"
        assert run.error is not None
        assert "abandoned by user:lead" in run.error


def _proposed_plan(session: Session, work_order_id: int, total: str) -> int:
    """A plan above the auto-approval limit, waiting for a checker (as the issue found it)."""
    plan = RepaymentPlan(
        work_order_id=work_order_id,
        kind="plan",
        balance=Decimal("80000.00"),
        discount=Decimal(0),
        total=Decimal(total),
        currency="CNY",
        frequency="monthly",
        instalment_count=12,
        first_due_on=date(2026, 12, 20),
        status="proposed",
        needs_checker=True,
        maker="user:senior_specialist",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(plan)
    session.commit()
    return plan.id


def _plan(engine: Engine, plan_id: int) -> RepaymentPlan:
    with Session(engine) as s:
        found = s.get(RepaymentPlan, plan_id)
        assert found is not None
        s.expunge(found)
        return found


def test_an_officer_cannot_approve_a_plan_by_typing_a_role(
    session: Session, engine: Engine, cli: Cli
) -> None:
    """Issue 14: a collection officer approved a 72,716 plan by typing ``--role team_lead``."""
    seeded = seed(session)
    session.commit()
    plan_id = _proposed_plan(session, seeded.work_orders[0], "72716.00")

    typed = cli("cases", "approve", str(plan_id), "--role", "team_lead", "--actor", "officer")
    assert typed.exit_code == 2  # neither option exists any more
    officer = cli("cases", "approve", str(plan_id), "--as", "collector")
    assert officer.exit_code == 1
    assert "user 'collector' (collector) may not plan.approve" in officer.stderr
    assert "\n" not in officer.stderr.strip()
    nobody = cli("cases", "approve", str(plan_id))
    assert nobody.exit_code == 2
    assert "--as USERNAME (or ARREARS_USER) is required" in nobody.stderr
    assert "\n" not in nobody.stderr.strip()
    assert _plan(engine, plan_id).status == "proposed"  # none of those changed anything
    with Session(engine) as s:
        assert not s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan.approve")).all()

    lead = cli("cases", "approve", str(plan_id), "--as", "team_lead", "--json")
    assert lead.exit_code == 0, lead.stderr
    approved = _plan(engine, plan_id)
    assert (approved.status, approved.checker, approved.checker_role) == (
        "active",
        "user:team_lead",
        "team_lead",
    )


def test_case_commands_act_within_the_stored_users_case_scope(
    session: Session, engine: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed(session)
    stored_user(session, "other", "collector")  # no staff link: sees no case
    session.commit()
    mine, placed = seeded.work_orders  # the collector's case; the agency's case
    follow = ("--due", "2026-11-25", "--kind", "call_back")
    monkeypatch.setenv("ARREARS_USER", "collector")
    assert cli("cases", "follow-up", str(placed), *follow).exit_code == 1  # not theirs
    outside = cli("cases", "follow-up", str(mine), *follow, "--as", "other")
    assert outside.exit_code == 1
    assert f"no case {mine}" in outside.stderr
    analyst = cli("cases", "follow-up", str(mine), *follow, "--as", "analyst")
    assert analyst.exit_code == 1
    assert "may not case.work" in analyst.stderr
    with Session(engine) as s:
        assert not s.scalars(sa.select(FollowUp)).all()
    with clock.frozen(NOW):  # the seed's today
        done = cli("cases", "follow-up", str(mine), *follow, "--json")
    assert done.exit_code == 0, done.stderr
    with Session(engine) as s:
        [event] = s.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "follow_up")).all()
        assert event.actor == "user:collector"


def test_users_first_admin_then_only_an_admin_adds_and_disables(
    env: Path, engine: Engine, cli: Cli
) -> None:
    assert cli("users", "add", "lee", "collector").exit_code == 2  # no first admin yet
    first = cli("users", "add", "ops", "admin", "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["password"]
    again = cli("users", "add", "ops2", "admin")
    assert again.exit_code == 2  # the bootstrap is for the first admin only
    assert "--as USERNAME (or ARREARS_USER) is required" in again.stderr
    assert cli("users", "add", "lee", "collector", "--as", "ops").exit_code == 0
    refused = cli("users", "add", "kim", "team_lead", "--as", "lee")
    assert refused.exit_code == 1
    assert "user 'lee' (collector) may not users.manage" in refused.stderr
    bad = cli("users", "add", "kim", "boss", "--as", "ops")
    assert bad.exit_code == 2
    assert "role" in bad.stderr
    assert cli("users", "disable", "ops", "--as", "ops").exit_code == 1  # not oneself
    assert cli("users", "disable", "lee", "--as", "ops").exit_code == 0
    listed = {u["username"]: u for u in json.loads(cli("users", "list", "--json").stdout)}
    assert set(listed) == {"ops", "lee"}
    assert (listed["lee"]["role"], listed["lee"]["active"]) == ("collector", False)
    gone = cli("cases", "next", "--as", "lee")
    assert gone.exit_code == 2
    assert "user 'lee' is deactivated" in gone.stderr
    with Session(engine) as s:
        actors = s.execute(
            sa.select(AuditEvent.action, AuditEvent.actor)
            .where(AuditEvent.entity == "user")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(a) for a in actors] == [
        ("user.create", "system"),
        ("user.create", "user:ops"),
        ("user.update", "user:ops"),
    ]


def test_an_import_names_its_stored_user_or_runs_as_the_import_job(
    env: Path, engine: Engine, session: Session, cli: Cli
) -> None:
    stored_user(session, "ops", "admin")
    stored_user(session, "lee", "collector")
    session.commit()
    folder = write_extract(env / "extract", minimal())
    ghost = cli("import", "portfolio", str(folder), "--as", "ghost")
    assert ghost.exit_code == 2
    assert "--as: no user 'ghost' in the store" in ghost.stderr
    collector = cli("import", "portfolio", str(folder), "--as", "lee")
    assert collector.exit_code == 1
    assert "user 'lee' (collector) may not imports.manage" in collector.stderr
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0
    done = cli("import", "portfolio", str(folder), "--as", "ops")
    assert done.exit_code == 0, done.stderr
    next_day = minimal()
    next_day["payments"] = next_day["payments"][:1]  # another file
    other = write_extract(env / "other", next_day)
    assert cli("import", "portfolio", str(other)).exit_code == 0  # a scheduler: no user
    with Session(engine) as s:
        actors = s.execute(
            sa.select(AuditEvent.action, AuditEvent.actor)
            .where(AuditEvent.entity == "import_batch")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(a) for a in actors] == [
        ("portfolio.import", "user:ops"),
        ("portfolio.import.complete", "user:ops"),
        ("portfolio.import", "import"),
        ("portfolio.import.complete", "import"),
    ]
