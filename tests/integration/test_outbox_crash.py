"""kill -9 of the outbox relay mid-pass: the rerun hands nothing to the gateway twice.

The relay (`arrears cases send-outbox`) runs as a child process that SIGKILLs itself right after
the gateway took its Nth message, before its transaction records any of them
(``ARREARS_TEST_CRASH_AT=outbox_after_hand_over:N``, arrears.kit.faults). Then it runs again, and
the spool the SMS gateway collects is counted: every greeting once, none twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.channels.models import OutboxMessage
from arrears.contacts import outbox_service
from arrears.kit.clock import clock
from arrears.kit.faults import CRASH_AT
from tests.integration.test_cases_workflow import SPRING_EVE, seed

pytestmark = pytest.mark.slow

CUSTOMERS = 12
CRASH_AFTER = 5  # the gateway took 5 of 12 when the relay died
TEN = datetime(2026, 2, 16, 2, tzinfo=UTC)  # 10:00 in Shanghai, Spring Festival eve
# The relay as the CLI runs it, in its own process, with the clock at 10:00 Shanghai.
RELAY = (
    "import sys\n"
    "from datetime import datetime\n"
    "from arrears.kit.clock import clock\n"
    "clock.freeze(datetime.fromisoformat(sys.argv[1]))\n"
    "from arrears.cli.main import run\n"
    "raise SystemExit(run(sys.argv[2:]))\n"
)


def _queue(engine: Engine) -> None:
    with Session(engine) as setup:
        for n in range(CUSTOMERS):
            seed(setup, ref=f"C{n}")
    with clock.frozen(SPRING_EVE), Session(engine) as s:
        queued = outbox_service.queue_courtesy_greetings(
            session=s, on=date(2026, 2, 16), actor="t"
        ).queued
        assert len(queued) == CUSTOMERS
        s.commit()


def _relay(
    db_url: str, spool: Path, crash_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    env["ARREARS_DATABASE_URL"] = db_url
    if crash_at:
        env[CRASH_AT] = crash_at
    return subprocess.run(
        [sys.executable, "-c", RELAY, TEN.isoformat(), "cases", "send-outbox"]
        + ["--spool", str(spool), "--json"],
        env=env,
        cwd=spool.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _handed(spool: Path) -> Counter[str]:
    """How many times the gateway was handed each message (by its dedupe key)."""
    keys: Counter[str] = Counter()
    for path in sorted(spool.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            keys[json.loads(line)["dedupe_key"]] += 1
    return keys


def test_a_relay_killed_mid_pass_hands_nothing_twice(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _queue(engine)
    spool = tmp_path / "spool"
    crashed = _relay(db_url, spool, crash_at=f"outbox_after_hand_over:{CRASH_AFTER}")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert sum(_handed(spool).values()) == CRASH_AFTER  # taken by the gateway, not recorded
    with Session(engine) as s:
        assert set(s.scalars(sa.select(OutboxMessage.status))) == {"queued"}

    rerun = _relay(db_url, spool)
    assert rerun.returncode == 0, rerun.stderr
    handed = _handed(spool)
    duplicates = sum(n - 1 for n in handed.values())
    assert duplicates == 0, handed
    assert len(handed) == CUSTOMERS
    with Session(engine) as s:
        rows = s.execute(sa.select(OutboxMessage.status, OutboxMessage.provider_ref)).all()
    assert {status for status, _ in rows} == {"sent"}
    assert all(ref for _, ref in rows)
    # A third pass finds nothing to do.
    assert json.loads(_relay(db_url, spool).stdout)["sent"] == 0
