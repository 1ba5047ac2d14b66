"""A command that fails validation writes no run record and no audit event: an unknown engine,
a day after the center's today (cycle and allocation), an unknown strategy, an unknown acting
user. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.kit.clock import center_today
from tests.integration.test_cycle_sync import cycle_env  # noqa: F401

Cli = Callable[..., Any]


def _written(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        return tuple(  # type: ignore[return-value]
            int(s.scalar(sa.select(sa.func.count()).select_from(m)) or 0)
            for m in (CycleRun, AuditEvent, WorkOrder)
        )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--engine", "oracle"), 2, "unknown engine 'oracle': choose one of duckdb, spark"),
        (("--strategy", "no-such-strategy"), 2, "no-such-strategy"),
        (("--as", "ghost"), 2, "--as: no user 'ghost' in the store"),
    ],
)
def test_a_refused_cycle_run_writes_nothing(
    cycle_env: Path,  # noqa: F811
    engine: Engine,
    cli: Cli,
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    res = cli("cycle", "run", "--as-of", "2026-03-01", *args)
    assert res.exit_code == code, res.stderr
    assert message in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert _written(engine) == (0, 0, 0)


def test_a_cycle_for_a_day_after_today_is_refused(
    cycle_env: Path,  # noqa: F811
    engine: Engine,
    cli: Cli,
) -> None:
    today = center_today()
    for day in (today + timedelta(days=1), today.replace(year=2099, month=1, day=1)):
        res = cli("cycle", "run", "--as-of", day.isoformat())
        assert res.exit_code == 1, res.stderr
        assert f"the cycle's as-of date: {day} is after today ({today})" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
    assert _written(engine) == (0, 0, 0)
    assert cli("cycle", "run", "--as-of", "2026-03-01").exit_code == 0  # a past day still runs


def test_an_allocation_for_a_day_after_today_is_refused(
    env: Path, engine: Engine, cli: Cli
) -> None:
    today = center_today()
    res = cli("allocate", "--as-of", "2099-01-01")
    assert res.exit_code == 1
    # The service refuses (CLI, API and simulator alike), in its own words.
    assert f"the allocation's as-of date: 2099-01-01 is after today ({today})" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert _written(engine) == (0, 0, 0)
    assert cli("allocate", "--as-of", today.isoformat(), "--json").exit_code == 0
