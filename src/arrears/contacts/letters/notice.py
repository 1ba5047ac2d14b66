"""What a printed collection letter says, as plain data: the kind (one per jurisdiction
profile), the itemised amounts of each account read from the owed breakdown, the Reg F
validation period, and the fields the compliance profile requires. Pure: no database, no PDF.

``itemization`` is the ONE place a letter reads the owed breakdown; when the breakdown carries
its own itemization date and amounts (Reg F model), only that function changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays

from arrears.delinquency.breakdown import OwedBreakdown
from arrears.kit.errors import BadInput
from arrears.kit.money import ZERO, round_money

# A letter kind is the jurisdiction profile whose notice it is.
KINDS = ("cn-card", "us-reg-f", "uk-conc")
# Reg F: receipt may be assumed 5 days (excluding weekends and federal holidays) after sending;
# the validation period ends 30 days after receipt (12 CFR 1006.34(b)(5)).
RECEIPT_BUSINESS_DAYS = 5
VALIDATION_DAYS = 30


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadInput(f"--kind: no letter kind {kind!r}; kinds: {', '.join(KINDS)}")
    return kind


@dataclass(frozen=True)
class Line:
    """One line of the owed breakdown as the letter prints it."""

    kind: str
    amount: Decimal
    explanation: str


@dataclass(frozen=True)
class Itemization:
    """One account's debt, itemised the Reg F way: the amount on the itemization date, then
    interest, fees, payments and credits since. ``payments`` and ``credits`` are positive
    amounts taken off."""

    account_ref: str
    currency: str
    itemization_date: date | None
    balance_on_itemization: Decimal
    interest: Decimal
    fees: Decimal
    payments: Decimal
    credits: Decimal
    total_due: Decimal
    amount_past_due: Decimal
    dpd: int
    lines: tuple[Line, ...]


def itemization(
    *, account_ref: str, breakdown: OwedBreakdown, latest_cycle: date | None, lang: str
) -> Itemization:
    """The adapter from the owed breakdown to a letter's itemised amounts (the only one).

    Today's breakdown itemises from the latest statement (its closing balance is the
    principal; interest, fees and payments are counted since); ``latest_cycle`` is that
    statement's cycle date. The parts must add up to ``total_due`` to the cent.
    """
    cur = breakdown.currency
    item = Itemization(
        account_ref=account_ref,
        currency=cur,
        itemization_date=latest_cycle,
        balance_on_itemization=round_money(breakdown.principal, cur),
        interest=round_money(breakdown.interest, cur),
        fees=round_money(breakdown.fees, cur),
        payments=round_money(-breakdown.payments, cur),
        credits=round_money(ZERO, cur),
        total_due=round_money(breakdown.total_due, cur),
        amount_past_due=round_money(breakdown.aging.amount_past_due, cur),
        dpd=breakdown.aging.dpd,
        lines=tuple(
            Line(i.kind, round_money(i.amount, cur), i.explanation[lang]) for i in breakdown.items
        ),
    )
    parts = item.balance_on_itemization + item.interest + item.fees - item.payments - item.credits
    if parts != item.total_due:
        raise ValueError(
            f"account {account_ref}: itemised parts {parts} do not add up to {item.total_due}"
        )
    return item


@lru_cache(maxsize=16)
def _us_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("US", years=[year, year + 1])


def assumed_receipt(sent_on: date) -> date:
    """Five days after sending, weekends and US federal holidays excluded (1006.34(b)(5))."""
    day, counted = sent_on, 0
    while counted < RECEIPT_BUSINESS_DAYS:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in _us_holidays(day.year):
            counted += 1
    return day


def validation_period_end(sent_on: date) -> date:
    """The last day the consumer may dispute within the validation period."""
    return assumed_receipt(sent_on) + timedelta(days=VALIDATION_DAYS)


@dataclass(frozen=True)
class Letter:
    """Everything a letter template prints."""

    kind: str
    locale: str
    case_id: int
    letter_date: date
    reference: str
    customer_name: str
    address: str
    accounts: tuple[Itemization, ...]
    letterhead: dict[str, str]
    validation_end: date | None

    @property
    def currency(self) -> str:
        currencies = {a.currency for a in self.accounts}
        return currencies.pop() if len(currencies) == 1 else "mixed"

    def total(self, attr: str = "total_due") -> Decimal:
        """A sum over the accounts (one currency only: a mixed letter shows each account)."""
        if self.currency == "mixed":
            raise ValueError("no total across currencies")
        value: Decimal = sum((getattr(a, attr) for a in self.accounts), ZERO)
        return value


def build(
    *,
    kind: str,
    locale: str,
    case_id: int,
    letter_date: date,
    customer_name: str,
    address: str | None,
    accounts: Sequence[Itemization],
    letterhead: dict[str, str],
) -> Letter:
    """A letter, refused (BadInput) when it cannot be posted: no address, nothing owed."""
    check_kind(kind)
    if not (address or "").strip():
        raise BadInput(f"case {case_id}: the cardholder has no postal address; no letter")
    if not accounts:
        raise BadInput(f"case {case_id}: no account to write about")
    return Letter(
        kind=kind,
        locale=locale,
        case_id=case_id,
        letter_date=letter_date,
        reference=f"{kind.upper()}-{case_id}-{letter_date:%Y%m%d}",
        customer_name=customer_name,
        address=(address or "").strip(),
        accounts=tuple(accounts),
        letterhead=letterhead,
        validation_end=validation_period_end(letter_date) if kind == "us-reg-f" else None,
    )


def money(amount: Decimal, currency: str) -> str:
    """How a letter prints an amount: ``1,234.50 TWD``."""
    return f"{round_money(amount, currency):,f} {currency}"


def amounts_text(letter: Letter) -> str:
    return "; ".join(f"{a.account_ref}: {money(a.total_due, a.currency)}" for a in letter.accounts)


def fields(letter: Letter, *, dispute_prompt: str, original_creditor_prompt: str) -> dict[str, str]:
    """The letter's fields under the names the compliance profiles require (``content.
    required_fields.letter``); the prompts are the sentences the template prints."""
    head = letter.letterhead
    reg_f = letter.kind == "us-reg-f"
    itemized = "; ".join(
        f"{a.account_ref}: {money(a.balance_on_itemization, a.currency)} on "
        f"{a.itemization_date}, interest {money(a.interest, a.currency)}, fees "
        f"{money(a.fees, a.currency)}, payments -{money(a.payments, a.currency)}, credits "
        f"-{money(a.credits, a.currency)}"
        for a in letter.accounts
    )
    return {
        "name": letter.customer_name,
        "address": letter.address,
        "amount": amounts_text(letter),
        "reason_legal_basis": head.get("legal_basis", ""),
        "rights_obligations": head.get("rights_obligations", ""),
        "dispute_channel": f"{head.get('bank_phone', '')} {head.get('bank_address', '')}".strip(),
        "bank_contact": f"{head.get('bank_name', '')} {head.get('bank_phone', '')}".strip(),
        "seal": head.get("bank_seal", ""),
        "debt_advice": head.get("debt_advice", ""),
        "itemization_date": ", ".join(str(a.itemization_date or "") for a in letter.accounts)
        if reg_f
        else "",
        "itemized_amounts": itemized if reg_f else "",
        "validation_period_end": str(letter.validation_end or ""),
        "dispute_prompt": dispute_prompt if reg_f else "",
        "original_creditor_prompt": original_creditor_prompt if reg_f else "",
    }
