"""A cycle run killed mid-run (a real SIGKILL of ``arrears cycle run`` in a subprocess) blocks the
next run only until its heartbeat is stale; ``arrears cycle abandon`` clears it at once, for a
team lead or an admin only; a live run keeps its heartbeat fresh during a long stage, and a run
abandoned while it works stops and keeps the reason. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.cases.models import WorkOrder
from arrears.config import get_settings
from arrears.engine import repository, service
from arrears.engine.heartbeat import KILL_AT_STAGE_ENV, RunAbandoned
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.db import UnitOfWork
from tests.integration.test_cycle_sync import AS_OF, cycle_env  # noqa: F401
from tests.web_seed import _password_hash

Cli = Callable[..., Any]


def add_user(engine: Engine, username: str, role: str, *, active: bool = True) -> None:
    now = datetime.now(UTC)
    with Session(engine) as s:
        s.add(
            User(
                username=username,
                display_name=username,
                password_hash=_password_hash(),
                role=role,
                agency_id=None,
                locale="en",
                active=active,
                created_at=now,
                password_changed_at=now,
            )
        )
        s.commit()


@pytest.fixture
def users(cycle_env: Path, engine: Engine) -> None:  # noqa: F811
    add_user(engine, "lead", "team_lead")
    add_user(engine, "admin", "admin")
    add_user(engine, "officer", "collector")
    add_user(engine, "former", "team_lead", active=False)


def killed_run(stage: str) -> CycleRun:
    """Run ``arrears cycle run`` in its own process and SIGKILL it on entering ``stage`` (the
    test hook); return its run record as the kill left it."""
    settings = get_settings()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    child_env.update(
        ARREARS_DATABASE_URL=settings.database_url,
        ARREARS_WAREHOUSE=str(settings.warehouse),
        **{KILL_AT_STAGE_ENV: stage},
    )
    done = subprocess.run(
        [sys.executable, "-m", "arrears.cli.main", "cycle", "run", "--as-of", str(AS_OF)],
        env=child_env,
        cwd=settings.warehouse.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    with Session(make_store()) as s:
        run = s.scalars(sa.select(CycleRun).order_by(CycleRun.id.desc())).first()
        assert run is not None
        s.expunge(run)
    return run


def make_store() -> Engine:
    from arrears.kit.db import engine_for

    return engine_for(get_settings().database_url)


def runs(engine: Engine) -> list[CycleRun]:
    with Session(engine) as s:
        found = list(s.scalars(sa.select(CycleRun).order_by(CycleRun.id)))
        s.expunge_all()
    return found


def audit_of(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as s:
        found = list(
            s.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )
        s.expunge_all()
    return found


def one_line(text: str) -> bool:
    return text.strip() != "" and "\n" not in text.strip() and "Traceback" not in text


def test_a_killed_run_blocks_the_next_only_until_its_heartbeat_is_stale(
    users: None, engine: Engine, cli: Cli
) -> None:
    dead = killed_run("compute")
    assert (dead.status, dead.stage, dead.actor) == ("running", "compute", "system")
    assert dead.heartbeat_at is not None
    assert dead.heartbeat_at >= dead.started_at

    # Its heartbeat is fresh: it may still be alive, so the next start waits and says how to
    # clear it, and writes nothing.
    busy = cli("cycle", "run", "--as-of", str(AS_OF))
    assert busy.exit_code == 1
    assert one_line(busy.stderr)
    assert f"cycle run {dead.id} for {AS_OF} is still running (stage compute" in busy.stderr
    assert f"arrears cycle abandon {dead.id} --reason" in busy.stderr
    assert len(runs(engine)) == 1

    # Once no beat has come for the configured staleness, the next start goes at once.
    stale_after = timedelta(seconds=get_settings().cycle_stale_after_seconds)
    with clock.frozen(dead.heartbeat_at + stale_after + timedelta(seconds=1)):
        started = cli("cycle", "run", "--as-of", str(AS_OF))
    assert started.exit_code == 0, started.stderr
    first, second = runs(engine)
    assert first.id == dead.id
    assert first.status == "failed"
    assert first.error is not None
    assert first.error.startswith(
        f"abandoned: heartbeat stopped at {dead.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC (stage compute)"
    )
    assert second.status == "succeeded"
    [abandoned] = audit_of(engine, "cycle.abandon")
    assert (abandoned.actor, abandoned.entity_id) == ("system", str(dead.id))
    assert abandoned.before is not None
    assert abandoned.before["status"] == "running"
    assert abandoned.after == {"status": "failed", "error": first.error}
    assert {w.customer_ref for w in _cases(engine)} == {"C2", "C3", "C4", "C5"}


def test_cycle_abandon_clears_a_killed_run_at_once_for_a_lead_or_admin_only(
    users: None, engine: Engine, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = killed_run("sync")
    assert (dead.status, dead.stage) == ("running", "sync")
    assert _cases(engine) == []  # killed before the sync wrote anything
    run_id = str(dead.id)

    refused = {
        ("--as", "officer"): (1, "user 'officer' (collector) may not cycle.abandon"),
        ("--as", "ghost"): (2, "--as: no user 'ghost' in the store"),
        ("--as", "former"): (2, "--as: user 'former' is deactivated"),
        (): (2, "--as USERNAME (or ARREARS_USER) is required"),
    }
    for who, (code, message) in refused.items():
        res = cli("cycle", "abandon", run_id, "--reason", "box rebooted", *who)
        assert res.exit_code == code, (who, res.stderr)
        assert one_line(res.stderr), res.stderr
        assert message in res.stderr
    blank = cli("cycle", "abandon", run_id, "--reason", "  ", "--as", "lead")
    assert blank.exit_code == 2
    assert "--reason" in blank.stderr
    assert runs(engine)[0].status == "running"  # none of those changed anything
    assert audit_of(engine, "cycle.abandon") == []

    # A team lead, named by the environment as a scheduler's wrapper would.
    monkeypatch.setenv("ARREARS_USER", "lead")
    done = cli("cycle", "abandon", run_id, "--reason", "box rebooted")
    assert done.exit_code == 0, done.stderr
    [record] = runs(engine)
    assert record.status == "failed"
    assert record.finished_at is not None
    assert record.error is not None
    assert record.error.startswith("abandoned by user:lead at ")
    assert record.error.endswith(": box rebooted")
    [event] = audit_of(engine, "cycle.abandon")
    assert (event.actor, event.entity_id, event.reason) == ("user:lead", run_id, "box rebooted")
    assert event.before is not None
    assert (event.before["status"], event.before["stage"]) == ("running", "sync")
    again = cli("cycle", "abandon", run_id, "--reason", "twice")
    assert again.exit_code == 1
    assert f"cycle run {run_id} is not running: it failed" in again.stderr
    monkeypatch.delenv("ARREARS_USER")

    # Cleared at once: the next run starts now, without any wait, as the admin who starts it.
    started = cli("cycle", "run", "--as-of", str(AS_OF), "--as", "admin")
    assert started.exit_code == 0, started.stderr
    latest = runs(engine)[-1]
    assert (latest.status, latest.actor) == ("succeeded", "user:admin")
    [start] = [e for e in audit_of(engine, "cycle.run") if e.entity_id == str(latest.id)]
    assert start.actor == "user:admin"
    assert len(_cases(engine)) == 4


def test_an_admin_may_abandon_and_a_run_as_someone_without_cycle_run_writes_nothing(
    users: None, engine: Engine, cli: Cli
) -> None:
    with Session(engine) as s:
        s.add(_running_row())
        s.commit()
    assert cli("cycle", "abandon", "1", "--reason", "hung", "--as", "admin").exit_code == 0
    assert runs(engine)[0].status == "failed"
    lead_run = cli("cycle", "run", "--as-of", str(AS_OF), "--as", "lead")
    assert lead_run.exit_code == 1
    assert "user 'lead' (team_lead) may not cycle.run" in lead_run.stderr
    assert len(runs(engine)) == 1
    missing = cli("cycle", "abandon", "99", "--reason", "x", "--as", "admin")
    assert missing.exit_code == 1
    assert "no cycle run 99" in missing.stderr


def test_the_heartbeat_advances_while_a_long_stage_works(
    cycle_env: Path,  # noqa: F811
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ARREARS_CYCLE_HEARTBEAT_SECONDS", "0.05")
    get_settings.cache_clear()
    real = repository.live_cases
    seen: dict[str, Any] = {}

    def long_snapshot(session: Session) -> Any:
        # The stage does not return until the daemon thread has beaten at least twice after
        # the stage's own beat: no beat, and this fails at the deadline.
        beats = [_heartbeat(engine)]
        deadline = time.monotonic() + 60
        while len(set(beats)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
            beats.append(_heartbeat(engine))
        seen["beats"] = sorted(set(beats))
        return real(session)

    monkeypatch.setattr(repository, "live_cases", long_snapshot)
    result = service.run_cycle(as_of=AS_OF, settings=get_settings(), store=engine)
    assert result.cases["opened"] == 4
    assert len(seen["beats"]) >= 3, seen
    [record] = runs(engine)
    assert record.status == "succeeded"
    assert record.heartbeat_at is not None
    assert record.heartbeat_at >= seen["beats"][-1]


@pytest.mark.parametrize("during", ["snapshot", "sync"])
def test_a_run_abandoned_while_it_works_stops_and_keeps_the_reason(
    cycle_env: Path,  # noqa: F811
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    during: str,
) -> None:
    def abandon() -> None:
        with UnitOfWork(engine) as uow:
            [run] = repository.running_runs(uow.session)
            service.abandon_run(
                session=uow.session, run_id=run.id, actor="user:lead", reason="wrong day"
            )
            uow.commit()

    if during == "snapshot":
        real_live = repository.live_cases

        def live_then_abandoned(session: Session) -> Any:
            abandon()
            return real_live(session)

        monkeypatch.setattr(repository, "live_cases", live_then_abandoned)
    else:
        real_sync = service.sync_cases

        def sync_then_abandoned(*args: Any, **kwargs: Any) -> Any:
            abandon()
            return real_sync(*args, **kwargs)

        monkeypatch.setattr(service, "sync_cases", sync_then_abandoned)

    with pytest.raises(RunAbandoned, match="was abandoned while it ran"):
        service.run_cycle(as_of=AS_OF, settings=get_settings(), store=engine)
    [record] = runs(engine)
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.endswith(": wrong day")  # not overwritten by the run's own failure
    assert _cases(engine) == []  # nothing synced: the sync rolled back, or never began


def _running_row() -> CycleRun:
    now = clock.now()
    return CycleRun(
        as_of=AS_OF,
        engine="duckdb",
        strategy_name="default",
        strategy_hash="x" * 64,
        status="running",
        started_at=now,
        heartbeat_at=now,
        counts={},
        durations={},
    )


def _heartbeat(engine: Engine) -> datetime:
    with Session(engine) as s:
        beat = s.scalar(sa.select(CycleRun.heartbeat_at).order_by(CycleRun.id.desc()).limit(1))
    assert beat is not None
    return beat


def _cases(engine: Engine) -> list[WorkOrder]:
    with Session(engine) as s:
        return list(s.scalars(sa.select(WorkOrder)))
