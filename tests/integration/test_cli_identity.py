"""The CLI acts as a stored user (``--as`` or ``ARREARS_USER``): role, agency and staff link come
from the store, never from what was typed. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.cli import identity
from arrears.engine.models import CycleRun
from arrears.kit.errors import BadInput, NotPermitted
from tests.web_seed import _password_hash

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
