"""The team dashboard: analytics charts and the team's collector KPIs; refused to others."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from arrears.auth.policy import ROLES, can
from tests.integration.test_analytics_arms import _book
from tests.integration.test_web_api import csrf, sign_in
from tests.integration.test_web_case_actions import ctx  # noqa: F401 - fixture
from tests.web_seed import Seeded


def test_team_lead_dashboard_shows_charts_and_the_teams_kpis(
    ctx: tuple[TestClient, Seeded],  # noqa: F811
    db_url: str,
) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    client.post(  # at night: blocked, so it counts as a compliance block, not an attempt
        f"/cases/{seeded.work_orders[0]}/contact",
        data={"channel": "call", "party": "debtor", "outcome": "busy", "csrf_token": csrf(client)},
    )
    sign_in(client, "team_lead")
    page = client.get("/dashboard")
    assert page.status_code == 200
    for key in ("bucket-mix", "roll-heatmap", "recovery", "kpis"):
        assert f'id="chart-card-{key}"' in page.text
    assert "no warehouse" in page.text  # the warehouse part says why it is empty
    assert '<script src="/assets/plotly.min.js">' in page.text
    for role in ROLES:
        sign_in(client, role)
        status = client.get("/dashboard").status_code
        assert status == (200 if can(role, "dashboard.read") else 403), role
    sign_in(client, "team_lead")
    page = client.get("/dashboard")
    row = re.search(r'class="kpi-row"><td>user:collector</td>(.*?)</tr>', page.text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert cells[0] == "0"  # attempts made
    assert cells[-2:] == ["1", "0"]  # blocked, overridden


def test_admin_sees_staff_agencies_runs_and_imports_others_are_refused(
    ctx: tuple[TestClient, Seeded],  # noqa: F811
) -> None:
    client, _ = ctx
    sign_in(client, "admin")
    staff = client.get("/admin/staff")
    assert staff.status_code == 200
    assert len(re.findall(r'class="staff-row"', staff.text)) == 3
    assert "AG1" in staff.text
    runs = client.get("/admin/runs")
    assert runs.status_code == 200
    assert 'id="runs"' in runs.text
    for role in ROLES:
        sign_in(client, role)
        assert client.get("/admin/staff").status_code == (
            200 if can(role, "staff.manage") else 403
        ), role
        assert client.get("/admin/runs").status_code == (200 if can(role, "cycle.read") else 403)


def test_dashboard_compares_the_agency_with_in_house_work(
    ctx: tuple[TestClient, Seeded],  # noqa: F811
) -> None:
    """Case 2 of the seed is placed with AG1: the agency's row and its chart are on the page."""
    client, _ = ctx
    sign_in(client, "team_lead")
    page = client.get("/dashboard").text
    assert 'id="chart-card-agencies"' in page
    row = re.search(r'class="agency-row"><td>AG1</td><td class="num">(\d+)</td>', page)
    assert row is not None
    assert row.group(1) == "1"


def test_the_dashboard_shows_each_test_on_the_accounts_it_targets(
    ctx: tuple[TestClient, Seeded],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Before: the dashboard computed no experiment at all (the arms chart said "no results")."""
    client, _ = ctx
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    for name, table in _book().items():
        con.register("t", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM t")
        con.unregister("t")
    con.close()
    sign_in(client, "team_lead")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert 'id="experiments"' in page.text
    rows = re.findall(r'class="arm-row"><td>([^<]*)</td><td>[^<]*</td>(.*?)</tr>', page.text, re.S)
    cells = {arm: re.findall(r'<td class="num">([^<]*)</td>', rest) for arm, rest in rows}
    # targeted, of the book, paid, pay rate: 50 of 100 per arm targeted (the hand-checked book)
    assert cells["champion"][:4] == ["50", "100", "15", "30.0%"]
    assert cells["challenger"][:4] == ["50", "100", "25", "50.0%"]
    (comparison,) = re.findall(r'class="comparison-row">(.*?)</tr>', page.text, re.S)
    assert "+20.0 pt" in comparison
    assert "challenger better" in comparison
    assert 'id="chart-card-arms"' in page.text
