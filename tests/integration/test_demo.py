"""`arrears demo` on the embedded defaults, as `make demo` runs it but without serving: a fresh
folder, no data given, no ARREARS_* settings. It builds the store and warehouse, prints one user
per role and one customer-portal link; the link opens, the facts printed beside it verify, and
the customer sees what is owed and can pay through the sandbox checkout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.config import Settings
from arrears.web.app import create_app
from tests.portal_fixtures import csrf_of

pytestmark = [pytest.mark.slow]

LINK = re.compile(r"(https?://\S+/portal/l/([A-Za-z0-9_-]+))")
FACTS = re.compile(r"verify with birth date (\d{4}-\d{2}-\d{2}) and ID last 4 (\S{4})")


def test_demo_on_embedded_defaults_prints_a_portal_link_that_works(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    env["COLUMNS"] = "200"  # the link on one line
    done = subprocess.run(
        [sys.executable, "-m", "arrears.cli.main", "demo", "--no-serve", "--accounts", "300"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for role in ("collector", "senior_specialist", "team_lead", "compliance_officer", "admin"):
        assert role in done.stdout, role
    link = LINK.search(done.stdout)
    facts = FACTS.search(done.stdout)
    assert link, done.stdout[-2000:]
    assert facts, done.stdout[-2000:]
    store = tmp_path / "var" / "arrears.db"
    assert store.exists()
    assert (tmp_path / "var" / "warehouse.duckdb").exists()

    # The served workbench's settings: the demo's store, its sandbox checkout.
    app = create_app(
        Settings(database_url=f"sqlite:///{store}", payments_provider="sandbox", locale="en")
    )
    try:
        with TestClient(app) as client:
            token = link.group(2)
            page = client.get(f"/portal/l/{token}")
            assert page.status_code == 200
            verified = client.post(
                f"/portal/l/{token}",
                data={
                    "csrf_token": csrf_of(page.text),
                    "birth_date": facts.group(1),
                    "id_last4": facts.group(2),
                },
                follow_redirects=False,
            )
            assert verified.status_code == 303, verified.text
            owed = client.get(verified.headers["location"])
            assert owed.status_code == 200
            assert re.search(r"\d{1,3}(,\d{3})*\.\d{2}", owed.text)
            pay = client.get("/portal/pay")
            assert pay.status_code == 200
            assert 'action="/portal/pay"' in pay.text  # the sandbox is on: Pay is offered
            # Single use: the same link again is refused.
            assert client.get(f"/portal/l/{token}").status_code == 410
    finally:
        app.state.engine.dispose()
