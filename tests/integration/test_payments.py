"""Online payments through the real app on SQLite and PostgreSQL (issue 16 §4 and its
acceptance: bad signature refused, replay is one payment, out-of-order events handled), the
amount the server allows, posting and the promise reconciled at once, the sandbox checkout,
concurrent deliveries, and the operations CLI."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.cases import service as case_service
from arrears.cases.models import WorkOrder
from arrears.channels.transports import signed_by
from arrears.config import Settings, get_settings
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, NotFound, RuleRefused
from arrears.payments import service
from arrears.payments.models import PaymentEvent, PaymentIntent
from arrears.payments.provider import ProviderUnavailable, SandboxProvider, provider_for
from arrears.portfolio.models import CardAccount, Payment
from arrears.promises import nightly
from arrears.promises import service as promise_service
from arrears.promises.models import Promise
from arrears.web.app import create_app
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import NOW, Seeded, seed

SECRET = "webhook-test-secret"
WEBHOOK = "/api/v1/payments/webhook"
RETURN = "/portal/payments/done"


def settings_for(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "fee_schedule": "cn-card",
        "payments_provider": "sandbox",
        "payments_secret": SECRET,
        "secret_key": "test-key-" + "k" * 40,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def seeded(session: Session) -> Seeded:
    with clock.frozen(NOW):
        found = seed(session)
        session.commit()
    return found


@pytest.fixture
def app(db_url: str, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.setenv("ARREARS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    clock.freeze(NOW)
    built = create_app(settings_for(db_url))
    try:
        yield built
    finally:
        clock.unfreeze()
        built.state.engine.dispose()
        get_settings.cache_clear()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def provider(app: FastAPI) -> SandboxProvider:
    found = provider_for(app.state.settings)
    assert isinstance(found, SandboxProvider)
    return found


def count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def start(session: Session, seeded: Seeded, amount: str = "500.00", n: int = 0) -> PaymentIntent:
    checkout = service.start_payment(
        session,
        cardholder_id=seeded.cardholders[n],
        account_id=seeded.accounts[n],
        amount=amount,
        return_url=RETURN,
        settings=settings_for("unused"),
    )
    session.commit()
    intent = session.scalars(
        sa.select(PaymentIntent).where(PaymentIntent.public_id == checkout.intent_public_id)
    ).one()
    return intent


def deliver(
    client: TestClient,
    provider: SandboxProvider,
    intent: PaymentIntent,
    kind: str,
    event_id: str,
    **changes: Any,
) -> Any:
    """A webhook as the provider signs it (``changes``: amount, currency, at, provider_ref)."""
    headers, body = provider.webhook(
        event_id=event_id,
        type=kind,
        provider_ref=changes.get("provider_ref", intent.provider_ref),
        amount=changes.get("amount", intent.amount),
        currency=changes.get("currency", intent.currency),
        at=changes.get("at", clock.now()),
    )
    return client.post(WEBHOOK, content=body, headers=headers)


def refreshed(session: Session, intent: PaymentIntent) -> PaymentIntent:
    session.expire_all()
    found = session.get(PaymentIntent, intent.id)
    assert found is not None
    return found


def payments_of(session: Session, intent: PaymentIntent) -> list[Payment]:
    return list(
        session.scalars(sa.select(Payment).where(Payment.reference == f"portal:{intent.public_id}"))
    )


# --- the amount the server allows --------------------------------------------------------------


def test_the_amount_is_checked_against_what_the_account_owes(
    session: Session, seeded: Seeded
) -> None:
    account = session.get(CardAccount, seeded.accounts[0])
    assert account is not None
    with clock.frozen(NOW):
        owed, held, room = service.room_to_pay(session, account=account, now=NOW)
        offered = service.payment_room(
            session, cardholder_id=seeded.cardholders[0], account_id=seeded.accounts[0]
        )
        assert (offered.owed, offered.held, offered.room, offered.currency) == (
            owed,
            held,
            room,
            "CNY",
        )
        with pytest.raises(NotFound):
            service.payment_room(
                session, cardholder_id=seeded.cardholders[1], account_id=seeded.accounts[0]
            )
        assert owed > D("10000.00")
        assert held == 0
        assert room == owed
        s = settings_for("unused")
        audited = count(session, AuditEvent)
        me, mine = seeded.cardholders[0], seeded.accounts[0]

        def pay(amount: object, **kw: Any) -> Any:
            args = {"cardholder_id": me, "account_id": mine, "return_url": RETURN, **kw}
            return service.start_payment(session, amount=amount, settings=s, **args)

        for bad in ("0", "-5", "10.001", "lots", "1e30"):
            with pytest.raises(BadInput):
                pay(bad)
        with pytest.raises(RuleRefused, match=f"at most {owed} CNY"):
            pay(str(owed + D("0.01")))
        for elsewhere in ("https://evil.example/x", "//evil.example/x", "portal", "/\\evil"):
            with pytest.raises(BadInput, match="return_url"):
                pay("10.00", return_url=elsewhere)
        # Another customer's account reads as no account at all.
        with pytest.raises(NotFound):
            pay("10.00", account_id=seeded.accounts[1])
        with pytest.raises(NotFound):
            pay("10.00", account_id=999_999)
        session.rollback()
        assert count(session, PaymentIntent) == 0
        assert count(session, AuditEvent) == audited

        # Exactly what is owed may be paid; a payment under way holds its part of it.
        first = pay(str(owed - D("100.00")))
        session.commit()
        pending = session.scalars(sa.select(PaymentIntent)).one()
        pending.status = "pending"
        session.commit()
        with pytest.raises(
            RuleRefused, match=r"at most 100.00 CNY .* already in payments under way"
        ):
            pay("100.01")
        session.rollback()
        second = pay("100.00")
        session.commit()
        assert first.intent_public_id != second.intent_public_id
        assert second.amount == D("100.00")
        assert second.currency == "CNY"


def test_starting_again_cancels_the_checkout_never_paid(session: Session, seeded: Seeded) -> None:
    with clock.frozen(NOW):
        first = start(session, seeded, "300.00")
        second = start(session, seeded, "400.00")
    assert refreshed(session, first).status == "cancelled"
    assert refreshed(session, second).status == "created"
    starts = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "payment_intent.start")
    ).all()
    assert [e.actor for e in starts] == [f"customer:{seeded.cardholders[0]}"] * 2
    cancelled = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "payment_intent.transition")
    ).one()
    assert cancelled.actor == f"customer:{seeded.cardholders[0]}"
    assert (cancelled.before["status"], cancelled.after["status"]) == ("created", "cancelled")  # type: ignore[index]
    # An expired checkout holds nothing: the whole amount is free again after the window.
    later = NOW + timedelta(minutes=31)
    with clock.frozen(later):
        status = service.intent_status(
            session, cardholder_id=seeded.cardholders[0], intent_public_id=second.public_id
        )
        assert status.status == "expired"
        account = session.get(CardAccount, seeded.accounts[0])
        assert account is not None
        assert service.room_to_pay(session, account=account, now=later)[1] == 0
    with pytest.raises(NotFound):
        service.intent_status(
            session, cardholder_id=seeded.cardholders[1], intent_public_id=second.public_id
        )


def test_payments_switched_off_offer_nothing(session: Session, seeded: Seeded) -> None:
    with clock.frozen(NOW), pytest.raises(RuleRefused, match="not offered"):
        service.start_payment(
            session,
            cardholder_id=seeded.cardholders[0],
            account_id=seeded.accounts[0],
            amount="10.00",
            return_url=RETURN,
            settings=Settings(payments_provider="off"),
        )


# --- the webhook -------------------------------------------------------------------------------


def test_a_bad_signature_is_refused_and_nothing_is_written(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded
) -> None:
    intent = start(session, seeded)
    headers, body = provider.webhook(
        event_id="evt-1",
        type="succeeded",
        provider_ref=intent.provider_ref,
        amount=intent.amount,
        currency=intent.currency,
        at=clock.now(),
    )
    audited = count(session, AuditEvent)
    forged = SandboxProvider(secret="not-the-secret", public_url="").signed_headers(
        body, at=clock.now()
    )
    stale = provider.signed_headers(body, at=clock.now() - timedelta(minutes=10))
    attempts = [
        (headers, body.replace(b"500.00", b"5000.00")),  # altered after signing
        (forged, body),
        (stale, body),  # a captured delivery replayed later
        ({"Content-Type": "application/json"}, body),
    ]
    for sent_headers, sent_body in attempts:
        answer = client.post(WEBHOOK, content=sent_body, headers=sent_headers)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "bad_signature"
    assert count(session, PaymentEvent) == 0
    assert count(session, Payment) == 2  # the seed's
    assert count(session, AuditEvent) == audited
    assert refreshed(session, intent).status == "created"
    # The same delivery, untouched, is the provider's.
    assert client.post(WEBHOOK, content=body, headers=headers).json()["outcome"] == "applied"


def test_a_replay_is_one_payment(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded
) -> None:
    intent = start(session, seeded)
    answers = [deliver(client, provider, intent, "succeeded", "evt-paid") for _ in range(3)]
    # The provider's retry of the same event later, signed afresh, is still the same event.
    with clock.frozen(NOW + timedelta(hours=2)):
        answers.append(deliver(client, provider, intent, "succeeded", "evt-paid"))
    assert [a.status_code for a in answers] == [200] * 4
    assert [a.json()["duplicate"] for a in answers] == [False, True, True, True]
    assert {a.json()["status"] for a in answers} == {"succeeded"}
    assert count(session, PaymentEvent) == 1
    posted = payments_of(session, intent)
    assert len(posted) == 1
    assert (posted[0].amount, posted[0].channel, posted[0].account_id) == (
        D("500.00"),
        "online",
        seeded.accounts[0],
    )
    assert refreshed(session, intent).payment_id == posted[0].id
    audit = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "payment.posted"))
    assert [e.entity_id for e in audit] == [str(posted[0].id)]


@pytest.mark.parametrize(
    ("arrivals", "final", "outcomes"),
    [
        (["succeeded", "pending"], "succeeded", ["applied", "ignored"]),
        (
            ["pending", "succeeded", "failed", "pending"],
            "succeeded",
            ["applied"] * 2 + ["ignored"] * 2,
        ),
        (["failed", "succeeded"], "succeeded", ["applied", "applied"]),  # a second card paid
        (["pending", "failed", "pending"], "failed", ["applied", "applied", "ignored"]),
    ],
)
def test_out_of_order_events(
    client: TestClient,
    provider: SandboxProvider,
    session: Session,
    seeded: Seeded,
    arrivals: list[str],
    final: str,
    outcomes: list[str],
) -> None:
    intent = start(session, seeded)
    got = [
        deliver(client, provider, intent, kind, f"evt-{n}").json()["outcome"]
        for n, kind in enumerate(arrivals)
    ]
    assert got == outcomes
    assert refreshed(session, intent).status == final
    assert len(payments_of(session, intent)) == (1 if final == "succeeded" else 0)


def test_an_amount_or_currency_not_the_intents_is_not_posted(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded, cli: Any
) -> None:
    intent = start(session, seeded)
    short = deliver(client, provider, intent, "succeeded", "evt-short", amount=D("50.00"))
    assert short.status_code == 200
    assert short.json()["outcome"] == "mismatch"
    other = deliver(client, provider, intent, "succeeded", "evt-usd", currency="USD")
    assert other.json()["outcome"] == "mismatch"
    assert payments_of(session, intent) == []
    again = refreshed(session, intent)
    assert again.status == "created"
    assert again.problem is not None
    assert "USD" in again.problem
    # Operations see it.
    listed = cli("payments", "list", "--status", "problem", "--json")
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["intent"] for r in rows] == [intent.public_id]
    assert "started in CNY" in rows[0]["problem"]
    # The provider's correct report is still posted.
    assert deliver(client, provider, intent, "succeeded", "evt-ok").json()["outcome"] == "applied"
    assert len(payments_of(session, intent)) == 1


def test_an_event_for_no_known_intent_is_recorded_for_operations(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded, cli: Any
) -> None:
    intent = start(session, seeded)
    answer = deliver(client, provider, intent, "succeeded", "evt-x", provider_ref="sbx_nobody")
    assert answer.status_code == 200
    assert answer.json() == {
        "event_id": "evt-x",
        "outcome": "unknown_intent",
        "duplicate": False,
        "intent": None,
        "status": None,
        "payment_id": None,
    }
    assert count(session, Payment) == 2
    assert refreshed(session, intent).status == "created"
    listed = cli("payments", "events", "--outcome", "unknown_intent", "--json")
    assert [r["provider_ref"] for r in json.loads(listed.stdout)] == ["sbx_nobody"]
    assert deliver(client, provider, intent, "succeeded", "evt-x").json()["duplicate"] is True


def test_a_signed_but_malformed_event_is_422_and_writes_nothing(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded
) -> None:
    body = b'{"id": "evt-1", "type": "refunded", "intent": "x"}'
    answer = client.post(WEBHOOK, content=body, headers=provider.signed_headers(body, at=NOW))
    assert answer.status_code == 422
    assert "type" in answer.json()["message"]
    assert count(session, PaymentEvent) == 0


def test_no_webhook_is_accepted_when_payments_are_off(db_url: str, seeded: Seeded) -> None:
    app = create_app(settings_for(db_url, payments_provider="off"))
    try:
        with TestClient(app) as c:
            refused = c.post(WEBHOOK, content=b"{}")
            assert refused.status_code == 401
            assert "ARREARS_PAYMENTS_PROVIDER=off" in refused.json()["message"]
            assert c.get("/payments/sandbox/sbx_x").status_code == 404
    finally:
        app.state.engine.dispose()


# --- posting reconciles promises at once -------------------------------------------------------


def test_a_payment_keeps_the_promise_at_once_and_the_collector_sees_it(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded
) -> None:
    wo_id = seeded.work_orders[0]
    case_service.transition(
        session=session, work_order_id=wo_id, to="in_progress", actor="u:collector"
    )
    promise = promise_service.take_promise(
        session=session,
        work_order_id=wo_id,
        amount="500.00",
        due_on=NOW.date() + timedelta(days=5),
        channel="call",
        actor="u:collector",
    )
    session.commit()
    intent = start(session, seeded, "500.00")
    assert deliver(client, provider, intent, "succeeded", "evt-1").json()["outcome"] == "applied"
    session.expire_all()
    kept = session.get(Promise, promise.id)
    assert kept is not None
    assert (kept.status, kept.paid) == ("kept", D("500.00"))
    case = session.get(WorkOrder, wo_id)
    assert case is not None
    assert case.status == "kept"  # from promised: the next follow-up is not for this amount
    actions = set(session.scalars(sa.select(AuditEvent.action)))
    assert {"payment.posted", "promise.reconcile", "payment_intent.transition"} <= actions
    # Tonight's stage finds nothing left to do: no follow-up for a paid amount.
    counts = nightly.reconcile_all(session=session, actor="system", as_of=NOW.date())
    assert (counts["kept"], counts["broken"], counts["partially_kept"]) == (0, 0, 0)
    # The collector's case view shows the payment.
    sign_in(client, "collector")
    view = client.get(f"/api/v1/workbench/cases/{wo_id}").json()
    assert any(
        e["kind"] == "payment" and e["summary"] == "500.00 (online)" for e in view["timeline"]
    ), view["timeline"]


def test_a_partial_payment_leaves_the_promise_pending(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded
) -> None:
    promise = promise_service.take_promise(
        session=session,
        work_order_id=seeded.work_orders[0],
        amount="500.00",
        due_on=NOW.date() + timedelta(days=5),
        channel="call",
        actor="u:collector",
    )
    session.commit()
    intent = start(session, seeded, "200.00")
    deliver(client, provider, intent, "succeeded", "evt-1")
    session.expire_all()
    found = session.get(Promise, promise.id)
    assert found is not None
    assert found.status == "pending"


# --- the sandbox checkout ----------------------------------------------------------------------


def test_the_sandbox_checkout_pays_through_a_signed_webhook(
    client: TestClient, session: Session, seeded: Seeded
) -> None:
    intent = start(session, seeded, "321.00")
    page = client.get(f"/payments/sandbox/{intent.provider_ref}")
    assert page.status_code == 200
    assert "321.00" in page.text
    assert 'id="sandbox-pay"' in page.text
    path = f"/payments/sandbox/{intent.provider_ref}"
    # A browser form: without the page's CSRF token it is refused.
    assert client.post(path, data={"outcome": "pay"}).status_code == 403
    done = client.post(
        path, data={"outcome": "pay", "csrf_token": csrf(client)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{RETURN}?intent={intent.public_id}"
    assert refreshed(session, intent).status == "succeeded"
    assert len(payments_of(session, intent)) == 1
    types = session.scalars(sa.select(PaymentEvent.type).order_by(PaymentEvent.id)).all()
    assert types == ["pending", "succeeded"]
    # Paid: the page no longer offers the buttons.
    assert 'id="sandbox-pay"' not in client.get(path).text


def test_the_sandbox_decline_fails_the_payment_in_chinese_too(
    client: TestClient, session: Session, seeded: Seeded
) -> None:
    intent = start(session, seeded, "10.00")
    path = f"/payments/sandbox/{intent.provider_ref}"
    client.cookies.set("arrears_locale", "zh-CN")
    page = client.get(path).text
    assert "沙箱收银台" in page
    assert "支付已发起" in page
    client.post(path, data={"outcome": "decline", "csrf_token": csrf(client)})
    assert refreshed(session, intent).status == "failed"
    assert payments_of(session, intent) == []
    assert "支付失败" in client.get(path).text
    assert client.get("/payments/sandbox/sbx_unknown").status_code == 404


def test_the_sandbox_is_off_with_a_real_provider(db_url: str, seeded: Seeded) -> None:
    app = create_app(
        settings_for(db_url, payments_provider="generic", payments_base_url="http://127.0.0.1:9")
    )
    try:
        with TestClient(app) as c:
            assert c.get("/payments/sandbox/sbx_x").status_code == 404
    finally:
        app.state.engine.dispose()


# --- concurrent deliveries ---------------------------------------------------------------------


def _await_lock_waiter(app: FastAPI, seen: threading.Event) -> None:
    """Hold the first delivery's transaction open until the second waits for the intent's
    row lock (PostgreSQL's own view of it), so the two overlap every run."""
    with app.state.engine.connect() as conn:
        for _ in range(600):
            waiting = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar()
            if waiting:
                seen.set()
                return
            conn.rollback()
            time.sleep(0.05)


@pytest.mark.parametrize("same_event", [True, False], ids=["same-event", "two-event-ids"])
def test_concurrent_deliveries_post_one_payment(
    db_url: str,
    app: FastAPI,
    provider: SandboxProvider,
    session: Session,
    seeded: Seeded,
    monkeypatch: pytest.MonkeyPatch,
    same_event: bool,
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: deliveries cannot overlap")
    intent = start(session, seeded)
    seen = threading.Event()
    original = service.reconcile_account

    def held_open(session: Session, **kwargs: Any) -> int:
        _await_lock_waiter(app, seen)
        return original(session, **kwargs)

    monkeypatch.setattr(service, "reconcile_account", held_open)

    def one(event_id: str) -> dict[str, Any]:
        return deliver(TestClient(app), provider, intent, "succeeded", event_id).json()

    ids = ["evt-a", "evt-a"] if same_event else ["evt-a", "evt-b"]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(one, ids))
    assert seen.is_set()  # the second delivery did wait for the first
    assert len(payments_of(session, intent)) == 1
    assert sorted(a["outcome"] for a in answers) == (
        ["applied", "applied"] if same_event else ["applied", "ignored"]
    )
    assert sorted(a["duplicate"] for a in answers) == ([False, True] if same_event else [False] * 2)
    assert count(session, PaymentEvent) == (1 if same_event else 2)
    assert refreshed(session, intent).status == "succeeded"


# --- operations --------------------------------------------------------------------------------


def test_operations_list_stuck_pending_payments(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded, cli: Any
) -> None:
    intent = start(session, seeded)
    deliver(client, provider, intent, "pending", "evt-p")
    with clock.frozen(NOW + timedelta(minutes=30)):
        assert json.loads(cli("payments", "list", "--status", "stuck", "--json").stdout) == []
    with clock.frozen(NOW + timedelta(minutes=90)):
        out = cli("payments", "list", "--status", "stuck")
        assert out.exit_code == 0
        assert intent.public_id in out.stdout
        assert "pending" in out.stdout
    bad = cli("payments", "list", "--status", "paid")
    assert bad.exit_code == 2
    assert "--status" in bad.stderr
    assert re.search(r"payments \(1\)", cli("payments", "list").stdout)


# --- the day a payment counts on ---------------------------------------------------------------


def test_a_payment_after_16_utc_reduces_what_is_owed_at_once(
    client: TestClient, provider: SandboxProvider, session: Session, seeded: Seeded
) -> None:
    """17:00 UTC is 01:00 tomorrow in Shanghai, the center's day the breakdown is counted on:
    the payment is dated that day, so the case page and the next checkout see it at once."""
    evening = NOW.replace(hour=17)
    account = session.get(CardAccount, seeded.accounts[0])
    assert account is not None
    with clock.frozen(evening):
        owed_before = service.room_to_pay(session, account=account, now=evening)[0]
        intent = start(session, seeded, "700.00")
        deliver(client, provider, intent, "succeeded", "evt-late")
        session.expire_all()
        owed_after, held, room = service.room_to_pay(session, account=account, now=evening)
    assert payments_of(session, intent)[0].paid_on == evening.date() + timedelta(days=1)
    assert owed_after == owed_before - D("700.00")
    assert (held, room) == (0, owed_after)


# --- the generic provider, on a real HTTP server -----------------------------------------------


@dataclass
class FakeProvider:
    """A provider's intent API on 127.0.0.1: checks our signature, answers an intent (or
    ``status``)."""

    secret: str
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0


@contextmanager
def provider_server(fake: FakeProvider) -> Iterator[FakeProvider]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stamp = self.headers["X-Payments-Timestamp"]
            if not signed_by(
                fake.secret, stamp.encode() + b"." + body, self.headers["X-Payments-Signature"]
            ):
                self.send_response(401)
                self.end_headers()
                return
            sent = json.loads(body)
            fake.received.append(
                {**sent, "path": self.path, "key": self.headers["Idempotency-Key"]}
            )
            answer = {"id": "pi_" + sent["merchant_ref"], "redirect_url": "https://pay.example/c"}
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(answer).encode())

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def test_the_generic_provider_is_asked_for_the_intent_with_a_signed_request(
    session: Session, seeded: Seeded
) -> None:
    with provider_server(FakeProvider(secret=SECRET)) as fake, clock.frozen(NOW):
        s = settings_for(
            "unused",
            payments_provider="generic",
            payments_base_url=f"http://127.0.0.1:{fake.port}/v1",
        )
        checkout = service.start_payment(
            session,
            cardholder_id=seeded.cardholders[0],
            account_id=seeded.accounts[0],
            amount="88.80",
            return_url=RETURN,
            settings=s,
        )
        session.commit()
        [sent] = fake.received
        assert sent["path"] == "/v1/intents"
        assert (sent["merchant_ref"], sent["key"]) == (checkout.intent_public_id,) * 2
        assert (sent["amount"], sent["currency"]) == ("88.80", "CNY")
        assert sent["return_url"] == f"http://localhost:8000{RETURN}"
        assert checkout.redirect_url == checkout.qr_payload == "https://pay.example/c"
        intent = session.scalars(sa.select(PaymentIntent)).one()
        assert (intent.provider, intent.provider_ref) == ("generic", "pi_" + intent.public_id)

        # The provider refusing (or a wrong secret): one clear error, nothing written.
        for refusing in (FakeProvider(secret=SECRET, status=500), FakeProvider(secret="other")):
            with provider_server(refusing) as down:
                url = f"http://127.0.0.1:{down.port}"
                with pytest.raises(ProviderUnavailable, match="refused the payment"):
                    service.start_payment(
                        session,
                        cardholder_id=seeded.cardholders[0],
                        account_id=seeded.accounts[0],
                        amount="10.00",
                        return_url=RETURN,
                        settings=s.model_copy(update={"payments_base_url": url}),
                    )
                session.rollback()
        assert count(session, PaymentIntent) == 1
