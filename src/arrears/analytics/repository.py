"""Every analytics query. The columnar half (DuckDB warehouse, or frames registered in an
in-memory DuckDB) is read with set-based SQL; Python only shapes the small grouped results."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.analytics.kpis import (
    ArrangementRow,
    AttemptRow,
    ComplianceRow,
    PromiseRow,
    RecoveryRow,
)
from arrears.analytics.rolls import BucketCount, TransitionCount
from arrears.config import get_settings
from arrears.kit import duck
from arrears.kit.errors import BadInput, Conflict, NotFound

MODEL_TABLES = ("cardholders", "accounts", "statements", "payments", "delinquency")


def models_dir() -> Path:
    """Where trained models live: ``models/`` beside the warehouse (``var/models/`` by default)."""
    return get_settings().warehouse.parent / "models"


@contextmanager
def warehouse(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read-only (analytics never writes the columnar half)."""
    path = path or get_settings().warehouse
    if not Path(path).is_file():
        raise NotFound(
            f"no warehouse at {path}: run `arrears import uci FILE` (or `import portfolio`) first"
        )
    try:
        con = duck.connect(path, read_only=True)
    except duckdb.Error as exc:  # another process holds it for writing, or not a DuckDB file
        raise Conflict(f"cannot open the warehouse {path}: {exc}") from exc
    try:
        yield con
    finally:
        con.close()


@contextmanager
def frames_as_tables(frames: Mapping[str, object]) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB where each Arrow table (or frame) is a table of the same name: the
    same queries as on the warehouse, without a file."""
    con = duck.connect()
    try:
        for name, frame in frames.items():
            # Copied in, not just registered: joins over a registered Arrow scan are very slow.
            con.register(f"_in_{name}", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "_in_{name}"')
            con.unregister(f"_in_{name}")
        yield con
    finally:
        con.close()


@contextmanager
def uci_file(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The raw UCI file, parsed by the portfolio importer's parser, as warehouse tables."""
    from arrears.portfolio.uci import read_uci

    with frames_as_tables(read_uci(path)) as con:
        yield con


@contextmanager
def source(uci: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The raw UCI file when given (parsed in memory), else the warehouse."""
    if uci is not None:
        with uci_file(uci) as con:
            yield con
    else:
        with warehouse() as con:
            yield con


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def _require(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    missing = [n for n in names if n not in tables(con)]
    if missing:
        raise BadInput(
            f"the warehouse has no {', '.join(missing)} table: import the portfolio first"
        )


# One report per account and month (the latest), each with the balance of the latest statement on
# or before the report: the base of roll rates, the bucket mix and recovery.
_MONTHLY = """
WITH rep AS (
    SELECT account_id::VARCHAR AS account_id,
           year(reported_on::DATE) * 12 + month(reported_on::DATE) AS m,
           max(reported_on::DATE) AS reported_on,
           arg_max(status, reported_on::DATE)::INTEGER AS status
    FROM delinquency GROUP BY ALL
), stm AS (
    SELECT account_id::VARCHAR AS account_id, cycle_date::DATE AS cycle_date,
           closing_balance::DECIMAL(18, 2) AS closing_balance
    FROM statements
)
SELECT r.account_id, r.reported_on, r.status, r.m,
       greatest(coalesce(s.closing_balance, 0::DECIMAL(18, 2)), 0::DECIMAL(18, 2)) AS balance
FROM rep r ASOF LEFT JOIN stm s
  ON s.account_id = r.account_id AND s.cycle_date <= r.reported_on
"""


def _monthly(con: duckdb.DuckDBPyConnection) -> None:
    # Materialised once per connection: every analytics query starts from it.
    if "monthly" in tables(con):
        return
    _require(con, "delinquency", "statements")
    con.execute(f"CREATE TEMP TABLE monthly AS {_MONTHLY}")


def transitions(con: duckdb.DuckDBPyConnection) -> list[TransitionCount]:
    """Account pairs (month m, month m+1) grouped by month and both statuses."""
    _monthly(con)
    rows = con.execute(
        """
        SELECT date_trunc('month', f.reported_on)::DATE, f.status, t.status,
               count(*), sum(f.balance)
        FROM monthly f JOIN monthly t ON t.account_id = f.account_id AND t.m = f.m + 1
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    return [TransitionCount(r[0], int(r[1]), int(r[2]), int(r[3]), Decimal(r[4])) for r in rows]


def bucket_counts(con: duckdb.DuckDBPyConnection) -> list[BucketCount]:
    """Accounts and balance per reported month and status."""
    _monthly(con)
    rows = con.execute(
        """
        SELECT date_trunc('month', reported_on)::DATE, status, count(*), sum(balance)
        FROM monthly GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    return [BucketCount(r[0], int(r[1]), int(r[2]), Decimal(r[3])) for r in rows]


_ENTRIES = """
CREATE OR REPLACE TEMP TABLE entries AS
SELECT f.account_id, f.reported_on AS entry_on, f.m AS entry_m, f.balance,
       date_trunc('month', f.reported_on)::DATE AS entry_month
FROM monthly f JOIN monthly p ON p.account_id = f.account_id AND p.m = f.m - 1
WHERE f.status >= 1 AND p.status <= 0
"""


def recovery_rows(
    con: duckdb.DuckDBPyConnection, *, horizon: int = 12
) -> tuple[
    list[tuple[date, int, Decimal]],
    list[tuple[date, int, Decimal]],
    list[tuple[date, int, int, int]],
]:
    """Cohorts entering delinquency (current one month, late the next), what they paid after,
    and how many were current again ``k`` months later.

    Returns (cohorts: month, accounts, balance), (payments: month, k, amount),
    (status: month, k, observed, cured).
    """
    _monthly(con)
    _require(con, "payments")
    con.execute(_ENTRIES)
    cohorts = con.execute(
        "SELECT entry_month, count(*), coalesce(sum(balance), 0) FROM entries"
        " GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    paid = con.execute(
        f"""
        WITH paid AS (
            SELECT e.entry_month, sum(p.amount::DECIMAL(18, 2)) AS amount,
                   (year(p.paid_on::DATE) * 12 + month(p.paid_on::DATE)) - e.entry_m + 1 AS k
            FROM entries e JOIN payments p
              ON p.account_id::VARCHAR = e.account_id AND p.paid_on::DATE > e.entry_on
            GROUP BY ALL
        )
        SELECT entry_month, k, amount FROM paid WHERE k <= {int(horizon)} ORDER BY ALL
        """
    ).fetchall()
    status = con.execute(
        f"""
        SELECT e.entry_month, t.m - e.entry_m AS k, count(*), count(*) FILTER (WHERE t.status <= 0)
        FROM entries e JOIN monthly t ON t.account_id = e.account_id AND t.m > e.entry_m
        WHERE t.m - e.entry_m <= {int(horizon)}
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    return (
        [(r[0], int(r[1]), Decimal(r[2])) for r in cohorts],
        [(r[0], int(r[1]), Decimal(r[2])) for r in paid],
        [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in status],
    )


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


def arm_outcomes(con: duckdb.DuckDBPyConnection, *, horizon_days: int = 30) -> list[dict[str, Any]]:
    """Per account in a test's measured population (``decisions.in_test``, as the strategy
    said when the cycle decided): the test, its arm, the first day it was in the population and
    what it paid within the horizon after that day. Empty until the cycle writes decisions."""
    if not {"decisions", "payments"} <= tables(con) or "in_test" not in _columns(con, "decisions"):
        return []
    rows = con.execute(
        f"""
        WITH first AS (
            SELECT test, account_id::VARCHAR AS account_id, arm, min(as_of::DATE) AS as_of
            FROM decisions WHERE in_test AND test IS NOT NULL AND arm IS NOT NULL
            GROUP BY ALL
        )
        SELECT f.test, f.account_id, f.arm, f.as_of, coalesce(sum(p.amount::DECIMAL(18, 2)), 0)
        FROM first f LEFT JOIN payments p
          ON p.account_id::VARCHAR = f.account_id AND p.paid_on::DATE > f.as_of
         AND p.paid_on::DATE <= f.as_of + INTERVAL {int(horizon_days)} DAY
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    return [
        {
            "test": str(r[0]),
            "account_id": r[1],
            "arm": str(r[2]),
            "as_of": r[3],
            "amount": Decimal(r[4]),
        }
        for r in rows
    ]


def arm_book_counts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """Accounts decided per (test, arm), in the measured population or not: the book the
    targeted count is a part of."""
    if "decisions" not in tables(con) or "in_test" not in _columns(con, "decisions"):
        return {}
    rows = con.execute(
        "SELECT test, arm, count(DISTINCT account_id) FROM decisions "
        "WHERE test IS NOT NULL AND arm IS NOT NULL GROUP BY ALL"
    ).fetchall()
    return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}


def model_frames(
    con: duckdb.DuckDBPyConnection, *, as_of: date, labelled: bool
) -> dict[str, pd.DataFrame]:
    """The tables the model reads, dated on or before ``as_of`` (plus the label table if asked)."""
    _require(con, *MODEL_TABLES)
    when = {"statements": "cycle_date", "payments": "paid_on", "delinquency": "reported_on"}
    out: dict[str, pd.DataFrame] = {}
    for name in MODEL_TABLES:
        sql = f"SELECT * FROM {name}"
        if name in when:
            sql += f" WHERE {when[name]}::DATE <= ?"
            out[name] = con.execute(sql, [as_of]).df()
        else:
            out[name] = con.execute(sql).df()
    if labelled:
        _require(con, "uci_outcomes")
        out["uci_outcomes"] = con.execute("SELECT account_id, defaulted FROM uci_outcomes").df()
    return out


def latest_report_date(con: duckdb.DuckDBPyConnection) -> date:
    """The newest status report date: the natural as-of date of a snapshot like the UCI file."""
    _require(con, "delinquency")
    row = con.execute("SELECT max(reported_on::DATE) FROM delinquency").fetchone()
    if row is None or row[0] is None:
        raise BadInput("the warehouse holds no status reports")
    value = row[0]
    assert isinstance(value, date)
    return value


# --- the operational store: collector KPIs (grouped in SQL, one row per group) -----------------


def kpi_rows(
    session: Session, *, since: date | None = None, until: date | None = None
) -> tuple[list[AttemptRow], list[PromiseRow], list[ComplianceRow], list[RecoveryRow]]:
    """Attempts, promises, compliance blocks/overrides and money received, grouped per collector.

    ``since``/``until`` bound the attempt time and the promise date (inclusive dates, UTC).
    """
    from arrears.compliance.models import ComplianceCheck
    from arrears.contacts.models import ContactAttempt
    from arrears.contacts.vocabulary import RIGHT_PARTY_OUTCOMES
    from arrears.promises.models import Promise

    def window(column: Any, *, is_date: bool) -> list[Any]:
        conds = []
        if since is not None:
            conds.append(column >= (since if is_date else _start(since)))
        if until is not None:
            conds.append(column <= until if is_date else column < _start(until, 1))
        return conds

    a = ContactAttempt
    # Grouped by the raw columns (portable GROUP BY); right party / promise decided per group.
    made = session.execute(
        sa.select(a.collector, a.party, a.outcome, sa.func.count())
        .where(a.status == "made", *window(a.at, is_date=False))
        .group_by(a.collector, a.party, a.outcome)
    ).all()
    blocked = session.execute(
        sa.select(a.collector, sa.func.count())
        .where(a.status == "blocked", *window(a.at, is_date=False))
        .group_by(a.collector)
    ).all()
    c = ComplianceCheck
    # By who attempted (the check's actor, as attempts and promises are keyed), not by the
    # check's collector reference ("bank" / "agency:N"), which no collector row ever matched.
    overridden = session.execute(
        sa.select(c.actor, sa.func.count())
        .where(c.overridden_by.is_not(None), *window(c.at, is_date=False))
        .group_by(c.actor)
    ).all()
    p = Promise
    promised = session.execute(
        sa.select(p.taken_by, p.status, sa.func.count(), sa.func.coalesce(sa.func.sum(p.paid), 0))
        .where(*window(p.made_on, is_date=True))
        .group_by(p.taken_by, p.status)
    ).all()
    attempts = [
        AttemptRow(
            r[0],
            r[1] == "debtor" and r[2] in RIGHT_PARTY_OUTCOMES,
            r[2] == "promise_to_pay",
            int(r[3]),
        )
        for r in made
    ]
    promises = [PromiseRow(r[0], r[1], int(r[2])) for r in promised]
    compliance = [ComplianceRow(r[0], "blocked", int(r[1])) for r in blocked] + [
        ComplianceRow(r[0], "overridden", int(r[1])) for r in overridden
    ]
    recoveries = [RecoveryRow(r[0], Decimal(r[3])) for r in promised if Decimal(r[3]) != 0]
    return attempts, promises, compliance, recoveries


# The audit actor of a customer acting himself (the self-service portal).
CUSTOMER_ACTOR = "customer:"


def arrangement_rows(
    session: Session, *, since: date | None = None, until: date | None = None
) -> list[ArrangementRow]:
    """Promises, plans and settlements made (``since``/``until``: inclusive UTC dates of the
    promise's date made, the plan's creation), grouped by kind and by whether the customer made
    it himself: two grouped queries."""
    from arrears.promises.models import Promise, RepaymentPlan

    p, r = Promise, RepaymentPlan
    by_customer_promise = p.taken_by.like(f"{CUSTOMER_ACTOR}%")
    conds: list[Any] = []
    if since is not None:
        conds.append(p.made_on >= since)
    if until is not None:
        conds.append(p.made_on <= until)
    promised = session.execute(
        sa.select(by_customer_promise, sa.func.count()).where(*conds).group_by(by_customer_promise)
    ).all()
    by_customer_plan = r.maker.like(f"{CUSTOMER_ACTOR}%")
    conds = []
    if since is not None:
        conds.append(r.created_at >= _start(since))
    if until is not None:
        conds.append(r.created_at < _start(until, 1))
    planned = session.execute(
        sa.select(r.kind, by_customer_plan, sa.func.count())
        .where(*conds)
        .group_by(r.kind, by_customer_plan)
    ).all()
    return [ArrangementRow("promise", bool(mine), int(n)) for mine, n in promised] + [
        ArrangementRow(str(kind), bool(mine), int(n)) for kind, mine, n in planned
    ]


def _start(day: date, plus_days: int = 0) -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=plus_days)


def agency_rows(session: Session) -> tuple[list[Any], list[Any], dict[str, int]]:
    """Cases (group = the first agency that held it, else in-house), the events on them while
    their group held them, and complaints per group (``analytics.agencies`` compares them)."""
    from arrears.analytics.agencies import IN_HOUSE, CaseRow, EventRow
    from arrears.cases.models import WorkOrder
    from arrears.contacts.models import ContactAttempt
    from arrears.promises.models import Promise
    from arrears.workforce import repository as workforce_repo
    from arrears.workforce.metrics import holder_on
    from arrears.workforce.models import Agency, Assignment, Staff, StaffMetricMonth

    codes = dict(session.execute(sa.select(Agency.id, Agency.code)).tuples().all())
    # Descending: the dict keeps the last row seen, the case's first placement.
    first_agency = {
        wo_id: int(agency_id or 0)  # never 0: agency_id IS NOT NULL
        for wo_id, agency_id in session.execute(
            sa.select(Assignment.work_order_id, Assignment.agency_id)
            .where(Assignment.agency_id.is_not(None))
            .order_by(Assignment.work_order_id.desc(), Assignment.id.desc())
        )
    }
    orders = session.execute(sa.select(WorkOrder.id, WorkOrder.bucket, WorkOrder.balance)).all()
    cases = [
        CaseRow(
            wo_id,
            codes[first_agency[wo_id]] if wo_id in first_agency else IN_HOUSE,
            bucket,
            balance,
        )
        for wo_id, bucket, balance in orders
    ]
    agency_of = {c.work_order_id: first_agency.get(c.work_order_id) for c in cases}
    intervals = workforce_repo.holder_intervals(session, [c.work_order_id for c in cases])

    def held(wo_id: int, on: date) -> bool:
        holder = holder_on(intervals.get(wo_id, ()), on)
        return holder is not None and holder[0] == agency_of[wo_id]

    events: list[EventRow] = []
    for wo_id, at, status in session.execute(
        sa.select(ContactAttempt.work_order_id, ContactAttempt.at, ContactAttempt.status)
    ):
        if held(wo_id, at.date()):
            events.append(EventRow(wo_id, "contacted" if status == "made" else "blocked"))
    for wo_id, made_on in session.execute(sa.select(Promise.work_order_id, Promise.made_on)):
        if held(wo_id, made_on):
            events.append(EventRow(wo_id, "promised"))
    for p in workforce_repo.payments_on_work_orders(session, date(1900, 1, 1), date(9999, 1, 1)):
        if held(p.work_order_id, p.paid_on):
            events.append(EventRow(p.work_order_id, "paid", Decimal(p.amount)))
    complaints: dict[str, int] = {}
    for agency_id, count in session.execute(
        sa.select(Staff.agency_id, sa.func.coalesce(sa.func.sum(StaffMetricMonth.complaints), 0))
        .join(StaffMetricMonth, StaffMetricMonth.staff_id == Staff.id)
        .group_by(Staff.agency_id)
    ):
        group = codes[agency_id] if agency_id is not None else IN_HOUSE
        complaints[group] = complaints.get(group, 0) + int(count)
    return cases, events, complaints
