"""Model features from warehouse-shaped frames: slots, as-of cut-off, no label."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from arrears.analytics.features import ALL_FEATURES, LABEL, RAW_FEATURES, build_features, labels
from arrears.analytics.model import calibration, lift_table
from arrears.analytics.profile import load_model_profile
from arrears.kit.errors import BadInput

AS_OF = date(2005, 10, 1)


def _tables(extra_month: bool = False) -> dict[str, pd.DataFrame]:
    months = [4, 5, 6, 7, 8, 9] + ([10] if extra_month else [])
    statements = pd.DataFrame(
        {
            "account_id": ["a"] * len(months),
            "cycle_date": [date(2005, m, 5) for m in months],
            "closing_balance": [1000.0 * m for m in months],
        }
    )
    payments = pd.DataFrame(
        {
            "account_id": ["a", "a"] + (["a"] if extra_month else []),
            "paid_on": [date(2005, 9, 15), date(2005, 7, 15)]
            + ([date(2005, 10, 15)] if extra_month else []),
            "amount": [500.0, 200.0] + ([99999.0] if extra_month else []),
        }
    )
    delinquency = pd.DataFrame(
        {
            "account_id": ["a"] * 6,
            "reported_on": [date(2005, m + 1, 1) for m in range(4, 10)],
            "status": [0, 0, 1, 2, 0, -1],
        }
    )
    return {
        "accounts": pd.DataFrame(
            {"account_id": ["a"], "customer_id": ["c"], "credit_limit": [10000.0]}
        ),
        "cardholders": pd.DataFrame(
            {
                "customer_id": ["c"],
                "sex": ["female"],
                "education": ["university"],
                "marital_status": [None],
                "birth_date": [date(1970, 7, 1)],
            }
        ),
        "statements": statements,
        "payments": payments,
        "delinquency": delinquency,
        "uci_outcomes": pd.DataFrame({"account_id": ["a"], "defaulted": [True]}),
    }


def test_slots_count_back_from_the_newest_month() -> None:
    row = build_features(_tables(), AS_OF).loc["a"]
    assert row["bill_0"] == 9000.0  # September statement
    assert row["bill_5"] == 4000.0  # April statement
    assert row["status_0"] == -1.0  # reported 2005-10-01
    assert row["status_3"] == 1.0
    assert row["pay_0"] == 500.0
    assert row["pay_1"] == 0.0  # no payment in August
    assert row["pay_2"] == 200.0
    assert row["age"] == 35.0
    assert row["marital_status"] == "unknown"
    assert row["util_0"] == pytest.approx(0.9)
    assert row["pay_ratio_0"] == pytest.approx(500.0 / 8000.0)  # Sep payment vs Aug bill
    assert row["max_delay"] == 2.0
    assert row["months_delinquent"] == 2
    assert row["recency_delay"] == 2  # latest delay two months back
    assert row["n_paid_full"] == 1


def test_data_after_as_of_is_ignored() -> None:
    plain = build_features(_tables(), AS_OF)
    with_later = build_features(_tables(extra_month=True), AS_OF)
    pd.testing.assert_frame_equal(plain, with_later)


def test_label_is_never_a_feature() -> None:
    tables = _tables()
    features = build_features(tables, AS_OF)
    assert LABEL not in features.columns
    assert "default.payment.next.month" not in ALL_FEATURES
    assert set(RAW_FEATURES) <= set(ALL_FEATURES)
    without_label = {k: v for k, v in tables.items() if k != "uci_outcomes"}
    pd.testing.assert_frame_equal(features, build_features(without_label, AS_OF))
    assert labels(tables, features.index).tolist() == [1.0]


def test_lift_and_calibration_on_arranged_scores() -> None:
    import numpy as np

    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    lift = lift_table(y, score, bins=5)
    assert lift[0]["defaulters"] == 2
    assert lift[0]["lift"] == 5.0
    assert lift[0]["cumulative_gain"] == 1.0
    assert [r["accounts"] for r in lift] == [2] * 5
    cal = calibration(y, score, bins=5)
    assert cal[-1]["observed_rate"] == 1.0
    assert cal[0]["mean_predicted"] == 0.05


def test_model_profile_errors_name_the_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_model_profile().seed == 7
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nholdout: 1.5\n")
    with pytest.raises(BadInput, match="holdout"):
        load_model_profile(str(bad))
    typo = tmp_path / "typo.yaml"
    typo.write_text("name: x\nseeed: 3\n")
    with pytest.raises(BadInput, match="seeed"):
        load_model_profile(str(typo))
    with pytest.raises(BadInput, match="no model profile named .nope. \\(shipped: propensity"):
        load_model_profile("nope")
