"""The outbound pipeline end to end on real transports: an SMTP server (aiosmtpd), the SMS
spool and an HTTP SMS gateway, each started by the test; compliance at queue time and at send
time; opt-outs; bad input that queues nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.channels import service as channel_service
from arrears.channels import setup
from arrears.channels.models import OutboxMessage
from arrears.compliance.reasons import message_in
from arrears.config import get_settings
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, RuleRefused
from arrears.portfolio.models import Cardholder
from arrears.workbench import messages
from tests.integration.channel_servers import (
    Gateway,
    SmtpSink,
    assert_reads_chinese,
    gateway_server,
    smtp_server,
)
from tests.web_seed import NOW, Seeded, seed

SECRET = "gateway-shared-secret"
NIGHT = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai: outside the hours
NEXT_MORNING = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def seeded(session: Session) -> Seeded:
    with clock.frozen(NOW):
        result = seed(session)
        session.commit()
    return result


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        monkeypatch.setenv("ARREARS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ARREARS_SMTP_PORT", str(sink.port))
        monkeypatch.setenv("ARREARS_SMTP_FROM", "collections@bank.example")
        monkeypatch.setenv("ARREARS_SMTP_UNSUBSCRIBE_MAILBOX", "unsubscribe@bank.example")
        monkeypatch.setenv("ARREARS_LINK_SECRET", "link-secret")
        get_settings.cache_clear()
        yield sink
    get_settings.cache_clear()


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with gateway_server(SECRET) as gw:
        monkeypatch.setenv("ARREARS_SMS_TRANSPORT", "gateway")
        monkeypatch.setenv("ARREARS_SMS_GATEWAY_URL", gw.url)
        monkeypatch.setenv("ARREARS_SMS_GATEWAY_SECRET", SECRET)
        get_settings.cache_clear()
        yield gw
    get_settings.cache_clear()


def _queue(session: Session, case: int, channel: str, template: str, **kw: str) -> OutboxMessage:
    message = messages.queue_message(
        session=session,
        work_order_id=case,
        channel=channel,
        template=template,
        note=kw.get("note"),
        actor="user:collector",
    )
    session.commit()
    return message


def _relay(session: Session, *, spool: Path | None = None) -> dict[str, int]:
    run = messages.relay(
        session=session, actor="system:relay", transports=setup.transports(spool=spool)
    )
    session.commit()
    return run.as_dict()


def _count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) or 0


def test_an_sms_goes_through_the_spool_in_the_debtors_language(
    session: Session, seeded: Seeded, tmp_path: Path
) -> None:
    case = seeded.work_orders[0]
    with clock.frozen(NOW):
        message = _queue(session, case, "sms", "payment_reminder")
        assert (message.status, message.locale) == ("queued", "zh-CN")  # the debtor's language
        assert _relay(session, spool=tmp_path)["sent"] == 1
    (line,) = (tmp_path / "sms-20261120.jsonl").read_text("utf-8").splitlines()
    handed = json.loads(line)
    assert handed["to"] == "+8613812345678"
    assert "张1" in handed["body"]
    assert "回复TD退订" in handed["body"]  # every electronic message carries its opt-out
    session.refresh(message)
    assert message.status == "sent"
    assert message.provider_ref == f"sms-20261120.jsonl#{message.dedupe_key}"


def test_an_sms_goes_through_the_http_gateway_signed(
    session: Session, seeded: Seeded, gateway: Gateway
) -> None:
    case = seeded.work_orders[0]
    with clock.frozen(NOW):
        message = _queue(session, case, "sms", "payment_reminder")
        assert _relay(session)["sent"] == 1
    (received,) = gateway.received
    assert gateway.bad_signatures == 0
    assert received["id"] == received["idempotency_key"] == message.dedupe_key
    assert received["to"] == "+8613812345678"
    assert received["text"] == message.body
    assert received["callback"].endswith("/api/v1/channels/receipts")
    session.refresh(message)
    assert (message.status, message.provider_ref) == ("sent", "gw-1")


def test_a_gateway_that_refuses_for_good_fails_the_message(
    session: Session, seeded: Seeded, gateway: Gateway
) -> None:
    gateway.answer = 400
    with clock.frozen(NOW):
        message = _queue(session, seeded.work_orders[0], "sms", "payment_reminder")
        assert _relay(session)["failed"] == 1
    session.refresh(message)
    assert message.status == "failed"
    assert message.last_error is not None
    assert message.last_error.startswith("gateway: 400")


def test_an_email_goes_through_smtp_multipart_with_list_unsubscribe(
    session: Session, seeded: Seeded, smtp: SmtpSink
) -> None:
    case = seeded.work_orders[0]
    holder_id = session.scalar(sa.select(Cardholder.id).where(Cardholder.external_ref == "C0001"))
    assert holder_id is not None
    with clock.frozen(NOW):
        channel_service.set_channel(
            session=session,
            cardholder_id=holder_id,
            channel="email",
            address="zhang1@example.cn",
            preferred=True,
            actor="user:collector",
        )
        message = _queue(session, case, "email", "payment_reminder")
        assert _relay(session)["sent"] == 1
    ((rcpt, mail),) = smtp.received
    assert rcpt == ["zhang1@example.cn"]
    assert mail["Subject"].startswith("【") is False
    assert "信用卡账户还款提醒" in mail["Subject"]
    assert mail["Message-ID"] == message.provider_ref
    unsubscribe = mail["List-Unsubscribe"]
    assert "mailto:unsubscribe@bank.example" in unsubscribe
    assert "/api/v1/channels/opt-out?m=" in unsubscribe
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "尊敬的张1" in text.get_content()
    assert "<strong>" in html.get_content()
    assert "退订" in html.get_content()


def test_an_english_debtor_gets_english_whatever_the_collector_reads(
    session: Session, seeded: Seeded, tmp_path: Path
) -> None:
    holder = session.scalars(sa.select(Cardholder).where(Cardholder.external_ref == "C0001")).one()
    holder.language = "en"
    session.commit()
    with clock.frozen(NOW):
        message = _queue(session, seeded.work_orders[0], "sms", "payment_reminder")
    assert message.locale == "en"
    assert message.body.endswith("Reply STOP to opt out.")


def test_an_email_bounced_by_the_server_is_recorded(
    session: Session, seeded: Seeded, smtp: SmtpSink
) -> None:
    smtp.refuse.add("gone@example.cn")
    holder_id = session.scalar(sa.select(Cardholder.id).where(Cardholder.external_ref == "C0001"))
    assert holder_id is not None
    with clock.frozen(NOW):
        channel_service.set_channel(
            session=session,
            cardholder_id=holder_id,
            channel="email",
            address="gone@example.cn",
            preferred=None,
            actor="t",
        )
        message = _queue(session, seeded.work_orders[0], "email", "payment_reminder")
        run = _relay(session)
    assert (run["sent"], run["failed"]) == (0, 1)
    session.refresh(message)
    assert message.status == "bounced"
    assert message.last_error is not None
    assert "550" in message.last_error
    assert smtp.received == []


def test_a_threat_is_refused_with_its_rule_and_nothing_is_queued(
    session: Session, seeded: Seeded
) -> None:
    with clock.frozen(NOW), pytest.raises(RuleRefused) as refused:
        _queue(session, seeded.work_orders[0], "sms", "collector_note", note="再不还钱就告诉你单位")
    session.rollback()
    assert "content.third_party_threat" in refused.value.message
    assert _count(session) == 0


def test_outside_the_hours_a_message_is_held_then_sent_when_allowed(
    session: Session, seeded: Seeded, tmp_path: Path
) -> None:
    case = seeded.work_orders[0]
    with clock.frozen(NIGHT):
        message = _queue(session, case, "sms", "payment_reminder")
        assert message.status == "held"
        assert message.held_rule == "time_window"
        assert message.next_allowed_at == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # 08:00
        assert _relay(session, spool=tmp_path)["sent"] == 0  # not yet allowed: not even asked
    assert not (tmp_path / "sms-20261120.jsonl").exists()
    with clock.frozen(NEXT_MORNING):
        assert _relay(session, spool=tmp_path)["sent"] == 1
    session.refresh(message)
    assert message.status == "sent"


def test_queued_in_the_day_but_relayed_at_night_is_held_at_send_time(
    session: Session, seeded: Seeded, gateway: Gateway
) -> None:
    with clock.frozen(NOW):
        message = _queue(session, seeded.work_orders[0], "sms", "payment_reminder")
    with clock.frozen(NIGHT):
        assert _relay(session)["held"] == 1
    assert gateway.received == []
    session.refresh(message)
    assert (message.status, message.held_rule) == ("held", "time_window")
    assert message.last_error is not None
    assert "allowed from" in message.last_error


def test_bad_input_is_one_clear_error_and_queues_nothing(session: Session, seeded: Seeded) -> None:
    case = seeded.work_orders[0]
    holder_id = session.scalar(sa.select(Cardholder.id).where(Cardholder.external_ref == "C0001"))
    assert holder_id is not None
    with clock.frozen(NOW):
        with pytest.raises(BadInput, match="no sms template named 'threaten'"):
            _queue(session, case, "sms", "threaten")
        session.rollback()
        with pytest.raises(BadInput, match="no email address on file"):
            _queue(session, case, "email", "payment_reminder")
        session.rollback()
        channel_service.opt_out(
            session=session, cardholder_id=holder_id, channel="sms", via="collector", actor="t"
        )
        session.commit()
        with pytest.raises(RuleRefused, match="opt_out"):
            _queue(session, case, "sms", "payment_reminder")
        session.rollback()
    assert _count(session) == 0


def test_an_opt_out_cancels_what_is_pending_and_stops_later_messages(
    session: Session, seeded: Seeded, tmp_path: Path
) -> None:
    holder_id = session.scalar(sa.select(Cardholder.id).where(Cardholder.external_ref == "C0001"))
    assert holder_id is not None
    with clock.frozen(NOW):
        message = _queue(session, seeded.work_orders[0], "sms", "payment_reminder")
        channel_service.opt_out(
            session=session, cardholder_id=holder_id, channel="sms", via="reply", actor="t"
        )
        session.commit()
        assert _relay(session, spool=tmp_path)["sent"] == 0
    session.refresh(message)
    assert message.status == "cancelled"
    assert not (tmp_path / "sms-20261120.jsonl").exists()


def _email_on_file(session: Session, address: str = "zhang1@example.cn") -> None:
    holder_id = session.scalar(sa.select(Cardholder.id).where(Cardholder.external_ref == "C0001"))
    assert holder_id is not None
    channel_service.set_channel(
        session=session,
        cardholder_id=holder_id,
        channel="email",
        address=address,
        preferred=True,
        actor="user:collector",
    )
    session.commit()


def test_an_email_threat_is_refused_and_nothing_reaches_smtp(
    session: Session, seeded: Seeded, smtp: SmtpSink
) -> None:
    with clock.frozen(NOW):
        _email_on_file(session)
        with pytest.raises(RuleRefused) as refused:
            _queue(
                session,
                seeded.work_orders[0],
                "email",
                "collector_note",
                note="Pay today or we will post your name and tell your family.",
            )
        session.rollback()
        assert _relay(session)["sent"] == 0
    assert "content.third_party_threat" in refused.value.message
    assert _count(session) == 0
    assert smtp.received == []


def test_an_email_queued_at_night_is_held_then_goes_through_smtp_in_the_morning(
    session: Session, seeded: Seeded, smtp: SmtpSink
) -> None:
    with clock.frozen(NIGHT):
        _email_on_file(session)
        message = _queue(session, seeded.work_orders[0], "email", "payment_reminder")
        assert (message.status, message.held_rule) == ("held", "time_window")
        assert message.last_error is not None
        assert "allowed from 2026-11-21T00:00:00+00:00" in message.last_error
        assert _relay(session)["sent"] == 0
    assert smtp.received == []
    with clock.frozen(NEXT_MORNING):
        assert _relay(session)["sent"] == 1
    ((rcpt, mail),) = smtp.received
    assert rcpt == ["zhang1@example.cn"]
    session.refresh(message)
    assert (message.status, message.held_rule, message.next_allowed_at) == ("sent", None, None)


def test_a_threat_at_night_is_refused_not_held_for_the_morning(
    session: Session, seeded: Seeded
) -> None:
    # Both the hour and the content block it; the hour passes, the threat does not.
    with clock.frozen(NIGHT), pytest.raises(RuleRefused) as refused:
        _queue(session, seeded.work_orders[0], "sms", "collector_note", note="再不还钱就告诉你单位")
    session.rollback()
    assert "content.third_party_threat" in refused.value.message
    assert "time_window" in refused.value.message
    assert _count(session) == 0


def test_under_reg_f_every_sms_carries_its_opt_out_and_one_without_is_blocked(
    session: Session, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arrears.contacts import outbox_service

    monkeypatch.setenv("ARREARS_JURISDICTION", "us-reg-f")
    get_settings.cache_clear()
    holder = session.scalars(sa.select(Cardholder).where(Cardholder.external_ref == "C0001")).one()
    holder.language = "en"
    session.commit()
    try:
        with clock.frozen(NOW):
            message = _queue(session, seeded.work_orders[0], "sms", "payment_reminder")
            assert message.status == "queued"
            assert message.compliance["profile"] == "us-reg-f"
            assert message.fields == {"opt_out": "Reply STOP to opt out."}
            bare = OutboxMessage(
                dedupe_key="probe",
                kind="collector",
                work_order_id=seeded.work_orders[0],
                cardholder_id=holder.id,
                channel="sms",
                address=message.address,
                template="payment_reminder",
                locale="en",
                body="Please pay.",
                fields={},
                collector_ref="bank",
            )
            verdict = outbox_service.check_message(session, bare, NOW, actor="t")
        assert not verdict.allowed
        assert "content.required_field" in verdict.rules
        assert verdict.next_allowed_at is None  # never: it is not a matter of time
    finally:
        get_settings.cache_clear()


def test_without_a_channel_the_debtors_preferred_one_is_used_until_he_opts_out(
    session: Session, seeded: Seeded
) -> None:
    case = seeded.work_orders[0]
    with clock.frozen(NOW):
        _email_on_file(session)  # preferred
        first = messages.queue_message(
            session=session,
            work_order_id=case,
            channel=None,
            template="payment_reminder",
            note=None,
            actor="user:collector",
        )
        session.commit()
        assert (first.channel, first.address) == ("email", "zhang1@example.cn")
        channel_service.opt_out(
            session=session,
            cardholder_id=first.cardholder_id,
            channel="email",
            via="link",
            actor="t",
        )
        second = messages.queue_message(
            session=session,
            work_order_id=case,
            channel=None,
            template="payment_reminder",
            note=None,
            actor="user:collector",
        )
        session.commit()
    assert second.channel == "sms"


# --- the reason in the reader's language (the acceptance: each channel, zh-CN) ------------------


def test_an_sms_threat_on_the_gateway_is_refused_in_chinese_and_nothing_reaches_it(
    session: Session, seeded: Seeded, gateway: Gateway
) -> None:
    with clock.frozen(NOW), pytest.raises(RuleRefused) as refused:
        _queue(session, seeded.work_orders[0], "sms", "collector_note", note="再不还钱就告诉你单位")
    session.rollback()
    zh = message_in(refused.value, "zh-CN")
    assert zh.startswith("合规检查拒绝发送此短信（content.third_party_threat）：")
    assert "威胁告知或上门找雇主、家人或联系人" in zh
    assert_reads_chinese(zh)
    with clock.frozen(NOW):
        assert _relay(session)["sent"] == 0
    assert gateway.received == []
    assert _count(session) == 0


def test_an_sms_relayed_at_night_is_held_and_says_so_in_chinese_on_the_spool(
    session: Session, seeded: Seeded, tmp_path: Path
) -> None:
    with clock.frozen(NOW):
        message = _queue(session, seeded.work_orders[0], "sms", "payment_reminder")
    with clock.frozen(NIGHT):
        assert _relay(session, spool=tmp_path)["held"] == 1
    assert not (tmp_path / "sms-20261120.jsonl").exists()
    session.refresh(message)
    zh = messages.state_text(message, "zh-CN")
    assert zh == "暂缓发送（time_window，2026-11-21 08:00后可发送）"
    assert_reads_chinese(zh)
    assert messages.state_text(message, "en") == "held (time_window, until 2026-11-21 08:00)"


def test_an_sms_to_a_number_that_opted_out_is_refused_in_chinese(
    session: Session, seeded: Seeded
) -> None:
    holder_id = session.scalar(sa.select(Cardholder.id).where(Cardholder.external_ref == "C0001"))
    assert holder_id is not None
    with clock.frozen(NOW):
        channel_service.opt_out(
            session=session, cardholder_id=holder_id, channel="sms", via="reply", actor="t"
        )
        session.commit()
        with pytest.raises(RuleRefused) as refused:
            _queue(session, seeded.work_orders[0], "sms", "payment_reminder")
        session.rollback()
    zh = message_in(refused.value, "zh-CN")
    assert zh == "合规检查拒绝发送此短信（opt_out.sms）：该客户已要求不通过短信联系"
    assert _count(session) == 0


def test_an_email_threat_is_refused_in_chinese_and_nothing_reaches_smtp(
    session: Session, seeded: Seeded, smtp: SmtpSink
) -> None:
    with clock.frozen(NOW):
        _email_on_file(session)
        with pytest.raises(RuleRefused) as refused:
            _queue(
                session,
                seeded.work_orders[0],
                "email",
                "collector_note",
                note="再不还钱，我们就把你的名字发到网上，让你全家都知道。",
            )
        session.rollback()
        assert _relay(session)["sent"] == 0
    zh = message_in(refused.value, "zh-CN")
    assert zh.startswith("合规检查拒绝发送此电子邮件（")
    assert "威胁公开曝光或羞辱" in zh
    assert_reads_chinese(zh)
    assert smtp.received == []
    assert _count(session) == 0


def test_an_email_queued_at_night_is_held_and_the_timeline_says_so_in_chinese(
    session: Session, seeded: Seeded, smtp: SmtpSink
) -> None:
    from arrears.cases.models import WorkOrder
    from arrears.workbench.case_view import build_case_view

    with clock.frozen(NIGHT):
        _email_on_file(session)
        message = _queue(session, seeded.work_orders[0], "email", "payment_reminder")
        assert _relay(session)["sent"] == 0
        wo = session.get(WorkOrder, seeded.work_orders[0])
        assert wo is not None
        view = build_case_view(session=session, work_order=wo, locale="zh-CN")
    assert smtp.received == []
    assert message.status == "held"
    (entry,) = [t for t in view.timeline if t.kind == "message"]
    assert entry.summary == (
        "电子邮件 · payment_reminder (zh-CN) · 暂缓发送（time_window，2026-11-21 08:00后可发送）"
    )
    assert_reads_chinese(entry.summary)
