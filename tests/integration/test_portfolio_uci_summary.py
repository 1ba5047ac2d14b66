"""Acceptance: the real UCI data, imported, ages to the card system's own buckets on 2005-10-01."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import UciBook

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

# PAY_0 counts of the UCI file (README): -2, -1, 0 are current; k months late is Mk; 7, 8 are M7+.
EXPECTED = {
    "M0": 23_182,
    "M1": 3_688,
    "M2": 2_667,
    "M3": 322,
    "M4": 76,
    "M5": 26,
    "M6": 11,
    "M7+": 28,
}


def test_uci_import_then_summary_and_account_show(cli: Any, uci_imported: UciBook) -> None:
    # `arrears import uci` of the whole file, once per store (tests/conftest.py).

    summary = cli("portfolio", "summary", "--as-of", "2005-10-01", "--json")
    assert summary.exit_code == 0, summary.stderr
    out = json.loads(summary.stdout)
    assert out["accounts"] == 30_000
    assert out["buckets"] == EXPECTED
    assert out["currency"] == "TWD"
    assert set(out["balances"]) == set(EXPECTED)
    # Delinquent buckets have something past due; every figure is a decimal string.
    assert all(Decimal(out["past_due"][b]) > 0 for b in ("M1", "M2", "M3"))
    assert Decimal(out["past_due"]["M0"]) == 0

    # Client 1: PAY_0 = 2 (two months late in September 2005).
    shown = cli("account", "show", "1", "--as-of", "2005-10-01", "--json", "--locale", "en")
    assert shown.exit_code == 0, shown.stderr
    account = json.loads(shown.stdout)
    assert (account["dpd"], account["bucket"]) == (60, "M2")
    assert account["reports"][-1] == {"reported_on": "2005-10-01", "status": 2}
    breakdown = account["breakdown"]
    items = [Decimal(i["amount"]) for i in breakdown["items"]]
    assert sum(items) == Decimal(breakdown["total_due"])
    # The itemization-date model (tests/unit/test_delinquency_itemization.py): 3,913.00 on
    # 2005-09-05, + 26 days of interest (50.87) + September's breach fee (19.56); was 4,065.46.
    assert breakdown["itemization_date"] == "2005-09-05"
    assert len([i for i in breakdown["items"] if i["kind"] == "fee"]) == 1
    assert breakdown["total_due"] == "3983.43"
    assert all(i["explanation"] for i in breakdown["items"])
