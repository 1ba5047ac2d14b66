"""Workbench load benchmark: 200 simulated collectors on PostgreSQL (locust, headless).

Seeds a fresh PostgreSQL database (``--collectors`` collectors with ``--cases`` assigned cases
each, three statements per account), starts ``arrears serve``'s app under uvicorn in a
subprocess, and runs locust in this process: each collector opens the queue page, a case page
with its script panel, and posts a contact (the real path: compliance decision, attempt, audit),
with ``--wait`` seconds between actions (default 10 s: a collector's call alone takes minutes,
so this is a generous rate). ``/healthz`` is requested in the same mix, under the same load, as
the baseline: its latency is the floor of the stack (HTTP, middleware, event loop, the session
lookup) on this machine.

Two phases are reported: the arrival (a cold server while all collectors sign on at 20 a
second, then one think time) and the steady state (``--seconds`` measured after it). Prints
p50/p95/p99 and errors per request kind, each p95 as a ratio to the baseline's, the machine's
CPU use and the load generator's share of it, and peak memory of the server and of locust.

    python bench/workbench.py [--collectors 200] [--cases 10] [--seconds 120] [--workers 2]
                              [--client fast|requests]

Sessions are created directly in the store (the bench measures the workbench, not argon2).
"""

from __future__ import annotations

# locust needs gevent's monkey patching before anything else touches sockets or threads.
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import Any  # noqa: E402

import sqlalchemy as sa  # noqa: E402

PG_ADMIN = os.environ.get(
    "ARREARS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = "arrears_bench_workbench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database() -> str:
    from arrears.kit.db import make_engine
    from arrears.migrations import runner

    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"
    runner.upgrade(url)
    return url


def drop_database() -> None:
    from arrears.kit.db import make_engine

    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, *, collectors: int, cases: int) -> list[dict[str, Any]]:
    """Bulk-insert the store; returns one dict per collector: session token and case ids."""
    from arrears.auth.models import User, UserSession
    from arrears.auth.passwords import hash_password
    from arrears.auth.sessions import new_token, token_digest
    from arrears.cases.models import WorkOrder, WorkOrderAccount
    from arrears.kit.db import make_engine
    from arrears.portfolio.models import CardAccount, Cardholder, Phone, Statement
    from arrears.workforce.models import Assignment, Staff, Team

    now = datetime.now(UTC)
    today = now.date()
    engine = make_engine(url)
    n = collectors * cases
    with engine.begin() as conn:
        conn.execute(sa.insert(Team), [{"code": "T1", "name": "Team", "created_at": now}])
        team_id = conn.execute(sa.select(Team.id)).scalar_one()
        conn.execute(
            sa.insert(Cardholder),
            [
                {
                    "external_ref": f"C{i:07d}",
                    "name": f"客户{i}",
                    "id_number": f"1101011990{i:08d}",
                    "address": f"北京市朝阳区建国路{i}号",
                    "identity_category": "private_employee",
                    "language": "zh-CN",
                    "time_zones": ["Asia/Shanghai"],
                    "flags": [],
                    "created_at": now,
                }
                for i in range(n)
            ],
        )
        holders = {k: v for k, v in conn.execute(sa.select(Cardholder.external_ref, Cardholder.id))}
        conn.execute(
            sa.insert(Phone),
            [
                {"cardholder_id": holders[f"C{i:07d}"], "number": f"138{i:08d}", "type": "mobile"}
                for i in range(n)
            ],
        )
        conn.execute(
            sa.insert(CardAccount),
            [
                {
                    "external_ref": f"A{i:07d}",
                    "cardholder_id": holders[f"C{i:07d}"],
                    "product": "classic",
                    "credit_limit": Decimal("20000.00"),
                    "currency": "CNY",
                    "statement_day": 5,
                    "due_days": 20,
                    "min_payment_ratio": Decimal("0.1000"),
                    "status": "active",
                }
                for i in range(n)
            ],
        )
        accounts = {
            k: v for k, v in conn.execute(sa.select(CardAccount.external_ref, CardAccount.id))
        }
        statements = []
        for i in range(n):
            for months_back, balance in ((3, "9000.00"), (2, "9500.00"), (1, "10000.00")):
                cycle = (today.replace(day=5) - timedelta(days=30 * months_back)).replace(day=5)
                statements.append(
                    {
                        "account_id": accounts[f"A{i:07d}"],
                        "cycle_date": cycle,
                        "due_date": cycle + timedelta(days=20),
                        "closing_balance": Decimal(balance),
                        "minimum_due": Decimal(balance) / 10,
                    }
                )
        conn.execute(sa.insert(Statement), statements)
        conn.execute(
            sa.insert(WorkOrder),
            [
                {
                    "cardholder_id": holders[f"C{i:07d}"],
                    "customer_ref": f"C{i:07d}",
                    "status": "assigned",
                    "bucket": "M2",
                    "dpd": 40 + i % 20,
                    "amount_due": Decimal("1900.00"),
                    "balance": Decimal("10000.00"),
                    "fees": Decimal("0.00"),
                    "interest": Decimal("0.00"),
                    "currency": "CNY",
                    "account_count": 1,
                    "level": "junior",
                    "queue": "early",
                    "priority": i % 100,
                    "treatments": [],
                    "problem_customer": False,
                    "broken_promises": 0,
                    "extra": {},
                    "opened_on": today - timedelta(days=40),
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for i in range(n)
            ],
        )
        orders = {k: v for k, v in conn.execute(sa.select(WorkOrder.customer_ref, WorkOrder.id))}
        conn.execute(
            sa.insert(WorkOrderAccount),
            [
                {
                    "work_order_id": orders[f"C{i:07d}"],
                    "account_ref": f"A{i:07d}",
                    "account_id": accounts[f"A{i:07d}"],
                    "bucket": "M2",
                    "dpd": 40,
                    "amount_due": Decimal("1900.00"),
                    "fees": Decimal("0.00"),
                    "interest": Decimal("0.00"),
                }
                for i in range(n)
            ],
        )
        conn.execute(
            sa.insert(Staff),
            [
                {
                    "code": f"S{c:04d}",
                    "name": f"催收员{c}",
                    "employment_type": "establishment",
                    "grade": "collection_officer",
                    "team_id": team_id,
                    "levels": ["junior"],
                    "languages": ["zh-CN"],
                    "regions": [],
                    "capacity": cases * 2,
                    "hire_date": date(2024, 1, 1),
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for c in range(collectors)
            ],
        )
        staff = {k: v for k, v in conn.execute(sa.select(Staff.code, Staff.id))}
        conn.execute(
            sa.insert(Assignment),
            [
                {
                    "work_order_id": orders[f"C{i:07d}"],
                    "staff_id": staff[f"S{i // cases:04d}"],
                    "level": "junior",
                    "reason": "bench",
                    "as_of": today,
                    "assigned_at": now,
                }
                for i in range(n)
            ],
        )
        password_hash = hash_password("bench-password-not-used")
        conn.execute(
            sa.insert(User),
            [
                {
                    "username": f"c{c:04d}",
                    "display_name": f"c{c:04d}",
                    "password_hash": password_hash,
                    "role": "collector",
                    "staff_id": staff[f"S{c:04d}"],
                    "locale": "zh-CN",
                    "active": True,
                    "created_at": now,
                    "password_changed_at": now,
                }
                for c in range(collectors)
            ],
        )
        users = {k: v for k, v in conn.execute(sa.select(User.username, User.id))}
        tokens = [new_token() for _ in range(collectors)]
        conn.execute(
            sa.insert(UserSession),
            [
                {
                    "token_hash": token_digest(tokens[c]),
                    "user_id": users[f"c{c:04d}"],
                    "created_at": now,
                    "last_seen_at": now,
                    "ip": "bench",
                }
                for c in range(collectors)
            ],
        )
    engine.dispose()
    return [
        {
            "token": tokens[c],
            "cases": [orders[f"C{i:07d}"] for i in range(c * cases, (c + 1) * cases)],
        }
        for c in range(collectors)
    ]


# The server's key, so the bench can sign each collector's CSRF token as the server would.
SECRET_KEY = "bench-" + "k" * 32


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ARREARS_DATABASE_URL": url, "ARREARS_LOCALE": "zh-CN"}
    env["ARREARS_SECRET_KEY"] = SECRET_KEY
    cmd = [sys.executable, "-m", "uvicorn", "arrears.web.app:serve_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    cmd += ["--log-level", "warning", "--no-access-log", "--no-proxy-headers"]
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


KINDS = (
    ("queue page", "GET"),
    ("case page", "GET"),
    ("case script", "GET"),
    ("contact post", "POST"),
    ("baseline /healthz", "GET"),
)


def _cpu_ticks() -> tuple[int, int]:
    """(total, idle) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]


def _table(stats: Any) -> list[tuple[str, int, int, float, float, float]]:
    rows = []
    for name, method in KINDS:
        e = stats.get(name, method)
        rows.append(
            (
                name,
                e.num_requests,
                e.num_failures,
                e.get_response_time_percentile(0.5),
                e.get_response_time_percentile(0.95),
                e.get_response_time_percentile(0.99),
            )
        )
    t = stats.total
    pct = t.get_response_time_percentile
    rows.append(("all", t.num_requests, t.num_failures, pct(0.5), pct(0.95), pct(0.99)))
    return rows


def _print_table(title: str, rows: list[tuple[str, int, int, float, float, float]]) -> None:
    base_p95 = next(r[4] for r in rows if r[0].startswith("baseline")) or 1
    print(f"\n{title}")
    print(
        f"{'request':<20}{'count':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'p95/base':>10}"
    )
    for name, count, errors, p50, p95, p99 in rows:
        print(
            f"{name:<20}{count:>8}{errors:>8}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}"
            f"{p95 / base_p95:>10.1f}"
        )


def run_load(
    base: str, collectors: list[dict[str, Any]], *, seconds: int, wait: float, client: str
) -> dict[str, Any]:
    """Arrival (all collectors signing on at 20/s, cold server) then the measured steady state."""
    import gevent
    from locust import HttpUser, between, task
    from locust.contrib.fasthttp import FastHttpUser
    from locust.env import Environment

    from arrears.web.security import session_csrf_token

    pool = list(collectors)
    random.Random(7).shuffle(pool)
    # geventhttpclient (FastHttpUser) costs a fraction of the CPU of requests (HttpUser) per
    # request; on a 2-core machine shared with the server and PostgreSQL that CPU is the
    # server's, so the lighter client measures the server rather than the load generator.
    user_class: Any = FastHttpUser if client == "fast" else HttpUser

    class Collector(user_class):
        host = base
        wait_time = between(wait * 0.5, wait * 1.5)

        def on_start(self) -> None:
            me = pool.pop() if pool else random.choice(collectors)
            self.cases = me["cases"]
            self.headers = {"Cookie": f"arrears_session={me['token']}"}
            # CSRF tokens are bound to the session: the one the server would put in the page.
            self.csrf = session_csrf_token(SECRET_KEY, me["token"])

        @task(3)
        def queue(self) -> None:
            self.client.get("/queue", name="queue page", headers=self.headers)

        @task(4)
        def case(self) -> None:
            case_id = random.choice(self.cases)
            self.client.get(f"/cases/{case_id}", name="case page", headers=self.headers)
            # The browser then loads the script panel (HTMX, after first paint).
            self.client.get(f"/cases/{case_id}/script", name="case script", headers=self.headers)

        @task(2)
        def contact(self) -> None:
            case_id = random.choice(self.cases)
            with self.client.post(
                f"/cases/{case_id}/contact",
                data={
                    "channel": "call",
                    "party": "debtor",
                    "outcome": random.choice(["no_answer", "right_party_contact", "busy"]),
                    "csrf_token": self.csrf,
                },
                headers=self.headers,
                name="contact post",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                location = response.headers.get("location", "") or ""
                if response.status_code != 303 or "error=" in location:
                    response.failure(f"{response.status_code} {location[:120]}")

        @task(1)
        def baseline(self) -> None:
            self.client.get("/healthz", name="baseline /healthz", headers=self.headers)

    env = Environment(user_classes=[Collector])
    runner = env.create_local_runner()
    spawn_rate = max(10, len(collectors) // 10)
    runner.start(len(collectors), spawn_rate=spawn_rate)
    # Arrival: everyone signs on, then one think time so each has settled into the loop.
    gevent.sleep(len(collectors) / spawn_rate + wait)
    arrival = _table(env.stats)
    env.stats.reset_all()
    cpu0, own0 = _cpu_ticks(), resource.getrusage(resource.RUSAGE_SELF)
    gevent.sleep(seconds)
    cpu1, own1 = _cpu_ticks(), resource.getrusage(resource.RUSAGE_SELF)
    steady = _table(env.stats)
    rps = env.stats.total.total_rps
    runner.quit()
    busy = 1 - (cpu1[1] - cpu0[1]) / max(1, cpu1[0] - cpu0[0])
    locust_cpu = (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime)
    return {
        "arrival": arrival,
        "steady": steady,
        "rps": rps,
        "busy": busy,
        "locust_cpu": locust_cpu / seconds,
        "errors": [
            f"x{e.occurrences}: {e.method} {e.name}: {e.error}" for e in env.stats.errors.values()
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collectors", type=int, default=200)
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=120, help="measured steady state (s)")
    # A collector acts every ~10 s at most: a call alone takes minutes.
    parser.add_argument("--wait", type=float, default=10.0, help="mean think time (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--client",
        choices=("fast", "requests"),
        default="fast",
        help="locust client: geventhttpclient (fast) or python-requests",
    )
    args = parser.parse_args()

    url = prepare_database()
    t0 = time.perf_counter()
    collectors = seed(url, collectors=args.collectors, cases=args.cases)
    print(
        f"seeded {args.collectors * args.cases} cases for {args.collectors} collectors "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    port = _free_port()
    server = start_server(url, port, args.workers)
    try:
        result = run_load(
            f"http://127.0.0.1:{port}",
            collectors,
            seconds=args.seconds,
            wait=args.wait,
            client=args.client,
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
        drop_database()
    server_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    setup = (
        f"{args.collectors} collectors, think time ~{args.wait} s, {args.workers} server "
        f"workers, PostgreSQL, locust client {args.client}"
    )
    _print_table(
        f"arrival (cold server, {args.collectors} sign on at 20/s): {setup}", result["arrival"]
    )
    _print_table(f"steady state, {args.seconds} s measured: {setup}", result["steady"])
    print(
        f"\nthroughput {result['rps']:.0f} req/s; machine CPU busy {result['busy']:.0%} of "
        f"{os.cpu_count()} cores; locust used {result['locust_cpu']:.0%} of a core"
    )
    print(f"peak RSS: server {server_rss:.0f} MiB, locust {own_rss:.0f} MiB")
    for line in result["errors"][:5]:
        print(f"error {line}")


if __name__ == "__main__":
    main()
