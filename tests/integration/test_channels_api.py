"""The messages API and the `arrears messages` CLI, with roles (the server owns identity, time,
language and address), the gateway's signed receipt callback (bad signature refused, replay a
no-op), the one-click opt-out link, and the case page's timeline. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.auth.service import issue_api_token
from arrears.channels.models import MessageReceipt, OutboxMessage
from arrears.channels.transports import SIGNATURE_HEADER, sign
from arrears.config import Settings, get_settings
from arrears.kit.clock import clock
from arrears.portfolio.models import Cardholder
from arrears.web.app import create_app
from tests.integration.channel_servers import Gateway, assert_reads_chinese, gateway_server
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import NOW, Seeded, seed

SECRET = "gateway-shared-secret"


@pytest.fixture
def seeded(session: Session) -> Seeded:
    with clock.frozen(NOW):
        result = seed(session)
        session.commit()
    return result


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Iterator[Gateway]:
    with gateway_server(SECRET) as gw:
        monkeypatch.setenv("ARREARS_DATABASE_URL", db_url)
        monkeypatch.setenv("ARREARS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
        monkeypatch.setenv("ARREARS_SMS_TRANSPORT", "gateway")
        monkeypatch.setenv("ARREARS_SMS_GATEWAY_URL", gw.url)
        monkeypatch.setenv("ARREARS_SMS_GATEWAY_SECRET", SECRET)
        monkeypatch.setenv("ARREARS_LINK_SECRET", "link-secret")
        get_settings.cache_clear()
        yield gw
    get_settings.cache_clear()


@pytest.fixture
def client(db_url: str, seeded: Seeded, gateway: Gateway) -> Iterator[TestClient]:
    clock.freeze(NOW)
    app = create_app(Settings(database_url=db_url, fee_schedule="cn-card"))
    try:
        with TestClient(app) as c:
            yield c
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def _post(client: TestClient, path: str, body: object) -> object:
    return client.post(path, json=body, headers={"X-CSRF-Token": csrf(client)})


def _receipt(client: TestClient, body: dict[str, str], *, secret: str = SECRET) -> object:
    raw = json.dumps(body).encode()
    return client.post(
        "/api/v1/channels/receipts",
        content=raw,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, raw)},
    )


def test_a_collector_queues_an_sms_the_relay_sends_it_and_the_receipt_delivers_it(
    client: TestClient, seeded: Seeded, session: Session, gateway: Gateway
) -> None:
    case = seeded.work_orders[0]
    sign_in(client, "collector")  # reads English; the debtor reads Chinese
    queued = _post(
        client, f"/api/v1/cases/{case}/messages", {"channel": "sms", "template": "payment_reminder"}
    )
    assert queued.status_code == 201, queued.text  # type: ignore[attr-defined]
    message = queued.json()  # type: ignore[attr-defined]
    assert (message["status"], message["locale"]) == ("queued", "zh-CN")
    assert message["sent_to"] != "+8613812345678"  # the collector sees it masked
    assert message["queued_by"] == "user:collector"
    # The caller does not pick the address, the language or the time.
    extra = _post(
        client,
        f"/api/v1/cases/{case}/messages",
        {"channel": "sms", "template": "payment_reminder", "to": "+8613900000000"},
    )
    assert extra.status_code == 422  # type: ignore[attr-defined]
    # Only a role that runs the relay may run it.
    assert _post(client, "/api/v1/messages/send", {}).status_code == 403  # type: ignore[attr-defined]
    sign_in(client, "admin")  # the relay is a scheduled job: who runs the cycle runs it
    run = _post(client, "/api/v1/messages/send", {})
    assert run.status_code == 200, run.text  # type: ignore[attr-defined]
    assert run.json()["sent"] == 1  # type: ignore[attr-defined]
    (handed,) = gateway.received
    key = handed["id"]
    client.cookies.clear()
    bad = _receipt(
        client, {"receipt_id": "r1", "message": key, "status": "delivered"}, secret="forged"
    )
    assert bad.status_code == 401  # type: ignore[attr-defined]
    good = _receipt(client, {"receipt_id": "r1", "message": key, "status": "delivered"})
    assert good.json() == {"message_id": message["id"], "status": "delivered", "applied": True}  # type: ignore[attr-defined]
    replay = _receipt(client, {"receipt_id": "r1", "message": key, "status": "delivered"})
    assert replay.status_code == 200  # type: ignore[attr-defined]
    assert replay.json()["applied"] is False  # type: ignore[attr-defined]
    assert session.scalar(sa.select(sa.func.count()).select_from(MessageReceipt)) == 1
    assert session.scalar(sa.select(OutboxMessage.status)) == "delivered"
    # The case page shows the message and its state on the timeline.
    sign_in(client, "collector")
    page = client.get(f"/cases/{case}")
    assert "sms · payment_reminder (zh-CN) · delivered" in page.text


def test_a_stop_reply_opts_out_and_the_next_sms_is_refused(
    client: TestClient, seeded: Seeded, session: Session, gateway: Gateway
) -> None:
    case = seeded.work_orders[0]
    sign_in(client, "collector")
    first = _post(
        client, f"/api/v1/cases/{case}/messages", {"channel": "sms", "template": "payment_reminder"}
    )
    key = session.scalar(sa.select(OutboxMessage.dedupe_key))
    client.cookies.clear()
    reply = _receipt(
        client, {"receipt_id": "in-1", "message": str(key), "status": "reply", "text": "退订"}
    )
    assert reply.status_code == 200, reply.text  # type: ignore[attr-defined]
    assert reply.json()["status"] == "cancelled"  # type: ignore[attr-defined]
    sign_in(client, "collector")
    again = _post(
        client, f"/api/v1/cases/{case}/messages", {"channel": "sms", "template": "payment_reminder"}
    )
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "opt_out" in again.json()["detail"] or "opt" in again.text  # type: ignore[attr-defined]
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    assert first.status_code == 201  # type: ignore[attr-defined]


def test_the_email_opt_out_link_works_once_signed_and_never_forged(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    case = seeded.work_orders[0]
    sign_in(client, "collector")
    on_file = client.put(
        f"/api/v1/cases/{case}/channels",
        json={"channel": "email", "address": "zhang1@example.cn", "preferred": True},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert on_file.status_code == 200, on_file.text
    queued = _post(
        client,
        f"/api/v1/cases/{case}/messages",
        {"channel": "email", "template": "payment_reminder"},
    )
    assert queued.status_code == 201  # type: ignore[attr-defined]
    html = session.scalar(sa.select(OutboxMessage.html))
    assert html is not None
    link = html.split('href="')[1].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlparse(link).query)
    client.cookies.clear()
    forged = client.post(f"/api/v1/channels/opt-out?m={query['m'][0]}&sig=00")
    assert forged.status_code == 401
    done = client.post(f"/api/v1/channels/opt-out?m={query['m'][0]}&sig={query['sig'][0]}")
    assert done.status_code == 200, done.text
    assert done.json()["opted_out_via"] == "link"
    assert session.scalar(sa.select(OutboxMessage.status)) == "cancelled"


def test_a_threat_through_the_api_is_409_with_the_rule_and_queues_nothing(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    case = seeded.work_orders[0]
    sign_in(client, "collector")
    refused = _post(
        client,
        f"/api/v1/cases/{case}/messages",
        {"channel": "sms", "template": "collector_note", "note": "we will tell your employer"},
    )
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "content.third_party_threat" in refused.text  # type: ignore[attr-defined]
    unknown = _post(
        client, f"/api/v1/cases/{case}/messages", {"channel": "sms", "template": "nope"}
    )
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    no_email = _post(
        client,
        f"/api/v1/cases/{case}/messages",
        {"channel": "email", "template": "payment_reminder"},
    )
    assert no_email.status_code == 422  # type: ignore[attr-defined]
    # Another collector's case is not found (scoping), as for a missing one.
    other = _post(
        client,
        f"/api/v1/cases/{seeded.work_orders[1]}/messages",
        {"channel": "sms", "template": "payment_reminder"},
    )
    assert other.status_code == 404  # type: ignore[attr-defined]
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_cli_queues_lists_and_sends_with_roles(
    cli: object, seeded: Seeded, session: Session, tmp_path: Path
) -> None:
    run = cli
    case = str(seeded.work_orders[0])
    with clock.frozen(NOW):
        queued = run(
            "messages",
            "queue",
            "--case",
            case,
            "--channel",
            "sms",
            "--template",
            "payment_reminder",
            "--as",
            "collector",
            "--json",
        )  # type: ignore[operator]
        assert queued.exit_code == 0, queued.stderr
        assert json.loads(queued.stdout)["status"] == "queued"
        unknown = run(
            "messages",
            "queue",
            "--case",
            case,
            "--channel",
            "sms",
            "--template",
            "nope",
            "--as",
            "collector",
        )  # type: ignore[operator]
        assert unknown.exit_code == 2
        assert "no sms template named 'nope'" in unknown.stderr
        threat = run(
            "messages",
            "queue",
            "--case",
            case,
            "--channel",
            "sms",
            "--template",
            "collector_note",
            "--note",
            "再不还钱就告诉你单位",
            "--as",
            "collector",
        )  # type: ignore[operator]
        assert threat.exit_code == 1
        assert "content.third_party_threat" in threat.stderr
        no_mail = run(
            "messages",
            "queue",
            "--case",
            case,
            "--channel",
            "email",
            "--template",
            "payment_reminder",
            "--as",
            "collector",
        )  # type: ignore[operator]
        assert no_mail.exit_code == 2
        assert "no email address on file" in no_mail.stderr
        not_mine = run(
            "messages",
            "queue",
            "--case",
            str(seeded.work_orders[1]),
            "--channel",
            "sms",
            "--template",
            "payment_reminder",
            "--as",
            "collector",
        )  # type: ignore[operator]
        assert not_mine.exit_code != 0
        listed = run("messages", "list", "--case", case, "--as", "collector", "--json")  # type: ignore[operator]
        (only,) = json.loads(listed.stdout)
        assert only["status"] == "queued"
        denied = run("messages", "send", "--as", "collector")  # type: ignore[operator]
        assert denied.exit_code != 0
        sent = run("messages", "send", "--spool", str(tmp_path / "spool"), "--json")  # type: ignore[operator]
        assert sent.exit_code == 0, sent.stderr
        assert json.loads(sent.stdout)["sent"] == 1
    assert (tmp_path / "spool" / "sms-20261120.jsonl").exists()
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1


def test_the_case_page_queues_a_message_and_shows_a_refusal_with_its_rule(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    case = seeded.work_orders[0]
    sign_in(client, "collector")
    page = client.get(f"/cases/{case}")
    assert 'id="message-form"' in page.text
    sent = client.post(
        f"/cases/{case}/message",
        data={"channel": "sms", "template": "payment_reminder", "csrf_token": csrf(client)},
    )
    assert sent.status_code == 200
    assert "sms · payment_reminder (zh-CN) · queued" in sent.text
    threat = client.post(
        f"/cases/{case}/message",
        data={
            "channel": "sms",
            "template": "collector_note",
            "note": "再不还钱就告诉你单位",
            "csrf_token": csrf(client),
        },
    )
    assert 'id="action-error"' in threat.text
    assert "content.third_party_threat" in threat.text
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1


def test_a_gateway_without_its_url_is_one_clear_line_not_a_traceback(
    cli: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARREARS_SMS_TRANSPORT", "gateway")
    monkeypatch.delenv("ARREARS_SMS_GATEWAY_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = cli("messages", "send")  # type: ignore[operator]
    finally:
        monkeypatch.delenv("ARREARS_SMS_TRANSPORT")
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert "bad settings: sms_transport=gateway needs ARREARS_SMS_GATEWAY_URL" in result.stderr
    assert "Traceback" not in result.stderr


def _token(session: Session, seeded: Seeded, role: str = "collector") -> dict[str, str]:
    _, token = issue_api_token(
        session=session, user_id=seeded.users[role], name="t", days=None, actor="test"
    )
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_api_refusals_and_states_read_in_the_language_the_client_asks_for(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    case = seeded.work_orders[0]
    h = _token(session, seeded)  # the collector's own setting is English
    url = f"/api/v1/cases/{case}/messages"
    threat = {"channel": "sms", "template": "collector_note", "note": "再不还钱就告诉你单位"}
    zh = client.post(url, json=threat, headers={**h, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 409, zh.text
    body = zh.json()
    assert body["message"].startswith("合规检查拒绝发送此短信（content.third_party_threat）")
    assert_reads_chinese(body["message"])
    assert body["detail"]["rules"] == ["content.third_party_threat"]  # the rule id kept
    en = client.post(url, json=threat, headers=h).json()
    assert en["message"].startswith("compliance refuses this sms (content.third_party_threat)")
    # A letter to a case: queued; its state read in Chinese.
    letter = client.post(
        url,
        json={"channel": "letter", "template": "cn-card"},
        headers={**h, "Accept-Language": "zh-CN"},
    )
    assert letter.status_code == 201, letter.text
    assert (letter.json()["channel"], letter.json()["state"]) == ("letter", "已排队")
    listed = client.get(url, headers={**h, "Accept-Language": "zh-CN"}).json()
    assert [m["state"] for m in listed] == ["已排队"]
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1


def test_api_bad_letter_input_and_an_opted_out_number_queue_nothing(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    case = seeded.work_orders[0]
    h = _token(session, seeded)
    url = f"/api/v1/cases/{case}/messages"
    unknown = client.post(url, json={"channel": "letter", "template": "fr-x"}, headers=h)
    assert unknown.status_code == 422, unknown.text
    assert "no letter kind named 'fr-x'" in unknown.json()["message"]
    holder = session.scalars(sa.select(Cardholder).where(Cardholder.external_ref == "C0001")).one()
    holder.address = None
    session.commit()
    homeless = client.post(url, json={"channel": "letter", "template": "cn-card"}, headers=h)
    assert homeless.status_code == 422, homeless.text
    assert "no postal address on file" in homeless.json()["message"]
    opted = client.post(
        f"/api/v1/cases/{case}/channels/opt-out", json={"channel": "sms"}, headers=h
    )
    assert opted.status_code == 200, opted.text
    refused = client.post(
        url,
        json={"channel": "sms", "template": "payment_reminder"},
        headers={**h, "Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["message"] == (
        "合规检查拒绝发送此短信（opt_out.sms）：该客户已要求不通过短信联系"
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_cli_says_refusals_in_the_readers_language_and_refuses_an_opted_out_number(
    cli: Any, seeded: Seeded, session: Session
) -> None:
    run = cli
    case = str(seeded.work_orders[0])
    queue = ("messages", "queue", "--case", case, "--as", "collector")
    with clock.frozen(NOW):
        threat = run(
            *queue, "--channel", "sms", "--template", "collector_note",
            "--note", "再不还钱就告诉你单位", "--locale", "zh-CN",
        )  # fmt: skip
        assert threat.exit_code == 1, threat.stderr
        assert "合规检查拒绝发送此短信（content.third_party_threat）" in threat.stderr
        assert_reads_chinese(threat.stderr.removeprefix("error:"))
        bad = run(*queue, "--template", "payment_reminder", "--locale", "fr")
        assert bad.exit_code == 2
        assert "--locale must be one of" in bad.stderr
        opted = run("messages", "opt-out", "--case", case, "--channel", "sms", "--as", "collector")
        assert opted.exit_code == 0, opted.stderr
        again = run(*queue, "--channel", "sms", "--template", "payment_reminder")
        assert again.exit_code == 1
        assert "opt_out.sms" in again.stderr
        assert len(again.stderr.strip().splitlines()) == 1, again.stderr
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_case_page_in_chinese_says_the_refusal_and_the_state_in_chinese(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    from arrears.auth.models import User

    user = session.get(User, seeded.users["collector"])
    assert user is not None
    user.locale = "zh-CN"
    session.commit()
    case = seeded.work_orders[0]
    sign_in(client, "collector")
    sent = client.post(
        f"/cases/{case}/message",
        data={"channel": "sms", "template": "payment_reminder", "csrf_token": csrf(client)},
    )
    assert sent.status_code == 200
    assert "短信 · payment_reminder (zh-CN) · 已排队" in sent.text
    threat = client.post(
        f"/cases/{case}/message",
        data={
            "channel": "sms",
            "template": "collector_note",
            "note": "再不还钱就告诉你单位",
            "csrf_token": csrf(client),
        },
    )
    assert 'id="action-error"' in threat.text
    assert "合规检查拒绝发送此短信（content.third_party_threat）" in threat.text
    assert "compliance refuses" not in threat.text
