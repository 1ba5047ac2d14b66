"""`arrears simulate` with a working agency (issue 17's acceptance, short): on a slice of the real
UCI book the strategy places cases with the agency, the daily placement/recall files are
exported and read back by the simulated agency, its activity and payment file comes in through
the real import (compliance, reconciliation), and the month's commission statement equals what
the agency's own book gives under the contract, to the cent. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arrears.simulation import report
from arrears.simulation.roster import AgencyPlan, AgencyTier
from arrears.simulation.run import Options, SimulationResult, simulate
from arrears.workforce import exchange
from tests.conftest import PG_ADMIN_URL
from tests.integration.test_simulation_run import cli, configured

START = date(2026, 1, 24)  # 9 days: the statement for January is cut on 1 February
D = Decimal
# Low tier bounds so that a short run goes through every tier (the cap is tested in the unit
# test of the agency's book).
# The agency takes M3 and up (advanced and legal cases too) so that a short run on a small book
# places enough cases for payments, recalls on cure, and every tier.
PLAN = AgencyPlan(
    buckets=["M3", "M4", "M5", "M6", "M7+"],
    levels=["advanced", "legal", "outsource"],
    commission_pct=15,
    tiers=[
        AgencyTier(up_to=D("1000"), pct=D("15")),
        AgencyTier(up_to=D("3000"), pct=D("20")),
        AgencyTier(pct=D("30")),
    ],
    cap=D("60000"),
    masked_fields=["phone"],
    call_rate=0.6,
    reversal_share=0.3,
)


def _run(tmp: Path, uci: Path, **changes: Any) -> SimulationResult:
    options = Options(
        days=9,
        accounts=1000,
        seed=11,
        start=START,
        book=uci,
        agency=PLAN,
        out=tmp / "sim",
    )
    return simulate(dataclasses.replace(options, **changes))


@pytest.fixture(scope="module")
def sqlite_run(tmp_path_factory: pytest.TempPathFactory, uci_csv: Path) -> SimulationResult:
    with configured(None):
        return _run(tmp_path_factory.mktemp("agency"), uci_csv)


def _agrees(result: SimulationResult) -> dict[str, Any]:
    agency = result.summary["agency"]
    assert agency is not None
    broken = {n: r["examples"][:2] for n, r in result.invariants.items() if not r["held"]}
    assert broken == {}
    (january,) = agency["statements"]
    assert january["month"] == "2026-01"
    assert january["to_the_cent"] is True
    assert D(january["statement_total"]) == D(january["expected_total"])
    assert D(january["statement_recovered"]) == D(january["expected_recovered"]) > 0
    files = agency["files"]
    assert files["placed"] > 0
    # Reconciliation: every payment the agency sent is in the store, none twice.
    assert files["payments"] == files["payments_sent"] > 0
    assert files["duplicates"] == 0
    # Every call it sent went through compliance: logged or blocked.
    assert files["contacts"] + files["blocked"] == files["calls_sent"] > 0
    return agency


def test_the_statement_adds_up_to_the_cent_and_the_files_round_trip(
    sqlite_run: SimulationResult,
) -> None:
    agency = _agrees(sqlite_run)
    # The comparison of the analytics report: the agency against in-house work, also in the
    # run's report.html with the month's statement against the agency's book.
    page = report.render_html(sqlite_run)
    assert '<section id="agency">' in page
    assert "<td>2026-01</td>" in page
    groups = {g["group"] for g in agency["comparison"]}
    assert "AG01" in groups
    assert len(groups) >= 2
    # The files on disk: each day's placements and recalls with a manifest that checks, masked
    # where the contract says; the agency's deliveries likewise.
    assert sqlite_run.out is not None
    out = sqlite_run.out / "exchange" / "AG01" / "out"
    days = sorted(p.name for p in out.iterdir())
    assert days[0] == START.isoformat()
    assert len(days) == 9
    phones = []
    for day in days:
        names = [f"{k}-AG01-{day}.csv" for k in ("placements", "recalls")]
        files = exchange.read_delivery(out / day, names)
        for row in csv.DictReader(io.StringIO(files[names[0]].decode())):
            phones.append(row["phone"])
            assert "id_number" not in row  # not in the default fields
    assert phones
    assert all("*" in p for p in phones if p)
    delivered = sorted((sqlite_run.out / "exchange" / "AG01" / "in").iterdir())
    assert delivered
    exchange.read_delivery(delivered[0], (exchange.ACTIVITY, exchange.PAYMENTS))
    # The statement's lines: one per payment, and the tier lines add up to the total.
    (january,) = agency["statements"]
    assert january["payments"] > 0
    assert january["lines"] > january["payments"]


def test_a_statement_a_cent_off_breaks_the_check(
    tmp_path: Path, uci_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check can fail: a statement that pays one cent too much is reported."""
    from arrears.workforce import agency_service

    real = agency_service.commission_statement

    def a_cent_more(**kwargs: Any) -> Any:
        s = real(**kwargs)
        return s.model_copy(update={"total": s.total + D("0.01")})

    monkeypatch.setattr(agency_service, "commission_statement", a_cent_more)
    with configured(None):
        result = _run(tmp_path, uci_csv, accounts=600)
    verdict = result.invariants["commission_to_the_cent"]
    assert verdict["held"] is False
    assert verdict["examples"][0]["month"] == "2026-01"
    assert result.broken == ["commission_to_the_cent"]


@pytest.mark.postgres
def test_the_same_on_postgresql(tmp_path: Path, uci_csv: Path) -> None:
    with configured(PG_ADMIN_URL):
        result = _run(tmp_path, uci_csv)
    assert result.summary["store"] == "postgresql"
    _agrees(result)


def test_a_contract_with_an_unknown_bucket_is_exit_2_nothing_written(tmp_path: Path) -> None:
    contract = tmp_path / "agency.yaml"
    contract.write_text("code: AG01\nbuckets: [M4, M9]\ncommission_pct: 18\n", encoding="utf-8")
    out = tmp_path / "sim"
    code, _stdout, stderr = cli("--agency", str(contract), "--days", "3", "--out", str(out))
    assert code == 2, stderr
    assert "M9" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_an_unknown_book_is_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    code, _stdout, stderr = cli("--book", str(tmp_path / "nope.csv"), "--out", str(out))
    assert code == 2
    assert "--book: no file" in stderr
    assert not out.exists()
