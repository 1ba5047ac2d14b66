"""One simulated day of the department on PostgreSQL, phase by phase, each against its floor.

    python bench/one_day_1m.py [--accounts 50000] [--promises-share 0.10] [--rounds 3]

The default is 50,000 accounts (8-18 minutes in all on the shared machine), so `make bench`
stays usable; the issue's size is ``--accounts 1000000``: expect well over an hour, most of it
loading the book through the import path in the setup and the promise stage
(docs/simulation.md).

Setup (once, not timed against anything): a fresh PostgreSQL database and DuckDB warehouse (the
simulator's sandbox), ``portfolio synth`` as of day 0 loaded through the import path, the default
roster, day 0's cycle and allocation (the cases open and are assigned), then pending promises on
``--promises-share`` x accounts open cases (100k at 1M; bulk-inserted as ``take_promise`` leaves
them: the promise row and the case ``promised``), due over the five days to day 1, and day 1's
card-system extract: the promised customers pay in full (half of them), in part (a quarter) or
not at all, and 2% of the other accounts pay. That state is kept as a PostgreSQL template and a
warehouse file; every run below starts from its own copy of it.

Then, interleaved A B A B ... for ``--rounds`` rounds, on day 1 with the project's clock frozen:
A = the real services, as the simulator calls them (``simulation/actions.py``):
  import   ``import_folder`` (the import path: validation, store upsert, warehouse);
  promises ``promises.nightly.reconcile_all`` (the nightly promise stage's public entry);
  cycle    ``engine.service.run_cycle``: its own durations give compute = snapshot + compute +
           write, and sync (its promise stage finds nothing left to do);
  allocation ``workforce allocation_service.allocate``.
B = the floor of each phase, hand-written, in the same process on its own copy:
  import   COPY of the Parquet rows into PostgreSQL (one INSERT ... SELECT joining the account
           ids) + one DuckDB INSERT from the file;
  promises one PostgreSQL statement: each due promise's payments since it was made, its verdict,
           the case status and an audit row per verdict;
  cycle    the hand-written DuckDB statement of ``bench/cycle.py`` (same columns, same rules);
  sync     the floor's cases staged by COPY, then one UPDATE of the changed live cases, one
           INSERT of the new ones, one UPDATE closing the cured;
  allocation one INSERT ... SELECT giving each unassigned live case to a collector of its level,
           round robin, within capacity.
Prints each phase's seconds per round, the median ratio A / B and its spread, and the process's
peak RSS (PostgreSQL's own memory is not in it).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.engine import Engine, make_url

from arrears.config import get_settings
from arrears.kit.clock import clock
from arrears.kit.db import UnitOfWork, engine_for, make_engine
from arrears.migrations import runner
from arrears.portfolio.layout import arrow_schema
from arrears.promises import nightly  # noqa: F401 - imported here, not inside a timed phase
from arrears.simulation import actions
from arrears.simulation import behaviour as bm
from arrears.simulation.run import Options, _Department
from arrears.workforce import allocation_service  # noqa: F401 - as above
from bench.cycle import FLOOR_SQL

PG = os.environ.get("ARREARS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DAY0 = date(2026, 1, 5)
DAY1 = DAY0 + timedelta(days=1)
PHASES = ("import", "promises", "cycle", "sync", "allocation")
ACTOR = "bench"


def admin() -> Engine:
    return make_engine(PG, isolation_level="AUTOCOMMIT")


def sql(db: str, *statements: str) -> None:
    engine = admin() if db == "postgres" else make_engine(url_of(db), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for s in statements:
                conn.exec_driver_sql(s)
    finally:
        engine.dispose()


def url_of(db: str) -> str:
    return make_url(PG).set(database=db).render_as_string(hide_password=False)


@contextmanager
def pointed_at(db: str, warehouse: Path, work: Path) -> Iterator[None]:
    """Settings (and so every service) read this store and warehouse meanwhile."""
    names = ("ARREARS_DATABASE_URL", "ARREARS_WAREHOUSE", "ARREARS_OUTBOX_SPOOL")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["ARREARS_DATABASE_URL"] = url_of(db)
    os.environ["ARREARS_WAREHOUSE"] = str(warehouse)
    os.environ["ARREARS_OUTBOX_SPOOL"] = str(work / "outbox")
    get_settings.cache_clear()
    engine_for.cache_clear()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
        engine_for.cache_clear()


def at(day: date, hhmm: str) -> datetime:
    zone = ZoneInfo(get_settings().time_zone)
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, clock_time(h, m), zone).astimezone(UTC)


# --- setup -----------------------------------------------------------------------------------


def setup(accounts: int, share: float, work: Path, base: str) -> tuple[Path, Path, int]:
    """The state of the evening before day 1 as a template database and a warehouse file."""
    sql("postgres", f'DROP DATABASE IF EXISTS "{base}" WITH (FORCE)', f'CREATE DATABASE "{base}"')
    warehouse = work / "base.duckdb"
    options = Options(days=2, accounts=accounts, seed=11, start=DAY0, collectors=False, check=False)
    with pointed_at(base, warehouse, work), clock.frozen(at(DAY0, "08:00")):
        settings = get_settings()
        engine = make_engine(url_of(base))
        try:
            t = time.perf_counter()
            dept = _Department(options, bm.load_behaviour("behaviour"), settings, engine, work)
            dept.setup()  # synth, the import path, the roster
            print(f"  setup: book and roster {time.perf_counter() - t:.0f} s", flush=True)
            t = time.perf_counter()
            clock.freeze(at(DAY0, "21:00"))
            actions.run_cycle(as_of=DAY0, settings=settings, store=engine, engine="duckdb",
                              strategy=None)  # fmt: skip
            with UnitOfWork(engine) as uow:
                actions.allocate(session=uow.session, as_of=DAY0, actor=ACTOR)
                uow.commit()
            print(
                f"  setup: day 0 cycle and allocation {time.perf_counter() - t:.0f} s", flush=True
            )
            t = time.perf_counter()
            promised = add_promises(engine, int(accounts * share))
            extract = day1_extract(engine, work, accounts)
            print(
                f"  setup: {promised:,} pending promises and day 1's extract "
                f"{time.perf_counter() - t:.0f} s",
                flush=True,
            )
        finally:
            engine.dispose()
    return warehouse, extract, promised


def add_promises(engine: Engine, wanted: int) -> int:
    """Pending promises due over the five days to day 1, as ``take_promise`` leaves them (promise
    row, audit, case ``promised``), on the first ``wanted`` open cases."""
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TEMP TABLE bench_promised AS SELECT id, amount_due, currency FROM work_order "
            f"WHERE status IN ('open', 'assigned') AND amount_due > 0 ORDER BY id LIMIT {wanted}"
        )
        now = at(DAY0, "15:00").isoformat()
        conn.exec_driver_sql(
            "INSERT INTO promise (work_order_id, amount, currency, due_on, made_on, channel, "
            "status, paid, taken_by, created_at, updated_at, version) "
            # Due over the last five days (some past their grace: broken), made a week before.
            f"SELECT id, amount_due, currency, DATE '{DAY1}' - CAST(mod(id, 5) AS INTEGER), "
            f"DATE '{DAY0}' - 7, 'call', 'pending', "
            f"0, '{ACTOR}', TIMESTAMPTZ '{now}', TIMESTAMPTZ '{now}', 1 FROM bench_promised"
        )
        conn.exec_driver_sql(
            "INSERT INTO audit_event (at, actor, action, entity, entity_id, before, after, reason) "
            f"SELECT TIMESTAMPTZ '{now}', '{ACTOR}', 'work_order.status', 'work_order', "
            'CAST(id AS VARCHAR), \'{"status": "open"}\', \'{"status": "promised"}\', '
            "'promise to pay taken' FROM bench_promised"
        )
        conn.exec_driver_sql(
            "UPDATE work_order SET status = 'promised', version = version + 1 "
            "WHERE id IN (SELECT id FROM bench_promised)"
        )
        row = conn.exec_driver_sql("SELECT count(*) FROM bench_promised").fetchone()
    return int(row[0]) if row else 0


def day1_extract(engine: Engine, work: Path, accounts: int) -> Path:
    """Day 1's payments: promised customers pay in full (1/2), in part (1/4) or not (1/4) on their
    lead account; 2% of the other accounts pay 100.00."""
    with engine.connect() as conn:
        promised = conn.exec_driver_sql(
            "SELECT a.external_ref, p.amount FROM promise p "
            "JOIN work_order_account wa ON wa.work_order_id = p.work_order_id "
            "JOIN card_account a ON a.id = wa.account_id ORDER BY p.id, wa.id"
        ).fetchall()
        refs = [r[0] for r in conn.exec_driver_sql("SELECT external_ref FROM card_account")]
    seen: set[str] = set()
    rows = []
    for i, (ref, amount) in enumerate(promised):
        if ref in seen or i % 4 == 3:
            continue
        seen.add(ref)
        paid = amount if i % 4 < 2 else (amount / 2).quantize(amount)
        rows.append((ref, paid))
    rng = np.random.default_rng(11)
    for j in rng.choice(len(refs), size=max(1, accounts // 50), replace=False):
        if refs[j] not in seen:
            rows.append((refs[j], None))
    schema = arrow_schema("payments")
    from decimal import Decimal

    table = pa.Table.from_pylist(
        [
            {
                "account_id": ref,
                "paid_on": DAY1,
                "amount": amount if amount is not None else Decimal("100.00"),
                "channel": "mobile_app",
                "reference": f"B1-{k:08d}",
            }
            for k, (ref, amount) in enumerate(rows)
        ],
        schema=schema,
    )
    folder = work / "day1"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "payments.parquet")
    print(f"  day 1 extract: {table.num_rows:,} payments", flush=True)
    return folder


# --- A: the services -------------------------------------------------------------------------


def services(db: str, warehouse: Path, extract: Path, work: Path) -> dict[str, float]:
    took: dict[str, float] = {}
    with pointed_at(db, warehouse, work), clock.frozen(at(DAY1, "08:00")):
        settings = get_settings()
        engine = make_engine(url_of(db))
        try:
            t = time.perf_counter()
            actions.import_folder(folder=extract, warehouse=warehouse)
            took["import"] = time.perf_counter() - t
            clock.freeze(at(DAY1, "21:00"))
            from arrears.promises import nightly as promise_stage

            t = time.perf_counter()
            with UnitOfWork(engine) as uow:
                counts = promise_stage.reconcile_all(session=uow.session, actor=ACTOR, as_of=DAY1)
                uow.commit()
            took["promises"] = time.perf_counter() - t
            result = actions.run_cycle(as_of=DAY1, settings=settings, store=engine,
                                       engine="duckdb", strategy=None)  # fmt: skip
            d = result.durations
            took["cycle"] = d["snapshot"] + d["compute"] + d["write"]
            took["sync"] = d["sync"]
            took["_cycle_promises"] = d["promises"]
            t = time.perf_counter()
            with UnitOfWork(engine) as uow:
                summary = actions.allocate(session=uow.session, as_of=DAY1, actor=ACTOR)
                uow.commit()
            took["allocation"] = time.perf_counter() - t
            print(
                f"    A: promises {counts}, cases {result.cases}, "
                f"assigned {summary.assigned_to_staff:,}",
                flush=True,
            )
        finally:
            engine.dispose()
    return took


# --- B: the floors ---------------------------------------------------------------------------

PROMISE_FLOOR = """
WITH due AS (
  SELECT p.id, p.work_order_id, p.amount, p.made_on FROM promise p
  WHERE p.status = 'pending' AND p.due_on <= DATE '{day}'
), paid AS (
  SELECT d.id, coalesce(sum(pay.amount), 0) AS paid FROM due d
  JOIN work_order_account wa ON wa.work_order_id = d.work_order_id
  LEFT JOIN payment pay ON pay.account_id = wa.account_id AND pay.paid_on >= d.made_on
       AND pay.paid_on <= DATE '{day}'
  GROUP BY d.id
), verdict AS (
  UPDATE promise p SET
    status = CASE WHEN x.paid >= p.amount THEN 'kept' WHEN x.paid > 0 THEN 'partially_kept'
                  ELSE 'broken' END,
    paid = least(x.paid, p.amount), settled_on = DATE '{day}', updated_at = now()
  FROM paid x WHERE p.id = x.id RETURNING p.id, p.work_order_id, p.status
), cases AS (
  UPDATE work_order w SET status = CASE WHEN v.status = 'kept' THEN 'kept' ELSE 'open' END,
    broken_promises = w.broken_promises + CAST(v.status = 'broken' AS int), version = w.version + 1
  FROM verdict v WHERE w.id = v.work_order_id RETURNING w.id
)
INSERT INTO audit_event (at, actor, action, entity, entity_id, before, after, reason)
SELECT now(), 'floor', 'promise.reconcile', 'promise', CAST(v.id AS VARCHAR),
       '{{"status": "pending"}}', json_build_object('status', v.status), 'floor'
FROM verdict v
"""

SYNC_FLOOR = (
    "CREATE TEMP TABLE s (customer_ref varchar, bucket varchar, dpd int, amount_due numeric, "
    "level varchar, queue varchar, priority int)",
    "COPY s FROM STDIN",
    "ANALYZE s",
    "UPDATE work_order w SET bucket = s.bucket, dpd = s.dpd, amount_due = s.amount_due, "
    "level = s.level, queue = s.queue, priority = s.priority, version = w.version + 1 "
    "FROM s WHERE w.customer_ref = s.customer_ref AND w.status <> 'closed' AND "
    "(w.bucket, w.dpd, w.amount_due, w.level, w.queue, w.priority) IS DISTINCT FROM "
    "(s.bucket, s.dpd, s.amount_due, s.level, s.queue, s.priority)",
    "INSERT INTO work_order (cardholder_id, customer_ref, status, bucket, dpd, amount_due, level, "
    "queue, priority, treatments, problem_customer, broken_promises, extra, opened_on, "
    "created_at, updated_at, version, balance, fees, interest, currency, account_count) "
    "SELECT c.id, s.customer_ref, 'open', s.bucket, s.dpd, s.amount_due, s.level, s.queue, "
    "s.priority, '[]', false, 0, '{{}}', DATE '{day}', now(), now(), 1, 0, 0, 0, 'CNY', 1 "
    "FROM s JOIN cardholder c ON c.external_ref = s.customer_ref WHERE NOT EXISTS "
    "(SELECT 1 FROM work_order w WHERE w.customer_ref = s.customer_ref AND w.status <> 'closed')",
    "UPDATE work_order w SET status = 'closed', close_reason = 'cured', closed_on = DATE '{day}' "
    "WHERE w.status <> 'closed' AND NOT EXISTS (SELECT 1 FROM s WHERE s.customer_ref = "
    "w.customer_ref)",
)

ALLOCATION_FLOOR = """
WITH staff_slots AS (
  SELECT s.id, lv.value AS level, s.capacity - coalesce(h.held, 0) AS free
  FROM staff s CROSS JOIN LATERAL json_array_elements_text(s.levels::json) lv(value)
  LEFT JOIN (SELECT staff_id, count(*) AS held FROM assignment WHERE ended_at IS NULL
             GROUP BY staff_id) h ON h.staff_id = s.id
  WHERE s.status = 'active' AND s.agency_id IS NULL
), slots AS (
  SELECT id, level, row_number() OVER (PARTITION BY level ORDER BY n, id) AS k
  FROM staff_slots, generate_series(1, greatest(free, 0)) n
), todo AS (
  SELECT w.id, w.level, row_number() OVER (PARTITION BY w.level ORDER BY w.priority DESC, w.id)
    AS k
  FROM work_order w WHERE w.status <> 'closed'
    AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a.work_order_id = w.id AND a.ended_at IS NULL)
)
INSERT INTO assignment (work_order_id, staff_id, level, reason, as_of, assigned_at)
SELECT t.id, s.id, t.level, 'floor', DATE '{day}', now() FROM todo t
JOIN slots s ON s.level = t.level AND s.k = t.k
"""


def floors(db: str, warehouse: Path, extract: Path) -> dict[str, float]:
    took: dict[str, float] = {}
    engine = make_engine(url_of(db))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        file = extract / "payments.parquet"
        t = time.perf_counter()
        table = pq.read_table(file)
        cur.execute(
            "CREATE TEMP TABLE p (account_id varchar, paid_on date, amount numeric, "
            "channel varchar, reference varchar)"
        )
        buf = io.StringIO()
        table.to_pandas().to_csv(buf, sep="\t", header=False, index=False)
        buf.seek(0)
        with cur.copy("COPY p FROM STDIN") as copy:
            copy.write(buf.getvalue())
        cur.execute(
            "INSERT INTO payment (account_id, paid_on, amount, channel, reference) "
            "SELECT a.id, p.paid_on, p.amount, p.channel, p.reference FROM p "
            "JOIN card_account a ON a.external_ref = p.account_id "
            "ON CONFLICT DO NOTHING"
        )
        raw.commit()
        con = duckdb.connect(str(warehouse))
        con.execute("INSERT INTO payments SELECT * FROM read_parquet(?)", [str(file)])
        took["import"] = time.perf_counter() - t

        t = time.perf_counter()
        cur.execute(PROMISE_FLOOR.format(day=DAY1))
        raw.commit()
        took["promises"] = time.perf_counter() - t

        t = time.perf_counter()
        floor = FLOOR_SQL.format(as_of=DAY1.isoformat(), m=DAY1.month, d=DAY1.day)
        con.execute(f"CREATE OR REPLACE TABLE bench_floor AS {floor}")
        cases = con.execute(
            "SELECT customer_id, arg_max(bucket, dpd), max(dpd), sum(amount_due), "
            "arg_max(level, dpd), arg_max(queue, dpd), max(priority) FROM bench_floor "
            "WHERE level IS NOT NULL GROUP BY customer_id ORDER BY customer_id"
        ).to_arrow_table()
        con.close()
        took["cycle"] = time.perf_counter() - t

        t = time.perf_counter()
        create, copy_sql, *rest = (s.format(day=DAY1) for s in SYNC_FLOOR)
        cur.execute(create)
        buf = io.StringIO()
        cases.to_pandas().to_csv(buf, sep="\t", header=False, index=False)
        buf.seek(0)
        with cur.copy(copy_sql) as copy:
            copy.write(buf.getvalue())
        for statement in rest:
            cur.execute(statement)
        raw.commit()
        took["sync"] = time.perf_counter() - t

        t = time.perf_counter()
        cur.execute(ALLOCATION_FLOOR.format(day=DAY1))
        raw.commit()
        took["allocation"] = time.perf_counter() - t
    finally:
        raw.close()
        engine.dispose()
    return took


# --- the rounds ------------------------------------------------------------------------------


def copy_of(base: str, base_wh: Path, name: str, work: Path) -> tuple[str, Path]:
    # Pooled connections of the services (engine_for) would block the copy.
    sql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{base}' AND pid <> pg_backend_pid()",
        f'CREATE DATABASE "{name}" TEMPLATE "{base}"')  # fmt: skip
    # A kept setup may predate a migration: the copy is brought to the code's schema first.
    runner.upgrade(url_of(name))
    wh = work / f"{name}.duckdb"
    shutil.copy(base_wh, wh)
    return name, wh


def drop(name: str, wh: Path) -> None:
    sql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    wh.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=50_000)
    ap.add_argument("--promises-share", type=float, default=0.10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep the set-up book (template database + files in --workdir) and reuse it when "
        "the same --workdir already holds one; the 1M setup takes over an hour",
    )
    ap.add_argument("--setup-only", action="store_true", help="build the book (with --keep), stop")
    args = ap.parse_args()
    if args.keep and args.workdir is None:
        ap.error("--keep needs --workdir")
    work = args.workdir or Path(f"/tmp/arrears-bench-day-{os.getpid()}")
    work.mkdir(parents=True, exist_ok=True)
    kept = work / "setup.json"
    base = f"arrears_bench_day_{os.getpid()}"
    start = time.perf_counter()
    print(f"one simulated day, {args.accounts:,} accounts, PostgreSQL + DuckDB", flush=True)
    try:
        if args.keep and kept.exists():
            state = json.loads(kept.read_text())
            if state["accounts"] != args.accounts:
                ap.error(f"{work} holds a book of {state['accounts']:,} accounts")
            base, promised = state["base"], state["promised"]
            base_wh, extract = Path(state["warehouse"]), Path(state["extract"])
            print(f"  reusing the book set up in {state['setup_s']:.0f} s ({base})", flush=True)
            setup_s = float(state["setup_s"])
        else:
            base_wh, extract, promised = setup(args.accounts, args.promises_share, work, base)
            setup_s = time.perf_counter() - start
            if args.keep:
                kept.write_text(
                    json.dumps(
                        {
                            "accounts": args.accounts,
                            "base": base,
                            "promised": promised,
                            "warehouse": str(base_wh),
                            "extract": str(extract),
                            "setup_s": setup_s,
                        }
                    )
                )
        if args.setup_only:
            print(f"set up in {setup_s:.0f} s; kept as {base} in {work}")
            return
        rows: list[tuple[dict[str, float], dict[str, float]]] = []
        for r in range(args.rounds):
            db, wh = copy_of(base, base_wh, f"{base}_a", work)
            a = services(db, wh, extract, work)
            drop(db, wh)
            db, wh = copy_of(base, base_wh, f"{base}_b", work)
            b = floors(db, wh, extract)
            drop(db, wh)
            rows.append((a, b))
            print(
                f"  round {r + 1}: "
                + "  ".join(f"{p} {a[p]:.1f}/{b[p]:.1f} s" for p in PHASES)
                + f"  (cycle's own promise stage afterwards {a['_cycle_promises']:.1f} s)",
                flush=True,
            )
        print(f"setup {setup_s:.0f} s; {promised:,} pending promises; {args.rounds} rounds (A/B)")
        print(f"{'phase':<11} {'A median s':>10} {'floor s':>8} {'ratio':>7}  spread")
        total_a = total_b = 0.0
        for p in PHASES:
            ratios = [a[p] / b[p] for a, b in rows if b[p] > 0]
            am = statistics.median(a[p] for a, _ in rows)
            bm_ = statistics.median(b[p] for _, b in rows)
            total_a, total_b = total_a + am, total_b + bm_
            print(
                f"{p:<11} {am:>10.1f} {bm_:>8.2f} {statistics.median(ratios):>7.1f}  "
                f"{min(ratios):.1f}-{max(ratios):.1f}"
            )
        print(f"{'day':<11} {total_a:>10.1f} {total_b:>8.2f} {total_a / total_b:>7.1f}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process {peak:.0f} MiB; load {os.getloadavg()[0]:.1f}; "
              f"total {time.perf_counter() - start:.0f} s")  # fmt: skip
    finally:
        if not args.keep:
            sql("postgres", f'DROP DATABASE IF EXISTS "{base}" WITH (FORCE)')
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
