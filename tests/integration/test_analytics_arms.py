"""Champion/challenger results read from the cycle's ``decisions`` table, recomputed apart."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa

from arrears.analytics import repository, service
from arrears.analytics.stats import wilson

AS_OF = date(2026, 11, 2)


def test_arm_results_from_decisions_and_payments() -> None:
    rng = random.Random(3)
    decisions: dict[str, list[object]] = {"as_of": [], "account_id": [], "arm": []}
    payments: dict[str, list[object]] = {"account_id": [], "paid_on": [], "amount": []}
    arms = {}
    for i in range(400):
        account, arm = f"A{i}", ("champion" if i % 2 else "sms_first")
        arms[account] = arm
        for day in (0, 1):  # the cycle decides every day; the first decision starts the clock
            decisions["as_of"].append(AS_OF + timedelta(days=day))
            decisions["account_id"].append(account)
            decisions["arm"].append(arm)
        if rng.random() < (0.30 if arm == "champion" else 0.45):
            payments["account_id"].append(account)
            payments["paid_on"].append(AS_OF + timedelta(days=rng.randint(1, 30)))
            payments["amount"].append(Decimal("200.00"))
        if rng.random() < 0.2:  # outside the 30-day horizon, or before the decision: not counted
            payments["account_id"].append(account)
            payments["paid_on"].append(AS_OF + timedelta(days=rng.choice([-3, 0, 31, 45])))
            payments["amount"].append(Decimal("999.00"))
    tables = {
        "decisions": pa.table(decisions),
        "payments": pa.table(
            {
                "account_id": payments["account_id"],
                "paid_on": pa.array(payments["paid_on"], pa.date32()),
                "amount": pa.array(payments["amount"], pa.decimal128(18, 2)),
            }
        ),
    }
    with repository.frames_as_tables(tables) as con:
        result = service.champion_challenger(con=con, horizon_days=30)
        flipped = service.champion_challenger(con=con, horizon_days=30, champion="sms_first")
    assert flipped["champion"] == "sms_first"
    assert flipped["comparisons"][0]["challenger"] == "champion"
    assert flipped["comparisons"][0]["verdict"] == "champion better"

    paid: dict[str, Decimal] = {}
    for account, day, amount in zip(
        payments["account_id"], payments["paid_on"], payments["amount"], strict=True
    ):
        assert isinstance(day, date)
        if AS_OF < day <= AS_OF + timedelta(days=30):
            paid[str(account)] = paid.get(str(account), Decimal(0)) + Decimal(str(amount))
    assert result["champion"] == "champion"
    for arm_row in result["arms"]:
        members = [a for a, arm in arms.items() if arm == arm_row["arm"]]
        payers = sum(1 for a in members if paid.get(a, 0) > 0)
        assert arm_row["accounts"] == len(members)
        assert arm_row["payers"] == payers
        low, high = wilson(payers, len(members))
        assert arm_row["pay_rate_ci"] == [round(low, 4), round(high, 4)]
        assert Decimal(arm_row["recovered"]) == sum(
            (paid.get(a, Decimal(0)) for a in members), Decimal(0)
        )
    (comparison,) = result["comparisons"]
    assert comparison["challenger"] == "sms_first"
    assert comparison["verdict"] == "challenger better"


def test_no_decisions_table_means_no_results_yet() -> None:
    with repository.frames_as_tables({"payments": pa.table({"account_id": ["A"]})}) as con:
        result = service.champion_challenger(con=con)
    assert result["arms"] == []
    assert result["comparisons"] == []
