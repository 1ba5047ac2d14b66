"""Model features from warehouse-shaped tables as of a date: set-based pivots, no loop per account.

Months are counted back from the newest month each table holds on or before ``as_of``
(slot 0 = newest), so the features do not depend on which day of the month a card system stamps
its statements, payments and status reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

N_MONTHS = 6
LABEL = "defaulted"
CATEGORICAL = ("sex", "education", "marital_status")
RAW_FEATURES: tuple[str, ...] = (
    "credit_limit",
    *CATEGORICAL,
    "age",
    *(f"status_{k}" for k in range(N_MONTHS)),
    *(f"bill_{k}" for k in range(N_MONTHS)),
    *(f"pay_{k}" for k in range(N_MONTHS)),
)
ANALYST_FEATURES: tuple[str, ...] = (
    "util_0",
    "util_mean",
    "util_max",
    "util_trend",
    *(f"pay_ratio_{k}" for k in range(N_MONTHS - 1)),
    "pay_ratio_mean",
    "pay_ratio_min",
    "max_delay",
    "months_delinquent",
    "recency_delay",
    "delay_trend",
    "delay_mean",
    "n_revolving",
    "n_paid_full",
    "n_no_use",
    "pay_total",
    "bill_total",
    "pay_std",
    "pay_cv",
    "bill_std_rel",
    "pay_to_bill_total",
    "zero_pay_months",
    "headroom",
    "unpaid_0",
)
ALL_FEATURES: tuple[str, ...] = RAW_FEATURES + ANALYST_FEATURES


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values)


def _slots(dates: pd.Series, as_of: date) -> pd.Series:
    """Calendar months before ``as_of``, re-based so the newest month in the table is 0."""
    ts = _dates(dates)
    back = (as_of.year * 12 + as_of.month) - (ts.dt.year * 12 + ts.dt.month)
    return back - back.min() if len(back) else back


def _pivot(frame: pd.DataFrame, value: str, prefix: str, how: str) -> pd.DataFrame:
    grouped = frame.groupby(["account_id", "slot"])[value].agg(how).unstack("slot")
    grouped = grouped.reindex(columns=range(N_MONTHS))
    grouped.columns = [f"{prefix}_{k}" for k in range(N_MONTHS)]
    return grouped


def history(tables: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """One row per account: limit, demographics, and six monthly slots of status, bill, payment."""
    cutoff = pd.Timestamp(as_of)
    accounts = tables["accounts"][["account_id", "customer_id", "credit_limit"]].copy()
    accounts["account_id"] = accounts["account_id"].astype(str)
    accounts["customer_id"] = accounts["customer_id"].astype(str)
    holders = tables["cardholders"][
        ["customer_id", "sex", "education", "marital_status", "birth_date"]
    ].copy()
    holders["customer_id"] = holders["customer_id"].astype(str)
    base = accounts.merge(holders, on="customer_id", how="left").set_index("account_id")
    birth = _dates(base["birth_date"])
    age = (
        as_of.year
        - birth.dt.year
        - ((birth.dt.month * 100 + birth.dt.day) > as_of.month * 100 + as_of.day)
    )
    base["age"] = age.astype(float)
    base["credit_limit"] = pd.to_numeric(base["credit_limit"], errors="coerce").astype(float)

    parts = [base[["credit_limit", *CATEGORICAL, "age"]]]
    for name, when, value, prefix, how in (
        ("delinquency", "reported_on", "status", "status", "last"),
        ("statements", "cycle_date", "closing_balance", "bill", "last"),
        ("payments", "paid_on", "amount", "pay", "sum"),
    ):
        table = tables[name]
        table = table.loc[_dates(table[when]) <= cutoff, ["account_id", when, value]].copy()
        table["account_id"] = table["account_id"].astype(str)
        table[value] = pd.to_numeric(table[value], errors="coerce").astype(float)
        table["slot"] = _slots(table[when], as_of)
        table = table.loc[table["slot"] < N_MONTHS].sort_values(when)
        parts.append(_pivot(table, value, prefix, how))
    frame = pd.concat(parts, axis=1, join="outer").reindex(base.index)
    pay_cols = [f"pay_{k}" for k in range(N_MONTHS)]
    frame[pay_cols] = frame[pay_cols].fillna(0.0)  # no payment row = nothing paid that month
    for column in CATEGORICAL:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "unknown")
    return frame


def add_analyst_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Utilisation, payment-to-bill ratios, delay depth/recency/trend, payment volatility."""
    out = frame.copy()
    status = out[[f"status_{k}" for k in range(N_MONTHS)]].to_numpy(dtype=float)
    bills = out[[f"bill_{k}" for k in range(N_MONTHS)]].to_numpy(dtype=float)
    pays = out[[f"pay_{k}" for k in range(N_MONTHS)]].to_numpy(dtype=float)
    limit = out["credit_limit"].to_numpy(dtype=float)
    safe_limit = np.where(limit > 0, limit, np.nan)[:, None]
    util = bills / safe_limit
    with np.errstate(invalid="ignore", divide="ignore"):
        out["util_0"] = util[:, 0]
        out["util_mean"] = np.nanmean(util, axis=1)
        out["util_max"] = np.nanmax(util, axis=1)
        out["util_trend"] = util[:, 0] - util[:, N_MONTHS - 1]
        # A month's payment settles the previous month's bill: pay_k against bill_{k+1}.
        previous = bills[:, 1:]
        ratio = np.where(previous > 0, pays[:, :-1] / np.maximum(previous, 1.0), 1.0)
        ratio = np.clip(ratio, 0.0, 5.0)
        for k in range(N_MONTHS - 1):
            out[f"pay_ratio_{k}"] = ratio[:, k]
        out["pay_ratio_mean"] = ratio.mean(axis=1)
        out["pay_ratio_min"] = ratio.min(axis=1)
        delay = np.nan_to_num(np.maximum(status, 0.0))
        late = delay > 0
        out["max_delay"] = delay.max(axis=1)
        out["months_delinquent"] = late.sum(axis=1)
        out["recency_delay"] = np.where(late.any(axis=1), late.argmax(axis=1), N_MONTHS)
        out["delay_trend"] = delay[:, 0] - delay[:, 2:].mean(axis=1)
        out["delay_mean"] = delay.mean(axis=1)
        out["n_revolving"] = (status == 0).sum(axis=1)
        out["n_paid_full"] = (status == -1).sum(axis=1)
        out["n_no_use"] = (status == -2).sum(axis=1)
        out["pay_total"] = pays.sum(axis=1)
        out["bill_total"] = np.nansum(bills, axis=1)
        out["pay_std"] = pays.std(axis=1)
        out["pay_cv"] = pays.std(axis=1) / (pays.mean(axis=1) + 1.0)
        out["bill_std_rel"] = np.nanstd(bills, axis=1) / (np.nanmean(np.abs(bills), axis=1) + 1.0)
        out["pay_to_bill_total"] = pays.sum(axis=1) / (np.nansum(np.abs(bills), axis=1) + 1.0)
        out["zero_pay_months"] = (pays == 0).sum(axis=1)
        out["headroom"] = limit - bills[:, 0]
        out["unpaid_0"] = bills[:, 0] - pays[:, 0]
    return out


def build_features(tables: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Every model feature per account (index ``account_id``) from data dated up to ``as_of``.

    The label table is never read here, so the label cannot leak into the features.
    """
    return add_analyst_features(history(tables, as_of))[list(ALL_FEATURES)]


def labels(tables: Mapping[str, pd.DataFrame], index: pd.Index) -> pd.Series:
    """The back-testing label per account aligned to ``index`` (missing labels dropped later)."""
    outcomes = tables["uci_outcomes"].copy()
    outcomes["account_id"] = outcomes["account_id"].astype(str)
    series = outcomes.set_index("account_id")[LABEL].astype("float64")
    return series.reindex(index)
