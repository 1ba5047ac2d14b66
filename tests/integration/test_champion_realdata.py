"""`arrears report champion --json` on the UCI book with a 20 % M1 test: the cycle decides the
book as of 2005-10-01, and the report counts the M1 accounts the test targets, not the book.

The book's own label for the month after (``default.payment.next.month``) stands in for October's
payments: a client who did not default pays its September minimum on 15 October. Every figure is
recomputed here from the raw CSV and the documented arm assignment."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from arrears.config import get_settings
from arrears.strategy.loader import SHIPPED
from tests.conftest import UciBook

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
TEST = "m1-call-first"


def _strategy(folder: Path) -> Path:
    text = (
        (SHIPPED / "default.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "rules:\n  - name: deceased",
            f"experiment:\n  test: {TEST}\n  arms:\n"
            "    - {name: champion, percent: 80}\n    - {name: call_first, percent: 20}\n\n"
            "rules:\n  - name: call-first\n    when: {bucket: [M1], arm: [call_first]}\n"
            "    level: junior\n    treatments: [call]\n    queue: early_call\n    priority: 60\n"
            "  - name: deceased",
        )
    )
    path = folder / "m1-test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _arm(account_id: str) -> str:
    """The documented assignment (docs/strategy.md): md5, 7 hex digits, mod 100."""
    pct = int(hashlib.md5(f"{account_id}:{TEST}".encode()).hexdigest()[:7], 16) % 100
    return "champion" if pct < 80 else "call_first"


def test_report_champion_on_the_uci_book_counts_the_targeted_m1_accounts(
    cli: Any, env: Path, uci_imported: UciBook, uci_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: 30,000 accounts compared (every decided account, 2.x % paying)."""
    # The book as `arrears import uci` left it (tests/conftest.py, once per store).
    monkeypatch.setenv("ARREARS_STRATEGY", str(_strategy(env)))
    get_settings.cache_clear()
    run = cli("cycle", "run", "--as-of", "2005-10-01", "--json")
    assert run.exit_code == 0, run.stderr
    con = duckdb.connect(str(get_settings().warehouse))
    con.execute(
        """
        INSERT INTO payments (account_id, paid_on, amount, channel, reference)
        SELECT s.account_id, DATE '2005-10-15', greatest(s.minimum_due, 1.00), 'test',
               'october-' || s.account_id
        FROM statements s JOIN uci_outcomes o USING (account_id)
        WHERE s.cycle_date = (SELECT max(cycle_date) FROM statements) AND NOT o.defaulted
        """
    )
    worked = {
        r[0]
        for r in con.execute(
            "SELECT account_id FROM decisions WHERE bucket = 'M1' AND level IS NOT NULL"
        ).fetchall()
    }
    con.close()
    report = cli("report", "champion", "--json")
    assert report.exit_code == 0, report.stderr
    (test,) = json.loads(report.stdout)["tests"]
    assert test["test"] == TEST
    assert test["champion"] == "champion"

    # From the CSV: M1 in September is PAY_0 = 1 (3,688 clients); the test targets those the cycle
    # works (a case: something past due above the small balance), 1,996 of them.
    with uci_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    m1 = {r["ID"]: r for r in rows if int(r["PAY_0"]) == 1}
    assert len(m1) == 3688
    assert worked <= set(m1)
    assert len(worked) == 1996
    expected = {"champion": [0, 0], "call_first": [0, 0]}  # accounts, payers
    book = {"champion": 0, "call_first": 0}
    for r in rows:
        book[_arm(r["ID"])] += 1
        if r["ID"] in worked:
            expected[_arm(r["ID"])][0] += 1
            expected[_arm(r["ID"])][1] += r["default.payment.next.month"] == "0"
    arms = {a["arm"]: a for a in test["arms"]}
    assert set(arms) == {"champion", "call_first"}
    for name, got in arms.items():
        accounts, payers = expected[name]
        assert (got["accounts"], got["payers"], got["book_accounts"]) == (
            accounts,
            payers,
            book[name],
        )
        assert got["pay_rate"] == round(payers / accounts, 4)
    assert sum(a["book_accounts"] for a in arms.values()) == 30_000
    assert arms["call_first"]["accounts"] / 1996 == pytest.approx(0.20, abs=0.03)
    (comparison,) = test["comparisons"]
    assert comparison["challenger"] == "call_first"
    low, high = comparison["pay_rate_difference_ci"]
    assert low <= comparison["pay_rate_difference"] <= high
    assert 0 < comparison["power"] < 1
