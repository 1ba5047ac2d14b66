"""A formal-notice letter through the outbound pipeline, like an SMS or an e-mail: queued with
compliance at queue time, checked again at send time, printed as a PDF into the print folder by
the relay, tracked (sent); refused when its wording is unlawful or cancelled when a dispute came
in between, with the reason in the reader's language; a print folder that cannot be written is
retried and then failed, never a traceback. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.auth import policy
from arrears.auth.models import User
from arrears.cases.models import WorkOrder
from arrears.channels.models import OutboxMessage
from arrears.channels.transports import MAX_ATTEMPTS
from arrears.compliance.reasons import message_in
from arrears.contacts import letters as letterheads
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput, RuleRefused
from arrears.portfolio.models import Cardholder
from arrears.workbench import messages
from arrears.workbench.case_view import build_case_view
from tests.integration.channel_servers import assert_reads_chinese
from tests.integration.test_letters import MORNING, assert_amounts, pdf_text, seed, shown


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


def _queue(session: Session, case: int, kind: str = "cn-card") -> OutboxMessage:
    message = messages.queue_message(
        session=session,
        work_order_id=case,
        channel="letter",
        template=kind,
        note=None,
        actor="user:collector",
    )
    session.commit()
    return message


def _relay(session: Session, tmp_path: Path, letters_to: Path | None = None) -> dict[str, int]:
    run = messages.relay(
        session=session,
        actor="system:relay",
        transports=messages.all_transports(
            spool=tmp_path / "spool", letters_to=letters_to or tmp_path / "print"
        ),
    )
    session.commit()
    return run.as_dict()


@pytest.fixture
def collector(session: Session, monkeypatch: pytest.MonkeyPatch) -> str:
    """A collector who reads English; every case in scope here (assignment scoping is the
    web suite's)."""
    monkeypatch.setitem(policy.CASE_SCOPE, "collector", "all")
    session.add(
        User(
            username="lee",
            display_name="Lee",
            password_hash="x",
            role="collector",
            locale="en",
            active=True,
            created_at=MORNING,
            password_changed_at=MORNING,
        )
    )
    session.commit()
    return "lee"


def _count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) or 0


def test_a_formal_notice_goes_queue_compliance_pdf_sent_to_the_cent(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    case = seed(session, language="zh-CN")
    message = _queue(session, case)
    assert (message.status, message.channel, message.locale) == ("queued", "letter", "zh-CN")
    assert message.compliance["allowed"] is True  # asked at queue time
    assert message.address.startswith("Room 1203")
    assert _relay(session, tmp_path)["sent"] == 1
    session.refresh(message)
    assert message.status == "sent"
    assert message.compliance["at_send"]["allowed"] is True  # and again at send time
    pdf = tmp_path / "print" / str(message.provider_ref)
    assert pdf.suffix == ".pdf"
    text = pdf_text(pdf)
    assert "信用卡逾期欠款正式通知函" in text
    # Every line of the owed breakdown and its total, to the cent, as `account show` has them.
    assert_amounts(text, shown(cli, "A-C1"))
    with (tmp_path / "print" / "manifest.csv").open(encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["file"], row["case_id"], row["kind"]) == (pdf.name, str(case), "cn-card")
    # A second pass prints nothing again.
    assert _relay(session, tmp_path)["sent"] == 0
    assert [p.name for p in (tmp_path / "print").glob("*.pdf")] == [pdf.name]
    # The case timeline, read in Chinese.
    wo = session.get(WorkOrder, case)
    assert wo is not None
    view = build_case_view(session=session, work_order=wo, locale="zh-CN")
    (entry,) = [t for t in view.timeline if t.kind == "message"]
    # With the letter's own reference, the one printed on it.
    assert entry.summary == f"信函 · cn-card (zh-CN) · CN-CARD-{case}-20260302 · 已发送"


def test_a_letter_whose_wording_threatens_is_refused_in_the_readers_language(
    cli: Any, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: str
) -> None:
    # A bank edits its letterhead (docs/letters.md: "a bank copies these files to change them").
    original = letterheads.letterhead

    def edited(locale: str) -> dict[str, str]:
        head = dict(original(locale))
        head["legal_basis"] += "逾期不还将通知您的单位和家人。"
        return head

    monkeypatch.setattr(letterheads, "letterhead", edited)
    case = seed(session, language="zh-CN")
    with pytest.raises(RuleRefused) as refused:
        _queue(session, case)
    session.rollback()
    assert "content.third_party_threat" in refused.value.message  # the English, rule id kept
    zh = message_in(refused.value, "zh-CN")
    assert zh.startswith("合规检查拒绝发送此信函（content.third_party_threat）")
    assert "威胁告知或上门找雇主、家人或联系人" in zh
    assert_reads_chinese(zh)
    # The same through the CLI, read in Chinese (--locale).
    result = cli(
        "messages", "queue", "--case", str(case), "--channel", "letter", "--template", "cn-card",
        "--as", collector, "--locale", "zh-CN",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    assert "content.third_party_threat" in result.stderr
    assert_reads_chinese(result.stderr.removeprefix("error:"))
    assert _count(session) == 0
    assert _relay(session, tmp_path)["sent"] == 0
    assert not (tmp_path / "print").exists()


def test_a_dispute_raised_after_queueing_cancels_the_letter_at_send_time(
    session: Session, tmp_path: Path
) -> None:
    case = seed(session, language="zh-CN")
    message = _queue(session, case)
    # The debtor disputes the debt before the relay runs: collection waits for verification.
    wo = session.get(WorkOrder, case)
    assert wo is not None
    wo.status, wo.hold_reason = "on_hold", "dispute"
    holder = session.get(Cardholder, wo.cardholder_id)
    assert holder is not None
    holder.flags = ["dispute"]
    session.commit()
    run = _relay(session, tmp_path)
    assert (run["sent"], run["refused"]) == (0, 1)
    session.refresh(message)
    assert (message.status, message.held_rule) == ("cancelled", "hold.dispute")
    assert not list((tmp_path / "print").glob("*.pdf")) if (tmp_path / "print").exists() else True
    zh = messages.state_text(message, "zh-CN")
    assert zh == "已取消（合规拒绝：该债务有争议：核实完成前暂停催收）"
    assert_reads_chinese(zh)
    assert messages.state_text(message, "en") == (
        "cancelled (refused: the debt is disputed: collection waits for verification)"
    )
    view = build_case_view(session=session, work_order=wo, locale="zh-CN")
    (entry,) = [t for t in view.timeline if t.kind == "message"]
    assert entry.summary == f"信函 · cn-card (zh-CN) · CN-CARD-{case}-20260302 · {zh}"


def test_a_print_folder_that_cannot_be_written_is_retried_then_failed(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    case = seed(session, language="zh-CN")
    message = _queue(session, case)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the print folder should be")
    for n in range(1, MAX_ATTEMPTS + 1):
        # Through the CLI, as the scheduler runs it: one line of counts, never a traceback.
        result = cli("messages", "send", "--letters", str(blocked / "print"), "--json")
        assert result.exit_code == 0, result.stderr
        assert "Traceback" not in result.stderr
        run = json.loads(result.stdout)
        assert (run["sent"], run["retrying"], run["failed"]) == (
            (0, 1, 0) if n < MAX_ATTEMPTS else (0, 0, 1)
        )
    session.expire_all()
    found = session.get(OutboxMessage, message.id)
    assert found is not None
    assert (found.status, found.attempts) == ("failed", MAX_ATTEMPTS)
    assert found.last_error is not None
    assert found.last_error.startswith("print-folder: cannot write the letter to")
    assert messages.state_text(found, "zh-CN").startswith("发送失败（发送渠道print-folder：")


def test_bad_input_unknown_kind_or_no_address_is_one_error_and_queues_nothing(
    cli: Any, session: Session, collector: str
) -> None:
    case = seed(session)
    homeless = seed(session, ref="C2", address=None)
    with pytest.raises(BadInput, match="no letter kind named 'fr-x'; known: cn-card"):
        _queue(session, case, "fr-x")
    session.rollback()
    with pytest.raises(BadInput, match="no postal address on file"):
        _queue(session, homeless)
    session.rollback()

    def refused(*args: str) -> str:
        result = cli("messages", "queue", "--channel", "letter", "--as", collector, *args)
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return result.stderr

    assert "no letter kind named 'fr-x'" in refused("--case", str(case), "--template", "fr-x")
    assert "no postal address" in refused("--case", str(homeless), "--template", "cn-card")
    assert _count(session) == 0


def test_the_batch_lists_refused_letters_in_the_readers_language(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    homeless = seed(session, ref="C2", address="  ")
    disputed = seed(session, ref="C3", flags=("dispute",), status="on_hold")
    out = tmp_path / "print"
    result = cli(
        "letters", "batch", "--as-of", "2026-03-02", "--out", str(out), "--locale", "zh-CN"
    )
    assert result.exit_code == 0, result.stderr
    with (out / "refused.csv").open(encoding="utf-8") as fh:
        refused = {int(r["case_id"]): (r["rules"], r["reason"]) for r in csv.DictReader(fh)}
    assert refused == {
        homeless: ("letter.address_missing", "客户没有邮寄地址"),
        disputed: ("hold.dispute", "该债务有争议：核实完成前暂停催收"),
    }
    english = cli("letters", "batch", "--as-of", "2026-03-02", "--out", str(out), "--locale", "en")
    assert english.exit_code == 0, english.stderr
    with (out / "refused.csv").open(encoding="utf-8") as fh:
        reasons = sorted(r["reason"] for r in csv.DictReader(fh))
    assert reasons == [
        "no postal address",
        "the debt is disputed: collection waits for verification",
    ]
    bad = cli(
        "letters", "batch", "--as-of", "2026-03-02", "--out", str(tmp_path / "x"), "--locale", "fr"
    )
    assert bad.exit_code == 2
    assert not (tmp_path / "x").exists()
