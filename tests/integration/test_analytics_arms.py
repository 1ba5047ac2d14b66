"""Champion/challenger results read from the cycle's ``decisions`` table, recomputed apart."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from arrears.analytics import repository, service
from arrears.analytics.report import ReportData, render_html
from arrears.analytics.stats import wilson
from arrears.kit.errors import BadInput

AS_OF = date(2026, 11, 2)


def test_arm_results_from_decisions_and_payments() -> None:
    rng = random.Random(3)
    decisions: dict[str, list[object]] = {
        "as_of": [],
        "account_id": [],
        "arm": [],
        "test": [],
        "in_test": [],
    }
    payments: dict[str, list[object]] = {"account_id": [], "paid_on": [], "amount": []}
    arms = {}
    for i in range(400):
        account, arm = f"A{i}", ("champion" if i % 2 else "sms_first")
        arms[account] = arm
        for day in (0, 1):  # the cycle decides every day; the first decision starts the clock
            decisions["as_of"].append(AS_OF + timedelta(days=day))
            decisions["account_id"].append(account)
            decisions["arm"].append(arm)
            decisions["test"].append("t1")
            decisions["in_test"].append(True)
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
    (flipped,) = flipped["tests"]
    assert flipped["champion"] == "sms_first"
    assert flipped["comparisons"][0]["challenger"] == "champion"
    assert flipped["comparisons"][0]["verdict"] == "champion better"
    (result,) = result["tests"]

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
    assert result["tests"] == []


def _book() -> dict[str, pa.Table]:
    """A generated book of 200 accounts decided on two days: 100 in the test's targeted
    population (50 per arm), 100 outside it. Known effect in the population: the champion's
    accounts pay 15 of 50 (30 %), the challenger's 25 of 50 (50 %); outside it 2 of 100 pay."""
    decisions: dict[str, list[object]] = {k: [] for k in ("as_of", "account_id", "arm", "test")}
    decisions["in_test"] = []
    paid: list[str] = []
    for i in range(200):
        account, targeted = f"A{i:03}", i < 100
        arm = "challenger" if i % 2 else "champion"
        for day in (0, 1):
            decisions["as_of"].append(AS_OF + timedelta(days=day))
            decisions["account_id"].append(account)
            decisions["arm"].append(arm)
            decisions["test"].append("m1-call-first")
            decisions["in_test"].append(targeted)
        k = i // 2  # the account's rank within its arm
        if (
            (targeted and arm == "champion" and k < 15)
            or (targeted and arm != "champion" and k < 25)
            or not targeted
            and i in (150, 151)
        ):
            paid.append(account)
    return {
        "decisions": pa.table(decisions),
        "payments": pa.table(
            {
                "account_id": paid,
                "paid_on": pa.array([AS_OF + timedelta(days=5)] * len(paid), pa.date32()),
                "amount": pa.array([Decimal("100.00")] * len(paid), pa.decimal128(18, 2)),
            }
        ),
    }


def test_an_experiment_is_measured_on_the_accounts_it_targets_checked_by_hand() -> None:
    """Before: every decided account counted (100 per arm; 17 % vs 26 %, diluted)."""
    with repository.frames_as_tables(_book()) as con:
        result = service.champion_challenger(con=con, horizon_days=30)
    (test,) = result["tests"]
    assert test["test"] == "m1-call-first"
    arms = {a["arm"]: a for a in test["arms"]}
    champ, chall = arms["champion"], arms["challenger"]
    assert (champ["accounts"], champ["payers"], champ["book_accounts"]) == (50, 15, 100)
    assert (chall["accounts"], chall["payers"], chall["book_accounts"]) == (50, 25, 100)
    assert (champ["pay_rate"], chall["pay_rate"]) == (0.30, 0.50)
    # Wilson, z = 1.959964, z^2 = 3.841459, n = 50: denominator 1 + z^2/n = 1.0768292.
    # 15/50: centre (0.30 + 0.0384146) / 1.0768292 = 0.314270,
    #        half 1.959964 * sqrt(0.3 * 0.7 / 50 + 3.841459 / 10000) / 1.0768292 = 0.123234.
    assert champ["pay_rate_ci"] == pytest.approx([0.1910, 0.4375], abs=1e-4)
    # 25/50: centre 0.5, half 1.959964 * sqrt(0.005 + 0.000384146) / 1.0768292 = 0.133554.
    assert chall["pay_rate_ci"] == pytest.approx([0.3664, 0.6336], abs=1e-4)
    (c,) = test["comparisons"]
    assert c["pay_rate_difference"] == 0.20
    # Newcombe: 0.2 - sqrt((0.5 - 0.366446)^2 + (0.437504 - 0.3)^2) = 0.2 - 0.191685;
    #           0.2 + sqrt((0.633554 - 0.5)^2 + (0.3 - 0.191036)^2) = 0.2 + 0.172366.
    assert c["pay_rate_difference_ci"] == pytest.approx([0.0083, 0.3724], abs=1e-4)
    # Pooled 40/100: se = sqrt(0.4 * 0.6 * (1/50 + 1/50)) = 0.0979796, z = 2.041241.
    assert c["p_value"] == pytest.approx(0.0412, abs=1e-4)
    assert c["verdict"] == "challenger better"
    # Power to find 0.35 against 0.30 with 50 + 50: null se sqrt(0.325 * 0.675 * 0.04) = 0.093675,
    # se sqrt(0.35 * 0.65 / 50 + 0.3 * 0.7 / 50) = 0.093541:
    # Phi((0.05 - 1.959964 * 0.093675) / 0.093541) + Phi((-0.05 - 0.183600) / 0.093541)
    # = Phi(-1.42825) + Phi(-2.49731) = 0.07661 + 0.00626.
    assert c["power"] == pytest.approx(0.0829, abs=1e-3)
    assert result["minimum_effect"] == 0.05
    # 50 accounts a side find only a large rise with 80 % power.
    assert c["minimum_detectable_effect"] == pytest.approx(0.27, abs=0.02)


def test_a_warehouse_from_before_the_population_was_recorded_has_no_results() -> None:
    old = _book()
    old["decisions"] = old["decisions"].drop_columns(["test", "in_test"])
    with repository.frames_as_tables(old) as con:
        assert service.champion_challenger(con=con)["tests"] == []


def test_a_minimum_effect_outside_0_1_is_refused() -> None:
    with repository.frames_as_tables(_book()) as con, pytest.raises(BadInput, match="minimum"):
        service.champion_challenger(con=con, minimum_effect=1.5)


def test_the_html_report_shows_each_test_on_its_targeted_accounts() -> None:
    with repository.frames_as_tables(_book()) as con:
        data = ReportData(arms=service.champion_challenger(con=con), source="test")
    page = render_html(data, generated_at=datetime(2026, 11, 29, tzinfo=UTC))
    section = page[page.index('<section id="arms"') :]
    section = section[: section.index("</section>")]
    assert "<h3>test m1-call-first</h3>" in section
    assert "<th>targeted</th><th>of the book</th>" in section
    # champion: 50 targeted of 100, 15 paid; the challenger +0.2 (0.0083 - 0.3724), p 0.0412
    assert "<td>champion</td><td>champion</td><td>50</td><td>100</td><td>15</td>" in section
    assert "<td>0.2000</td><td>0.0083 – 0.3724</td><td>0.0412</td>" in section
    assert "challenger better" in section
