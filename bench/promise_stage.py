"""The nightly promise stage against a hand-written SQL baseline doing the same matching.

A book of N cases, each with one promise (made over the last 30 days, due up to 30 days
later), payments on its account for about 60% of them and an active three-instalment plan on
10%, reconciled up to the day before (the steady state: tonight's changes are the windows that
close and today's payments). In one process,
interleaved A B C A B C ... for R rounds, each in a transaction that is rolled back so every
round sees the same book:

- A, `stage match`: ``promises.matching.match`` + reading what changed tonight (the set-based
  matching of the stage, before it writes);
- B, `baseline`: one hand-written SQL statement per kind (promises, instalments) computing the
  same verdicts, valid for this book only (one promise per case, so the greedy fill is a plain
  sum in the window, capped at the amount);
- C, `stage full`: ``promises.nightly.reconcile_all``, writes, audit, follow-ups and status
  moves included (one savepoint per changed case).

Prints the median and spread of A/B and C/B, the peak Python memory of each (tracemalloc) and
the process's max RSS, and checks that A and B agree on every promise and instalment.

    python bench/promise_stage.py [--cases 180000] [--rounds 3] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder, WorkOrderAccount
from arrears.kit.clock import clock
from arrears.kit.db import make_engine
from arrears.migrations import runner
from arrears.portfolio.models import CardAccount, Cardholder, Payment
from arrears.promises import matching, nightly
from arrears.promises.models import PlanInstalment, Promise, RepaymentPlan
from arrears.promises.service import policy

AS_OF = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
BATCH = 10_000


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)


def _insert(conn: sa.Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(sa.insert(model), rows[start : start + BATCH])


def load(url: str, n: int, seed: int) -> None:
    """The book: one customer, account, live case and pending promise per case."""
    rng = random.Random(seed)
    engine = make_engine(url)
    with engine.begin() as conn:
        _insert(
            conn,
            Cardholder,
            [
                {"external_ref": f"C{i:08d}", "name": f"Customer {i}", "created_at": NOW}
                for i in range(n)
            ],
        )
        holders = [r[0] for r in conn.execute(sa.select(Cardholder.id).order_by(Cardholder.id))]
        _insert(
            conn,
            CardAccount,
            [
                {
                    "external_ref": f"A{i:08d}",
                    "cardholder_id": h,
                    "product": "classic",
                    "credit_limit": Decimal("20000.00"),
                    "currency": "CNY",
                    "statement_day": 5,
                    "due_days": 20,
                    "min_payment_ratio": Decimal("0.1000"),
                    "status": "active",
                }
                for i, h in enumerate(holders)
            ],
        )
        accounts = [r[0] for r in conn.execute(sa.select(CardAccount.id).order_by(CardAccount.id))]
        _insert(
            conn,
            WorkOrder,
            [
                {
                    "cardholder_id": h,
                    "customer_ref": f"C{i:08d}",
                    "status": "promised",
                    "bucket": "M2",
                    "dpd": 40,
                    "amount_due": Decimal("1000.00"),
                    "balance": Decimal("5000.00"),
                    "level": "junior",
                    "queue": "early",
                    "treatments": [],
                    "extra": {},
                    "opened_on": AS_OF - timedelta(days=60),
                    "created_at": NOW,
                    "updated_at": NOW,
                    "version": 1,
                }
                for i, h in enumerate(holders)
            ],
        )
        cases = [r[0] for r in conn.execute(sa.select(WorkOrder.id).order_by(WorkOrder.id))]
        _insert(
            conn,
            WorkOrderAccount,
            [
                {
                    "work_order_id": wo,
                    "account_ref": f"A{i:08d}",
                    "account_id": accounts[i],
                    "bucket": "M2",
                    "dpd": 40,
                    "amount_due": Decimal("1000.00"),
                }
                for i, wo in enumerate(cases)
            ],
        )
        promises: list[dict[str, Any]] = []
        payments: list[dict[str, Any]] = []
        plans: list[tuple[int, date]] = []
        for i, wo in enumerate(cases):
            made = AS_OF - timedelta(days=rng.randint(1, 30))
            amount = _cents(rng, 100, 2000)
            promises.append(
                {
                    "work_order_id": wo,
                    "amount": amount,
                    "currency": "CNY",
                    "due_on": made + timedelta(days=rng.randint(0, 30)),
                    "made_on": made,
                    "channel": "call",
                    "status": "pending",
                    "paid": Decimal("0.00"),
                    "taken_by": "u:bench",
                    "created_at": NOW,
                    "updated_at": NOW,
                    "version": 1,
                }
            )
            if rng.random() < 0.6:
                for j in range(rng.randint(1, 3)):
                    payments.append(
                        {
                            "account_id": accounts[i],
                            "paid_on": made + timedelta(days=rng.randint(-5, 35)),
                            "amount": _cents(rng, 50, 1200),
                            "channel": "other",
                            "reference": f"R{i}-{j}",
                        }
                    )
            if rng.random() < 0.1:
                plans.append((wo, made - timedelta(days=rng.randint(0, 10))))
        _insert(conn, Promise, promises)
        _insert(conn, Payment, [p for p in payments if p["paid_on"] <= AS_OF])
        _insert(
            conn,
            RepaymentPlan,
            [
                {
                    "work_order_id": wo,
                    "kind": "plan",
                    "balance": Decimal("900.00"),
                    "discount": Decimal(0),
                    "total": Decimal("900.00"),
                    "currency": "CNY",
                    "frequency": "weekly",
                    "instalment_count": 3,
                    "first_due_on": started + timedelta(days=7),
                    "status": "active",
                    "needs_checker": False,
                    "maker": "u:bench",
                    "missed": 0,
                    "created_at": datetime.combine(started, day_time(3), tzinfo=UTC),
                    "updated_at": NOW,
                    "version": 1,
                }
                for wo, started in plans
            ],
        )
        plan_rows = conn.execute(
            sa.select(RepaymentPlan.id, RepaymentPlan.first_due_on).order_by(RepaymentPlan.id)
        ).all()
        _insert(
            conn,
            PlanInstalment,
            [
                {
                    "plan_id": pid,
                    "seq": seq,
                    "due_on": first + timedelta(days=7 * (seq - 1)),
                    "amount": Decimal("300.00"),
                    "status": "pending",
                    "paid": Decimal("0.00"),
                }
                for pid, first in plan_rows
                for seq in (1, 2, 3)
            ],
        )
    engine.dispose()


def settle_previous_night(engine: sa.Engine, pg: bool) -> None:
    """Bring the book to the state the previous night's run left (untimed set-up): verdicts as
    of the day before, written straight from the staged matching, so tonight only the promises
    whose window closes and those with today's payments change, as in a steady state."""
    money = "CAST(v.paid_c AS NUMERIC(18,2)) / 100" if pg else "printf('%.2f', v.paid_c / 100.0)"
    with Session(engine) as session:
        matching.match(session, as_of=AS_OF - timedelta(days=1), rules=policy())
        session.execute(
            sa.text(
                f"UPDATE promise SET status = v.status, paid = {money}, settled_on = v.settled_on "
                f"FROM {matching.PROMISES} v WHERE promise.id = v.promise_id"
            )
        )
        session.execute(
            sa.text(
                f"UPDATE plan_instalment SET status = v.status, paid = {money} "
                f"FROM {matching.INSTALMENTS} v WHERE plan_instalment.id = v.instalment_id"
            )
        )
        session.execute(
            sa.text(
                "UPDATE repayment_plan SET status = v.status, missed = v.missed "
                f"FROM {matching.PLANS} v WHERE repayment_plan.id = v.plan_id"
            )
        )
        matching.drop(session)
        session.commit()


def baseline_sql(pg: bool) -> tuple[str, str]:
    """The same verdicts by hand, for a book with one promise per case."""
    rules = policy()
    kept_n, kept_d = rules.promise.kept_ratio.as_integer_ratio()
    part_n, part_d = rules.promise.partial_ratio.as_integer_ratio()

    def plus(expr: str, days: int) -> str:
        return f"({expr} + {days})" if pg else f"date({expr}, '+{days} days')"

    started = "CAST((rp.created_at AT TIME ZONE 'UTC') AS DATE)" if pg else "date(rp.created_at)"
    pays = (
        "SELECT a.work_order_id, pay.paid_on, CAST(ROUND(pay.amount * 100) AS BIGINT) AS c "
        "FROM work_order_account a JOIN card_account ca ON ca.external_ref = a.account_ref "
        "JOIN payment pay ON pay.account_id = ca.id WHERE pay.paid_on <= :as_of"
    )
    promises = (
        f"WITH pays AS ({pays}), pr AS (SELECT p.id, p.work_order_id, "
        "CAST(ROUND(p.amount * 100) AS BIGINT) AS amount_c, p.made_on, "
        f"{plus('p.due_on', rules.promise.grace_days)} AS closes_on FROM promise p "
        "WHERE p.status = 'pending'), "
        "summed AS (SELECT pr.id, pr.amount_c, pr.closes_on, COALESCE((SELECT SUM(c) FROM pays "
        "WHERE pays.work_order_id = pr.work_order_id AND pays.paid_on >= pr.made_on "
        "AND pays.paid_on <= pr.closes_on), 0) AS got_c FROM pr), "
        "m AS (SELECT id, amount_c, closes_on, CASE WHEN got_c < amount_c THEN got_c "
        "ELSE amount_c END AS paid_c FROM summed) "
        f"SELECT id, CASE WHEN paid_c * {kept_d} >= amount_c * {kept_n} THEN 'kept' "
        "WHEN :as_of <= closes_on THEN 'pending' "
        f"WHEN paid_c * {part_d} >= amount_c * {part_n} THEN 'partially_kept' "
        "ELSE 'broken' END, paid_c FROM m ORDER BY id"
    )
    closes = plus("i.due_on", rules.plan.grace_days)
    instalments = (
        f"WITH pays AS ({pays}), x AS (SELECT i.id, CAST(ROUND(i.amount * 100) AS BIGINT) AS "
        f"amount_c, {closes} AS closes_on, SUM(CAST(ROUND(i.amount * 100) AS BIGINT)) OVER "
        "(PARTITION BY i.plan_id ORDER BY i.seq) AS due_c, "
        "(SELECT COALESCE(SUM(c), 0) FROM pays WHERE pays.work_order_id = rp.work_order_id "
        f"AND pays.paid_on >= {started} AND pays.paid_on <= {closes}) AS by_c "
        "FROM plan_instalment i JOIN repayment_plan rp ON rp.id = i.plan_id "
        "WHERE rp.status = 'active') "
        "SELECT id, CASE WHEN by_c >= due_c THEN 'kept' WHEN :as_of > closes_on THEN 'missed' "
        "ELSE 'pending' END, CASE WHEN by_c - due_c + amount_c <= 0 THEN 0 "
        "WHEN by_c - due_c + amount_c >= amount_c THEN amount_c "
        "ELSE by_c - due_c + amount_c END FROM x ORDER BY id"
    )
    return promises, instalments


def _bind(sql: str) -> sa.TextClause:
    return sa.text(sql).bindparams(sa.bindparam("as_of", type_=sa.Date()))


def run_baseline(session: Session, pg: bool) -> tuple[dict[int, tuple], dict[int, tuple]]:
    promises_sql, instalments_sql = baseline_sql(pg)
    promises = {
        r[0]: (r[1], Decimal(int(r[2])).scaleb(-2))
        for r in session.execute(_bind(promises_sql), {"as_of": AS_OF})
    }
    instalments = {
        r[0]: (r[1], Decimal(int(r[2])).scaleb(-2))
        for r in session.execute(_bind(instalments_sql), {"as_of": AS_OF})
    }
    return promises, instalments


def run_match(session: Session) -> tuple[dict[int, tuple], dict[int, tuple]]:
    matching.match(session, as_of=AS_OF, rules=policy())
    promises = {v.promise_id: (v.status, v.paid) for v in matching.promise_verdicts(session)}
    instalments = {
        v.instalment_id: (v.status, v.paid) for v in matching.instalment_verdicts(session)
    }
    matching.promise_verdicts(session, changed_only=True)
    matching.instalment_verdicts(session, changed_only=True)
    matching.plan_verdicts(session, changed_only=True)
    matching.drop(session)
    return promises, instalments


def run_full(session: Session) -> dict[str, int]:
    return nightly.reconcile_all(session=session, actor="bench", as_of=AS_OF)


def timed(engine: sa.Engine, work: Callable[[Session], Any]) -> tuple[float, float, Any]:
    """Seconds and peak Python MiB of ``work`` in a transaction that is rolled back."""
    with Session(engine) as session:
        tracemalloc.start()
        t0 = time.perf_counter()
        out = work(session)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        session.rollback()
    return elapsed, peak, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=180_000, help="about 100k stay pending")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default="", help="an empty database (default: a new SQLite)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    pg = url.startswith("postgresql")
    runner.upgrade(url)
    t0 = time.perf_counter()
    load(url, args.cases, args.seed)
    engine = make_engine(url)
    settle_previous_night(engine, pg)
    if pg:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    with Session(engine) as session:
        pending = session.scalar(
            sa.select(sa.func.count()).select_from(Promise).where(Promise.status == "pending")
        )
    print(
        f"{args.cases:,} cases, {pending:,} pending promises after the previous night, on "
        f"{url.split(':')[0]} (set up in {time.perf_counter() - t0:.1f} s)"
    )
    times: dict[str, list[float]] = {"match": [], "baseline": [], "full": []}
    peaks: dict[str, float] = {"match": 0.0, "baseline": 0.0, "full": 0.0}
    with clock.frozen(NOW):
        for round_no in range(1, args.rounds + 1):
            a, pa, (ours, our_inst) = timed(engine, run_match)
            b, pb, (theirs, their_inst) = timed(engine, lambda s: run_baseline(s, pg))
            c, pc, counts = timed(engine, run_full)
            for key, value, peak in (("match", a, pa), ("baseline", b, pb), ("full", c, pc)):
                times[key].append(value)
                peaks[key] = max(peaks[key], peak)
            differ = sum(1 for k, v in theirs.items() if ours.get(k) != v)
            differ += sum(1 for k, v in their_inst.items() if our_inst.get(k) != v)
            print(
                f"round {round_no}: match {a:7.2f} s  baseline {b:7.2f} s  full {c:7.2f} s  "
                f"A/B {a / b:5.2f}  C/B {c / b:5.2f}  rows differing {differ}  {counts}"
            )
    for name, num in (("A/B match/baseline", "match"), ("C/B full/baseline", "full")):
        ratios = [x / y for x, y in zip(times[num], times["baseline"], strict=True)]
        print(
            f"{name}: median {statistics.median(ratios):.2f} "
            f"(spread {min(ratios):.2f}-{max(ratios):.2f})"
        )
    for key, values in times.items():
        print(
            f"{key:9s}: median {statistics.median(values):7.2f} s, "
            f"peak Python {peaks[key]:7.1f} MiB"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS: {rss:.0f} MiB")
    engine.dispose()


if __name__ == "__main__":
    main()
