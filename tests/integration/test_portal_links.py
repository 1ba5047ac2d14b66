"""Sending portal links (issue 16 §1) on SQLite and PostgreSQL: through the outbound pipeline
in the customer's language with the link in the text, compliance deciding; a letter's link
printed; nothing issued for a customer the portal could not verify; the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.channels import service as channel_service
from arrears.channels import setup
from arrears.channels.models import OutboxMessage
from arrears.kit.clock import clock
from arrears.kit.errors import RuleRefused
from arrears.portal.models import PortalLink
from arrears.portfolio.models import Cardholder
from arrears.workbench import messages, portal_links
from tests.portal_fixtures import PORTAL_NOW, PortalStore, create_portal_app
from tests.web_seed import NOW, seed

URL = r"http://localhost:8000/portal/l/"


def _token_of(text: str) -> str:
    start = text.index(URL) + len(URL)
    return text[start : start + 43]


def test_an_sms_carries_a_working_link_in_the_customers_language(
    portal_store: PortalStore, session: Session, db_url: str, tmp_path: Path
) -> None:
    first, second = portal_store.first, portal_store.second
    sent = portal_links.send_link(
        session=session, work_order_id=first.work_order_id, channel="sms", actor="user:x"
    )
    english = portal_links.send_link(
        session=session, work_order_id=second.work_order_id, channel="sms", actor="user:x"
    )
    session.commit()
    assert sent.message is not None
    assert english.message is not None
    assert sent.message.template == "portal_link"
    assert sent.message.locale == "zh-CN"
    assert "仅限使用一次" in sent.message.body
    assert english.message.locale == "en"
    assert "works once" in english.message.body
    token = _token_of(sent.message.body)
    # The store keeps only the token's hash.
    stored = session.scalars(sa.select(PortalLink.token_hash)).all()
    assert token not in stored
    assert len(stored) == 2
    assert all(len(h) == 64 for h in stored)
    # The relay hands it to the SMS spool, opt-out included.
    run = messages.relay(
        session=session, actor="system:relay", transports=setup.transports(spool=tmp_path)
    )
    session.commit()
    assert run.sent == 2
    (spooled,) = [
        json.loads(line)
        for line in (tmp_path / "sms-20261120.jsonl").read_text("utf-8").splitlines()
        if URL + token in line
    ]
    assert "回复TD退订" in spooled["body"]
    # And the link it carries opens the verification page.
    app = create_portal_app(db_url)
    try:
        with TestClient(app) as client:
            page = client.get(f"/portal/l/{token}")
            assert page.status_code == 200
            assert 'id="birth_date"' in page.text
    finally:
        app.state.engine.dispose()


def test_an_email_carries_the_link_and_a_letter_only_prints_it(
    portal_store: PortalStore, session: Session
) -> None:
    first = portal_store.first
    channel_service.set_channel(
        session=session,
        cardholder_id=first.cardholder_id,
        channel="email",
        address="wang1@example.cn",
        preferred=False,
        actor="user:x",
    )
    email = portal_links.send_link(
        session=session, work_order_id=first.work_order_id, channel="email", actor="user:x"
    )
    assert email.message is not None
    assert email.message.html is not None
    assert email.url in email.message.body
    assert f'href="{email.url}"' in email.message.html
    letter = portal_links.send_link(
        session=session, work_order_id=first.work_order_id, channel="letter", actor="user:x"
    )
    assert letter.message is None
    assert letter.issued.link.expires_at - PORTAL_NOW == timedelta(days=30)
    third = portal_links.send_link(
        session=session,
        work_order_id=first.work_order_id,
        channel="sms",
        audience="third_party",
        actor="user:x",
    )
    assert third.message is None  # never sent to the cardholder's phone from here
    assert third.issued.link.audience == "third_party"


def test_no_link_for_a_customer_without_the_facts_on_file(
    portal_store: PortalStore, session: Session
) -> None:
    first = portal_store.first
    holder = session.get(Cardholder, first.cardholder_id)
    assert holder is not None
    holder.birth_date = None
    session.commit()
    with pytest.raises(RuleRefused, match="birth_date"):
        portal_links.send_link(
            session=session, work_order_id=first.work_order_id, channel="sms", actor="user:x"
        )
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(PortalLink)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_cli_sends_or_prints_a_link(cli: Any, session: Session) -> None:
    with clock.frozen(NOW):
        seeded = seed(session, customers=1)
        session.commit()
    run = cli
    clock.freeze(NOW)
    try:
        # C0001 has no birth date on file: refused, nothing issued.
        refused = run(
            "portal", "link", "--account", "A0001", "--channel", "sms", "--as", "collector"
        )
        assert refused.exit_code == 1
        assert "birth_date" in refused.stderr
        holder = session.get(Cardholder, seeded.cardholders[0])
        assert holder is not None
        holder.birth_date = date(1990, 3, 7)
        session.commit()
        sent = run("portal", "link", "--account", "A0001", "--channel", "sms", "--as", "collector")
        assert sent.exit_code == 0, sent.stderr
        assert "message" in sent.stdout
        assert "/portal/l/" not in sent.stdout  # the secret is not echoed when it is sent
        printed = run(
            "portal",
            "link",
            "--case",
            str(seeded.work_orders[0]),
            "--channel",
            "letter",
            "--as",
            "collector",
            "--json",
        )
        assert printed.exit_code == 0, printed.stderr
        body = json.loads(printed.stdout)
        assert body["url"].startswith(URL)
        assert body["message_id"] is None
        bad = run(
            "portal",
            "link",
            "--case",
            str(seeded.work_orders[0]),
            "--channel",
            "fax",
            "--as",
            "collector",
        )
        assert bad.exit_code == 2
        both = run("portal", "link", "--channel", "sms", "--as", "collector")
        assert both.exit_code == 2
    finally:
        clock.unfreeze()
    assert session.scalar(sa.select(sa.func.count()).select_from(PortalLink)) == 2
