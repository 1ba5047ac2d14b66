"""kill -9 of an import at every point between the two stores; the rerun reaches the clean outcome.

The CLI runs as a child process that SIGKILLs itself at a named point (``ARREARS_TEST_CRASH_AT``,
arrears.kit.faults): no rollback, no ``finally``. Then the same command runs again, without
``--force``, and the store and the warehouse are compared with a clean run's by row counts and
checksums of the key tables (natural keys, not surrogate ids).
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from arrears.kit.db import make_engine
from arrears.kit.faults import IMPORT_POINTS
from arrears.portfolio.synth import synth
from tests.conftest import _fresh_pg
from tests.integration.import_state import (
    arrears,
    audit_actions,
    batch_states,
    store_state,
    warehouse_state,
)
from tests.unit.test_import_extract import minimal, write_extract

pytestmark = pytest.mark.slow

AS_OF = "2026-11-01"
# Where each point leaves the batch: before the store commits it is still loading.
LEFT_IN = {
    "after_batch_open": "loading",
    "before_store_commit": "loading",
    "after_store_commit": "store_done",
    "before_warehouse_commit": "store_done",
    "after_warehouse_commit": "store_done",
}
Outcome = tuple[dict[str, Any], dict[str, Any], list[str]]
_clean: dict[tuple[str, tuple[str, ...]], Outcome] = {}


@pytest.fixture(scope="module")
def synth_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 generated accounts, every extract table, as CSV."""
    out = tmp_path_factory.mktemp("synth") / "extract"
    synth(accounts=200, seed=11, out=out, as_of=date.fromisoformat(AS_OF), fmt="csv")
    return out


@pytest.fixture(scope="module")
def small_uci(tmp_path_factory: pytest.TempPathFactory, uci_csv: Path) -> Path:
    """The first 300 clients of the real UCI file, same layout."""
    path = tmp_path_factory.mktemp("uci") / "uci_300.csv"
    with uci_csv.open(newline="") as src, path.open("w", newline="") as dst:
        rows = csv.reader(src)
        out = csv.writer(dst)
        for n, row in enumerate(rows):
            if n > 300:
                break
            out.writerow(row)
    return path


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


def _another_store(request: pytest.FixtureRequest, backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = folder / "arrears.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _fresh_pg(request.getfixturevalue("pg_template"))


def clean_outcome(
    request: pytest.FixtureRequest, backend: str, folder: Path, args: tuple[str, ...]
) -> Outcome:
    """The store, warehouse and audit trail one uninterrupted run leaves (once per backend)."""
    key = (backend, args)
    if key not in _clean:
        folder.mkdir(parents=True, exist_ok=True)
        for url in _another_store(request, backend, folder):
            wh = folder / "warehouse.duckdb"
            done = arrears(url, wh, *args)
            assert done.returncode == 0, done.stderr
            _clean[key] = (store_state(url), warehouse_state(wh), audit_actions(url))
    return _clean[key]


def crash_and_rerun(
    db_url: str, wh: Path, args: tuple[str, ...], point: str
) -> tuple[Outcome, dict[str, Any]]:
    crashed = arrears(db_url, wh, *args, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert batch_states(db_url) == [LEFT_IN[point]]  # the crash is visible in the store
    rerun = arrears(db_url, wh, *args, "--json")
    assert rerun.returncode == 0, rerun.stderr
    outcome = json.loads(rerun.stdout)
    return (store_state(db_url), warehouse_state(wh), audit_actions(db_url)), outcome


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_portfolio_import_killed_reruns_to_the_clean_outcome(
    point: str,
    db_url: str,
    tmp_path: Path,
    synth_extract: Path,
    request: pytest.FixtureRequest,
    cli: Any,
) -> None:
    args = ("import", "portfolio", str(synth_extract))
    clean = clean_outcome(request, _backend(db_url), tmp_path / "clean", args)
    after, outcome = crash_and_rerun(db_url, tmp_path / "warehouse.duckdb", args, point)
    assert outcome["resumed"] == LEFT_IN[point]
    assert outcome["state"] == "complete"
    assert after == clean
    assert clean[0]["payment"][0] > 0
    assert clean[1]["payments"][0] > 0
    assert clean[2] == ["portfolio.import", "portfolio.import.complete"]
    again = cli(*args)  # in process, against the same store and warehouse
    assert again.exit_code == 0
    assert "already imported" in again.stdout


@pytest.mark.realdata
@pytest.mark.parametrize(
    "point", ["before_store_commit", "after_store_commit", "before_warehouse_commit"]
)
def test_uci_import_killed_reruns_to_the_clean_outcome(
    point: str, db_url: str, tmp_path: Path, small_uci: Path, request: pytest.FixtureRequest
) -> None:
    args = ("import", "uci", str(small_uci))
    clean = clean_outcome(request, _backend(db_url), tmp_path / "clean", args)
    after, outcome = crash_and_rerun(db_url, tmp_path / "warehouse.duckdb", args, point)
    assert outcome["resumed"] == LEFT_IN[point]
    assert after == clean
    assert clean[1]["uci_outcomes"][0] == 300  # the label, only in the warehouse, came back too


def test_the_cycle_runs_after_a_recovered_import(
    db_url: str, tmp_path: Path, synth_extract: Path
) -> None:
    wh = tmp_path / "warehouse.duckdb"
    args = ("import", "portfolio", str(synth_extract))
    assert arrears(db_url, wh, *args, crash_at="after_store_commit").returncode == -signal.SIGKILL
    assert arrears(db_url, wh, *args).returncode == 0
    cycle = arrears(db_url, wh, "cycle", "run", "--as-of", AS_OF, "--json")
    assert cycle.returncode == 0, cycle.stderr
    assert json.loads(cycle.stdout)["accounts"] == 200


def test_a_stranded_batch_blocks_other_imports_until_it_is_finished(
    db_url: str, tmp_path: Path, synth_extract: Path, cli: Any
) -> None:
    """A newer file must not reach the warehouse before an older one stranded in between."""
    wh = tmp_path / "warehouse.duckdb"
    older = ("import", "portfolio", str(synth_extract))
    assert arrears(db_url, wh, *older, crash_at="after_store_commit").returncode == -signal.SIGKILL
    before = store_state(db_url)
    newer = write_extract(tmp_path / "newer", minimal())
    refused = cli("import", "portfolio", str(newer))
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    assert "import batch 1" in said
    assert "rerun that import first" in said
    assert store_state(db_url) == before
    assert cli(*older).exit_code == 0
    assert cli("import", "portfolio", str(newer)).exit_code == 0
    assert batch_states(db_url) == ["complete", "complete"]


@pytest.mark.postgres
def test_a_rerun_does_not_take_over_a_batch_a_live_process_is_loading(
    db_url: str, tmp_path: Path, cli: Any
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL (SQLite has one writer, the busy timeout applies)")
    folder = write_extract(tmp_path / "x", minimal())
    wh = tmp_path / "warehouse.duckdb"
    args = ("import", "portfolio", str(folder))
    assert arrears(db_url, wh, *args, crash_at="after_batch_open").returncode == -signal.SIGKILL
    engine = make_engine(db_url)
    try:
        with engine.connect() as holder:  # stands in for a process still loading batch 1
            holder.execute(sa.text("SELECT id FROM import_batch WHERE id = 1 FOR UPDATE"))
            busy = cli(*args)
            holder.rollback()
        assert busy.exit_code == 1
        assert "being loaded by another process" in " ".join(busy.stderr.split())
        assert batch_states(db_url) == ["loading"]
        assert cli(*args).exit_code == 0  # the holder is gone: the rerun finishes the batch
        assert batch_states(db_url) == ["complete"]
    finally:
        engine.dispose()
