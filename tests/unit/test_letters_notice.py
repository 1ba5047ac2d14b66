"""The letter's pure rules: the Reg F validation period (receipt five business days after
sending, weekends and federal holidays excluded, then 30 days), the one adapter from the owed
breakdown to itemised amounts, the fields each profile requires, and the wording per locale."""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import holidays
import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.channels.transports import Refused, TransportError
from arrears.compliance.content import check_content, check_fields
from arrears.compliance.profile import load_profile
from arrears.contacts.letters import letterhead, notice, pdf
from arrears.contacts.letters.transport import PrintFolder
from arrears.delinquency import AccountTerms, PaymentFact, StatementFact, owed_breakdown
from arrears.delinquency.fees import load_fee_schedule
from arrears.kit.errors import BadInput

US_HOLIDAYS = holidays.country_holidays("US", years=range(2020, 2032))


def test_receipt_skips_the_weekend_and_a_federal_holiday() -> None:
    # Friday 2026-07-03 is the observed Independence Day: Thu 07-02 + 5 business days.
    assert notice.assumed_receipt(date(2026, 7, 2)) == date(2026, 7, 10)
    assert notice.validation_period_end(date(2026, 7, 2)) == date(2026, 8, 9)
    assert notice.assumed_receipt(date(2026, 3, 2)) == date(2026, 3, 9)


@given(st.dates(min_value=date(2021, 1, 1), max_value=date(2030, 12, 31)))
def test_receipt_is_exactly_five_business_days_later(sent: date) -> None:
    receipt = notice.assumed_receipt(sent)
    between = [sent + timedelta(days=n) for n in range(1, (receipt - sent).days + 1)]
    business = [d for d in between if d.weekday() < 5 and d not in US_HOLIDAYS]
    assert len(business) == 5
    assert receipt == business[-1]
    assert notice.validation_period_end(sent) == receipt + timedelta(days=30)


money = st.decimals(min_value=0, max_value=50_000, places=2)


@given(balances=st.lists(money, min_size=1, max_size=4), paid=st.lists(money, max_size=3))
def test_the_itemised_parts_add_up_to_the_total_to_the_cent(
    balances: list[D], paid: list[D]
) -> None:
    statements = [
        StatementFact(date(2026, m, 5), date(2026, m, 25), b, (b * D("0.1")).quantize(D("0.01")))
        for m, b in enumerate(balances, 1)
    ]
    latest = statements[-1].cycle_date
    payments = [PaymentFact(latest + timedelta(days=i + 1), p, f"P{i}") for i, p in enumerate(paid)]
    breakdown = owed_breakdown(
        terms=AccountTerms("CNY", D("0.1")),
        statements=statements,
        payments=payments,
        as_of=date(2026, 6, 30),
        schedule=load_fee_schedule("cn-card"),
    )
    item = notice.itemization(account_ref="A1", breakdown=breakdown, latest_cycle=latest, lang="en")
    assert item.itemization_date == latest
    assert item.total_due == breakdown.total_due
    assert item.payments == sum(paid, D(0))
    assert sum((line.amount for line in item.lines), D(0)) == item.total_due


def _letter(kind: str, locale: str = "en", address: str | None = "1 Main St") -> notice.Letter:
    breakdown = owed_breakdown(
        terms=AccountTerms("USD", D("0.1")),
        statements=[StatementFact(date(2026, 1, 5), date(2026, 1, 25), D("900.10"), D("90"))],
        payments=[],
        as_of=date(2026, 3, 2),
        schedule=load_fee_schedule("cn-card"),
    )
    item = notice.itemization(
        account_ref="A1", breakdown=breakdown, latest_cycle=date(2026, 1, 5), lang=locale
    )
    return notice.build(
        kind=kind,
        locale=locale,
        case_id=7,
        letter_date=date(2026, 3, 2),
        customer_name="Pat Doe",
        address=address,
        accounts=[item],
        letterhead=letterhead(locale),
    )


@pytest.mark.parametrize("kind", notice.KINDS)
@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_every_kind_carries_its_profiles_required_fields_and_clean_text(
    kind: str, locale: str
) -> None:
    letter = _letter(kind, locale)
    profile = load_profile(kind)
    assert check_fields("letter", pdf.letter_fields(letter), profile=profile) == []
    text = pdf.plain_text(pdf.render_html(letter))
    assert check_content(text, profile=profile) == []
    assert "900.10" in text


def test_a_letter_needs_an_address_and_a_known_kind() -> None:
    with pytest.raises(BadInput, match="no postal address"):
        _letter("cn-card", address="   ")
    with pytest.raises(BadInput, match="kinds: cn-card, us-reg-f, uk-conc"):
        _letter("fr-x")


def test_a_kind_without_a_template_is_one_clear_error() -> None:
    letter = dataclasses.replace(_letter("cn-card"), kind="fr-x")
    with pytest.raises(BadInput, match="no letter template for kind 'fr-x'"):
        pdf.render_html(letter)
    with pytest.raises(BadInput, match="letter wording 'cn-card.nope' is missing"):
        pdf.words("en", "cn-card.nope")


def test_wording_is_complete_in_both_locales() -> None:
    def keys(node: object, prefix: str = "") -> set[str]:
        if isinstance(node, dict):
            return {k for key, v in node.items() for k in keys(v, f"{prefix}{key}.")}
        return {prefix.rstrip(".")}

    assert keys(pdf.wording()["en"]) == keys(pdf.wording()["zh-CN"])


@dataclass(frozen=True)
class Queued:
    """The fields of the pipeline's ``Outgoing`` a letter transport reads."""

    dedupe_key: str
    to: str
    locale: str
    html: str | None
    fields: dict[str, str]


def test_the_print_folder_transport_writes_the_pdf_once_with_its_manifest_line(
    tmp_path: Path,
) -> None:
    letter = _letter("cn-card", "zh-CN")
    message = Queued(
        dedupe_key="letter:7:2026-03-02",
        to=letter.address,
        locale="zh-CN",
        html=pdf.render_html(letter),
        fields=pdf.letter_fields(letter),
    )
    folder = PrintFolder(tmp_path / "print")
    assert folder.handed(message) is None
    name = folder.send(message)
    assert name == "letter_7_2026-03-02.pdf"
    assert folder.handed(message) == name
    text = "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "print" / name).pages)
    assert "信用卡逾期欠款正式通知函" in text
    with (tmp_path / "print" / "manifest.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file"], r["recipient"], r["pages"]) for r in rows] == [(name, "Pat Doe", "1")]
    with pytest.raises(Refused, match="no HTML"):
        folder.send(Queued("x", "a", "en", None, {}))


def test_a_print_folder_that_cannot_be_written_is_the_pipelines_transport_error(
    tmp_path: Path,
) -> None:
    letter = _letter("cn-card", "en")
    message = Queued("letter:8", letter.address, "en", pdf.render_html(letter), {})
    (tmp_path / "file").write_text("not a folder")
    folder = PrintFolder(tmp_path / "file" / "print")
    with pytest.raises(TransportError, match="cannot write the letter to") as failed:
        folder.send(message)
    assert not isinstance(failed.value, Refused)  # retried by the relay, not failed for good
    assert folder.handed(message) is None
