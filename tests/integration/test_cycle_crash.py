"""kill -9 of ``arrears cycle run`` after some of its stages; the rerun reaches a clean run's end
state. SQLite and PostgreSQL.

The run is a child process that SIGKILLs itself on entering a stage (the heartbeat's test hook,
``ARREARS_TEST_KILL_AT_STAGE``). The dead run is then cleared the documented way, with no other
manual step: its heartbeat goes stale (the next start marks it failed), or a team lead runs
``arrears cycle abandon``. The same command runs again, and the store (portfolio, work orders,
their accounts, the succeeded run record, the audit trail), the warehouse and the Parquet file
are compared with an uninterrupted run's by row counts and checksums (natural keys; ids, run ids
and timestamps left out).
"""

from __future__ import annotations

import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.config import get_settings
from arrears.engine.heartbeat import KILL_AT_STAGE_ENV
from arrears.engine.models import CycleRun
from arrears.kit.clock import clock
from tests.integration.import_state import arrears, end_state
from tests.integration.test_import_crash import _another_store, _backend, synth_extract
from tests.web_seed import stored_user

__all__ = ["synth_extract"]  # the module-scoped fixture, shared with the import crash tests

pytestmark = pytest.mark.slow

AS_OF = "2026-11-01"
_clean: dict[str, dict[str, Any]] = {}


def daily_loop(url: str, folder: Path, extract: Path, **kill: str) -> tuple[Path, Path, Any]:
    """Import ``extract``, then ``cycle run`` (killed at a stage if ``kill`` names one)."""
    wh, out = folder / "warehouse.duckdb", folder / "out"
    imported = arrears(url, wh, "import", "portfolio", str(extract))
    assert imported.returncode == 0, imported.stderr
    hooks = {KILL_AT_STAGE_ENV: kill["stage"]} if kill else None
    run = arrears(url, wh, "cycle", "run", "--as-of", AS_OF, "--out", str(out), hooks=hooks)
    return wh, out, run


def clean_end_state(
    request: pytest.FixtureRequest, backend: str, folder: Path, extract: Path
) -> Any:
    """What one uninterrupted import and cycle leave (once per backend)."""
    if backend not in _clean:
        folder.mkdir(parents=True, exist_ok=True)
        for url in _another_store(request, backend, folder):
            wh, out, run = daily_loop(url, folder, extract)
            assert run.returncode == 0, run.stderr
            _clean[backend] = end_state(url, wh, out)
    return _clean[backend]


def _runs(engine: Engine) -> list[CycleRun]:
    with Session(engine) as s:
        found = list(s.scalars(sa.select(CycleRun).order_by(CycleRun.id)))
        s.expunge_all()
    return found


@pytest.mark.parametrize(
    ("stage", "recovery"),
    [
        ("compute", "stale"),
        ("write", "abandon"),  # the decisions are in the warehouse, the cases not synced
        ("sync", "abandon"),  # the Parquet file is written too
    ],
)
def test_a_killed_cycle_reruns_to_the_clean_end_state(
    stage: str,
    recovery: str,
    db_url: str,
    engine: Engine,
    session: Session,
    tmp_path: Path,
    synth_extract: Path,
    request: pytest.FixtureRequest,
    cli: Any,
) -> None:
    clean = clean_end_state(request, _backend(db_url), tmp_path / "clean", synth_extract)
    wh, out, killed = daily_loop(db_url, tmp_path, synth_extract, stage=stage)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [dead] = _runs(engine)
    assert (dead.status, dead.stage) == ("running", stage)
    assert end_state(db_url, wh, out) != clean  # the kill left its mark: the rerun must mend it

    rerun = ("cycle", "run", "--as-of", AS_OF, "--out", str(out))
    assert cli(*rerun).exit_code == 1  # its heartbeat is fresh: it may be alive
    if recovery == "stale":
        beat = dead.heartbeat_at or dead.started_at
        stale = timedelta(seconds=get_settings().cycle_stale_after_seconds)
        with clock.frozen(beat + stale + timedelta(seconds=1)):
            done = cli(*rerun)
    else:
        stored_user(session, "lead", "team_lead")
        session.commit()
        cleared = cli("cycle", "abandon", str(dead.id), "--reason", "killed", "--as", "lead")
        assert cleared.exit_code == 0, cleared.stderr
        done = cli(*rerun)
    assert done.exit_code == 0, done.stderr

    assert end_state(db_url, wh, out) == clean
    assert clean["store"]["work_order"][0] > 0
    assert clean["warehouse"]["decisions"][0] == 200
    assert clean["parquet"]["decisions.parquet"][0] == 200
    first, second = _runs(engine)
    assert (first.id, first.status) == (dead.id, "failed")
    assert second.status == "succeeded"
