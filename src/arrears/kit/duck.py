"""DuckDB connections as the platform opens them."""

from __future__ import annotations

from pathlib import Path

import duckdb


def connect(
    database: str | Path = ":memory:", *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that prints nothing of its own."""
    con = duckdb.connect(str(database), read_only=read_only)
    # DuckDB draws a progress bar on the process's stdout (fd 1, whatever it is) for any query
    # that runs over 2 s. On a loaded machine that landed inside `simulate --json`'s output and
    # broke it. Both settings: the bar's own (cursors inherit it) and its printing (which stays
    # off even if something later sets a bar threshold, as that turns the bar back on).
    con.execute("SET enable_progress_bar = false")
    con.execute("SET enable_progress_bar_print = false")
    return con
