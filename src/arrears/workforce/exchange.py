"""Agency exchange files, pure: which fields a contract lets the agency see (masked where it
says), the manifest with SHA-256 checksums, and the rows of the agency's activity file.

A day's export is ``placements-AGENCY-DAY.csv``, ``recalls-AGENCY-DAY.csv`` and
``manifest.csv`` (file, rows, sha256). The agency sends back ``activity.csv`` (contacts) and
``payments.csv`` with its own ``manifest.csv``; a file missing from the manifest, or whose
checksum differs, refuses the whole delivery.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arrears.auth.masking import MASKERS, mask_value
from arrears.kit import csvsafe
from arrears.kit.errors import BadInput

FIELDS: tuple[str, ...] = (
    "account_ref",
    "customer_ref",
    "name",
    "id_number",
    "phone",
    "address",
    "bucket",
    "dpd",
    "balance",
    "amount_due",
    "placed_on",
)
# Without a list in the contract the agency gets what it needs to collect, no identity papers.
DEFAULT_FIELDS: tuple[str, ...] = (
    "account_ref",
    "customer_ref",
    "name",
    "phone",
    "bucket",
    "dpd",
    "balance",
    "amount_due",
    "placed_on",
)
MASKABLE: tuple[str, ...] = tuple(f for f in FIELDS if f in MASKERS)
MANIFEST = "manifest.csv"
ACTIVITY = "activity.csv"
PAYMENTS = "payments.csv"


def check_fields(fields: Sequence[str], masked: Sequence[str]) -> None:
    """ValueError unless the fields are known (with ``account_ref``) and the masked ones are
    among them and maskable."""
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise ValueError(f"exchange_fields: unknown {unknown}; expected {list(FIELDS)}")
    if "account_ref" not in fields:
        raise ValueError("exchange_fields: account_ref is required (the agency's key)")
    bad = [f for f in masked if f not in MASKABLE or f not in fields]
    if bad:
        raise ValueError(
            f"masked_fields: {bad} not maskable exchange fields; maskable {list(MASKABLE)}"
        )


def rows_for(
    records: Iterable[Mapping[str, Any]], fields: Sequence[str], masked: Sequence[str]
) -> list[dict[str, Any]]:
    """Only the contract's fields, in its order, masked where it says."""
    return [
        {f: (mask_value(f, r.get(f)) if f in masked else r.get(f)) for f in fields} for r in records
    ]


def to_csv(fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """UTF-8 CSV through ``kit.csvsafe`` (no cell is read as a spreadsheet formula)."""
    buf = io.StringIO()
    out = csvsafe.writer(buf)
    out.writerow(fields)
    out.writerows([r.get(f, "") for f in fields] for r in rows)
    return buf.getvalue().encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(files: Mapping[str, bytes]) -> bytes:
    """file, rows (data lines), sha256 for each file."""
    return to_csv(
        ("file", "rows", "sha256"),
        (
            {"file": name, "rows": max(data.count(b"\n") - 1, 0), "sha256": sha256(data)}
            for name, data in files.items()
        ),
    )


def read_delivery(directory: Path, wanted: Sequence[str]) -> dict[str, bytes]:
    """The files of a delivery after checking each against its manifest (BadInput if not)."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BadInput(f"{directory}: no {MANIFEST}")
    listed = {r["file"]: r["sha256"] for r in csv.DictReader(io.StringIO(path.read_text("utf-8")))}
    out = {}
    for name in wanted:
        if name not in listed:
            raise BadInput(f"{MANIFEST}: {name} is not listed")
        data = (directory / name).read_bytes() if (directory / name).is_file() else None
        if data is None:
            raise BadInput(f"{directory}: {name} is missing")
        if sha256(data) != listed[name]:
            raise BadInput(f"{name}: checksum does not match {MANIFEST}")
        out[name] = data
    return out


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ActivityRow(_Row):
    """One contact the agency made (its time with its offset; the outcome as the workbench's)."""

    account_ref: str = Field(min_length=1)
    made_at: datetime
    channel: str
    party: str = "debtor"
    outcome: str
    notes: str | None = None


class PaymentRow(_Row):
    account_ref: str = Field(min_length=1)
    paid_on: date
    amount: Decimal = Field(gt=0, decimal_places=2)
    reference: str = Field(min_length=1, max_length=64)


def parse(name: str, data: bytes, model: type[_Row]) -> list[Any]:
    """Every row or none: the first bad one is one error naming the file, line and column."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    rows = []
    for line, raw in enumerate(reader, start=2):
        try:
            rows.append(model.model_validate({k: v for k, v in raw.items() if v not in ("", None)}))
        except ValidationError as exc:
            first = exc.errors()[0]
            column = ".".join(str(p) for p in first["loc"])
            raise BadInput(f"{name} line {line}: {column}: {first['msg']}") from None
    return rows
