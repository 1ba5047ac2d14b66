"""Starting a cycle run from the admin runs page: the same functions the CLI calls, on a small
warehouse (SQLite and PostgreSQL), in the background; a bad or future date changes nothing; one
run at a time; only admins may start."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.auth.models import User
from arrears.cases.models import WorkOrder
from arrears.config import get_settings
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.web.app import create_app
from tests.integration.test_cycle_sync import AS_OF, NOW, cycle_env  # noqa: F401
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import PASSWORD, _password_hash


@pytest.fixture
def admin_client(cycle_env: Path, engine: Engine) -> Iterator[TestClient]:  # noqa: F811
    with Session(engine) as s:
        for role in ("admin", "analyst"):
            s.add(
                User(
                    username=role,
                    display_name=role,
                    password_hash=_password_hash(),
                    role=role,
                    locale="en",
                    active=True,
                    created_at=NOW,
                    password_changed_at=NOW,
                )
            )
        s.commit()
    clock.freeze(NOW)
    app = create_app(get_settings())
    try:
        with TestClient(app) as client:
            yield client
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def _ended(engine: Engine, timeout: float = 120.0) -> CycleRun:
    """The latest run once it has ended (the admin page starts it in a background thread)."""
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as s:
            run = s.scalars(sa.select(CycleRun).order_by(CycleRun.id.desc())).first()
            assert run is not None
            if run.status != "running":
                return run
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.2)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_admin_starts_a_run_and_sees_it_in_the_history(
    admin_client: TestClient, engine: Engine
) -> None:
    client = sign_in(admin_client, "admin")
    page = client.get("/admin/runs")
    assert 'id="run-form"' in page.text
    bad = client.post("/admin/runs", data={"as_of": "2026-02-30", "csrf_token": csrf(client)})
    assert bad.status_code == 200
    assert 'id="run-error"' in bad.text
    assert "not a date" in bad.text
    assert _count(engine, CycleRun) == 0
    assert _count(engine, WorkOrder) == 0
    no_token = client.post("/admin/runs", data={"as_of": AS_OF.isoformat()})
    assert no_token.status_code == 403
    assert _count(engine, CycleRun) == 0

    started = client.post(
        "/admin/runs", data={"as_of": AS_OF.isoformat(), "csrf_token": csrf(client)}
    )
    assert started.status_code == 200
    assert 'id="run-done"' in started.text
    assert "started" in started.text
    assert _ended(engine).status == "succeeded"
    done = client.get("/admin/runs")
    assert 'id="runs-refresh"' not in done.text  # nothing running: no more refreshing
    with Session(engine) as s:
        run = s.scalars(sa.select(CycleRun)).one()
        assert run.status == "succeeded"
        assert run.engine == "duckdb"
        assert run.as_of == AS_OF
        # Same outcome as the CLI path on this portfolio: C2, C3, C4, C5 are delinquent.
        refs = set(s.scalars(sa.select(WorkOrder.customer_ref)))
        assert refs == {"C2", "C3", "C4", "C5"}
        event = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "cycle.run")).one()
        assert event.actor == "user:admin"
        assert event.entity_id == str(run.id)
    assert f"<td>{AS_OF}</td>" in done.text  # the history shows it


def test_only_admins_may_start_a_run(admin_client: TestClient, engine: Engine) -> None:
    client = sign_in(admin_client, "analyst", PASSWORD)
    page = client.get("/admin/runs")
    assert page.status_code == 200  # analysts read the history
    assert 'id="run-form"' not in page.text
    refused = client.post(
        "/admin/runs", data={"as_of": AS_OF.isoformat(), "csrf_token": csrf(client)}
    )
    assert refused.status_code == 403
    assert _count(engine, CycleRun) == 0


def test_a_failed_run_is_reported_and_recorded(admin_client: TestClient, engine: Engine) -> None:
    get_settings().warehouse.unlink()
    client = sign_in(admin_client, "admin")
    response = client.post(
        "/admin/runs", data={"as_of": AS_OF.isoformat(), "csrf_token": csrf(client)}
    )
    assert response.status_code == 200
    assert 'id="run-done"' in response.text  # started; it fails in the background
    run = _ended(engine)
    assert run.status == "failed"
    assert run.error is not None
    assert "import a portfolio first" in run.error
    history = client.get("/admin/runs")
    assert "import a portfolio first" in history.text
    assert _count(engine, WorkOrder) == 0


def test_one_run_at_a_time_and_an_abandoned_one_does_not_block(
    admin_client: TestClient, engine: Engine
) -> None:
    with Session(engine) as s:
        s.add(
            CycleRun(
                as_of=AS_OF,
                engine="duckdb",
                strategy_name="default",
                strategy_hash="x" * 64,
                status="running",
                started_at=NOW - timedelta(minutes=5),
                heartbeat_at=NOW - timedelta(seconds=30),  # alive: it beat half a minute ago
                counts={},
                durations={},
            )
        )
        s.commit()
    client = sign_in(admin_client, "admin")
    page = client.get("/admin/runs")
    assert 'id="runs-refresh"' in page.text  # the history refreshes while a run is running
    busy = client.post("/admin/runs", data={"as_of": AS_OF.isoformat(), "csrf_token": csrf(client)})
    assert 'id="run-error"' in busy.text
    assert "is still running" in busy.text
    assert _count(engine, CycleRun) == 1
    # The database refuses a second running row whoever inserts it (a CLI racing the page).
    with Session(engine) as s:
        s.add(
            CycleRun(
                as_of=AS_OF,
                engine="duckdb",
                strategy_name="default",
                strategy_hash="y" * 64,
                status="running",
                started_at=NOW,
                counts={},
                durations={},
            )
        )
        with pytest.raises(sa.exc.IntegrityError):
            s.commit()
    # Three minutes without a heartbeat (two is the default staleness) and the first one is
    # taken for dead: marked failed, and the new run goes.
    clock.freeze(NOW + timedelta(minutes=3))
    client = sign_in(admin_client, "admin")
    started = client.post(
        "/admin/runs", data={"as_of": AS_OF.isoformat(), "csrf_token": csrf(client)}
    )
    assert 'id="run-done"' in started.text
    assert _ended(engine).status == "succeeded"
    with Session(engine) as s:
        first = s.scalars(sa.select(CycleRun).order_by(CycleRun.id)).first()
        assert first is not None
        assert first.status == "failed"
        assert first.error is not None
        assert first.error.startswith("abandoned: heartbeat stopped at 2026-03-01 01:59:30 UTC")


def test_a_day_after_today_is_refused_and_writes_nothing(
    admin_client: TestClient, engine: Engine
) -> None:
    # The clock says 2026-03-01 10:00 in Shanghai: the 2nd has not happened yet.
    client = sign_in(admin_client, "admin")
    page = client.get("/admin/runs")
    assert 'max="2026-03-01"' in page.text  # the form offers no later day
    for day in ("2026-03-02", "2099-01-01"):
        refused = client.post("/admin/runs", data={"as_of": day, "csrf_token": csrf(client)})
        assert 'id="run-error"' in refused.text
        assert f"{day} is after today (2026-03-01)" in refused.text
    assert _count(engine, CycleRun) == 0
    assert _count(engine, WorkOrder) == 0
    with Session(engine) as s:
        assert s.scalars(sa.select(AuditEvent.action)).all() == ["user.sign_in"]
