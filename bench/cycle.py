"""Benchmark the daily cycle's compute on DuckDB against its floor and a pandas script.

Usage: ``python bench/cycle.py [ACCOUNTS] [--sync N] [--no-pandas] [--workdir DIR]``
(default 1,000,000 accounts; the docs also quote 10,000,000, run with ``nice``).

Before/after a change of the rules: ``--emit-sql FILE`` writes the compiled cycle statement (run
it with the previous version of the package on the path), then ``--against FILE --rounds R``
times that statement (A) and this version's (B) interleaved, A B A B ..., on the same
warehouse, and prints each round's B/A ratio, their median and spread, and peak RSS.

1. A portfolio from ``portfolio synth`` (Parquet) is loaded into a DuckDB warehouse.
2. In this process, side by side on the same warehouse:
   - ``cycle``: the compiled strategy (Ibis → one DuckDB statement), materialised as a table;
   - ``floor``: ONE hand-written DuckDB statement computing the same columns for the default
     strategy (checked equal to the cycle's output, row by row);
   - ``pandas``: the same rules as a typical in-house pandas script (money in integer cents).
   Ratios are against the floor. Peak RSS is the process high-water mark after each step
   (``ru_maxrss`` only grows; the order floor → cycle → pandas keeps the cycle's figure honest).
3. ``--sync N`` (PostgreSQL at ARREARS_TEST_PG_URL or 127.0.0.1): N delinquent customers
   synced into a fresh database (COPY + set-based SQL), then the same again (all unchanged).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from arrears.delinquency.fees import load_fee_schedule
from arrears.engine import stages
from arrears.engine.backends import SNAPSHOT_TABLES
from arrears.engine.columnar import Snapshot
from arrears.portfolio.synth import synth
from arrears.portfolio.warehouse import ensure_tables
from arrears.strategy.loader import load_strategy

AS_OF = date(2026, 11, 1)
COMPARED = (
    "account_id, customer_id, dpd, bucket, amount_due, balance, fees, interest, total_due, "
    "segment, tier, score, score_band, rule, level, treatments, queue, priority, arm"
)


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def build_warehouse(accounts: int, workdir: Path) -> Path:
    extract = workdir / f"extract_{accounts}"
    wh = workdir / f"warehouse_{accounts}.duckdb"
    if wh.exists():
        return wh
    t = time.perf_counter()
    synth(accounts=accounts, seed=11, out=extract, as_of=AS_OF)
    con = duckdb.connect(str(wh))
    ensure_tables(con)
    for name in SNAPSHOT_TABLES:
        path = str(extract / f"{name}.parquet")
        con.execute(f"INSERT INTO {name} SELECT * FROM read_parquet('{path}')")
    con.close()
    shutil.rmtree(extract)
    print(
        f"portfolio of {accounts:,} accounts generated and loaded "
        f"in {time.perf_counter() - t:.1f} s"
    )
    return wh


def cycle_sql(con: ibis.BaseBackend) -> str:
    loaded = load_strategy("default")
    snap = Snapshot(*(con.table(t) for t in SNAPSHOT_TABLES))
    live = con.table("live_cases")
    expr = stages.decisions(
        snap,
        live,
        as_of=AS_OF,
        strategy=loaded.strategy,
        strategy_hash=loaded.sha256,
        schedule=load_fee_schedule("cn-card"),
    )
    return str(ibis.to_sql(expr, dialect="duckdb"))


# The floor: the default strategy and cn-card schedule written by hand as one statement.
# Money is 2-place currencies here (the generated portfolio is CNY), so payments and balances
# need no rounding; fees and interest round half-even in integer cents, like the cycle.
FLOOR_SQL = """
WITH rep AS (
  SELECT account_id, max(reported_on) AS cut, arg_max(status, reported_on) AS status
  FROM delinquency WHERE reported_on <= DATE '{as_of}' GROUP BY account_id
), late12 AS (
  SELECT account_id, count(*) FILTER (WHERE status >= 1) AS months_late FROM delinquency
  WHERE reported_on <= DATE '{as_of}' AND reported_on > DATE '{as_of}' - INTERVAL 365 DAY
  GROUP BY account_id
), lst AS (
  SELECT account_id, max(cycle_date) AS latest_cycle,
         arg_max(closing_balance, cycle_date) AS latest_balance
  FROM statements WHERE cycle_date <= DATE '{as_of}' GROUP BY account_id
), ctx AS (
  SELECT a.account_id, a.customer_id, a.credit_limit, r.cut, r.status, l.latest_cycle,
         coalesce(l.latest_balance, 0) AS principal
  FROM accounts a LEFT JOIN rep r USING (account_id) LEFT JOIN lst l USING (account_id)
), pay AS (
  SELECT p.account_id,
    sum(CASE WHEN c.cut IS NULL OR p.paid_on > c.cut THEN p.amount ELSE 0 END) AS paid_after,
    sum(CASE WHEN c.latest_cycle IS NULL OR p.paid_on > c.latest_cycle THEN p.amount ELSE 0 END)
      AS paid_since
  FROM payments p JOIN ctx c USING (account_id) WHERE p.paid_on <= DATE '{as_of}'
  GROUP BY p.account_id
), st AS (
  SELECT s.account_id, s.cycle_date, s.due_date, s.minimum_due, c.cut,
    coalesce(c.status >= 1 AND s.due_date <= c.cut AND row_number() OVER (
      PARTITION BY s.account_id, s.due_date <= c.cut
      ORDER BY s.due_date DESC, s.cycle_date DESC) <= c.status, false) AS in_report
  FROM statements s JOIN ctx c USING (account_id)
), acct AS (
  SELECT c.*, coalesce(p.paid_after, 0) AS paid_after, coalesce(p.paid_since, 0) AS paid_since,
         coalesce(o.owed, 0) AS owed
  FROM ctx c LEFT JOIN pay p USING (account_id) LEFT JOIN (
    SELECT account_id, sum(CASE WHEN in_report THEN minimum_due ELSE 0 END) AS owed
    FROM st GROUP BY account_id) o USING (account_id)
), acct2 AS (
  SELECT *, coalesce(status >= 1 AND paid_after > 0 AND paid_after >= owed, false) AS covered,
         coalesce(status >= 1 AND NOT (paid_after > 0 AND paid_after >= owed), false) AS uncovered
  FROM acct
), grp AS (
  SELECT st.account_id, st.cycle_date, st.due_date, st.minimum_due, a.uncovered, a.status, a.cut,
    CASE WHEN a.uncovered AND st.in_report THEN 'R'
         WHEN (st.cut IS NULL OR st.due_date > st.cut) AND st.due_date < DATE '{as_of}' THEN 'W'
    END AS grp,
    CASE WHEN a.uncovered AND st.in_report THEN a.paid_after WHEN a.uncovered THEN 0
         WHEN a.covered THEN a.paid_after - a.owed ELSE a.paid_after END AS gpaid
  FROM st JOIN acct2 a USING (account_id)
), pd AS (
  SELECT account_id, due_date, uncovered, status, cut, least(minimum_due, cum - gpaid) AS unpaid
  FROM (
    SELECT *, sum(minimum_due) OVER (PARTITION BY account_id, grp
      ORDER BY due_date, cycle_date ROWS UNBOUNDED PRECEDING) AS cum
    FROM grp WHERE grp IS NOT NULL) WHERE cum > gpaid AND least(minimum_due, cum - gpaid) > 0
), fee AS (
  -- cn-card's non-accrual at 90 days: no fee on a statement due on or after as_of - dpd + 90.
  SELECT account_id, sum(unpaid) AS amount_due, min(due_date) AS oldest,
    sum(CASE WHEN DATE '{as_of}' - due_date > acct_dpd - 90 THEN
        (q + CASE WHEN r * 2 > 100 THEN 1 WHEN r * 2 < 100 THEN 0 ELSE q % 2 END)
        * 0.01::DECIMAL(18, 2) ELSE 0 END) AS fees
  FROM (SELECT *, n // 100 AS q, n % 100 AS r,
          CASE WHEN uncovered THEN status * 30 + (DATE '{as_of}' - cut)
               ELSE DATE '{as_of}' - min(due_date) OVER (PARTITION BY account_id) END AS acct_dpd
        FROM (SELECT *, CAST(unpaid * 100 AS BIGINT) * 5 AS n FROM pd))
  GROUP BY account_id
), aged AS (
  SELECT a.account_id, a.customer_id, a.credit_limit, a.principal, a.paid_since,
    CASE WHEN a.uncovered THEN a.status * 30 + (DATE '{as_of}' - a.cut)
         WHEN f.oldest IS NOT NULL THEN DATE '{as_of}' - f.oldest ELSE 0 END AS dpd,
    coalesce(f.amount_due, 0) AS amount_due, coalesce(f.fees, 0) AS raw_fees,
    greatest(a.principal - a.paid_since, 0) AS balance
  FROM acct2 a LEFT JOIN fee f USING (account_id)
), charged AS (
  -- Interest for at most 90 days past due (non-accrual).
  SELECT *, CASE WHEN balance > 0 AND dpd > 0 THEN
      (q + CASE WHEN r * 2 > 10000 THEN 1 WHEN r * 2 < 10000 THEN 0 ELSE q % 2 END)
      * 0.01::DECIMAL(18, 2) ELSE 0 END AS raw_interest
  FROM (SELECT *, n // 10000 AS q, n % 10000 AS r
        FROM (SELECT *, CAST(balance * 100 AS BIGINT) * 5 * least(dpd, 90) AS n FROM aged))
), priced AS (
  -- The cap: interest + fees at most 1x the unpaid principal, fees first.
  SELECT *, least(raw_interest, balance - fees) AS interest
  FROM (SELECT *, least(raw_fees, balance) AS fees FROM charged)
), feat AS (
  SELECT p.*, h.identity_category AS ident, coalesce(l.months_late, 0) AS months_late,
    coalesce(';' || h.flags || ';', '') AS fl,
    year(DATE '{as_of}') - year(h.birth_date) - CASE WHEN month(h.birth_date) > {m}
      OR (month(h.birth_date) = {m} AND day(h.birth_date) > {d}) THEN 1 ELSE 0 END AS age,
    CASE WHEN dpd <= 0 THEN 'M0' WHEN dpd <= 30 THEN 'M1' WHEN dpd <= 60 THEN 'M2'
         WHEN dpd <= 90 THEN 'M3' WHEN dpd <= 120 THEN 'M4' WHEN dpd <= 150 THEN 'M5'
         WHEN dpd <= 180 THEN 'M6' ELSE 'M7+' END AS bucket
  FROM priced p LEFT JOIN cardholders h USING (customer_id) LEFT JOIN late12 l USING (account_id)
), seg AS (
  SELECT *,
    CASE WHEN months_late >= 3 THEN 'CHRONIC' WHEN ident IN ('civil_servant', 'soe_employee')
      THEN 'PUBLIC' WHEN ident = 'retiree' THEN 'RETIREE' WHEN ident = 'student' THEN 'STUDENT'
      WHEN ident = 'unemployed' THEN 'AT_RISK' WHEN credit_limit >= 200000 THEN 'HIGH_LIMIT'
      WHEN age <= 24 THEN 'YOUNG' WHEN ident = 'self_employed' THEN 'SELF_EMPLOYED'
      ELSE 'STANDARD' END AS segment,
    greatest(500
      + CASE WHEN dpd <= 30 THEN 120 WHEN dpd <= 60 THEN 60 WHEN dpd <= 90 THEN 0
             WHEN dpd <= 180 THEN -100 ELSE -250 END
      + CASE WHEN months_late <= 0 THEN 60 WHEN months_late <= 2 THEN 0
             WHEN months_late <= 5 THEN -60 ELSE -120 END
      + CASE WHEN floor(credit_limit) <= 49999 THEN -20 WHEN floor(credit_limit) <= 199999 THEN 0
             ELSE 40 END
      + CASE ident WHEN 'civil_servant' THEN 60 WHEN 'soe_employee' THEN 50 WHEN 'retiree' THEN 30
             WHEN 'private_employee' THEN 20 WHEN 'self_employed' THEN 0 WHEN 'student' THEN -20
             WHEN 'unemployed' THEN -60 ELSE 0 END, 0) AS score
  FROM feat
), dec AS (
  SELECT *,
    CASE segment WHEN 'CHRONIC' THEN 4 WHEN 'PUBLIC' THEN 1 WHEN 'RETIREE' THEN 2
      WHEN 'STUDENT' THEN 3 WHEN 'AT_RISK' THEN 4 WHEN 'HIGH_LIMIT' THEN 1 WHEN 'YOUNG' THEN 3
      WHEN 'SELF_EMPLOYED' THEN 3 ELSE 2 END AS tier,
    CASE WHEN score <= 399 THEN 'low' WHEN score <= 599 THEN 'medium' ELSE 'high' END AS score_band,
    CASE WHEN fl LIKE '%;deceased;%' THEN 'deceased' WHEN fl LIKE '%;bankruptcy;%' THEN 'bankruptcy'
      WHEN fl LIKE '%;dispute;%' THEN 'dispute'
      WHEN fl LIKE '%;hardship;%' OR fl LIKE '%;vulnerable;%' THEN 'hardship'
      WHEN bucket = 'M7+' THEN 'charge-off' WHEN bucket IN ('M5', 'M6') THEN 'late-agency'
      WHEN bucket = 'M4' THEN 'legal-m4' WHEN bucket = 'M3' THEN 'm3' WHEN bucket = 'M2' THEN 'm2'
      WHEN bucket = 'M1' AND score >= 600 THEN 'm1-good' WHEN bucket = 'M1' THEN 'm1'
      ELSE 'everyone-else' END AS rule_name,
    dpd > 0 AND amount_due > 10 AS worked  -- cn-card's small balance keeps 10.00 or less out
  FROM seg
)
SELECT account_id, customer_id, dpd, bucket, amount_due, balance, fees, interest,
  CAST(principal - paid_since + interest + fees AS DECIMAL(18, 2)) AS total_due, segment, tier,
  score, score_band,
  CASE WHEN worked THEN rule_name END AS rule,
  CASE WHEN worked THEN CASE rule_name WHEN 'deceased' THEN 'write_off_review'
      WHEN 'bankruptcy' THEN 'legal'
    WHEN 'dispute' THEN 'junior' WHEN 'hardship' THEN 'intermediate'
    WHEN 'charge-off' THEN 'write_off_review' WHEN 'late-agency' THEN 'outsource'
    WHEN 'legal-m4' THEN 'legal' WHEN 'm3' THEN 'advanced' WHEN 'm2' THEN 'intermediate'
    ELSE 'junior' END END AS level,
  CASE WHEN worked THEN CASE rule_name WHEN 'deceased' THEN 'letter'
      WHEN 'bankruptcy' THEN 'legal_notice'
    WHEN 'dispute' THEN 'letter' WHEN 'hardship' THEN 'call;letter'
    WHEN 'charge-off' THEN 'letter;agency_placement'
        WHEN 'late-agency' THEN 'agency_placement;letter'
    WHEN 'legal-m4' THEN 'legal_notice;field_visit;call'
    WHEN 'm3' THEN 'call;contact_person_enquiry;letter' WHEN 'm2' THEN 'call;letter'
    WHEN 'm1-good' THEN 'sms_reminder' WHEN 'm1' THEN 'sms_reminder;call' ELSE 'call' END END
    AS treatments,
  CASE WHEN worked THEN CASE rule_name WHEN 'deceased' THEN 'write_off_review'
      WHEN 'bankruptcy' THEN 'legal'
    WHEN 'dispute' THEN 'disputes' WHEN 'hardship' THEN 'hardship'
    WHEN 'charge-off' THEN 'write_off_review' WHEN 'late-agency' THEN 'agency'
    WHEN 'legal-m4' THEN 'legal' WHEN 'm3' THEN 'field' WHEN 'm2' THEN 'mid_call'
    WHEN 'm1-good' THEN 'early_sms' ELSE 'early_call' END END AS queue,
  CASE WHEN worked THEN CASE rule_name WHEN 'deceased' THEN 10 WHEN 'bankruptcy' THEN 40
    WHEN 'dispute' THEN 30 WHEN 'hardship' THEN 50 WHEN 'charge-off' THEN 20
    WHEN 'late-agency' THEN 60 WHEN 'legal-m4' THEN 80 WHEN 'm3' THEN 90 WHEN 'm2' THEN 70
    WHEN 'm1-good' THEN 20 WHEN 'm1' THEN 50 ELSE 40 END END AS priority,
  'champion' AS arm
FROM dec
"""


def floor_sql() -> str:
    return FLOOR_SQL.format(as_of=AS_OF.isoformat(), m=AS_OF.month, d=AS_OF.day)


def pandas_cycle(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The same aging, fees, interest and default decisions as a pandas script (cents as int)."""
    asof = pd.Timestamp(AS_OF)

    def df(sql: str) -> pd.DataFrame:
        return con.execute(sql).df()

    acc = df(
        "SELECT account_id, customer_id, CAST(credit_limit * 100 AS BIGINT) AS limit_c "
        "FROM accounts"
    )
    st = df("SELECT account_id, cycle_date, due_date, "
            "CAST(closing_balance * 100 AS BIGINT) AS bal, "
            "CAST(minimum_due * 100 AS BIGINT) AS mind FROM statements")  # fmt: skip
    pay = df(f"SELECT account_id, paid_on, CAST(amount * 100 AS BIGINT) AS amt FROM payments "
             f"WHERE paid_on <= DATE '{AS_OF}'")  # fmt: skip
    rep = df(f"SELECT * FROM delinquency WHERE reported_on <= DATE '{AS_OF}'")
    ch = df("SELECT customer_id, identity_category, birth_date, flags FROM cardholders")

    rep = rep.sort_values(["account_id", "reported_on"])
    last = rep.groupby("account_id").tail(1).rename(columns={"reported_on": "cut"})
    late = rep[rep.reported_on > asof - pd.Timedelta(days=365)]
    months_late = (late.status >= 1).groupby(late.account_id).sum().rename("months_late")
    issued = st[st.cycle_date <= asof].sort_values(["account_id", "cycle_date"])
    latest = issued.groupby("account_id").tail(1)[["account_id", "cycle_date", "bal"]]
    latest = latest.rename(columns={"cycle_date": "latest_cycle", "bal": "principal"})
    a = acc.merge(last[["account_id", "cut", "status"]], "left", "account_id").merge(
        latest, "left", "account_id"
    )
    p = pay.merge(a[["account_id", "cut", "latest_cycle"]], "left", "account_id")
    p["after"] = np.where(p.cut.isna() | (p.paid_on > p.cut), p.amt, 0)
    p["since"] = np.where(p.latest_cycle.isna() | (p.paid_on > p.latest_cycle), p.amt, 0)
    paid = p.groupby("account_id")[["after", "since"]].sum()
    a = a.merge(paid, "left", left_on="account_id", right_index=True)
    a[["after", "since", "principal"]] = (
        a[["after", "since", "principal"]].fillna(0).astype("int64")
    )

    s = st.merge(a[["account_id", "cut", "status"]], "left", "account_id")
    s = s.sort_values(["account_id", "due_date", "cycle_date"], ascending=[True, False, False])
    by_cut = s.due_date <= s.cut
    s["rn"] = s.groupby([s.account_id, by_cut]).cumcount() + 1
    s["in_report"] = (s.status >= 1) & by_cut & (s.rn <= s.status)
    owed = s.mind.where(s.in_report, 0).groupby(s.account_id).sum().rename("owed")
    a = a.merge(owed, "left", left_on="account_id", right_index=True)
    a["owed"] = a.owed.fillna(0).astype("int64")
    late_rep = a.status.fillna(-9) >= 1
    a["covered"] = late_rep & (a.after > 0) & (a.after >= a.owed)
    a["uncovered"] = late_rep & ~a.covered
    s = s.merge(a[["account_id", "uncovered", "covered", "after", "owed"]], "left", "account_id")
    s["grp"] = np.select(
        [s.uncovered & s.in_report, (s.cut.isna() | (s.due_date > s.cut)) & (s.due_date < asof)],
        ["R", "W"], "-",
    )  # fmt: skip
    s["gpaid"] = np.select(
        [s.uncovered & s.in_report, s.uncovered, s.covered],
        [s.after, 0, s.after - s.owed], s.after,
    )  # fmt: skip
    s = s[s.grp != "-"].sort_values(["account_id", "grp", "due_date", "cycle_date"])
    s["cum"] = s.groupby(["account_id", "grp"]).mind.cumsum()
    s["unpaid"] = np.where(s.cum > s.gpaid, np.minimum(s.mind, s.cum - s.gpaid), 0)
    s = s[s.unpaid > 0].copy()
    n = s.unpaid * 5
    q, r = n // 100, n % 100
    s["fee"] = q + np.select([r * 2 > 100, r * 2 < 100], [1, 0], q % 2)
    # cn-card's non-accrual at 90 days: no fee on a statement due on or after as_of - dpd + 90.
    oldest = s.groupby("account_id").due_date.transform("min")
    acct_dpd = np.where(
        s.uncovered.astype(bool),
        s.status.fillna(0) * 30 + (asof - s.cut).dt.days,
        (asof - oldest).dt.days,
    )
    s["fee"] = np.where((asof - s.due_date).dt.days > acct_dpd - 90, s.fee, 0)
    f = s.groupby("account_id").agg(amount_due=("unpaid", "sum"), fees=("fee", "sum"),
                                    oldest=("due_date", "min"))  # fmt: skip
    a = a.merge(f, "left", left_on="account_id", right_index=True)
    a[["amount_due", "fees"]] = a[["amount_due", "fees"]].fillna(0).astype("int64")
    a["dpd"] = np.select(
        [a.uncovered, a.oldest.notna()],
        [a.status.fillna(0) * 30 + (asof - a.cut).dt.days, (asof - a.oldest).dt.days], 0,
    ).astype("int64")  # fmt: skip
    a["balance"] = np.maximum(a.principal - a.since, 0)
    n = a.balance * 5 * np.minimum(a.dpd, 90)  # no interest after 90 days past due
    q, r = n // 10000, n % 10000
    a["interest"] = np.where(
        (a.balance > 0) & (a.dpd > 0),
        q + np.select([r * 2 > 10000, r * 2 < 10000], [1, 0], q % 2),
        0,
    )
    # The cap: interest + fees at most 1x the unpaid principal, fees first.
    a["fees"] = np.minimum(a.fees, a.balance)
    a["interest"] = np.minimum(a.interest, a.balance - a.fees)
    a["total_due"] = a.principal - a.since + a.interest + a.fees
    a = a.merge(ch, "left", "customer_id").merge(months_late, "left", left_on="account_id",
                                                 right_index=True)  # fmt: skip
    a["months_late"] = a.months_late.fillna(0)
    bd = pd.to_datetime(a.birth_date)
    a["age"] = (
        AS_OF.year
        - bd.dt.year
        - ((bd.dt.month > AS_OF.month) | ((bd.dt.month == AS_OF.month) & (bd.dt.day > AS_OF.day)))
    )
    edges = [0, 30, 60, 90, 120, 150, 180]
    a["bucket"] = np.select(
        [a.dpd <= e for e in edges], ["M0", "M1", "M2", "M3", "M4", "M5", "M6"], "M7+"
    )
    ident = a.identity_category
    a["segment"] = np.select(
        [a.months_late >= 3, ident.isin(["civil_servant", "soe_employee"]), ident == "retiree",
         ident == "student", ident == "unemployed", a.limit_c >= 20_000_000, a.age <= 24,
         ident == "self_employed"],
        ["CHRONIC", "PUBLIC", "RETIREE", "STUDENT", "AT_RISK", "HIGH_LIMIT", "YOUNG",
         "SELF_EMPLOYED"], "STANDARD",
    )  # fmt: skip
    points = {"civil_servant": 60, "soe_employee": 50, "retiree": 30, "private_employee": 20,
              "self_employed": 0, "student": -20, "unemployed": -60}  # fmt: skip
    score = (
        500
        + np.select([a.dpd <= 30, a.dpd <= 60, a.dpd <= 90, a.dpd <= 180], [120, 60, 0, -100], -250)
        + np.select(
            [a.months_late <= 0, a.months_late <= 2, a.months_late <= 5], [60, 0, -60], -120
        )
        + np.select([a.limit_c // 100 <= 49999, a.limit_c // 100 <= 199999], [-20, 0], 40)
        + ident.map(points).fillna(0).astype("int64")
    )
    a["score"] = np.maximum(score, 0)
    fl = ";" + a["flags"].fillna("") + ";"
    b = a.bucket
    rule = np.select(
        [fl.str.contains(";deceased;"), fl.str.contains(";bankruptcy;"),
         fl.str.contains(";dispute;"),
         fl.str.contains(";hardship;") | fl.str.contains(";vulnerable;"), b == "M7+",
         b.isin(["M5", "M6"]), b == "M4", b == "M3", b == "M2", (b == "M1") & (a.score >= 600),
         b == "M1"],
        ["deceased", "bankruptcy", "dispute", "hardship", "charge-off", "late-agency", "legal-m4",
         "m3", "m2", "m1-good", "m1"], "everyone-else",
    )  # fmt: skip
    # Worked only past due by more than cn-card's small balance (10.00, here 1,000 cents).
    a["rule"] = pd.Series(rule, index=a.index).where((a.dpd > 0) & (a.amount_due > 1000))
    return a


def sync_bench(n: int) -> None:
    """Sync N delinquent customers into a fresh PostgreSQL database, then again (unchanged)."""
    import os

    import sqlalchemy as sa

    from arrears.engine.sync import sync_cases
    from arrears.kit.db import make_engine
    from arrears.migrations import runner

    admin_url = os.environ.get(
        "ARREARS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    name = f"arrears_bench_cycle_{os.getpid()}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        runner.upgrade(url)
        store = make_engine(url)
        refs = [f"C{i:09d}" for i in range(n)]
        with store.begin() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cur,
                cur.copy(
                    "COPY cardholder (external_ref, name, identity_category, language, time_zones, "
                    "flags, created_at) FROM STDIN"
                ) as copy,
            ):
                now = datetime.now(UTC)
                for r in refs:
                    copy.write_row((r, r, "unknown", "zh-CN", "[]", "[]", now))
        rng = np.random.default_rng(5)
        dpd = rng.integers(1, 200, n).astype(np.int32)
        amounts = pa.array([Decimal(int(x)) / 100 for x in rng.integers(100, 10**7, n)],
                           pa.decimal128(18, 2))  # fmt: skip
        buckets = pa.array(np.where(dpd <= 30, "M1", np.where(dpd <= 60, "M2", "M3")))
        cases = pa.table({
            "customer_ref": refs, "currency": ["CNY"] * n, "bucket": buckets, "dpd": dpd,
            "amount_due": amounts, "balance": amounts, "fees": amounts, "interest": amounts,
            "account_count": np.ones(n, np.int32), "level": ["junior"] * n,
            "queue": ["early_call"] * n, "priority": np.full(n, 50, np.int32),
            "segment": ["STANDARD"] * n, "tier": np.full(n, 2, np.int32),
            "score": pa.array([Decimal(600)] * n, pa.decimal128(12, 4)), "arm": ["champion"] * n,
            "treatments": ['["call"]'] * n,
        })  # fmt: skip
        accounts = pa.table({
            "customer_ref": refs, "account_ref": [f"A{r[1:]}" for r in refs], "bucket": buckets,
            "dpd": dpd, "amount_due": amounts, "fees": amounts, "interest": amounts,
        })  # fmt: skip
        for label in ("first sync (all opened)", "second sync (all unchanged)"):
            t = time.perf_counter()
            with sa.orm.Session(store) as session:
                counts = sync_cases(
                    session, cases=cases, accounts=accounts, as_of=AS_OF, run_id=1,
                    strategy_hash="bench", now=datetime.now(UTC),
                )  # fmt: skip
                session.commit()
            took = time.perf_counter() - t
            print(f"sync {n:,} cases to PostgreSQL, {label}: {took:.1f} s  {counts.as_dict()}")
            print(f"  steps (s): {counts.steps}")
        store.dispose()
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def before_after(
    con: duckdb.DuckDBPyConnection, before: str, after: str, args: argparse.Namespace
) -> None:
    """A (the baseline statement) and B (this version's) interleaved, A B A B ...; B/A ratios."""
    times: dict[str, list[float]] = {"A": [], "B": []}
    for n in range(args.rounds):
        for label, sql in (("A", before), ("B", after)):
            con.execute(f"DROP TABLE IF EXISTS bench_{label}")
            t = time.perf_counter()
            con.execute(f"CREATE TEMP TABLE bench_{label} AS {sql}")
            times[label].append(time.perf_counter() - t)
        print(
            f"round {n + 1}: A {times['A'][-1]:.2f} s, B {times['B'][-1]:.2f} s, "
            f"B/A {times['B'][-1] / times['A'][-1]:.3f}"
        )
    ratios = sorted(b / a for a, b in zip(times["A"], times["B"], strict=True))
    median = ratios[len(ratios) // 2] if len(ratios) % 2 else (
        (ratios[len(ratios) // 2 - 1] + ratios[len(ratios) // 2]) / 2
    )  # fmt: skip
    differ = con.execute(
        f"SELECT count(*) FROM (SELECT {COMPARED} FROM bench_B "
        f"EXCEPT ALL SELECT {COMPARED} FROM bench_A)"
    ).fetchone()
    print(
        f"B/A over {args.rounds} rounds: median {median:.3f}, spread {ratios[0]:.3f}-"
        f"{ratios[-1]:.3f}; A median {sorted(times['A'])[len(ratios) // 2]:.2f} s, "
        f"B median {sorted(times['B'])[len(ratios) // 2]:.2f} s; peak RSS {rss_gb():.2f} GB; "
        f"rows whose decisions differ: {differ[0] if differ else '?'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("accounts", type=int, nargs="?", default=1_000_000, help="0: sync only")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "arrears-bench")
    ap.add_argument("--no-pandas", action="store_true")
    ap.add_argument("--sync", type=int, default=0, help="also time the sync of N cases to PG")
    ap.add_argument("--runs", type=int, default=2, help="timed runs of each (best kept)")
    ap.add_argument(
        "--memory-limit", default="5GB", help="DuckDB memory_limit (the cycle's default); '' = none"
    )
    ap.add_argument("--emit-sql", type=Path, help="write the compiled cycle SQL here and stop")
    ap.add_argument("--against", type=Path, help="baseline cycle SQL: time A/B interleaved")
    ap.add_argument("--rounds", type=int, default=3, help="A/B rounds with --against")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.sync:
        sync_bench(args.sync)
    if args.accounts == 0:
        return
    wh = build_warehouse(args.accounts, args.workdir)
    con = duckdb.connect(str(wh))
    if args.memory_limit:
        con.execute("SET memory_limit = ?", [args.memory_limit])
    con.register("live_cases", stages.LIVE_CASES.empty_table())
    ibis_con = ibis.duckdb.from_connection(con)
    if args.emit_sql:
        args.emit_sql.write_text(cycle_sql(ibis_con), encoding="utf-8")
        print(f"compiled cycle SQL written to {args.emit_sql}")
        return
    if args.against:
        before_after(con, args.against.read_text(encoding="utf-8"), cycle_sql(ibis_con), args)
        con.close()
        return

    def timed(label: str, sql: str) -> float:
        best = float("inf")
        for _ in range(args.runs):
            con.execute(f"DROP TABLE IF EXISTS bench_{label}")
            t = time.perf_counter()
            con.execute(f"CREATE TEMP TABLE bench_{label} AS {sql}")
            best = min(best, time.perf_counter() - t)
        return best

    floor = timed("floor", floor_sql())
    print(f"floor (one hand-written statement): {floor:.2f} s, peak RSS {rss_gb():.2f} GB")
    t = time.perf_counter()
    sql = cycle_sql(ibis_con)
    compile_s = time.perf_counter() - t
    cycle = timed("cycle", sql)
    print(
        f"cycle (compiled strategy): {cycle:.2f} s + {compile_s:.2f} s to build/compile the plan "
        f"= {cycle / floor:.2f}x the floor ({(cycle + compile_s) / floor:.2f}x with compile), "
        f"peak RSS {rss_gb():.2f} GB"
    )
    diff = con.execute(
        f"SELECT count(*) FROM (SELECT {COMPARED} FROM bench_cycle "
        f"EXCEPT ALL SELECT {COMPARED} FROM bench_floor)"
    ).fetchone()
    print(f"rows where the cycle and the floor disagree: {diff[0] if diff else '?'}")
    if not args.no_pandas:
        t = time.perf_counter()
        result = pandas_cycle(con)
        took = time.perf_counter() - t
        check = con.execute(
            "SELECT account_id, dpd, CAST(fees * 100 AS BIGINT) AS fees, rule FROM bench_cycle"
        ).df()
        merged = check.merge(result[["account_id", "dpd", "fees", "rule"]], on="account_id")
        agree = (
            (merged.dpd_x == merged.dpd_y)
            & (merged.fees_x == merged.fees_y)
            & (merged.rule_x.fillna("") == merged.rule_y.fillna(""))
        ).mean()
        print(
            f"pandas script: {took:.2f} s = {took / floor:.2f}x the floor "
            f"({took / cycle:.2f}x the cycle), peak RSS {rss_gb():.2f} GB; "
            f"agrees with the cycle on {agree:.2%} of accounts (dpd, fees, rule)"
        )
    con.close()


if __name__ == "__main__":
    main()
