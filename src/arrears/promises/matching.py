"""Payments matched to promises and plan instalments in SQL, for the nightly promise stage.

Temporary tables for the cases with a pending promise or an active plan, their promises (ranked
by due date, made date, id) and their payments, in exact integer hundredths; one window-sum
statement per promise rank over every case at once (each promise takes the earliest payments
left in its window); one statement for the instalments. The same SQL on SQLite and PostgreSQL.
The rules are those of ``promises/reconcile.py`` and ``promises/plans.py``
(``tests/integration/test_promise_stage_equivalence.py`` checks the SQL against them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, TextClause, bindparam, text
from sqlalchemy.orm import Session

from arrears.promises.policy import PromisePolicy

CASES = "promise_stage_case"
PROMISES = "promise_stage_promise"
POOL = "promise_stage_pool"
TAKE = "promise_stage_take"
INSTALMENTS = "promise_stage_instalment"
PLANS = "promise_stage_plan"
TABLES = (CASES, PROMISES, POOL, TAKE, INSTALMENTS, PLANS)


# --- SQL that reads the same on SQLite and PostgreSQL ------------------------------------------


def _sql(statement: str) -> TextClause:
    """SQL text whose ``:as_of`` binds as a date on every store."""
    clause = text(statement)
    return clause.bindparams(bindparam("as_of", type_=Date())) if ":as_of" in statement else clause


def _cents(expr: str) -> str:
    # Money is NUMERIC(18, 2); SQLite keeps it as text and would sum it as floats, so every
    # amount is matched in exact integer hundredths.
    return f"CAST(ROUND({expr} * 100) AS BIGINT)"


def _plus_days(pg: bool, expr: str, days: int) -> str:
    return f"({expr} + {int(days)})" if pg else f"date({expr}, '+{int(days)} days')"


def _utc_day(pg: bool, expr: str) -> str:
    return f"CAST(({expr} AT TIME ZONE 'UTC') AS DATE)" if pg else f"date({expr})"


def _ratio(value: Decimal) -> tuple[int, int]:
    """A policy ratio as an exact integer fraction (0.50 -> 1/2), to compare in integers."""
    num, den = value.as_integer_ratio()
    return num, den


def _money(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


# --- matching, in SQL --------------------------------------------------------------------------


def match(
    session: Session, *, as_of: date, rules: PromisePolicy, work_order_id: int | None = None
) -> int:
    """Stage tonight's verdicts in temporary tables; returns how many cases were looked at.

    A payment counts for a promise from the day it was made to due date + grace; several
    promises are filled oldest due date first, each taking the earliest payments left (one
    statement per promise rank, over every case at once: a case rarely holds more than a few).
    An instalment is kept when the payments since the plan started, by its due date + grace,
    cover it and every earlier one."""
    pg = session.get_bind().dialect.name == "postgresql"
    drop(session)
    only = "" if work_order_id is None else f" AND work_order_id = {int(work_order_id)}"
    temp = "CREATE TEMPORARY TABLE"
    session.execute(_sql(f"{temp} {CASES} (work_order_id BIGINT PRIMARY KEY)"))
    session.execute(
        _sql(
            f"INSERT INTO {CASES} (work_order_id) "
            f"SELECT work_order_id FROM promise WHERE status = 'pending'{only} "
            f"UNION SELECT work_order_id FROM repayment_plan WHERE status = 'active'{only}"
        )
    )
    cases = int(session.execute(_sql(f"SELECT count(*) FROM {CASES}")).scalar_one())

    grace = rules.promise.grace_days
    session.execute(
        _sql(
            f"{temp} {PROMISES} (promise_id BIGINT PRIMARY KEY, work_order_id BIGINT NOT NULL, "
            "turn INTEGER NOT NULL, amount_c BIGINT NOT NULL, made_on DATE NOT NULL, "
            "closes_on DATE NOT NULL, paid_c BIGINT NOT NULL, last_on DATE, "
            "status VARCHAR(16), settled_on DATE)"
        )
    )
    session.execute(
        _sql(
            f"INSERT INTO {PROMISES} (promise_id, work_order_id, turn, amount_c, made_on, "
            "closes_on, paid_c) "
            "SELECT p.id, p.work_order_id, ROW_NUMBER() OVER (PARTITION BY p.work_order_id "
            f"ORDER BY p.due_on, p.made_on, p.id), {_cents('p.amount')}, p.made_on, "
            f"{_plus_days(pg, 'p.due_on', grace)}, 0 "
            f"FROM promise p JOIN {CASES} c ON c.work_order_id = p.work_order_id "
            "WHERE p.status <> 'cancelled'"
        )
    )
    # The payments each case may use: on its accounts, by the as-of date, since its earliest
    # promise or plan (nothing older can count).
    since = (
        f"SELECT work_order_id, MIN(since) AS since FROM ("
        f"SELECT work_order_id, made_on AS since FROM {PROMISES} UNION ALL "
        f"SELECT rp.work_order_id, {_utc_day(pg, 'rp.created_at')} FROM repayment_plan rp "
        f"JOIN {CASES} c ON c.work_order_id = rp.work_order_id WHERE rp.status = 'active'"
        ") s GROUP BY work_order_id"
    )
    session.execute(
        _sql(
            f"{temp} {POOL} (work_order_id BIGINT NOT NULL, payment_id BIGINT NOT NULL, "
            "paid_on DATE NOT NULL, amount_c BIGINT NOT NULL, left_c BIGINT NOT NULL, "
            "PRIMARY KEY (work_order_id, payment_id))"
        )
    )
    session.execute(
        _sql(
            f"INSERT INTO {POOL} (work_order_id, payment_id, paid_on, amount_c, left_c) "
            f"SELECT s.work_order_id, pay.id, pay.paid_on, {_cents('pay.amount')}, "
            f"{_cents('pay.amount')} FROM ({since}) s "
            "JOIN work_order_account a ON a.work_order_id = s.work_order_id "
            "JOIN card_account ca ON ca.external_ref = a.account_ref "
            "JOIN payment pay ON pay.account_id = ca.id "
            "WHERE pay.paid_on >= s.since AND pay.paid_on <= :as_of AND pay.amount > 0"
        ),
        {"as_of": as_of},
    )
    session.execute(_sql(f"CREATE INDEX ix_{POOL}_day ON {POOL} (work_order_id, paid_on)"))
    session.execute(_sql(f"CREATE INDEX ix_{PROMISES}_turn ON {PROMISES} (turn, work_order_id)"))
    if pg:
        for table in (CASES, PROMISES, POOL):
            session.execute(_sql(f"ANALYZE {table}"))

    turns = session.execute(_sql(f"SELECT MAX(turn) FROM {PROMISES}")).scalar_one() or 0
    for turn in range(1, int(turns) + 1):
        _fill(session, turn)

    kept_n, kept_d = _ratio(rules.promise.kept_ratio)
    part_n, part_d = _ratio(rules.promise.partial_ratio)
    session.execute(
        _sql(
            f"UPDATE {PROMISES} SET status = CASE "
            f"WHEN paid_c * {kept_d} >= amount_c * {kept_n} THEN 'kept' "
            "WHEN :as_of <= closes_on THEN 'pending' "
            f"WHEN paid_c * {part_d} >= amount_c * {part_n} THEN 'partially_kept' "
            "ELSE 'broken' END"
        ),
        {"as_of": as_of},
    )
    session.execute(
        _sql(
            f"UPDATE {PROMISES} SET settled_on = CASE status WHEN 'kept' THEN last_on "
            "WHEN 'pending' THEN NULL ELSE closes_on END"
        )
    )
    _track(session, pg=pg, as_of=as_of, rules=rules)
    return cases


def _fill(session: Session, turn: int) -> None:
    """Each case's promise of rank ``turn`` takes the earliest payments left in its window."""
    session.execute(
        _sql(
            f"CREATE TEMPORARY TABLE {TAKE} AS SELECT work_order_id, payment_id, promise_id, "
            "paid_on, CASE WHEN need_c - before_c <= 0 THEN 0 "
            "WHEN need_c - before_c < left_c THEN need_c - before_c ELSE left_c END AS take_c "
            "FROM (SELECT pl.work_order_id, pl.payment_id, pl.paid_on, pl.left_c, "
            "pr.promise_id, pr.amount_c AS need_c, "
            "SUM(pl.left_c) OVER (PARTITION BY pl.work_order_id ORDER BY pl.paid_on, "
            "pl.payment_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - pl.left_c "
            f"AS before_c FROM {POOL} pl JOIN {PROMISES} pr "
            f"ON pr.work_order_id = pl.work_order_id AND pr.turn = {int(turn)} "
            "WHERE pl.left_c > 0 AND pl.paid_on >= pr.made_on AND pl.paid_on <= pr.closes_on"
            ") w"
        )
    )
    session.execute(_sql(f"DELETE FROM {TAKE} WHERE take_c <= 0"))
    session.execute(
        _sql(
            f"UPDATE {POOL} SET left_c = {POOL}.left_c - t.take_c FROM {TAKE} t "
            f"WHERE t.work_order_id = {POOL}.work_order_id AND t.payment_id = {POOL}.payment_id"
        )
    )
    session.execute(
        _sql(
            f"UPDATE {PROMISES} SET paid_c = t.paid_c, last_on = t.last_on FROM "
            f"(SELECT promise_id, SUM(take_c) AS paid_c, MAX(paid_on) AS last_on FROM {TAKE} "
            f"GROUP BY promise_id) t WHERE t.promise_id = {PROMISES}.promise_id"
        )
    )
    session.execute(_sql(f"DROP TABLE {TAKE}"))


def _track(session: Session, *, pg: bool, as_of: date, rules: PromisePolicy) -> None:
    """Instalments of the active plans kept, missed or pending; each plan's status."""
    closes = _plus_days(pg, "i.due_on", rules.plan.grace_days)
    started = _utc_day(pg, "rp.created_at")
    # Paid by the instalment's close: every payment since the plan started, up to the close.
    session.execute(
        _sql(
            f"CREATE TEMPORARY TABLE {INSTALMENTS} AS SELECT instalment_id, plan_id, "
            "work_order_id, seq, "
            "CASE WHEN by_close_c >= due_c THEN 'kept' WHEN :as_of > closes_on THEN 'missed' "
            "ELSE 'pending' END AS status, "
            "CASE WHEN by_close_c - (due_c - amount_c) <= 0 THEN 0 "
            "WHEN by_close_c - (due_c - amount_c) >= amount_c THEN amount_c "
            "ELSE by_close_c - (due_c - amount_c) END AS paid_c "
            "FROM (SELECT i.id AS instalment_id, i.plan_id, rp.work_order_id, i.seq, "
            f"{_cents('i.amount')} AS amount_c, {closes} AS closes_on, "
            f"SUM({_cents('i.amount')}) OVER (PARTITION BY i.plan_id ORDER BY i.seq "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS due_c, "
            f"(SELECT COALESCE(SUM(pl.amount_c), 0) FROM {POOL} pl "
            f"WHERE pl.work_order_id = rp.work_order_id AND pl.paid_on >= {started} "
            f"AND pl.paid_on <= {closes}) AS by_close_c "
            "FROM plan_instalment i JOIN repayment_plan rp ON rp.id = i.plan_id "
            f"JOIN {CASES} c ON c.work_order_id = rp.work_order_id "
            "WHERE rp.status = 'active') x"
        ),
        {"as_of": as_of},
    )
    session.execute(
        _sql(
            f"CREATE TEMPORARY TABLE {PLANS} AS SELECT plan_id, work_order_id, "
            "SUM(CASE WHEN status = 'missed' THEN 1 ELSE 0 END) AS missed, "
            f"CASE WHEN SUM(CASE WHEN status = 'missed' THEN 1 ELSE 0 END) >= "
            f"{int(rules.plan.max_missed)} THEN 'broken' "
            "WHEN SUM(CASE WHEN status <> 'kept' THEN 1 ELSE 0 END) = 0 THEN 'completed' "
            f"ELSE 'active' END AS status FROM {INSTALMENTS} GROUP BY plan_id, work_order_id"
        )
    )


def drop(session: Session) -> None:
    """Drop the stage's temporary tables (also those a failed run left on a pooled connection)."""
    for table in TABLES:
        session.execute(_sql(f"DROP TABLE IF EXISTS {table}"))


# --- what changed tonight ----------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseVerdict:
    promise_id: int
    work_order_id: int
    status: str
    paid: Decimal
    settled_on: date | None


@dataclass(frozen=True)
class InstalmentVerdict:
    instalment_id: int
    plan_id: int
    work_order_id: int
    seq: int
    status: str
    paid: Decimal


@dataclass(frozen=True)
class PlanVerdict:
    plan_id: int
    work_order_id: int
    status: str
    missed: int


@dataclass
class CaseChanges:
    """One case's verdicts that differ from the store, and whether a promise stays pending."""

    promises: list[PromiseVerdict] = field(default_factory=list)
    instalments: list[InstalmentVerdict] = field(default_factory=list)
    plans: list[PlanVerdict] = field(default_factory=list)
    pending_left: bool = False


def promise_verdicts(session: Session, *, changed_only: bool = False) -> list[PromiseVerdict]:
    """The staged promise verdicts (rank order per case); only those that differ from the
    store's pending promises with ``changed_only`` (a final verdict stands)."""
    where = (
        f" JOIN promise p ON p.id = v.promise_id WHERE p.status = 'pending' AND "
        f"(v.status <> 'pending' OR {_cents('p.paid')} <> v.paid_c)"
        if changed_only
        else ""
    )
    rows = session.execute(
        _sql(
            "SELECT v.promise_id, v.work_order_id, v.status, v.paid_c, v.settled_on "
            f"FROM {PROMISES} v{where} ORDER BY v.work_order_id, v.turn"
        ).columns(settled_on=Date())
    )
    return [PromiseVerdict(r[0], r[1], r[2], _money(r[3]), r[4]) for r in rows]


def instalment_verdicts(session: Session, *, changed_only: bool = False) -> list[InstalmentVerdict]:
    where = (
        f" JOIN plan_instalment i ON i.id = v.instalment_id "
        f"WHERE i.status <> v.status OR {_cents('i.paid')} <> v.paid_c"
        if changed_only
        else ""
    )
    rows = session.execute(
        _sql(
            "SELECT v.instalment_id, v.plan_id, v.work_order_id, v.seq, v.status, v.paid_c "
            f"FROM {INSTALMENTS} v{where} ORDER BY v.plan_id, v.seq"
        )
    )
    return [InstalmentVerdict(r[0], r[1], r[2], r[3], r[4], _money(r[5])) for r in rows]


def plan_verdicts(session: Session, *, changed_only: bool = False) -> list[PlanVerdict]:
    where = (
        " JOIN repayment_plan rp ON rp.id = v.plan_id "
        "WHERE rp.status <> v.status OR rp.missed <> v.missed"
        if changed_only
        else ""
    )
    rows = session.execute(
        _sql(
            f"SELECT v.plan_id, v.work_order_id, v.status, v.missed FROM {PLANS} v{where} "
            "ORDER BY v.plan_id"
        )
    )
    return [PlanVerdict(r[0], r[1], r[2], int(r[3])) for r in rows]


def changes(session: Session) -> dict[int, CaseChanges]:
    by_case: dict[int, CaseChanges] = defaultdict(CaseChanges)
    for v in promise_verdicts(session, changed_only=True):
        by_case[v.work_order_id].promises.append(v)
    for i in instalment_verdicts(session, changed_only=True):
        by_case[i.work_order_id].instalments.append(i)
    for p in plan_verdicts(session, changed_only=True):
        by_case[p.work_order_id].plans.append(p)
    if by_case:
        # Pending promises that stay pending tonight: the case keeps its live promise.
        still = session.execute(
            _sql(
                f"SELECT DISTINCT v.work_order_id FROM {PROMISES} v "
                "JOIN promise p ON p.id = v.promise_id "
                "WHERE p.status = 'pending' AND v.status = 'pending'"
            )
        ).scalars()
        for wo_id in still:
            if wo_id in by_case:
                by_case[wo_id].pending_left = True
    return dict(by_case)
