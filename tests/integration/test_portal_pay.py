"""The portal's Pay page on SQLite and PostgreSQL, through the payments service and its
sandbox checkout: the customer pays part of what one account owes, comes back to the result,
and the payment is posted once; amounts the account does not owe and other customers'
accounts are refused; with payments off the page says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.kit.audit import AuditEvent
from arrears.portfolio.models import Payment
from tests.portal_fixtures import PortalStore, create_portal_app, csrf_of, signed_in


@pytest.fixture
def sandbox_client(db_url: str, portal_store: PortalStore) -> Iterator[TestClient]:
    app = create_portal_app(db_url, payments_provider="sandbox")
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


def _pay(client: TestClient, account_id: int, amount: str) -> object:
    page = client.get("/portal/pay")
    return client.post(
        "/portal/pay",
        data={"csrf_token": csrf_of(page.text), "account_id": str(account_id), "amount": amount},
        follow_redirects=False,
    )


def test_pay_through_the_sandbox_and_see_the_result(
    portal_store: PortalStore, sandbox_client: TestClient, session: Session
) -> None:
    first = portal_store.first
    signed_in(sandbox_client, portal_store, first)
    page = sandbox_client.get("/portal/pay")
    assert page.status_code == 200
    assert f'name="account_id" value="{first.account_id}"' in page.text
    started = _pay(sandbox_client, first.account_id, "100.00")
    assert started.status_code == 303  # type: ignore[attr-defined]
    checkout = started.headers["location"]  # type: ignore[attr-defined]
    assert checkout.startswith("/payments/sandbox/")
    sandbox = sandbox_client.get(checkout)
    paid = sandbox_client.post(
        checkout,
        data={"csrf_token": csrf_of(sandbox.text), "outcome": "pay"},
        follow_redirects=False,
    )
    assert paid.status_code == 303
    back = paid.headers["location"]
    assert back.startswith("/portal/payments/done?intent=")
    done = sandbox_client.get(back)
    assert done.status_code == 200
    assert 'data-status="succeeded"' in done.text
    posted = session.scalars(
        sa.select(Payment).where(
            Payment.account_id == first.account_id, Payment.reference.like("portal:%")
        )
    ).all()
    assert [p.amount for p in posted] == [Decimal("100.00")]
    actions = set(
        session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor == first.actor)).all()
    )
    assert {"portal.view.pay", "payment_intent.start", "portal.view.payment"} <= actions
    # The history on the Pay page shows it.
    assert 'data-status="succeeded"' in sandbox_client.get("/portal/pay").text


def test_the_server_owns_the_amount_and_the_account(
    portal_store: PortalStore, sandbox_client: TestClient, session: Session
) -> None:
    first, second = portal_store.first, portal_store.second
    signed_in(sandbox_client, portal_store, first)
    too_much = _pay(sandbox_client, first.account_id, "999999.00")
    assert too_much.status_code == 409  # type: ignore[attr-defined]
    assert 'id="pay-error"' in too_much.text  # type: ignore[attr-defined]
    malformed = _pay(sandbox_client, first.account_id, "lots")
    assert malformed.status_code == 422  # type: ignore[attr-defined]
    theirs = _pay(sandbox_client, second.account_id, "10.00")
    assert theirs.status_code == 404  # type: ignore[attr-defined]
    assert second.account_ref[-4:] not in theirs.text  # type: ignore[attr-defined]
    # Nothing was started by any of them.
    assert session.scalar(sa.text("SELECT count(*) FROM payment_intent")) == 0
    # Another customer's payment id shows nothing.
    unknown = sandbox_client.get("/portal/payments/done?intent=nope")
    assert unknown.status_code == 404


def test_with_payments_off_the_page_says_so(
    portal_store: PortalStore, portal_client: TestClient
) -> None:
    signed_in(portal_client, portal_store, portal_store.first)
    page = portal_client.get("/portal/pay")
    assert page.status_code == 200
    assert 'id="pay-off"' in page.text
    assert re.search(r'action="/portal/pay"', page.text) is None


def test_a_provider_that_does_not_answer_is_a_plain_page_and_nothing_is_started(
    db_url: str, portal_store: PortalStore, session: Session
) -> None:
    """The generic provider unreachable (nothing listens on the port): the customer reads one
    sentence in their language, status 502, and no intent or payment is written."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    payments_before = session.scalar(sa.select(sa.func.count()).select_from(Payment))
    app = create_portal_app(
        db_url,
        payments_provider="generic",
        payments_base_url=f"http://127.0.0.1:{dead}",
        payments_secret="s" * 32,
        payments_timeout=2.0,
    )
    try:
        with TestClient(app) as client:
            first = portal_store.first
            signed_in(client, portal_store, first)
            answered = _pay(client, first.account_id, "100.00")
            assert answered.status_code == 502  # type: ignore[attr-defined]
            text = answered.text  # type: ignore[attr-defined]
            # The seeded customer reads Chinese: the sentence is in their language.
            assert "暂时无法在线付款，请稍后再试。" in text
            assert "Traceback" not in text
    finally:
        app.state.engine.dispose()
    intents = session.scalar(sa.text("SELECT count(*) FROM payment_intent"))
    assert intents == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Payment)) == payments_before
