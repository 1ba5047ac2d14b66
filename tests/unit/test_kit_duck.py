"""DuckDB prints nothing of its own: its progress bar went to fd 1 inside `simulate --json`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from arrears.analytics import repository as analytics_repo
from arrears.kit import duck
from arrears.portfolio import extract, warehouse

# Long enough to pass a 1 ms progress-bar threshold on any machine.
SLOW = "SELECT sum(a * b) FROM range(100000000) t(a), (SELECT 1 b)"


def _bar_setting(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "SELECT value FROM duckdb_settings() WHERE name = 'enable_progress_bar'"
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_a_plain_connection_draws_its_bar_on_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    """The control: what the platform's connections must not do."""
    con = duckdb.connect()
    con.execute("SET progress_bar_time = 1")
    con.execute(SLOW).fetchall()
    assert "100%" in capfd.readouterr().out


def test_the_platforms_connection_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    con = duck.connect()
    con.execute("SET progress_bar_time = 1")  # this also turns the bar itself back on
    con.execute(SLOW).fetchall()
    assert capfd.readouterr().out == ""


def test_every_place_that_opens_duckdb_goes_through_it(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = warehouse.connect(path)
    assert _bar_setting(con) == "false"
    con.close()
    with analytics_repo.warehouse(path) as ro:
        assert _bar_setting(ro) == "false"
    with analytics_repo.frames_as_tables({}) as mem:
        assert _bar_setting(mem) == "false"
    assert _bar_setting(extract.new_connection()) == "false"
    src = Path(duck.__file__).parents[1]
    opened = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if "duckdb.connect(" in p.read_text(encoding="utf-8")
    ]
    assert opened == ["kit/duck.py"]
