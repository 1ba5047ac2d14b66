"""What the card system sends the simulated department: the initial book (synth, through the
import path) and each morning's extract (new statements, and the payments the behaviour model
drew for the day). Part of the simulated department (``run._Department``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from arrears.config import Settings
from arrears.simulation import actions
from arrears.simulation import behaviour as bm
from arrears.simulation.agency import AgencyDesk, Paid
from arrears.simulation.payments import (
    Account,
    PaymentBook,
    cents,
    cut_statement,
    money,
    plan_month,
)


class CardSystem:
    """The card system's half of the department: the state it reads is the department's."""

    b: bm.Behaviour
    book: PaymentBook
    accounts: list[Account]
    by_customer: dict[str, int]
    traits: list[bm.Traits]
    figures: dict[str, tuple[str, int, int, int]]
    settings: Settings
    work: Path
    desk: AgencyDesk | None

    def rng(self, day_index: int, stream: int) -> np.random.Generator:
        raise NotImplementedError

    def _import(self, folder: Path) -> None:
        actions.import_folder(folder=folder, warehouse=self.settings.warehouse)

    def _load_accounts(self, folder: Path) -> None:
        accounts = pq.read_table(folder / "accounts.parquet").to_pylist()
        statements = pq.read_table(folder / "statements.parquet").to_pylist()
        payments = pq.read_table(folder / "payments.parquet").to_pylist()
        latest: dict[str, dict[str, Any]] = {}
        for s in statements:
            if (
                s["account_id"] not in latest
                or s["cycle_date"] > latest[s["account_id"]]["cycle_date"]
            ):
                latest[s["account_id"]] = s
        paid: Counter[str] = Counter()
        for p in payments:
            last = latest.get(p["account_id"])
            if last is not None and p["paid_on"] > last["cycle_date"]:
                paid[p["account_id"]] += cents(p["amount"])
        for a in sorted(accounts, key=lambda r: r["account_id"]):
            last = latest.get(a["account_id"])
            self.by_customer.setdefault(a["customer_id"], len(self.accounts))
            self.accounts.append(
                Account(
                    ref=a["account_id"],
                    customer=a["customer_id"],
                    statement_day=int(a["statement_day"]),
                    due_days=int(a["due_days"]),
                    min_ratio=Decimal(a["min_payment_ratio"]),
                    credit_limit=cents(a["credit_limit"]),
                    closing=cents(last["closing_balance"]) if last else 0,
                    minimum=cents(last["minimum_due"]) if last else 0,
                    paid_since=paid[a["account_id"]],
                )
            )
        self.traits = bm.draw_traits(self.b, len(self.accounts), self.rng(0, 0))

    def _morning_extract(self, i: int, day: date) -> tuple[int, int]:
        """Today's statements and payments, written as the card system's extract and imported."""
        rng = self.rng(i, 1)
        statements: list[dict[str, Any]] = []
        for index, account in enumerate(self.accounts):
            if account.statement_day != day.day:
                continue
            bucket, _dpd, past_due, _balance = self.figures.get(account.ref, ("M0", 0, 0, 0))
            due_on, closing, minimum = cut_statement(
                account, on=day, delinquent=bucket != "M0", rng=rng
            )
            statements.append(
                {
                    "account_id": account.ref,
                    "cycle_date": day,
                    "due_date": due_on,
                    "closing_balance": money(closing),
                    "minimum_due": money(minimum),
                }
            )
            plan_month(
                self.b,
                self.book,
                index=index,
                account=account,
                bucket=bucket,
                past_due=past_due,
                on=day,
                due_on=due_on,
                rng=rng,
            )
        paid: dict[int, int] = defaultdict(int)
        for item in self.book.due(day):
            paid[item.account] += item.cents
        payments = []
        channels = ("mobile_app", "online", "bank_transfer", "autodebit", "counter")
        desk = self.desk
        for index in sorted(paid):
            if paid[index] <= 0:
                continue
            account = self.accounts[index]
            account.paid_since += paid[index]
            if desk is not None:
                # An account the agency works pays through the agency: its file brings it in
                # tonight, not the card system's extract.
                by_agency = desk.works(account.ref, day)
                prefix = desk.plan.code if by_agency else "SIM"
                desk.record(
                    Paid(account.ref, day, paid[index], f"{prefix}-{day:%Y%m%d}-{index:07d}"),
                    by_agency=by_agency,
                    rng=rng,
                )
                if by_agency:
                    continue
            payments.append(
                {
                    "account_id": account.ref,
                    "paid_on": day,
                    "amount": money(paid[index]),
                    "channel": channels[index % len(channels)],
                    "reference": f"SIM-{day:%Y%m%d}-{index:07d}",
                }
            )
        if not statements and not payments:
            return sum(paid.values()), 0
        from arrears.portfolio.layout import arrow_schema

        folder = self.work / "extracts" / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in (("statements", statements), ("payments", payments)):
            if rows:
                schema = arrow_schema(name)
                table = pa.Table.from_pylist(
                    [{c: r.get(c) for c in schema.names} for r in rows], schema=schema
                )
                pq.write_table(table, folder / f"{name}.parquet")
        self._import(folder)
        return sum(paid.values()), len(payments)

    def _first_intents(self, day: date) -> None:
        """The book comes in mid-month: each delinquent customer draws this month's outcome now
        (the others draw at their next statement), so payments flow from the first morning."""
        rng = self.rng(0, 1)
        for index, account in enumerate(self.accounts):
            bucket, _dpd, past_due, _balance = self.figures.get(account.ref, ("M0", 0, 0, 0))
            if bucket == "M0":
                continue
            plan_month(
                self.b,
                self.book,
                index=index,
                account=account,
                bucket=bucket,
                past_due=past_due,
                on=day,
                due_on=day + timedelta(days=30),
                rng=rng,
            )

    # -- the workday --
