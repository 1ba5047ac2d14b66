"""The columnar aging/fees/interest (Ibis) agree with the pure rules account by account."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from arrears.delinquency import (
    AccountTerms,
    PaymentFact,
    StatementFact,
    StatusReport,
    load_fee_schedule,
    owed_breakdown,
)
from arrears.engine.columnar import Snapshot, age_and_price

AS_OF = date(2026, 3, 15)
D = pa.decimal128(18, 2)


def _money(rng: random.Random, hi: int) -> Decimal:
    # Amounts ending in 5 or 0 tenths of a cent stress half-even rounding of the 5% fee.
    return Decimal(rng.randrange(0, hi * 100)) / 100


def portfolio(n: int, seed: int) -> dict[str, list[dict[str, object]]]:
    rng = random.Random(seed)
    rows: dict[str, list[dict[str, object]]] = {
        k: [] for k in ("accounts", "statements", "payments", "delinquency")
    }
    for i in range(n):
        acct = f"A{i:05d}"
        currency = rng.choice(["CNY", "CNY", "TWD", "JPY"])
        rows["accounts"].append(
            {"account_id": acct, "customer_id": f"C{i // 2:05d}", "currency": currency}
        )
        months = rng.randint(0, 7)
        first = date(2025, 8, rng.randint(1, 28))
        for m in range(months):
            cycle = first + timedelta(days=30 * m)
            bal = _money(rng, 20000) - (Decimal(500) if rng.random() < 0.1 else 0)
            mind = max(Decimal(0), (bal * Decimal("0.1")).quantize(Decimal("0.01")))
            if rng.random() < 0.1:
                mind = Decimal(0)
            rows["statements"].append(
                {
                    "account_id": acct,
                    "cycle_date": cycle,
                    "due_date": cycle + timedelta(days=rng.choice([0, 10, 20, 25])),
                    "closing_balance": bal,
                    "minimum_due": mind,
                }
            )
        for j in range(rng.randint(0, 5)):
            rows["payments"].append(
                {
                    "account_id": acct,
                    "paid_on": date(2025, 8, 1) + timedelta(days=rng.randint(0, 240)),
                    "amount": _money(rng, 3000) + Decimal("0.01"),
                    "reference": f"P{i}-{j}",
                }
            )
        for j in range(rng.choice([0, 0, 1, 2, 3])):
            rows["delinquency"].append(
                {
                    "account_id": acct,
                    "reported_on": date(2025, 9 + j, 1)
                    + timedelta(days=rng.choice([0, 0, 60, 150])),
                    "status": rng.choice([-2, -1, 0, 1, 1, 2, 3, 4, 7, 9]),
                }
            )
    # Reports must be unique per account and date.
    unique = {(r["account_id"], r["reported_on"]): r for r in rows["delinquency"]}
    rows["delinquency"] = list(unique.values())
    return rows


SCHEMAS = {
    "accounts": pa.schema(
        [("account_id", pa.string()), ("customer_id", pa.string()), ("currency", pa.string())]
    ),
    "statements": pa.schema(
        [
            ("account_id", pa.string()),
            ("cycle_date", pa.date32()),
            ("due_date", pa.date32()),
            ("closing_balance", D),
            ("minimum_due", D),
        ]
    ),
    "payments": pa.schema(
        [
            ("account_id", pa.string()),
            ("paid_on", pa.date32()),
            ("amount", D),
            ("reference", pa.string()),
        ]
    ),
    "delinquency": pa.schema(
        [("account_id", pa.string()), ("reported_on", pa.date32()), ("status", pa.int16())]
    ),
}


def snapshot(rows: dict[str, list[dict[str, object]]]) -> Snapshot:
    t = {k: ibis.memtable(pa.Table.from_pylist(v, schema=SCHEMAS[k])) for k, v in rows.items()}
    holders = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string())}))
    return Snapshot(
        cardholders=holders,
        accounts=t["accounts"],
        statements=t["statements"],
        payments=t["payments"],
        delinquency=t["delinquency"],
    )


@pytest.mark.parametrize("schedule_name", ["cn-card", "us-card", "generic"])
def test_columnar_aging_matches_the_pure_rules(schedule_name: str) -> None:
    schedule = load_fee_schedule(schedule_name)
    rows = portfolio(1500, seed=hash(schedule_name) % 1000)
    con = ibis.duckdb.connect()
    got = con.to_pyarrow(age_and_price(snapshot(rows), as_of=AS_OF, schedule=schedule)).to_pylist()
    by_acct = {r["account_id"]: r for r in got}
    assert len(by_acct) == 1500
    mismatches = []
    delinquent = 0
    for a in rows["accounts"]:
        acct = a["account_id"]
        st = [
            StatementFact(r["cycle_date"], r["due_date"], r["closing_balance"], r["minimum_due"])
            for r in rows["statements"]
            if r["account_id"] == acct
        ]
        py = [
            PaymentFact(r["paid_on"], r["amount"], r["reference"])
            for r in rows["payments"]
            if r["account_id"] == acct
        ]
        rp = [
            StatusReport(r["reported_on"], r["status"])
            for r in rows["delinquency"]
            if r["account_id"] == acct
        ]
        want = owed_breakdown(
            terms=AccountTerms(str(a["currency"]), Decimal("0.1")),
            statements=st,
            payments=py,
            as_of=AS_OF,
            reports=rp,
            schedule=schedule,
        )
        g = by_acct[acct]
        expected = (
            want.aging.dpd,
            want.aging.bucket,
            want.aging.amount_past_due,
            want.fees,
            want.interest,
            want.total_due,
        )
        actual = (g["dpd"], g["bucket"], g["amount_due"], g["fees"], g["interest"], g["total_due"])
        delinquent += want.aging.dpd > 0
        if expected != actual:
            mismatches.append((acct, expected, actual))
    assert not mismatches, mismatches[:5]
    assert delinquent > 300  # the generated portfolio exercises the delinquent paths
