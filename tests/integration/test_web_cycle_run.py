"""Starting a cycle run from the admin runs page: the same ``run_cycle`` the CLI calls, on a
small warehouse (SQLite and PostgreSQL); a bad date changes nothing; only admins may start."""

from __future__ import annotations

from collections.abc import Iterator
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

    done = client.post("/admin/runs", data={"as_of": AS_OF.isoformat(), "csrf_token": csrf(client)})
    assert done.status_code == 200
    assert 'id="run-done"' in done.text
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
    assert 'id="run-error"' in response.text
    assert "import a portfolio first" in response.text
    assert _count(engine, WorkOrder) == 0
