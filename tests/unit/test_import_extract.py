"""Validation of the bank's extract: every bad row is named with its column and reason."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from arrears.kit.errors import BadInput
from arrears.portfolio.extract import RowError, find_files, validate

HOLDER = {"customer_id": "C1", "name": "张伟", "identity_category": "private_employee"}
ACCOUNT = {
    "account_id": "A1",
    "customer_id": "C1",
    "product": "classic",
    "credit_limit": "20000.00",
    "currency": "CNY",
    "statement_day": "5",
    "due_days": "20",
    "min_payment_ratio": "0.10",
}
STATEMENT = {
    "account_id": "A1",
    "cycle_date": "2026-09-05",
    "due_date": "2026-09-25",
    "closing_balance": "1000.00",
    "minimum_due": "100.00",
}
PAYMENT = {"account_id": "A1", "paid_on": "2026-09-20", "amount": "100.00", "reference": "P1"}


def write_extract(folder: Path, tables: dict[str, list[dict[str, str]]]) -> Path:
    """A folder of CSV files in the extract layout (helper shared by the import tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            out = csv.DictWriter(fh, fieldnames=columns)
            out.writeheader()
            out.writerows(rows)
    return folder


def minimal(**overrides: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    tables = {
        "cardholders": [HOLDER, {**HOLDER, "customer_id": "C2", "name": "李娜"}],
        "accounts": [ACCOUNT, {**ACCOUNT, "account_id": "A2", "customer_id": "C2"}],
        "statements": [STATEMENT, {**STATEMENT, "account_id": "A2"}],
        "payments": [PAYMENT, {**PAYMENT, "account_id": "A2", "reference": "P2"}],
    }
    tables.update(overrides)
    return tables


def check(tmp_path: Path, tables: dict[str, list[dict[str, str]]]) -> list[RowError]:
    files = find_files(write_extract(tmp_path / "x", tables))
    validated = validate(dict(files), sha256="t")
    try:
        return validated.errors
    finally:
        validated.close()


def test_a_clean_extract_has_no_errors(tmp_path: Path) -> None:
    files = find_files(write_extract(tmp_path / "x", minimal()))
    validated = validate(dict(files), sha256="t")
    assert validated.errors == []
    assert validated.counts() == {"cardholders": 2, "accounts": 2, "statements": 2, "payments": 2}
    validated.close()


def test_negative_payment_is_named_by_row_and_column(tmp_path: Path) -> None:
    bad = {**PAYMENT, "reference": "P9", "amount": "-5.00"}
    errors = check(tmp_path, minimal(payments=[PAYMENT, bad]))
    assert [(e.table, e.row, e.column, e.reason) for e in errors] == [
        ("payments", 2, "amount", "must be greater than 0")
    ]


def test_negative_credit_limit_and_minimum_due(tmp_path: Path) -> None:
    errors = check(
        tmp_path,
        minimal(
            accounts=[{**ACCOUNT, "credit_limit": "-1"}],
            statements=[{**STATEMENT, "minimum_due": "-0.01"}],
        ),
    )
    found = {(e.table, e.row, e.column) for e in errors}
    assert ("accounts", 1, "credit_limit") in found
    assert ("statements", 1, "minimum_due") in found


def test_a_credit_balance_is_not_an_error(tmp_path: Path) -> None:
    errors = check(tmp_path, minimal(statements=[{**STATEMENT, "closing_balance": "-250.00"}]))
    assert errors == []


@pytest.mark.parametrize("value", ["2026-13-01", "2026/09/05", "yesterday", "2026-02-30"])
def test_unparseable_dates(tmp_path: Path, value: str) -> None:
    errors = check(tmp_path, minimal(statements=[{**STATEMENT, "cycle_date": value}]))
    assert [(e.row, e.column, e.reason) for e in errors if e.table == "statements"] == [
        (1, "cycle_date", "not a date (YYYY-MM-DD)")
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [("12,5", "not an amount"), ("1.234", "more than 2 decimal places"), ("", "required")],
)
def test_malformed_amounts(tmp_path: Path, value: str, reason: str) -> None:
    errors = check(tmp_path, minimal(payments=[{**PAYMENT, "amount": value}]))
    assert (1, "amount", reason) in [(e.row, e.column, e.reason) for e in errors]


def test_scientific_notation_is_an_amount(tmp_path: Path) -> None:
    accounts = [{**ACCOUNT, "credit_limit": "5e+05"}, {**ACCOUNT, "account_id": "A2"}]
    errors = check(tmp_path, minimal(accounts=accounts))
    assert errors == []


def test_due_date_before_cycle_date(tmp_path: Path) -> None:
    errors = check(tmp_path, minimal(statements=[{**STATEMENT, "due_date": "2026-09-01"}]))
    assert [(e.column, e.reason) for e in errors] == [("due_date", "due_date is before cycle_date")]


def test_unknown_account_reference(tmp_path: Path) -> None:
    stray = {**PAYMENT, "account_id": "NOPE", "reference": "P7"}
    errors = check(tmp_path, minimal(payments=[PAYMENT, stray]))
    assert [(e.table, e.row, e.column, e.reason, e.value) for e in errors] == [
        ("payments", 2, "account_id", "unknown account", "NOPE")
    ]


def test_duplicate_payment_reference(tmp_path: Path) -> None:
    again = {**PAYMENT, "amount": "50.00"}
    errors = check(tmp_path, minimal(payments=[PAYMENT, again]))
    assert [(e.row, e.column) for e in errors] == [(2, "reference")]
    assert errors[0].reason == "duplicate payment reference: same as row 1"


def test_enums_and_ranges(tmp_path: Path) -> None:
    errors = check(
        tmp_path,
        minimal(
            cardholders=[
                {**HOLDER, "identity_category": "astronaut"},
                {**HOLDER, "customer_id": "C2"},
            ],
            accounts=[
                {**ACCOUNT, "statement_day": "31"},
                {**ACCOUNT, "account_id": "A2", "customer_id": "C2", "due_days": "2.5"},
            ],
        ),
    )
    found = {(e.table, e.row, e.column, e.reason) for e in errors}
    assert (
        "cardholders",
        1,
        "identity_category",
        "not one of: "
        + ", ".join(
            [
                "civil_servant",
                "soe_employee",
                "private_employee",
                "self_employed",
                "student",
                "retiree",
                "unemployed",
                "unknown",
            ]
        ),
    ) in found
    assert ("accounts", 1, "statement_day", "must be between 1 and 28") in found
    assert ("accounts", 2, "due_days", "not a whole number") in found


def test_children_of_a_rejected_row_are_rejected_too(tmp_path: Path) -> None:
    errors = check(
        tmp_path,
        minimal(
            accounts=[
                {**ACCOUNT, "currency": "yuan"},
                {**ACCOUNT, "account_id": "A2", "customer_id": "C2"},
            ]
        ),
    )
    found = {(e.table, e.row, e.column, e.reason) for e in errors}
    assert ("accounts", 1, "currency", "not an ISO 4217 code") in found
    assert ("statements", 1, "account_id", "depends on rejected accounts row 1") in found
    assert ("payments", 1, "account_id", "depends on rejected accounts row 1") in found
    assert not any(e.row == 2 for e in errors)


def test_parents_already_in_the_store_are_known(tmp_path: Path) -> None:
    files = find_files(write_extract(tmp_path / "x", {"payments": [PAYMENT]}))
    validated = validate(dict(files), sha256="t", known_refs=lambda t, refs: set(refs))
    assert validated.errors == []
    validated.close()


def test_unknown_column_and_missing_required_column(tmp_path: Path) -> None:
    holder = {k: v for k, v in HOLDER.items() if k != "name"} | {"nickname": "x"}
    errors = check(tmp_path, {"cardholders": [holder]})
    assert {(e.row, e.column, e.reason) for e in errors} >= {
        (0, "nickname", "unknown column"),
        (0, "name", "required column missing"),
    }


def test_unexpected_file_names_are_refused(tmp_path: Path) -> None:
    folder = write_extract(tmp_path / "x", {"acounts": [ACCOUNT]})
    with pytest.raises(BadInput, match="acounts.csv"):
        find_files(folder)
