"""The portal's action pages over HTTP (SQLite and PostgreSQL): a form acts once per key, a
refusal is the same form with one sentence in the customer's language and nothing written,
another customer's case reads as missing, CSRF is required; and the collector sees the
customer's action on the case page and the queue's "customer acted" flag."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.config import Settings
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.portfolio.models import Cardholder
from arrears.promises.models import Promise, RepaymentPlan
from arrears.web.app import create_app
from tests.integration.test_web_api import csrf, sign_in
from tests.portal_fixtures import (
    PORTAL_NOW,
    PortalCustomerSeed,
    PortalStore,
    csrf_of,
    issue_portal_link,
    signed_in,
    verify,
)
from tests.web_seed import Seeded, seed

_KEY = re.compile(r'name="form_key" value="([^"]+)"')
_CASE = re.compile(r'name="case_id" value="([^"]+)"')


def form_of(page: str) -> dict[str, str]:
    """The hidden fields of the page's (first) action form."""
    key, case = _KEY.search(page), _CASE.search(page)
    assert key is not None
    return {
        "csrf_token": csrf_of(page),
        "form_key": key.group(1),
        **({"case_id": case.group(1)} if case else {}),
    }


def count(session: Session, table: type) -> int:
    session.expire_all()
    return int(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def test_a_promise_through_the_page_acts_once_and_answers_in_chinese(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    me = portal_store.first  # zh-CN
    signed_in(portal_client, portal_store, me)
    home = portal_client.get("/portal/act")
    assert home.status_code == 200
    assert 'id="go-promise"' in home.text
    assert "自助办理" in home.text
    page = portal_client.get("/portal/promise")
    assert page.status_code == 200
    form = {**form_of(page.text), "amount": "800", "due_on": "2026-12-01"}
    first = portal_client.post("/portal/promise", data=form)
    assert first.status_code == 200, first.text
    assert "谢谢。我们已记录您承诺在 2026-12-01 前还款 800.00 CNY。" in first.text
    again = portal_client.post("/portal/promise", data=form)  # a reload: the same outcome
    assert again.status_code == 200
    assert "谢谢。我们已记录" in again.text
    promises = session.scalars(sa.select(Promise)).all()
    assert [(p.amount, p.taken_by, p.channel) for p in promises] == [(800, me.actor, "portal")]
    # The page view is audited as the customer too.
    views = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor == me.actor)).all()
    assert "portal.view.act.promise" in views
    assert "portal.promise" in views


def test_a_refusal_is_the_form_again_with_one_sentence_and_nothing_written(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    signed_in(portal_client, portal_store, portal_store.second)  # en
    page = portal_client.get("/portal/promise")
    before = count(session, AuditEvent)
    for amount, due_on, sentence, status in (
        ("-10", "2026-12-01", "The amount must be more than zero.", 422),
        ("100", "2027-03-01", "Choose a date no later than 2026-12-20.", 422),
        ("99999999", "2026-12-01", "The amount is more than you owe today", 409),
    ):
        refused = portal_client.post(
            "/portal/promise",
            data={**form_of(page.text), "amount": amount, "due_on": due_on},
        )
        assert refused.status_code == status, refused.text[refused.text.find("<main") :][:1500]
        main = refused.text[refused.text.find("<main") :][:1200]
        assert 'role="alert"' in refused.text, (amount, main)
        assert sentence in refused.text, main
        assert f'value="{amount}"' in refused.text  # the customer's input kept
    assert count(session, Promise) == 0
    assert count(session, AuditEvent) == before  # refused: not even the view re-recorded


def test_another_customers_case_reads_as_missing(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    signed_in(portal_client, portal_store, portal_store.first)
    page = portal_client.get("/portal/dispute")
    data = {
        **form_of(page.text),
        "case_id": str(portal_store.second.work_order_id),
        "text": "不是我的",
    }
    refused = portal_client.post("/portal/dispute", data=data)
    assert refused.status_code == 404
    assert "未找到该账户。" in refused.text
    assert portal_store.second.name not in refused.text


def test_without_the_csrf_field_nothing_happens(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    signed_in(portal_client, portal_store, portal_store.first)
    page = portal_client.get("/portal/plan")
    data = {**form_of(page.text), "instalments": "3", "first_due_on": "2026-12-05"}
    data.pop("csrf_token")
    assert portal_client.post("/portal/plan", data=data).status_code == 403
    assert count(session, RepaymentPlan) == 0


def test_signed_out_the_action_is_refused_without_data(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    page = portal_client.get("/portal/promise", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/portal/ended"


def test_every_action_page_renders_in_both_languages(
    portal_store: PortalStore, portal_client: TestClient
) -> None:
    for who in (portal_store.first, portal_store.second):
        signed_in(portal_client, portal_store, who)
        for path in (
            "act",
            "promise",
            "plan",
            "settlement",
            "dispute",
            "hardship",
            "call-back",
            "contact",
        ):
            page = portal_client.get(f"/portal/{path}")
            assert page.status_code == 200, (path, page.text)
            assert "<script" not in page.text  # the CSP admits no inline script; none is needed


# --- the collector's side -------------------------------------------------------------------


@pytest.fixture
def bank(
    db_url: str, session: Session, tmp_path: Path
) -> Iterator[tuple[TestClient, TestClient, Seeded, str]]:
    """The web seed (a collector holds case 1) with customer 1 able to open the portal: the
    collector's client, the customer's client (signed in), the seed, the customer's actor."""
    with clock.frozen(PORTAL_NOW):
        seeded = seed(session)
        holder = session.get(Cardholder, seeded.cardholders[0])
        assert holder is not None
        holder.birth_date = date(1990, 3, 7)
        token = issue_portal_link(session, holder.id)
        session.commit()
    clock.freeze(PORTAL_NOW)
    app = create_app(Settings(database_url=db_url, warehouse=tmp_path / "warehouse.duckdb"))
    try:
        with TestClient(app) as collector, TestClient(app) as customer:
            me = PortalCustomerSeed(
                cardholder_id=holder.id,
                external_ref=holder.external_ref,
                name=holder.name,
                birth_date=date(1990, 3, 7),
                id_number=holder.id_number or "",
                work_order_id=seeded.work_orders[0],
                account_id=seeded.accounts[0],
                account_ref="A0001",
                language="zh-CN",
            )
            opened = verify(customer, token, me)
            assert opened.status_code == 303, opened.text[opened.text.find("<main") :][:800]
            sign_in(collector, "collector")
            yield collector, customer, seeded, me.actor
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def test_the_collector_sees_the_customers_action_and_the_queue_flag(
    bank: tuple[TestClient, TestClient, Seeded, str],
) -> None:
    collector, customer, seeded, actor = bank
    case_id = seeded.work_orders[0]
    queue = collector.get("/queue")
    assert queue.status_code == 200
    assert "customer-acted" not in queue.text  # nothing done yet
    page = customer.get("/portal/call-back")
    done = customer.post(
        "/portal/call-back",
        data={**form_of(page.text), "day": "2026-11-23", "start": "18:00", "end": "19:00"},
    )
    assert done.status_code == 200, done.text
    queue = collector.get("/queue")
    row = re.search(rf'<tr>\s*<td><a href="/cases/{case_id}">.*?</tr>', queue.text, re.S)
    assert row is not None
    assert "customer-acted" in row.group(0)
    case = collector.get(f"/cases/{case_id}")
    assert case.status_code == 200
    timeline = case.text[case.text.index('id="timeline"') :]
    assert 'class="by-customer"' in timeline
    assert "portal.call_back" in timeline
    assert "portal.view" not in timeline  # what he did, not every page he opened
    assert actor in timeline
    # The collector calls back: the flag goes (the customer's action is older than the call).
    clock.freeze(PORTAL_NOW + timedelta(minutes=5))

    logged = collector.post(
        f"/cases/{case_id}/contact",
        data={"channel": "call", "outcome": "right_party_contact", "csrf_token": csrf(collector)},
        follow_redirects=False,
    )
    assert logged.status_code == 303
    queue = collector.get("/queue")
    row = re.search(rf'<tr>\s*<td><a href="/cases/{case_id}">.*?</tr>', queue.text, re.S)
    assert row is not None
    assert "customer-acted" not in row.group(0)
