"""The columnar aging/fees/interest (Ibis) agree with the pure rules account by account, to the
cent: the itemization-date pricing (the latest statement's balance plus the interest and fees
since its cycle date, less the payments since; a payment on the as-of day deducted without
changing a charge), where accrual stops (charge-off / non-accrual, the cap on charges) and which
accounts are worth a case (the small-balance threshold)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from arrears.delinquency import (
    AccountTerms,
    FeeSchedule,
    PaymentFact,
    StatementFact,
    StatusReport,
    load_fee_schedule,
    owed_breakdown,
)
from arrears.engine.columnar import Snapshot, age_and_price

AS_OF = date(2026, 3, 15)
# Two years on, most delinquent accounts are far past every stop (the UCI "viewed today" case).
LATER = date(2028, 3, 15)
D = pa.decimal128(18, 2)
# Profiles whose stops and caps bite early, so the generated accounts cross them both ways.
TIGHT = {
    "cn-tight": "extends: cn-card\naccrual: {stop: {kind: non_accrual, after_dpd: 45, "
    "label: {en: non-accrual, zh-CN: 停止计息}}, cap_ratio: 0.01}\nsmall_balance: 150.00\n",
    "us-tight": "extends: us-card\naccrual: {stop: {kind: charge_off, after_dpd: 75, "
    "label: {en: charge-off, zh-CN: 核销}}, cap_ratio: 0.004}\nsmall_balance: 1.00\n",
    "no-stop": "extends: generic\naccrual: {stop: null, cap_ratio: null}\n",
}


def schedule_for(name: str, tmp_path: Path) -> FeeSchedule:
    if name not in TIGHT:
        return load_fee_schedule(name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(TIGHT[name], encoding="utf-8")
    return load_fee_schedule(str(path))


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
        if rng.random() < 0.1:
            # Paid on a night the tests price: deducted, changing no charge of that night.
            rows["payments"].append(
                {
                    "account_id": acct,
                    "paid_on": rng.choice([AS_OF, LATER]),
                    "amount": _money(rng, 3000) + Decimal("0.01"),
                    "reference": f"P{i}-night",
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


@pytest.mark.parametrize("as_of", [AS_OF, LATER], ids=["2026-03", "2028-03"])
@pytest.mark.parametrize(
    "schedule_name", ["cn-card", "us-card", "generic", "cn-tight", "us-tight", "no-stop"]
)
def test_columnar_aging_matches_the_pure_rules(
    schedule_name: str, as_of: date, tmp_path: Path
) -> None:
    schedule = schedule_for(schedule_name, tmp_path)
    rows = portfolio(1500, seed=sum(map(ord, schedule_name)) + as_of.year)
    con = ibis.duckdb.connect()
    got = con.to_pyarrow(age_and_price(snapshot(rows), as_of=as_of, schedule=schedule)).to_pylist()
    by_acct = {r["account_id"]: r for r in got}
    assert len(by_acct) == 1500
    mismatches = []
    delinquent = stopped = stopped_since = capped = kept_out = paid_today = 0
    facts: dict[str, tuple[list[StatementFact], list[PaymentFact], list[StatusReport]]] = {
        str(a["account_id"]): ([], [], []) for a in rows["accounts"]
    }
    for r in rows["statements"]:
        facts[str(r["account_id"])][0].append(
            StatementFact(r["cycle_date"], r["due_date"], r["closing_balance"], r["minimum_due"])
        )
    for r in rows["payments"]:
        facts[str(r["account_id"])][1].append(
            PaymentFact(r["paid_on"], r["amount"], r["reference"])
        )
    for r in rows["delinquency"]:
        facts[str(r["account_id"])][2].append(StatusReport(r["reported_on"], r["status"]))
    for a in rows["accounts"]:
        acct = a["account_id"]
        st, py, rp = facts[str(acct)]
        want = owed_breakdown(
            terms=AccountTerms(str(a["currency"]), Decimal("0.1")),
            statements=st,
            payments=py,
            as_of=as_of,
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
            want.collectible,
        )
        actual = (
            g["dpd"],
            g["bucket"],
            g["amount_due"],
            g["fees"],
            g["interest"],
            g["total_due"],
            g["collectible"],
        )
        delinquent += want.aging.dpd > 0
        stopped += want.accrual.stopped_on is not None
        # The stop fell after the itemization date: interest ran up to it, not beyond.
        stopped_since += (
            want.accrual.stopped_on is not None
            and want.itemization_date is not None
            and want.accrual.stopped_on > want.itemization_date
            and want.accrual.interest_days > 0
        )
        paid_today += want.aging.dpd > 0 and any(p.paid_on == as_of for p in py)
        capped += want.accrual.capped > 0
        kept_out += want.aging.dpd > 0 and not want.collectible
        if expected != actual:
            mismatches.append((acct, expected, actual))
    assert not mismatches, mismatches[:5]
    assert delinquent > 300  # the generated portfolio exercises the delinquent paths
    # ... and crosses the profile's stop, its cap and its small-balance threshold.
    if schedule.accrual.stop is not None:
        assert stopped > 50
        assert stopped_since > 0
    assert paid_today > 0  # the start-of-day position differs from the end-of-day one
    if schedule.accrual.cap_ratio is not None and schedule_name in TIGHT:
        assert capped > 50
    assert kept_out > 0  # reports with nothing owed, at least
