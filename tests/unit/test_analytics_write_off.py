"""Recoveries after write-off, apart from cures: rate and net of agency commission and legal
costs; the report's section shows them (or says there is nothing yet)."""

from __future__ import annotations

from decimal import Decimal

from arrears.analytics.recovery import after_write_off
from arrears.analytics.report import ReportData, _write_off_section


def test_rate_and_net_recovery() -> None:
    got = after_write_off(
        written_off=Decimal("10000.00"),
        accounts=3,
        recovered=Decimal("2500.00"),
        agency_commission=Decimal("500.00"),
        legal_costs=Decimal("250.00"),
    )
    assert got["recovery_rate"] == 0.25
    assert got["net_recovered"] == Decimal("1750.00")
    assert got["net_recovery_rate"] == 0.175


def test_nothing_written_off_has_no_rate() -> None:
    got = after_write_off(written_off=Decimal(0), accounts=0, recovered=Decimal(0))
    assert got["recovery_rate"] is None
    assert got["net_recovery_rate"] is None


def test_the_report_section() -> None:
    book = {
        "charged_off": {"accounts": 2, "balance": Decimal("3000.00")},
        "awaiting_write_off": {"accounts": 1, "balance": Decimal("1000.00")},
        "after_write_off": after_write_off(
            written_off=Decimal("2000.00"), accounts=1, recovered=Decimal("500.00")
        ),
    }
    html = _write_off_section(book)
    assert 'data-has-data="true"' in html
    assert "0.2500" in html
    assert "500.00" in html
    assert "No charged-off account yet" in _write_off_section(None)
    assert ReportData(write_off=book).as_json()["write_off"] == book
