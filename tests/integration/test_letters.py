"""Printed letters (PDF) on a real store, SQLite and PostgreSQL: each kind read back with pypdf
(amounts to the cent against `arrears account show`, the fields its profile requires), Chinese
text with an embedded font, one page rasterised (saved under var/test-artifacts/letters/), and
the refusals: unknown kind, no address, a compliance hold, a future batch date."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2
import pytest
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.contacts.letters.notice import validation_period_end
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput
from arrears.portfolio.models import CardAccount, Cardholder, Payment, Statement

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "var" / "test-artifacts" / "letters"
# Monday 2026-03-02 10:00 in Shanghai.
MORNING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(MORNING):
        yield


def seed(
    session: Session,
    *,
    ref: str = "C1",
    address: str | None = "Room 1203, 88 Century Avenue, Pudong, Shanghai 200120",
    language: str = "zh-CN",
    flags: tuple[str, ...] = (),
    status: str = "open",
) -> int:
    """One customer with one delinquent account (a payment after the latest statement) and a
    live case whose treatments include a letter; returns the case id."""
    now = clock.now()
    holder = Cardholder(
        external_ref=ref,
        name="李伟 Li Wei",
        identity_category="private_employee",
        created_at=now,
        language=language,
        address=address,
        time_zones=["Asia/Shanghai"],
        flags=list(flags),
    )
    session.add(holder)
    session.flush()
    account = CardAccount(
        external_ref=f"A-{ref}",
        cardholder_id=holder.id,
        product="classic",
        credit_limit=D("20000.00"),
        currency="CNY",
        statement_day=5,
        due_days=20,
        min_payment_ratio=D("0.1000"),
        status="active",
    )
    session.add(account)
    session.flush()
    for cycle, due, balance, minimum in (
        (date(2026, 1, 5), date(2026, 1, 25), "5000.00", "500.00"),
        (date(2026, 2, 5), date(2026, 2, 25), "5234.57", "523.46"),
    ):
        session.add(
            Statement(
                account_id=account.id,
                cycle_date=cycle,
                due_date=due,
                closing_balance=D(balance),
                minimum_due=D(minimum),
            )
        )
    session.add(
        Payment(
            account_id=account.id,
            paid_on=date(2026, 2, 20),
            amount=D("123.45"),
            channel="online",
            reference="P-1",
        )
    )
    wo = WorkOrder(
        cardholder_id=holder.id,
        customer_ref=ref,
        status=status,
        hold_reason="dispute" if status == "on_hold" else None,
        bucket="M2",
        dpd=36,
        amount_due=D("1020.00"),
        balance=D("5234.57"),
        level="advanced",
        queue="field",
        treatments=["call", "letter"],
        opened_on=TODAY,
        created_at=now,
        updated_at=now,
    )
    session.add(wo)
    session.flush()
    session.add(
        WorkOrderAccount(
            work_order_id=wo.id,
            account_ref=f"A-{ref}",
            account_id=account.id,
            bucket="M2",
            dpd=36,
            amount_due=D("1020.00"),
        )
    )
    session.commit()
    return wo.id


def squash(text: str) -> str:
    """Text without whitespace: pypdf breaks lines where the layout did."""
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> str:
    return squash("\n".join(p.extract_text() or "" for p in pypdf.PdfReader(path).pages))


def cents(amount: str | D) -> str:
    return f"{D(amount):,.2f}"


def shown(cli: Any, ref: str, as_of: str = "2026-03-02") -> dict[str, Any]:
    result = cli("account", "show", ref, "--as-of", as_of, "--json", "--locale", "en")
    assert result.exit_code == 0, result.stderr
    breakdown: dict[str, Any] = json.loads(result.stdout)["breakdown"]
    return breakdown


def assert_amounts(text: str, breakdown: dict[str, Any]) -> None:
    """Every line of the breakdown and its total, to the cent, as `account show` has them."""
    for item in breakdown["items"]:
        if D(item["amount"]) != 0:
            assert squash(cents(item["amount"])) in text, item
    assert squash(f"{cents(breakdown['total_due'])}CNY") in text


REQUIRED = {
    # cn-card art. 69: name, amount, reason and legal basis, rights, dispute channel, contact, seal
    ("cn-card", "en"): [
        "Formal notice of overdue card debt",
        "Reason and legal basis",
        "Measures for the Supervision and Administration of Credit Card Business",
        "Your rights and obligations",
        "To query or dispute",
        "400-000-0000",
        "Card Center Collections Department",
    ],
    ("cn-card", "zh-CN"): [
        "信用卡逾期欠款正式通知函",
        "欠款原因及法律依据",
        "《商业银行信用卡业务监督管理办法》",
        "您的权利和义务",
        "查询及异议方式",
        "400-000-0000",
        "信用卡中心催收部",
    ],
    ("us-reg-f", "en"): [
        "Validation notice",
        "As of 2026-02-05, you owed:",
        "You were charged this amount in interest:",
        "You were charged this amount in fees:",
        "You paid this amount toward the debt:",
        "You were credited this amount toward the debt:",
        "Total amount of the debt now:",
        "to dispute all or part of the debt",
        "name and address of the original creditor",
        "www.cfpb.gov/debt-collection",
    ],
    ("us-reg-f", "zh-CN"): [
        "债务确认通知",
        "截至2026-02-05，您的欠款为：",
        "向您收取的利息",
        "您已偿还的金额",
        "原始债权人的名称和地址",
    ],
    ("uk-conc", "en"): [
        "Notice of arrears",
        "Free, independent debt advice",
        "MoneyHelper",
        "reasonable proposal",
        "Financial Ombudsman Service",
    ],
    ("uk-conc", "zh-CN"): ["逾期欠款通知", "免费、独立的债务咨询", "MoneyHelper"],
}


@pytest.mark.parametrize(("kind", "locale"), sorted(REQUIRED))
def test_each_kind_prints_the_breakdown_to_the_cent_and_its_required_fields(
    cli: Any, session: Session, tmp_path: Path, kind: str, locale: str
) -> None:
    case = seed(session)
    out = tmp_path / "letter.pdf"
    result = cli(
        "letters", "render", "--case", str(case), "--kind", kind, "--locale", locale,
        "--out", str(out), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["locale"] == locale
    text = pdf_text(out)
    breakdown = shown(cli, "A-C1")
    for phrase in REQUIRED[(kind, locale)]:
        assert squash(phrase) in text, phrase
    assert squash("李伟 Li Wei") in text
    if kind == "us-reg-f":
        # Itemised the Reg F way: 5,234.57 on the statement date, payment 123.45 since.
        principal = next(i for i in breakdown["items"] if i["kind"] == "principal")
        assert squash(cents(principal["amount"])) in text
        assert squash("123.45") in text
        assert squash(f"{cents(breakdown['total_due'])}CNY") in text
        end = validation_period_end(TODAY)
        assert end == date(2026, 4, 8)  # receipt Monday 03-09 (five weekdays), + 30 days
        assert str(end) in text
    else:
        assert_amounts(text, breakdown)


def test_the_debtors_language_by_default_chinese_embedded_and_rasterised(
    cli: Any, session: Session, tmp_path: Path, db_url: str
) -> None:
    case = seed(session, language="zh-CN")
    out = tmp_path / "notice.pdf"
    result = cli("letters", "render", "--case", str(case), "--kind", "cn-card", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    reader = pypdf.PdfReader(out)
    assert "信用卡逾期欠款正式通知函" in reader.pages[0].extract_text()
    fonts = [
        f.get_object()
        for page in reader.pages
        for f in page["/Resources"]["/Font"].values()  # type: ignore[index]
    ]
    embedded = [
        f for f in fonts if any(k in f["/DescendantFonts"][0]["/FontDescriptor"] for k in
                                ("/FontFile", "/FontFile2", "/FontFile3"))
    ] if all("/DescendantFonts" in f for f in fonts) else []  # fmt: skip
    assert embedded, "the CJK font is embedded"
    assert any("WenQuanYi" in str(f["/BaseFont"]) or "Noto" in str(f["/BaseFont"]) for f in fonts)

    # One page as an image, kept for a person to look at; it has ink on it.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    backend = "postgres" if db_url.startswith("postgresql") else "sqlite"
    image = pypdfium2.PdfDocument(str(out))[0].render(scale=1.5).to_pil().convert("L")
    image.save(ARTIFACTS / f"cn-card-zh-CN-{backend}.png")
    dark = sum(1 for v in image.getdata() if v < 128)
    assert dark > 5_000, dark
    # The seal is red and on the first page: some pixels there are strongly red.
    colour = pypdfium2.PdfDocument(str(out))[0].render(scale=1.0).to_pil().convert("RGB")
    assert any(r > 180 and g < 80 and b < 80 for r, g, b in colour.getdata())


def test_bad_input_is_one_error_and_nothing_written(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    case = seed(session)
    homeless = seed(session, ref="C2", address=None)
    out = tmp_path / "x.pdf"

    def refused(*args: str, code: int = 2) -> str:
        result = cli("letters", "render", *args)
        assert result.exit_code == code, (result.stdout, result.stderr)
        assert not out.exists()
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return result.stderr

    assert "kinds: cn-card" in refused("--case", str(case), "--kind", "fr-x", "--out", str(out))
    assert "no postal address" in refused(
        "--case", str(homeless), "--kind", "cn-card", "--out", str(out)
    )
    assert "--locale" in refused(
        "--case", str(case), "--kind", "cn-card", "--locale", "fr", "--out", str(out)
    )
    assert ".pdf" in refused("--case", str(case), "--kind", "cn-card", "--out", str(tmp_path / "x"))
    assert "no case" in refused("--case", "999", "--kind", "cn-card", "--out", str(out), code=1)


def test_compliance_refuses_a_letter_on_a_disputed_case(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    case = seed(session, flags=("dispute",), status="on_hold")
    out = tmp_path / "x.pdf"
    result = cli("letters", "render", "--case", str(case), "--kind", "cn-card", "--out", str(out))
    assert result.exit_code == 1, result.stderr
    assert "hold.dispute" in result.stderr
    assert not out.exists()


def test_batch_prints_the_allowed_lists_the_refused_and_refuses_the_future(
    cli: Any, session: Session, tmp_path: Path
) -> None:
    good = seed(session, language="en")
    homeless = seed(session, ref="C2", address="  ")
    disputed = seed(session, ref="C3", flags=("dispute",), status="on_hold")
    out = tmp_path / "print"
    future = cli("letters", "batch", "--as-of", "2026-03-03", "--out", str(out))
    assert future.exit_code == 1
    assert "after today" in future.stderr
    assert not out.exists()

    garbled = cli("letters", "batch", "--as-of", "2026-02-30", "--out", str(out))
    assert garbled.exit_code == 2
    assert "--as-of: not a date" in garbled.stderr
    unknown = cli("letters", "batch", "--as-of", "2026-03-02", "--kind", "x", "--out", str(out))
    assert unknown.exit_code == 2
    assert not out.exists()

    result = cli("letters", "batch", "--as-of", "2026-03-02", "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    with (out / "manifest.csv").open(encoding="utf-8") as fh:
        manifest = list(csv.DictReader(fh))
    assert [int(r["case_id"]) for r in manifest] == [good]
    row = manifest[0]
    # The print house is told the real page count (the itemised breakdown may run to a 2nd page).
    pages = len(pypdf.PdfReader(out / row["file"]).pages)
    assert (row["kind"], row["locale"], row["pages"]) == ("cn-card", "en", str(pages))
    breakdown = shown(cli, "A-C1")
    assert D(row["total_due"]) == D(breakdown["total_due"])
    assert_amounts(pdf_text(out / row["file"]), breakdown)
    with (out / "refused.csv").open(encoding="utf-8") as fh:
        refused = {int(r["case_id"]): r["rules"] for r in csv.DictReader(fh)}
    assert refused == {homeless: "letter.address_missing", disputed: "hold.dispute"}
    assert sorted(p.name for p in out.glob("*.pdf")) == [row["file"]]


def test_a_letter_logged_as_a_contact_carries_the_cases_letter_and_is_allowed(
    session: Session,
) -> None:
    # Before: the contact flow passed the caller's fields (none), and every cn-card letter was
    # blocked on content.required_field (name, amount, seal...).
    from arrears.contacts.schemas import ContactIn
    from arrears.workbench import contact

    case = seed(session)
    attempt = contact.log_attempt(
        session=session,
        work_order_id=case,
        body=ContactIn(channel="letter", outcome="no_answer"),
        actor="u:lee",
        collector="bank",
    )
    session.commit()
    assert attempt.compliance_allowed, attempt.compliance_rules

    homeless = seed(session, ref="C2", address=None)
    with pytest.raises(BadInput, match="no postal address"):
        contact.log_attempt(
            session=session,
            work_order_id=homeless,
            body=ContactIn(channel="letter", outcome="no_answer"),
            actor="u:lee",
        )
