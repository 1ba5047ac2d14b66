"""The real UCI card data (Taiwan, April-September 2005) in the extract's table shapes.

One client becomes one cardholder and one card account (both keyed by the UCI ``ID``), six
monthly statements, the payments made and the six reported repayment statuses. The label
``default.payment.next.month`` is returned apart, as ``uci_outcomes``, for the warehouse only.

Choices (docs/data-formats.md, "UCI"): the six months are the calendar months before the as-of
month; each statement is cut on the 5th and due on the 25th (``due_days`` 20); a month's payment
is dated the 15th; the status of month m is reported on the 1st of month m+1; the birth date,
unknown, is 1 July of (as-of year - AGE), which gives back AGE on the as-of date.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa

from arrears.kit.errors import BadInput
from arrears.kit.textfile import not_utf8
from arrears.portfolio.layout import arrow_schema

MONTHS = 6
STATEMENT_DAY = 5
DUE_DAYS = 20
PAYMENT_DAY = 15
CURRENCY = "TWD"
PRODUCT = "UCI credit card"
STATUS_COLUMNS = ("PAY_6", "PAY_5", "PAY_4", "PAY_3", "PAY_2", "PAY_0")  # April ... September
BILL_COLUMNS = tuple(f"BILL_AMT{k}" for k in range(6, 0, -1))
PAID_COLUMNS = tuple(f"PAY_AMT{k}" for k in range(6, 0, -1))
LABEL = "default.payment.next.month"
HEADER = (
    "ID",
    "LIMIT_BAL",
    "SEX",
    "EDUCATION",
    "MARRIAGE",
    "AGE",
    "PAY_0",
    "PAY_2",
    "PAY_3",
    "PAY_4",
    "PAY_5",
    "PAY_6",
    *(f"BILL_AMT{k}" for k in range(1, 7)),
    *(f"PAY_AMT{k}" for k in range(1, 7)),
    LABEL,
)
SEX = {"1": "male", "2": "female"}
EDUCATION = {"1": "graduate_school", "2": "university", "3": "high_school", "4": "other"}
MARRIAGE = {"1": "married", "2": "single", "3": "other"}
CENT = Decimal("0.01")


def _month(as_of: date, back: int) -> date:
    """The first day of the month ``back`` months before ``as_of``'s month."""
    index = as_of.year * 12 + as_of.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _amount(value: str, row: int, column: str) -> Decimal:
    try:
        # Decimal, not float: LIMIT_BAL is sometimes written "5e+05".
        amount = Decimal(value.strip())
    except InvalidOperation as exc:
        raise BadInput(f"row {row} column {column}: not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise BadInput(f"row {row} column {column}: not a finite amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _int(value: str, row: int, column: str) -> int:
    try:
        return int(value.strip())
    except ValueError as exc:
        raise BadInput(f"row {row} column {column}: not a whole number: {value!r}") from exc


def read_uci(
    path: Path, *, as_of: date = date(2005, 10, 1), min_payment_ratio: Decimal = Decimal("0.10")
) -> dict[str, pa.Table]:
    """Parse the UCI CSV into typed Arrow tables: the extract's tables plus ``uci_outcomes``."""
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = tuple(next(reader, ()))
            if header != HEADER:
                missing = [c for c in HEADER if c not in header]
                raise BadInput(
                    f"{path.name}: not the UCI layout"
                    + (f" (missing {', '.join(missing)})" if missing else " (columns out of order)")
                )
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    months = [_month(as_of, MONTHS - j) for j in range(MONTHS)]  # oldest first
    cycle_dates = [m.replace(day=STATEMENT_DAY) for m in months]
    due_dates = [c + timedelta(days=DUE_DAYS) for c in cycle_dates]
    paid_dates = [m.replace(day=PAYMENT_DAY) for m in months]
    reported = [_month(as_of, MONTHS - j - 1) for j in range(MONTHS)]
    col = {name: i for i, name in enumerate(HEADER)}

    holders: dict[str, list[object]] = {c: [] for c in arrow_schema("cardholders").names}
    accounts: dict[str, list[object]] = {c: [] for c in arrow_schema("accounts").names}
    statements: dict[str, list[object]] = {c: [] for c in arrow_schema("statements").names}
    payments: dict[str, list[object]] = {c: [] for c in arrow_schema("payments").names}
    statuses: dict[str, list[object]] = {c: [] for c in arrow_schema("delinquency").names}
    outcomes: dict[str, list[object]] = {"account_id": [], "outcome_month": [], "defaulted": []}
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if len(row) != len(HEADER):
            raise BadInput(f"row {n}: {len(row)} fields, expected {len(HEADER)}")
        ref = str(_int(row[col["ID"]], n, "ID"))
        if ref in seen:
            raise BadInput(f"row {n} column ID: duplicate client {ref}")
        seen.add(ref)
        age = _int(row[col["AGE"]], n, "AGE")
        if not 0 < age < 130:
            raise BadInput(f"row {n} column AGE: not an age: {age}")
        value: object
        for name, value in (
            ("customer_id", ref),
            ("name", f"UCI client {ref}"),
            ("birth_date", date(as_of.year - age, 7, 1)),
            ("sex", SEX.get(row[col["SEX"]].strip(), "unknown")),
            ("education", EDUCATION.get(row[col["EDUCATION"]].strip(), "unknown")),
            ("marital_status", MARRIAGE.get(row[col["MARRIAGE"]].strip(), "unknown")),
            ("identity_category", "unknown"),
            ("language", "zh-TW"),
            ("time_zones", "Asia/Taipei"),
        ):
            holders[name].append(value)
        limit = _amount(row[col["LIMIT_BAL"]], n, "LIMIT_BAL")
        for name, value in (
            ("account_id", ref),
            ("customer_id", ref),
            ("product", PRODUCT),
            ("credit_limit", limit),
            ("currency", CURRENCY),
            ("statement_day", STATEMENT_DAY),
            ("due_days", DUE_DAYS),
            ("min_payment_ratio", min_payment_ratio),
            ("status", "active"),
        ):
            accounts[name].append(value)
        for j in range(MONTHS):
            bill = _amount(row[col[BILL_COLUMNS[j]]], n, BILL_COLUMNS[j])
            minimum = (min_payment_ratio * max(bill, Decimal(0))).quantize(
                CENT, rounding=ROUND_HALF_EVEN
            )
            statements["account_id"].append(ref)
            statements["cycle_date"].append(cycle_dates[j])
            statements["due_date"].append(due_dates[j])
            statements["closing_balance"].append(bill)
            statements["minimum_due"].append(minimum)
            paid = _amount(row[col[PAID_COLUMNS[j]]], n, PAID_COLUMNS[j])
            if paid < 0:
                raise BadInput(f"row {n} column {PAID_COLUMNS[j]}: negative payment {paid}")
            if paid > 0:
                payments["account_id"].append(ref)
                payments["paid_on"].append(paid_dates[j])
                payments["amount"].append(paid)
                payments["channel"].append("other")
                payments["reference"].append(f"UCI-{ref}-{months[j]:%Y-%m}")
            status = _int(row[col[STATUS_COLUMNS[j]]], n, STATUS_COLUMNS[j])
            if not -2 <= status <= 9:
                raise BadInput(f"row {n} column {STATUS_COLUMNS[j]}: status {status} not in -2..9")
            statuses["account_id"].append(ref)
            statuses["reported_on"].append(reported[j])
            statuses["status"].append(status)
        label = row[col[LABEL]].strip()
        if label not in ("0", "1"):
            raise BadInput(f"row {n} column {LABEL}: expected 0 or 1, got {label!r}")
        outcomes["account_id"].append(ref)
        outcomes["outcome_month"].append(_month(as_of, 0))
        outcomes["defaulted"].append(label == "1")

    def table(name: str, columns: dict[str, list[object]]) -> pa.Table:
        schema = arrow_schema(name)
        size = len(next(iter(c for c in columns.values() if c), []))
        return pa.table(
            {f.name: pa.array(columns[f.name] or [None] * size, f.type) for f in schema},
            schema=schema,
        )

    return {
        "cardholders": table("cardholders", holders),
        "accounts": table("accounts", accounts),
        "statements": table("statements", statements),
        "payments": table("payments", payments),
        "delinquency": table("delinquency", statuses),
        "uci_outcomes": pa.table(
            {
                "account_id": pa.array(outcomes["account_id"], pa.string()),
                "outcome_month": pa.array(outcomes["outcome_month"], pa.date32()),
                "defaulted": pa.array(outcomes["defaulted"], pa.bool_()),
            }
        ),
    }
