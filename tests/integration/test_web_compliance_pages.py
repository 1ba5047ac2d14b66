"""The compliance officer's pages: blocked actions with an audited override, audit search,
profiles; every other role is refused."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.auth.policy import ROLES, can
from arrears.compliance.models import ComplianceCheck
from arrears.kit.audit import AuditEvent
from tests.integration.test_web_api import csrf, sign_in
from tests.integration.test_web_case_actions import ctx  # noqa: F401 - fixture
from tests.web_seed import PHONE, Seeded


def test_compliance_officer_sees_blocked_calls_and_overrides_with_a_reason(
    ctx: tuple[TestClient, Seeded],  # noqa: F811
    session: Session,
) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    client.post(
        f"/cases/{seeded.work_orders[0]}/contact",
        data={
            "channel": "call",
            "party": "debtor",
            "outcome": "no_answer",
            "csrf_token": csrf(client),
        },
    )
    check_id = session.scalars(select(ComplianceCheck.id)).one()

    sign_in(client, "compliance_officer")
    page = client.get("/compliance")
    assert page.status_code == 200
    assert f'data-check="{check_id}"' in page.text
    assert "time_window" in page.text
    assert PHONE not in page.text  # the number called is personal data
    empty_reason = client.post(
        f"/compliance/checks/{check_id}/override",
        data={"reason": " ", "csrf_token": csrf(client)},
    )
    assert "an override needs a reason" in empty_reason.text
    done = client.post(
        f"/compliance/checks/{check_id}/override",
        data={"reason": "customer asked for an early call", "csrf_token": csrf(client)},
    )
    assert 'id="overridden"' in done.text
    session.expire_all()
    record = session.get(ComplianceCheck, check_id)
    assert record is not None
    assert record.overridden_by == "user:compliance_officer"
    overrides = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "compliance.override")
    ).all()
    assert len(overrides) == 1

    audit = client.get("/compliance/audit", params={"action": "compliance."})
    rows = re.findall(r'class="audit-row"', audit.text)
    assert len(rows) == 1
    assert "customer asked for an early call" in audit.text
    profiles = client.get("/compliance/profiles", params={"name": "cn-card"})
    assert profiles.status_code == 200
    assert 'id="profile"' in profiles.text
    assert client.get("/compliance/profiles", params={"name": "nope"}).status_code == 404


def test_other_roles_are_refused_the_compliance_pages(
    ctx: tuple[TestClient, Seeded],  # noqa: F811
) -> None:
    client, _ = ctx
    for role in ROLES:
        sign_in(client, role)
        for path, permission in (
            ("/compliance", "compliance.read"),
            ("/compliance/audit", "audit.read"),
            ("/compliance/profiles", "compliance.read"),
        ):
            status = client.get(path).status_code
            assert status == (200 if can(role, permission) else 403), (role, path, status)
        override = client.post(
            "/compliance/checks/1/override", data={"reason": "x", "csrf_token": csrf(client)}
        )
        if not can(role, "compliance.override"):
            assert override.status_code == 403, role


def test_the_summary_names_the_staff_code_and_drills_down_to_its_checks(
    ctx: tuple[TestClient, Seeded],  # noqa: F811
) -> None:
    """Before: the summary said ``bank``, linked nowhere, and next-allowed times were UTC."""
    client, seeded = ctx
    sign_in(client, "collector")
    client.post(  # at night: blocked by the time window
        f"/cases/{seeded.work_orders[0]}/contact",
        data={"channel": "call", "party": "debtor", "outcome": "busy", "csrf_token": csrf(client)},
    )
    sign_in(client, "compliance_officer")
    page = client.get("/compliance")
    (row,) = re.findall(r'<tr class="summary-row">(.*?)</tr>', page.text, re.S)
    assert "<td>S-collector</td>" in row
    assert "bank" not in row
    link = re.search(r'<a href="([^"]+)">1</a>', row)
    assert link is not None
    drill = client.get(link.group(1).replace("&amp;", "&"))
    assert drill.status_code == 200
    assert len(re.findall(r"data-check=", drill.text)) == 1
    assert 'class="center-time"' in drill.text
    assert 'class="debtor-time"' in drill.text
    assert "Asia/Shanghai" in drill.text
    other = client.get("/compliance", params={"actor": "agency:AG1"})
    assert "data-check=" not in other.text
