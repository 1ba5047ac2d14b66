"""Acceptance on the real data (UCI, as of 2005-10-01), SQLite and PostgreSQL: the book imported
and cycled, a sample of the letter cases given postal addresses, `arrears letters batch` prints
one PDF each whose amounts match `arrears account show` to the cent; the cases without an
address are listed as refused with their rule, nothing printed for them."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.portfolio.models import Cardholder
from tests.conftest import UCI_AS_OF, UciBook
from tests.integration.test_letters import pdf_text, squash

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
AS_OF = UCI_AS_OF
SAMPLE = 8


def test_batch_on_the_uci_book_matches_account_show(
    cli: Any, engine: Engine, uci_cycled: UciBook, tmp_path: Path
) -> None:
    # The book imported and cycled as of AS_OF (tests/conftest.py, once per store).
    with engine.begin() as conn:
        letter_cases = [
            (wo_id, holder_id)
            for wo_id, holder_id, treatments in conn.execute(
                sa.select(WorkOrder.id, WorkOrder.cardholder_id, WorkOrder.treatments)
                .where(WorkOrder.status != "closed")
                .order_by(WorkOrder.id)
            )
            if "letter" in treatments
        ]
        assert len(letter_cases) > 1000
        # Spread the sample over the book; half of it reads English, half Chinese.
        step = len(letter_cases) // SAMPLE
        sample = letter_cases[::step][:SAMPLE]
        for n, (_, holder_id) in enumerate(sample):
            conn.execute(
                sa.update(Cardholder)
                .where(Cardholder.id == holder_id)
                .values(
                    address=f"No. {n + 1}, Section 2, Zhongshan N. Rd, Taipei",
                    language="en" if n % 2 else "zh-CN",
                )
            )
        refs = dict(
            conn.execute(
                sa.select(WorkOrderAccount.work_order_id, WorkOrderAccount.account_ref).where(
                    WorkOrderAccount.work_order_id.in_([wo for wo, _ in sample])
                )
            ).all()
        )

    out = tmp_path / "print"
    result = cli("letters", "batch", "--as-of", AS_OF, "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    with (out / "manifest.csv").open(encoding="utf-8") as fh:
        manifest = list(csv.DictReader(fh))
    assert sorted(int(r["case_id"]) for r in manifest) == sorted(wo for wo, _ in sample)
    assert {r["locale"] for r in manifest} == {"en", "zh-CN"}
    for row in manifest:
        shown = cli("account", "show", refs[int(row["case_id"])], "--as-of", AS_OF, "--json")
        assert shown.exit_code == 0, shown.stderr
        breakdown = json.loads(shown.stdout)["breakdown"]
        assert Decimal(row["total_due"]) == Decimal(breakdown["total_due"])
        text = pdf_text(out / row["file"])
        for item in breakdown["items"]:
            assert squash(f"{Decimal(item['amount']):,.2f}") in text, (row["file"], item)
        assert squash(f"{Decimal(breakdown['total_due']):,.2f}TWD") in text
        if row["locale"] == "zh-CN":
            assert squash("信用卡逾期欠款正式通知函") in text
    with (out / "refused.csv").open(encoding="utf-8") as fh:
        refused = list(csv.DictReader(fh))
    assert len(refused) == len(letter_cases) - SAMPLE
    assert {r["rules"] for r in refused} == {"letter.address_missing"}
    assert len(list(out.glob("*.pdf"))) == SAMPLE
