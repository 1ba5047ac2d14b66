"""A printed letter from the case page, as an SMS or an e-mail is sent from it: the message form
offers the letter's kinds, a preview shows the owed breakdown as the letter prints it (the case
page's own ledger) and the PDF behind the session, queueing goes through the outbound pipeline
to the print folder, once on a double submit; refusals, no address, an unknown kind and another
team's case queue nothing, said in the reader's language. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from arrears.auth.masking import mask_address
from arrears.auth.models import User
from arrears.cases.models import WorkOrder
from arrears.channels.models import OutboxMessage
from arrears.compliance.models import ComplianceCheck
from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.portfolio.models import Cardholder
from arrears.web.app import create_app
from arrears.workbench import messages
from arrears.workbench.case_view import build_case_view
from tests.integration.channel_servers import assert_reads_chinese
from tests.integration.test_letters import pdf_text, squash
from tests.integration.test_web_api import csrf, sign_in
from tests.web_seed import ADDRESS, NOW, Seeded, seed


@pytest.fixture
def seeded(session: Session) -> Seeded:
    with clock.frozen(NOW):
        result = seed(session)
        session.commit()
    return result


@pytest.fixture
def client(db_url: str, seeded: Seeded, tmp_path: Path) -> Iterator[TestClient]:
    clock.freeze(NOW)  # 10:00 in Shanghai: the center's day and the page's are one day
    app = create_app(
        Settings(database_url=db_url, warehouse=tmp_path / "warehouse.duckdb", locale="en")
    )
    try:
        with TestClient(app) as c:
            yield c
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def _count(session: Session, model: type = OutboxMessage) -> int:
    session.expire_all()
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _reads(session: Session, seeded: Seeded, locale: str) -> None:
    user = session.get(User, seeded.users["collector"])
    assert user is not None
    user.locale = locale
    session.commit()


def _preview(client: TestClient, case: int, template: str = "cn-card") -> str:
    found = client.post(
        f"/cases/{case}/message/preview",
        data={"channel": "letter", "template": template},
        headers={"X-CSRF-Token": csrf(client), "HX-Request": "true"},
    )
    assert found.status_code == 200, found.text
    return html.unescape(found.text)


def _queue(client: TestClient, case: int, template: str = "cn-card", **more: str) -> str:
    page = client.post(
        f"/cases/{case}/message",
        data={"channel": "letter", "template": template, "csrf_token": csrf(client), **more},
    )
    assert page.status_code == 200, page.text
    return html.unescape(page.text)


def test_the_case_page_previews_the_letter_from_its_own_ledger_and_queues_it_once(
    client: TestClient, seeded: Seeded, session: Session, tmp_path: Path
) -> None:
    case = seeded.work_orders[0]
    sign_in(client, "collector")  # reads English; the customer reads Chinese
    page = client.get(f"/cases/{case}").text
    # The letter is a channel of the message form, its kinds its templates (the profile's first).
    assert '<option value="letter">letter</option>' in page
    kinds = re.findall(r'<option value="([a-z-]+)" data-channel="letter">', page)
    assert kinds == ["cn-card", "us-reg-f", "uk-conc"]
    key = re.search(
        r'name="idempotency_key" value="([0-9a-f]+)">\s*<label>[^<]*<select name="channel"', page
    )
    assert key is not None

    checks = _count(session, ComplianceCheck)
    preview = _preview(client, case)
    assert 'data-status="allowed"' in preview
    reference = f"CN-CARD-{case}-20261120"
    assert f'data-reference="{reference}"' in preview
    assert "zh-CN" in preview  # the customer's language, not the collector's
    assert ADDRESS not in preview  # masked, as on the case page
    assert mask_address(ADDRESS) in preview
    # The figures are the case page's: the same ledger, account by account, line by line.
    wo = session.get(WorkOrder, case)
    assert wo is not None
    view = build_case_view(session=session, work_order=wo, locale="en")
    totals = dict(re.findall(r'data-account="([^"]+)" data-total="([0-9.]+)"', preview))
    assert {a.account_ref: a.total_due for a in view.accounts} == {
        ref: Decimal(total) for ref, total in totals.items()
    }
    assert preview.count('class="letter-line"') == sum(len(a.items) for a in view.accounts)
    for account in view.accounts:
        for item in account.items:
            assert f'<td class="num">{item.amount:,.2f} CNY</td>' in preview, item
    # A preview queues nothing and leaves no compliance decision behind.
    assert (_count(session), _count(session, ComplianceCheck)) == (0, checks)

    # The PDF as it will print, behind the session: no-store, never a public URL.
    pdf_url = f"/cases/{case}/letter-preview.pdf?kind=cn-card"
    assert f'href="{pdf_url}"' in preview
    document = client.get(pdf_url)
    assert document.status_code == 200, document.text
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["cache-control"] == "no-store"
    (tmp_path / "preview.pdf").write_bytes(document.content)
    previewed = pdf_text(tmp_path / "preview.pdf")
    assert "信用卡逾期欠款正式通知函" in previewed
    assert squash(reference) in previewed
    assert squash(f"{view.total_due:,.2f}CNY") in previewed
    assert squash(ADDRESS) not in previewed
    assert _count(session) == 0
    anonymous = TestClient(client.app)
    shut = anonymous.get(pdf_url, follow_redirects=False)
    assert (shut.status_code, shut.headers["location"]) == (
        303,
        f"/sign-in?next=/cases/{case}/letter-preview.pdf",
    )

    # Queued from the form, submitted twice with the page's key: one letter.
    first = _queue(client, case, idempotency_key=key.group(1))
    second = _queue(client, case, idempotency_key=key.group(1))
    for shown in (first, second):
        assert 'id="action-done"' in shown
        assert f"letter · cn-card (zh-CN) · {reference} · queued" in shown
    assert _count(session) == 1
    message = session.scalars(sa.select(OutboxMessage)).one()
    assert (message.channel, message.status, message.locale) == ("letter", "queued", "zh-CN")
    assert message.fields["reference"] == reference
    assert message.compliance["allowed"] is True
    assert message.queued_by == "user:collector"

    # The pipeline's relay prints it to the print folder; the timeline says sent.
    run = messages.relay(
        session=session,
        actor="system:relay",
        transports=messages.all_transports(spool=tmp_path / "spool", letters_to=tmp_path / "print"),
    )
    session.commit()
    assert run.sent == 1
    session.refresh(message)
    printed = pdf_text(tmp_path / "print" / str(message.provider_ref))
    assert squash(f"{view.total_due:,.2f}CNY") in printed
    assert squash(reference) in printed
    # The preview was the letter, but for the masked address.
    assert previewed.replace(squash(mask_address(ADDRESS)), "") == printed.replace(
        squash(ADDRESS), ""
    )
    assert f"letter · cn-card (zh-CN) · {reference} · sent" in client.get(f"/cases/{case}").text


def test_a_letter_compliance_refuses_is_said_in_the_readers_language_and_nothing_is_queued(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    case = seeded.work_orders[0]
    _reads(session, seeded, "zh-CN")
    # The customer disputes the debt: the case is on hold, no collection letter goes out.
    wo = session.get(WorkOrder, case)
    assert wo is not None
    wo.status, wo.hold_reason = "on_hold", "dispute"
    holder = session.get(Cardholder, wo.cardholder_id)
    assert holder is not None
    holder.flags = ["dispute"]
    session.commit()
    sign_in(client, "collector")
    preview = _preview(client, case)
    assert 'data-status="refused"' in preview
    said = re.search(r'<span class="reason">([^<]*)</span>', preview)
    assert said is not None
    assert said.group(1).startswith("合规检查拒绝发送此信函（hold.dispute）")
    assert_reads_chinese(said.group(1))
    assert "letter-preview.pdf" not in preview  # no PDF of a letter that may not go
    refused_pdf = client.get(f"/cases/{case}/letter-preview.pdf?kind=cn-card")
    assert refused_pdf.status_code == 409
    assert "合规检查拒绝发送此信函（hold.dispute）" in refused_pdf.text
    banner = _queue(client, case)
    assert 'id="action-error"' in banner
    assert "合规检查拒绝发送此信函（hold.dispute）" in banner
    assert "compliance refuses" not in banner
    assert _count(session) == 0


def test_no_address_an_unknown_kind_and_another_team_s_case_queue_nothing(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    case, other = seeded.work_orders[0], seeded.work_orders[1]
    holder = session.get(Cardholder, seeded.cardholders[0])
    assert holder is not None
    holder.address = None
    session.commit()
    sign_in(client, "collector")
    english = _preview(client, case)
    assert 'data-status="invalid"' in english
    assert f"case {case}: the customer has no postal address on file" in english
    _reads(session, seeded, "zh-CN")
    sign_in(client, "collector")
    chinese = _preview(client, case)
    sentence = f"案件{case}：客户没有登记邮寄地址，无法寄出信函"
    assert sentence in chinese
    assert sentence in _queue(client, case)
    assert client.get(f"/cases/{case}/letter-preview.pdf?kind=cn-card").status_code == 422

    unknown = _queue(client, case, "fr-x")
    assert 'id="action-error"' in unknown
    assert "no letter kind named 'fr-x'" in unknown
    assert "no letter kind named 'fr-x'" in _preview(client, case, "fr-x")
    # A letter's kind is not an SMS template: the pair is refused, not guessed.
    mismatched = client.post(
        f"/cases/{case}/message",
        data={"channel": "sms", "template": "cn-card", "csrf_token": csrf(client)},
    )
    assert "no sms template named 'cn-card'" in html.unescape(mismatched.text)

    # Another team's case (placed with an agency): 404 for the form, the preview and the PDF.
    assert (
        client.post(
            f"/cases/{other}/message",
            data={"channel": "letter", "template": "cn-card", "csrf_token": csrf(client)},
        ).status_code
        == 404
    )
    hidden = client.post(
        f"/cases/{other}/message/preview",
        data={"channel": "letter", "template": "cn-card"},
        headers={"X-CSRF-Token": csrf(client), "HX-Request": "true"},
    )
    assert hidden.status_code == 404
    assert "letter-preview" not in hidden.text
    assert client.get(f"/cases/{other}/letter-preview.pdf?kind=cn-card").status_code == 404
    assert _count(session) == 0


def test_before_eight_in_shanghai_the_page_and_the_letter_price_the_same_day(
    client: TestClient, seeded: Seeded, session: Session
) -> None:
    """At 23:30 UTC it is already 07:30 tomorrow in Shanghai. The letter was dated by the
    center's day and the case page by the UTC date, so the page showed a day's interest less
    than the letter printed beside it."""
    clock.freeze(datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    case = seeded.work_orders[0]
    sign_in(client, "collector")
    preview = _preview(client, case)
    assert f'data-reference="CN-CARD-{case}-20261121"' in preview
    wo = session.get(WorkOrder, case)
    assert wo is not None
    view = build_case_view(session=session, work_order=wo, locale="en")
    totals = dict(re.findall(r'data-account="([^"]+)" data-total="([0-9.]+)"', preview))
    assert {a.account_ref: a.total_due for a in view.accounts} == {
        ref: Decimal(total) for ref, total in totals.items()
    }
