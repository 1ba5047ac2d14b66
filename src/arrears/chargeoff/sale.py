"""The debt-sale file: written-off accounts for a buyer, as CSV with a manifest.

The buyer gets the fields below and no more; ID numbers go through ``auth.masking`` and every
cell through ``kit.csvsafe`` (no formula runs when the buyer opens the file). The manifest
gives the row count, the totals per currency and the file's SHA-256, so a truncated or edited
file is told at once.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from arrears.auth.masking import mask_payload
from arrears.chargeoff import repository
from arrears.kit import csvsafe
from arrears.kit.errors import BadInput, RuleRefused

SALE_FIELDS = (
    "account_ref",
    "customer_ref",
    "name",
    "id_number",
    "currency",
    "charged_off_on",
    "written_off_on",
    "principal",
    "interest",
    "fees",
    "written_off",
    "recovered",
    "balance_for_sale",
)


def write_sale_file(*, session: Session, folder: Path, buyer: str, now: datetime) -> dict[str, Any]:
    """Write ``debt-sale-BUYER-DATE.csv`` and its ``.manifest.json`` into ``folder``."""
    if not buyer.strip() or not buyer.replace("-", "").replace("_", "").isalnum():
        raise BadInput(f"--buyer must be letters, digits, - or _ (got {buyer!r})")
    if not folder.is_dir():
        raise BadInput(f"{folder} is not a folder")
    rows = repository.sale_rows(session)
    if not rows:
        raise RuleRefused("no written-off account to sell")
    name = f"debt-sale-{buyer}-{now.date().isoformat()}"
    target, manifest_path = folder / f"{name}.csv", folder / f"{name}.manifest.json"
    totals: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"written_off": Decimal(0), "recovered": Decimal(0), "balance_for_sale": Decimal(0)}
    )
    with target.open("w", encoding="utf-8", newline="") as fh:
        out = csvsafe.writer(fh)
        out.writerow(SALE_FIELDS)
        for r in rows:
            record = mask_payload(
                {
                    "account_ref": r.account_ref,
                    "customer_ref": r.customer_ref,
                    "name": r.name,
                    "id_number": r.id_number,
                    "currency": r.currency,
                    "charged_off_on": r.charged_off_on.isoformat(),
                    "written_off_on": r.written_off_on.isoformat() if r.written_off_on else None,
                    "principal": r.principal,
                    "interest": r.interest,
                    "fees": r.fees,
                    "written_off": r.total,
                    "recovered": Decimal(r.recovered),
                    "balance_for_sale": r.total - Decimal(r.recovered),
                }
            )
            out.writerow([record[f] for f in SALE_FIELDS])
            sums = totals[r.currency or ""]
            for key in ("written_off", "recovered", "balance_for_sale"):
                sums[key] += record[key]
    manifest = {
        "file": target.name,
        "buyer": buyer,
        "generated_at": now.isoformat(),
        "rows": len(rows),
        "fields": list(SALE_FIELDS),
        "masked": ["id_number"],
        "totals": {cur: {k: str(v) for k, v in t.items()} for cur, t in sorted(totals.items())},
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return {**manifest, "path": str(target), "manifest": str(manifest_path)}
