"""The case page's actions over HTTP: live compliance pre-check (changes nothing), a blocked and
an allowed call, a promise, a stop, a settlement approved by the team lead, permission denials."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.config import Settings
from arrears.contacts.models import ContactAttempt
from arrears.kit.clock import clock
from arrears.promises.models import Promise, RepaymentPlan
from arrears.web.app import create_app
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import NOW, PHONE, Seeded, seed

NIGHT = NOW + timedelta(hours=13)  # 23:00 in Shanghai: outside the calling hours


@pytest.fixture
def ctx(db_url: str, session: Session, tmp_path: Path) -> Iterator[tuple[TestClient, Seeded]]:
    with clock.frozen(NOW):
        seeded = seed(session)
        session.commit()
    clock.freeze(NIGHT)
    app = create_app(Settings(database_url=db_url, warehouse=tmp_path / "warehouse.duckdb"))
    try:
        with TestClient(app) as client:
            yield client, seeded
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def _attempts(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(ContactAttempt)) or 0)


def test_precheck_shows_rule_reason_and_next_time_and_changes_nothing(
    ctx: tuple[TestClient, Seeded], session: Session
) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    case_id = seeded.work_orders[0]
    check = client.post(
        f"/cases/{case_id}/contact/check",
        data={"channel": "call", "party": "debtor"},
        headers={"X-CSRF-Token": csrf(client), "HX-Request": "true"},
    )
    assert check.status_code == 200
    assert 'data-allowed="false"' in check.text
    assert "time_window" in check.text
    assert "2026-11-21 08:00" in check.text  # next allowed, in the viewer's zone
    assert _attempts(session) == 0  # a check is not an attempt
    # Out-of-scope case: not even a pre-check.
    other = client.post(
        f"/cases/{seeded.work_orders[1]}/contact/check",
        data={"channel": "call", "party": "debtor", "csrf_token": csrf(client)},
    )
    assert other.status_code == 404


def test_blocked_call_is_logged_as_blocked_then_allowed_call_and_promise(
    ctx: tuple[TestClient, Seeded], session: Session
) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    case_id = seeded.work_orders[0]
    form = {"channel": "call", "party": "debtor", "outcome": "right_party_contact"}
    blocked = client.post(f"/cases/{case_id}/contact", data={**form, "csrf_token": csrf(client)})
    assert blocked.status_code == 200
    assert "Not made: compliance blocked it" in blocked.text
    assert "time_window" in blocked.text

    clock.freeze(NIGHT + timedelta(hours=11))  # 10:00 next morning
    sign_in(client, "collector")
    allowed = client.post(f"/cases/{case_id}/contact", data={**form, "csrf_token": csrf(client)})
    assert "Call logged" in allowed.text
    statuses = session.scalars(select(ContactAttempt.status).order_by(ContactAttempt.id)).all()
    assert list(statuses) == ["blocked", "made"]
    assert session.scalars(select(ContactAttempt.address_used)).first() == PHONE
    # The number called is stored, but the workflow's JSON passes the same masking layer.
    for path in (f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/contacts"):
        body = client.get(path)
        assert body.status_code == 200, path
        assert PHONE not in body.text, path
        assert "138****5678" in body.text, path

    promised = client.post(
        f"/cases/{case_id}/promise",
        data={"amount": "1900.00", "due_on": "2026-11-25", "csrf_token": csrf(client)},
    )
    assert promised.status_code == 200
    assert 'class="promise-row"' in promised.text
    session.expire_all()
    promise = session.scalars(select(Promise)).one()
    assert str(promise.amount) == "1900.00"
    bad = client.post(
        f"/cases/{case_id}/promise",
        data={"amount": "-5", "due_on": "2026-11-25", "csrf_token": csrf(client)},
    )
    assert 'id="action-error"' in bad.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Promise)) == 1


def test_three_stops_in_order(ctx: tuple[TestClient, Seeded]) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    case_id = seeded.work_orders[0]
    out_of_order = client.post(
        f"/cases/{case_id}/stop", data={"stop": "2", "csrf_token": csrf(client)}
    )
    assert 'id="action-error"' in out_of_order.text
    unspoken = client.post(f"/cases/{case_id}/stop", data={"stop": "1", "csrf_token": csrf(client)})
    assert "said to the debtor in a conversation" in unspoken.text
    clock.freeze(NOW)  # a lawful calling hour: the abusive call is made
    client.post(
        f"/cases/{case_id}/contact",
        data={
            "channel": "call",
            "party": "debtor",
            "outcome": "abusive",
            "csrf_token": csrf(client),
        },
    )
    first = client.post(f"/cases/{case_id}/stop", data={"stop": "1", "csrf_token": csrf(client)})
    assert 'id="action-done"' in first.text
    assert 'id="stop-2" disabled' not in first.text
    assert 'id="stop-1" disabled' in first.text


def test_team_lead_approves_a_settlement_collector_cannot(
    ctx: tuple[TestClient, Seeded], session: Session
) -> None:
    client, seeded = ctx
    case_id = seeded.work_orders[0]
    sign_in(client, "collector")
    proposed = client.post(
        f"/cases/{case_id}/settlement",
        data={
            "discount": "0.20",
            "due_on": "2026-11-28",
            "csrf_token": csrf(client),
        },
    )
    assert 'id="action-done"' in proposed.text
    plan_id = session.scalars(select(RepaymentPlan.id)).one()
    assert client.get("/approvals").status_code == 403
    denied = client.post(
        f"/approvals/{plan_id}", data={"decision": "approve", "csrf_token": csrf(client)}
    )
    assert denied.status_code == 403

    sign_in(client, "agency_user")  # not in the agency's placements: not even listed
    assert client.get("/approvals").status_code == 403

    sign_in(client, "team_lead")
    page = client.get("/approvals")
    assert f'data-plan="{plan_id}"' in page.text
    approved = client.post(
        f"/approvals/{plan_id}", data={"decision": "approve", "csrf_token": csrf(client)}
    )
    assert approved.status_code == 200
    assert 'id="decided"' in approved.text
    session.expire_all()
    plan = session.get(RepaymentPlan, plan_id)
    assert plan is not None
    assert plan.status == "active"
    assert plan.checker == "user:team_lead"


def test_script_panel_renders_the_level_script_with_real_figures(
    ctx: tuple[TestClient, Seeded],
) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    script = client.get(f"/cases/{seeded.work_orders[0]}/script")
    assert script.status_code == 200
    assert 'id="script-panel"' in script.text
    assert "张1" in script.text
    assert "credit_education" in script.text  # junior level
    assert client.get(f"/cases/{seeded.work_orders[1]}/script").status_code == 404


def test_collector_proposes_an_instalment_plan(
    ctx: tuple[TestClient, Seeded], session: Session
) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    case_id = seeded.work_orders[0]
    done = client.post(
        f"/cases/{case_id}/plan",
        data={
            "instalments": "6",
            "first_due_on": "2026-12-01",
            "csrf_token": csrf(client),
        },
    )
    assert 'id="action-done"' in done.text
    plan = session.scalars(select(RepaymentPlan)).one()
    assert plan.kind == "plan"
    assert plan.instalment_count == 6
    assert plan.total == plan.balance  # what the case owes, from the store
    past = client.post(
        f"/cases/{case_id}/plan",
        data={
            "instalments": "6",
            "supersede": "true",
            "first_due_on": "2020-01-01",
            "csrf_token": csrf(client),
        },
    )
    assert 'id="action-error"' in past.text
    session.expire_all()
    assert len(session.scalars(select(RepaymentPlan)).all()) == 1


def test_messages_are_not_taken_from_the_url(ctx: tuple[TestClient, Seeded]) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    spoofed = client.get(
        f"/cases/{seeded.work_orders[0]}", params={"error": "Call 400-000-0000 to pay", "done": "x"}
    )
    assert spoofed.status_code == 200
    assert "400-000-0000" not in spoofed.text
    assert 'id="action-error"' not in spoofed.text


def test_the_header_says_its_dpd_is_the_cycles_and_the_api_gives_the_date(
    ctx: tuple[TestClient, Seeded],
) -> None:
    client, seeded = ctx
    sign_in(client, "collector")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf(client)})
    page = client.get(f"/cases/{seeded.work_orders[0]}")
    assert "(cycle of 2026-11-20)" in page.text
    view = client.get(f"/api/v1/workbench/cases/{seeded.work_orders[0]}").json()
    assert view["work_order"]["last_cycle_as_of"] == "2026-11-20"
    client.post("/locale", data={"locale": "zh-CN", "csrf_token": csrf(client)})
    assert "(批处理日 2026-11-20)" in client.get(f"/cases/{seeded.work_orders[0]}").text


def test_a_lawful_third_party_contact_can_be_logged_from_the_page(
    ctx: tuple[TestClient, Seeded], session: Session
) -> None:
    """The form's purpose used to be dropped for anyone but a contact person, so asking a third
    party where the customer lives was always blocked (``third_party.purpose``) on the page
    while the API allowed it."""
    client, seeded = ctx
    sign_in(client, "collector")
    case_id = seeded.work_orders[0]
    form = {
        "channel": "call",
        "party": "third_party",
        "purpose": "location_information",
        "outcome": "third_party_contact",
        "contact_person_id": "",
    }
    with clock.frozen(NOW):
        check = client.post(
            f"/cases/{case_id}/contact/check",
            data=form,
            headers={"X-CSRF-Token": csrf(client), "HX-Request": "true"},
        )
        assert 'data-allowed="true"' in check.text, check.text
        logged = client.post(f"/cases/{case_id}/contact", data={**form, "csrf_token": csrf(client)})
    assert logged.status_code == 200
    session.expire_all()
    attempt = session.scalars(select(ContactAttempt)).one()
    assert (attempt.party, attempt.purpose, attempt.status) == (
        "third_party",
        "location_information",
        "made",
    )
    # Without a purpose a third party is still not told anything: blocked, as the engine says.
    with clock.frozen(NOW):
        client.post(
            f"/cases/{case_id}/contact",
            data={**form, "purpose": "", "csrf_token": csrf(client)},
        )
    session.expire_all()
    last = session.scalars(select(ContactAttempt).order_by(ContactAttempt.id.desc())).first()
    assert last is not None
    assert (last.status, last.compliance_rules) == ("blocked", ["third_party.purpose"])


def test_a_late_entry_from_the_page_is_decided_when_it_was_made(
    ctx: tuple[TestClient, Seeded], session: Session
) -> None:
    """At 23:00 no call may be made, but the call made at 20:00 on a visit may be entered: the
    form's late-entry field is the center's wall clock."""
    client, seeded = ctx  # the clock says 23:00 in Shanghai
    sign_in(client, "collector")
    case_id = seeded.work_orders[0]
    form = {"channel": "call", "party": "debtor", "outcome": "right_party_contact"}
    client.post(
        f"/cases/{case_id}/contact",
        data={**form, "made_at": "2026-11-20T20:00", "csrf_token": csrf(client)},
    )
    session.expire_all()
    attempt = session.scalars(select(ContactAttempt)).one()
    assert (attempt.status, attempt.late_entry) == ("made", True)
    assert attempt.at == NOW + timedelta(hours=10)  # 20:00 in Shanghai
    refused = client.post(
        f"/cases/{case_id}/contact",
        data={**form, "made_at": "2026-11-21T09:00", "csrf_token": csrf(client)},
    )
    assert "after now" in refused.text
    assert _attempts(session) == 1
