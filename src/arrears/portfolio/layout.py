"""The bank's daily extract, table by table: the columns, their kinds and bounds, the keys, the
parent each child table refers to, and the row rules (``portfolio/extract.py`` checks files
against it; synth, the UCI reader and the warehouse build their tables from it).
See docs/data-formats.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from arrears.portfolio.models import (
    ACCOUNT_STATUSES,
    CONTACT_RELATIONS,
    IDENTITY_CATEGORIES,
    PAYMENT_CHANNELS,
    PHONE_TYPES,
)

Kind = Literal["str", "date", "money", "ratio", "int", "list"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "str"
    required: bool = False
    enum: tuple[str, ...] | None = None
    max_len: int | None = None
    low: int | None = None  # inclusive bounds for whole numbers
    high: int | None = None
    pattern: str | None = None  # regular expression the whole value must match
    pattern_reason: str = ""


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    parent: tuple[str, str] | None = None  # (column, parent table) the column refers to

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_E164 = r"\+[1-9][0-9]{6,14}"

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "cardholders",
            (
                Column("customer_id", required=True, max_len=64),
                Column("name", required=True, max_len=120),
                Column("id_number", max_len=40),
                Column("birth_date", "date"),
                Column("sex", enum=("male", "female", "unknown")),
                Column("education", max_len=32),
                Column("marital_status", max_len=16),
                Column("occupation", max_len=64),
                Column("employer", max_len=120),
                Column("identity_category", required=True, enum=IDENTITY_CATEGORIES),
                Column("province", max_len=64),
                Column("city", max_len=64),
                Column("address"),
                Column("language", max_len=8),
                Column("time_zones", "list"),
                Column("flags", "list"),
            ),
            key=("customer_id",),
        ),
        TableSpec(
            "phones",
            (
                Column("customer_id", required=True, max_len=64),
                Column(
                    "number",
                    required=True,
                    pattern=_E164,
                    pattern_reason="not an E.164 number (+8613800138000)",
                ),
                Column("type", required=True, enum=PHONE_TYPES),
            ),
            key=("customer_id", "number"),
            parent=("customer_id", "cardholders"),
        ),
        TableSpec(
            "contact_persons",
            (
                Column("customer_id", required=True, max_len=64),
                Column("name", required=True, max_len=120),
                Column("relation", required=True, enum=CONTACT_RELATIONS),
                Column("phone", pattern=_E164, pattern_reason="not an E.164 number"),
            ),
            key=("customer_id", "name", "relation"),
            parent=("customer_id", "cardholders"),
        ),
        TableSpec(
            "accounts",
            (
                Column("account_id", required=True, max_len=64),
                Column("customer_id", required=True, max_len=64),
                Column("product", required=True, max_len=64),
                Column("credit_limit", "money", required=True),
                Column(
                    "currency",
                    required=True,
                    pattern="[A-Z]{3}",
                    pattern_reason="not an ISO 4217 code",
                ),
                Column("open_date", "date"),
                Column("statement_day", "int", required=True, low=1, high=28),
                Column("due_days", "int", required=True, low=0, high=60),
                Column("min_payment_ratio", "ratio", required=True),
                Column("status", enum=ACCOUNT_STATUSES),
            ),
            key=("account_id",),
            parent=("customer_id", "cardholders"),
        ),
        TableSpec(
            "statements",
            (
                Column("account_id", required=True, max_len=64),
                Column("cycle_date", "date", required=True),
                Column("due_date", "date", required=True),
                Column("closing_balance", "money", required=True),
                Column("minimum_due", "money", required=True),
                # Optional itemisation (all four or none): what the closing balance holds.
                Column("previous_balance", "money"),
                Column("principal_billed", "money"),
                Column("interest_billed", "money"),
                Column("fees_billed", "money"),
            ),
            key=("account_id", "cycle_date"),
            parent=("account_id", "accounts"),
        ),
        TableSpec(
            "payments",
            (
                Column("account_id", required=True, max_len=64),
                Column("paid_on", "date", required=True),
                Column("amount", "money", required=True),
                Column("channel", enum=PAYMENT_CHANNELS),
                Column("reference", required=True, max_len=64),
            ),
            key=("account_id", "reference"),
            parent=("account_id", "accounts"),
        ),
        TableSpec(
            "delinquency",
            (
                Column("account_id", required=True, max_len=64),
                Column("reported_on", "date", required=True),
                Column("status", "int", required=True, low=-2, high=9),
            ),
            key=("account_id", "reported_on"),
            parent=("account_id", "accounts"),
        ),
    )
}
ORDER = tuple(TABLES)  # parents before children

SQL_TYPES: dict[Kind, str] = {
    "str": "VARCHAR",
    "list": "VARCHAR",
    "date": "DATE",
    "money": "DECIMAL(18,2)",
    "ratio": "DECIMAL(6,4)",
    "int": "SMALLINT",
}
ARROW_TYPES: dict[Kind, pa.DataType] = {
    "str": pa.string(),
    "list": pa.string(),
    "date": pa.date32(),
    "money": pa.decimal128(18, 2),
    "ratio": pa.decimal128(6, 4),
    "int": pa.int16(),
}

# Row rules beyond a single column's type: (table, column named in the report, SQL, reason).
ROW_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("accounts", "credit_limit", "{credit_limit} < 0", "must not be negative"),
    (
        "accounts",
        "min_payment_ratio",
        "{min_payment_ratio} <= 0 OR {min_payment_ratio} > 1",
        "must be above 0 and at most 1",
    ),
    ("statements", "minimum_due", "{minimum_due} < 0", "must not be negative"),
    ("statements", "due_date", "{due_date} < {cycle_date}", "due_date is before cycle_date"),
    (
        "statements",
        "previous_balance",
        "(CASE WHEN {previous_balance} IS NULL THEN 0 ELSE 1 END"
        " + CASE WHEN {principal_billed} IS NULL THEN 0 ELSE 1 END"
        " + CASE WHEN {interest_billed} IS NULL THEN 0 ELSE 1 END"
        " + CASE WHEN {fees_billed} IS NULL THEN 0 ELSE 1 END) NOT IN (0, 4)",
        "give all four of previous_balance, principal_billed, interest_billed, fees_billed or none",
    ),
    ("statements", "interest_billed", "{interest_billed} < 0", "must not be negative"),
    ("statements", "fees_billed", "{fees_billed} < 0", "must not be negative"),
    ("payments", "amount", "{amount} <= 0", "must be greater than 0"),
)


def arrow_schema(table: str) -> pa.Schema:
    """The typed Arrow schema of an extract table (what synth and the UCI reader produce)."""
    return pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in TABLES[table].columns])
