"""Agency contracts are validated before anything is written (issue 17): buckets and levels from
the vocabulary, dates in order, no two contracts of one agency covering the same bucket and level
on the same day. On SQLite and PostgreSQL, through the CLI (exit 2, nothing written)."""

from __future__ import annotations

import json
from typing import Any

import pytest

ADMIN = ("--as", "ops")


@pytest.fixture
def agency(cli: Any) -> Any:
    assert cli("users", "add", "ops", "admin").exit_code == 0  # the first admin
    res = cli("agencies", "add", "AG1", "--name", "Agency One", *ADMIN)
    assert res.exit_code == 0, res.stderr
    return cli


def contract(cli: Any, code: str, *extra: str) -> Any:
    base = {
        "--buckets": "M4,M5",
        "--levels": "outsource",
        "--commission": "15",
        "--start": "2026-01-01",
    }
    for key, value in zip(extra[::2], extra[1::2], strict=True):
        base[key] = value
    args = [a for pair in base.items() for a in pair]
    return cli("agencies", "contract", "AG1", "--code", code, *args, *ADMIN, "--json")


def codes(cli: Any) -> list[str]:
    return [c["code"] for c in json.loads(cli("agencies", "contracts", "--json").stdout)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--buckets", "M4,M9"), "unknown buckets ['M9']"),
        (("--levels", "outsource,expert"), "unknown levels ['expert']"),
        (("--end", "2025-12-31"), "end_date: before start_date"),
        (("--tiers", "50000:12,:18"), "the first tier's rate is commission_pct"),
        (("--tiers", ":15,50000:18"), "only the last tier may be open-ended"),
    ],
)
def test_a_bad_contract_is_one_error_and_nothing_written(
    agency: Any, extra: tuple[str, ...], message: str
) -> None:
    res = contract(agency, "AG1-BAD", *extra)
    assert res.exit_code == 2, res.stdout
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert codes(agency) == []


def test_overlapping_contracts_of_one_agency_are_refused(agency: Any) -> None:
    cli = agency
    first = contract(cli, "AG1-2026", "--end", "2026-12-31")
    assert first.exit_code == 0, first.stderr
    # Shares M5 x outsource in December 2026: refused, nothing written.
    clash = contract(cli, "AG1-2027", "--buckets", "M5,M6", "--start", "2026-12-01")
    assert clash.exit_code == 2
    assert "overlaps AG1-2026" in clash.stderr
    assert codes(cli) == ["AG1-2026"]
    # The same scope from the day after, or other buckets on the same days: fine.
    assert contract(cli, "AG1-2027", "--start", "2027-01-01").exit_code == 0
    assert contract(cli, "AG1-M6", "--buckets", "M6,M7+").exit_code == 0
    tiered = contract(cli, "AG1-L", "--levels", "legal", "--tiers", "50000:15,:18", "--cap", "9000")
    assert tiered.exit_code == 0, tiered.stderr
    out = json.loads(tiered.stdout)
    assert out["commission_cap"] == "9000"
    assert [t["rate"] for t in out["commission_tiers"]] == ["0.15", "0.18"]
    assert sorted(codes(cli)) == ["AG1-2026", "AG1-2027", "AG1-L", "AG1-M6"]
