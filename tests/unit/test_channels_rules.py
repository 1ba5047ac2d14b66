"""The outbound pipeline's pure parts: the message state machine, the HMAC signatures, the
opt-out texts and replies, the bilingual templates, the e-mail's MIME shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.channels import setup, states, templates
from arrears.channels.smtp import SmtpTransport
from arrears.channels.transports import Outgoing, sign, signed_by
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, IllegalTransition

CONTEXT = {
    "bank_name": "Bank",
    "bank_phone": "95555",
    "bank_address": "1 Road",
    "customer_name": "Li <Wei>",
    "card_tail": "1234",
    "dpd": 36,
    "total_due": "1020.00",
    "currency": "CNY",
    "as_of": "2026-11-20",
    "items": [{"label": "principal", "amount": "1000.00"}],
    "note": "",
    "collector_name": "Wang",
    "opt_out": "Reply STOP to opt out.",
    "opt_out_link": "https://bank.example/x?m=1&sig=2",
    "portal_url": "https://bank.example/portal/l/token",
    "link_expires": "2026-11-23 10:00",
    "promise_amount": "100.00",
    "promise_due_on": "2026-11-25",
}


@given(st.lists(st.sampled_from(states.MESSAGE_STATUSES), max_size=12))
def test_a_final_state_is_never_left_except_a_late_bounce(path: list[str]) -> None:
    current = "queued"
    for target in path:
        if not states.can_move(current, target):
            with pytest.raises(IllegalTransition):
                states.move(current, target)
            continue
        if current in states.FINAL:
            assert (current, target) == ("delivered", "bounced")
        current = states.move(current, target)
    assert current in states.MESSAGE_STATUSES


def test_only_a_handed_message_can_be_delivered() -> None:
    assert not states.can_move("queued", "delivered")
    assert not states.can_move("held", "delivered")
    assert states.can_move("sent", "delivered")
    assert not states.can_move("cancelled", "sent")


@given(st.binary(max_size=200), st.text(min_size=1, max_size=20))
def test_a_signature_checks_only_its_own_body_and_secret(body: bytes, secret: str) -> None:
    signature = sign(secret, body)
    assert signed_by(secret, body, signature)
    assert not signed_by(secret + "x", body, signature)
    assert not signed_by(secret, body + b"x", signature)
    assert not signed_by("", body, sign("", body))  # no secret configured: nothing is signed
    assert not signed_by(secret, body, None)


@pytest.mark.parametrize("reply", ["STOP", " stop! ", "退订", "TD", "Unsubscribe."])
def test_a_stop_reply_is_an_opt_out(reply: str) -> None:
    assert templates.is_opt_out_reply(reply)


@pytest.mark.parametrize("reply", ["I will pay on Friday", "不要停止", "stopped"])
def test_an_ordinary_reply_is_not(reply: str) -> None:
    assert not templates.is_opt_out_reply(reply)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_every_template_renders_in_both_languages_with_its_opt_out(
    channel: str, locale: str
) -> None:
    for name in templates.known()[channel]:
        opt_out = templates.opt_out_text(channel, locale)
        assert opt_out
        rendered = templates.render(
            name,
            channel=channel,
            locale=locale,
            context={**CONTEXT, "note": "x", "opt_out": opt_out},
        )
        assert opt_out in rendered.body
        if channel == "email":
            assert rendered.subject
            assert rendered.html is not None
            assert "Li &lt;Wei&gt;" in rendered.html  # data, not markup
            assert "Li <Wei>" in rendered.body


def test_an_unknown_template_or_a_missing_value_is_bad_input() -> None:
    with pytest.raises(BadInput, match="no sms template named 'shame'; known: "):
        templates.render("shame", channel="sms", locale="en", context=CONTEXT)
    with pytest.raises(BadInput, match="channel must be one of"):
        templates.render("payment_reminder", channel="fax", locale="en", context=CONTEXT)
    with pytest.raises(BadInput, match="needs a value"):
        templates.render("payment_reminder", channel="sms", locale="en", context={})


def test_the_email_is_multipart_with_a_one_click_unsubscribe() -> None:
    transport = SmtpTransport(
        host="127.0.0.1",
        port=25,
        sender="collections@bank.example",
        unsubscribe_mailbox="unsubscribe@bank.example",
    )
    outgoing = Outgoing(
        id=1,
        dedupe_key="message:1:email:abc",
        channel="email",
        to="li@example.cn",
        locale="zh-CN",
        body="尊敬的客户",
        subject="还款提醒",
        html="<p>尊敬的客户</p>",
        unsubscribe="https://bank.example/api/v1/channels/opt-out?m=k&sig=s",
    )
    with clock.frozen(datetime(2026, 11, 20, 2, tzinfo=UTC)):
        mail = transport.compose(outgoing)
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail["Message-ID"] == "<message.1.email.abc@bank.example>"
    assert mail["List-Unsubscribe"] == (
        "<mailto:unsubscribe@bank.example?subject=unsubscribe%20message:1:email:abc>, "
        "<https://bank.example/api/v1/channels/opt-out?m=k&sig=s>"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Subject"] == "还款提醒"


def test_an_opt_out_link_is_signed_for_its_message_only() -> None:
    sig = setup.link_signature("secret", "message:1")
    assert setup.link_signature_ok("secret", "message:1", sig)
    assert not setup.link_signature_ok("secret", "message:2", sig)
    assert not setup.link_signature_ok("other", "message:1", sig)
