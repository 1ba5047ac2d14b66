"""The customer's contact preferences over HTTP (SQLite and PostgreSQL): the page shows each
channel's state and his call-back windows in his language; opting back in and withdrawing a
window act once per form key, refuse a second try and another customer's window in one
sentence with nothing written, need the CSRF token; and the collector sees the acts on the case
timeline, by the customer, and may call again."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.channels.models import ChannelOptOut
from arrears.compliance.models import ContactConsent
from arrears.contacts.models import ContactAttempt
from arrears.kit.audit import AuditEvent
from arrears.workbench import portal_actions as actions
from arrears.workbench.portal_actions import CustomerRef
from tests.integration import test_portal_act_web as act_web
from tests.integration.test_web_api import csrf
from tests.portal_fixtures import PortalStore, csrf_of, signed_in
from tests.web_seed import Seeded

# The collector's desk and the customer's phone on one store (the action pages' fixture).
bank = act_web.bank
count = act_web.count


def form_for(page: str, action: str, field: str, value: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to ``action`` with ``field`` = ``value``."""
    for form in re.findall(r"<form[^>]*>.*?</form>", page, re.S):
        if f'action="{action}"' in form and f'name="{field}" value="{value}"' in form:
            key = re.search(r'name="form_key" value="([^"]+)"', form)
            assert key is not None
            return {"csrf_token": csrf_of(page), "form_key": key.group(1), field: value}
    raise AssertionError(f"no form to {action} with {field}={value}")


def main(html: str) -> str:
    return html[html.find("<main") :]


def test_the_page_shows_what_he_agreed_to_in_his_language(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    for who, words in (
        (portal_store.first, ("您的联系偏好", "允许", "您没有预约回电时间。")),
        (portal_store.second, ("Your contact preferences", "allowed", "You have not asked")),
    ):
        signed_in(portal_client, portal_store, who)
        page = portal_client.get("/portal/preferences")
        assert page.status_code == 200
        assert "no-store" in page.headers["cache-control"]
        assert "<script" not in page.text
        for word in words:
            assert word in page.text, word
        for channel in ("sms", "email", "call", "letter"):
            assert f'id="state-{channel}"' in page.text
        home = portal_client.get("/portal/act")
        assert 'href="/portal/preferences"' in home.text
    views = session.scalars(
        sa.select(AuditEvent.actor).where(AuditEvent.action == "portal.view.act.preferences")
    ).all()
    assert sorted(views) == sorted([portal_store.first.actor, portal_store.second.actor])


def test_opting_back_in_through_the_page_acts_once(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    me = portal_store.first  # zh-CN
    signed_in(portal_client, portal_store, me)
    contact = portal_client.get("/portal/contact")
    stop = form_for(contact.text, "/portal/contact/opt-out", "channel", "sms")
    assert portal_client.post("/portal/contact/opt-out", data=stop).status_code == 200
    page = portal_client.get("/portal/preferences")
    assert "自 2026-11-20 起已停止" in page.text  # 10:00 in Shanghai on the 20th
    form = form_for(page.text, "/portal/preferences/opt-in", "channel", "sms")
    without = {k: v for k, v in form.items() if k != "csrf_token"}
    assert portal_client.post("/portal/preferences/opt-in", data=without).status_code == 403
    first = portal_client.post("/portal/preferences/opt-in", data=form)
    assert first.status_code == 200, main(first.text)[:1500]
    assert "您将可以再次收到我们的短信。" in first.text
    again = portal_client.post("/portal/preferences/opt-in", data=form)  # a double tap
    assert again.status_code == 200
    assert "您将可以再次收到我们的短信。" in again.text
    acts = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "channel.opt_in"))
    assert len(acts.all()) == 1
    # Another tab's form (a new key): told in one sentence, nothing written.
    before = count(session, AuditEvent)
    late = portal_client.post("/portal/preferences/opt-in", data={**form, "form_key": "other"})
    assert late.status_code == 409
    assert "您没有停止接收短信，无需更改。" in late.text
    assert count(session, AuditEvent) == before
    history = session.scalars(sa.select(ChannelOptOut)).one()
    assert (history.ended_by, history.ended_via) == (me.actor, "portal")
    page = portal_client.get("/portal/preferences")
    assert 'id="opt-in-sms"' not in page.text
    # An unknown channel: one sentence, 422.
    bad = portal_client.post(
        "/portal/preferences/opt-in", data={**form, "channel": "fax", "form_key": "k2"}
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text


def test_withdrawing_a_window_through_the_page_acts_once_and_only_on_his_own(
    portal_store: PortalStore, portal_client: TestClient, session: Session
) -> None:
    me, other = portal_store.second, portal_store.first  # en, zh-CN
    theirs = actions.ask_call_back(
        session=session,
        customer=CustomerRef(other.cardholder_id, other.external_ref),
        case_id=other.work_order_id,
        day="2026-11-23",
        start="18:00",
        end="19:00",
    )
    assert theirs.action == "call_back"
    session.commit()
    their_id = session.scalars(sa.select(ContactConsent.id)).one()
    signed_in(portal_client, portal_store, me)
    ask = portal_client.get("/portal/call-back")
    done = portal_client.post(
        "/portal/call-back",
        data={**act_web.form_of(ask.text), "day": "2026-11-23", "start": "18:00", "end": "19:00"},
    )
    assert done.status_code == 200
    assert 'href="/portal/preferences"' in done.text
    mine = session.scalars(
        sa.select(ContactConsent.id).where(ContactConsent.cardholder_id == me.cardholder_id)
    ).one()
    page = portal_client.get("/portal/preferences")
    assert f'id="window-{mine}"' in page.text
    assert f'id="window-{their_id}"' not in page.text
    assert "18:00–19:00" in page.text
    form = form_for(page.text, "/portal/preferences/withdraw", "consent_id", str(mine))
    # The other customer's window, by its id: as a missing one, nothing written.
    before = count(session, AuditEvent)
    refused = portal_client.post(
        "/portal/preferences/withdraw", data={**form, "consent_id": str(their_id)}
    )
    assert refused.status_code == 404
    assert "We could not find this call-back time." in refused.text
    assert count(session, AuditEvent) == before
    first = portal_client.post("/portal/preferences/withdraw", data=form)
    assert first.status_code == 200, main(first.text)[:1500]
    assert "We will not call you on 2026-11-23 between 18:00 and 19:00." in first.text
    again = portal_client.post("/portal/preferences/withdraw", data=form)
    assert again.status_code == 200  # the same key: the first outcome, once
    late = portal_client.post("/portal/preferences/withdraw", data={**form, "form_key": "new"})
    assert late.status_code == 409
    assert "You have already withdrawn this call-back time." in late.text
    session.expire_all()
    withdrawn = {c.id: c.withdrawn_by for c in session.scalars(sa.select(ContactConsent))}
    assert withdrawn == {mine: me.actor, their_id: None}
    page = portal_client.get("/portal/preferences")
    assert 'id="no-windows"' in page.text


def test_the_collector_sees_the_customer_take_back_and_may_call_again(
    bank: tuple[TestClient, TestClient, Seeded, str], session: Session
) -> None:
    collector, customer, seeded, actor = bank
    case_id = seeded.work_orders[0]
    contact = customer.get("/portal/contact")
    stop = form_for(contact.text, "/portal/contact/opt-out", "channel", "call")
    assert customer.post("/portal/contact/opt-out", data=stop).status_code == 200
    page = customer.get("/portal/preferences")
    back = form_for(page.text, "/portal/preferences/opt-in", "channel", "call")
    assert customer.post("/portal/preferences/opt-in", data=back).status_code == 200
    case = collector.get(f"/cases/{case_id}")
    timeline = case.text[case.text.index('id="timeline"') :]
    assert "portal.opt_out" in timeline
    assert "portal.opt_in" in timeline
    assert 'class="by-customer"' in timeline
    assert actor in timeline
    logged = collector.post(
        f"/cases/{case_id}/contact",
        data={"channel": "call", "outcome": "no_answer", "csrf_token": csrf(collector)},
        follow_redirects=False,
    )
    assert logged.status_code == 303
    session.expire_all()
    attempt = session.scalars(sa.select(ContactAttempt).order_by(ContactAttempt.id.desc())).first()
    assert attempt is not None
    assert attempt.status == "made", attempt.compliance_rules
