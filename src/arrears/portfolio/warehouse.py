"""The columnar half: the extract's tables in a DuckDB file, replaced row by row on their keys.

Writers: the importers, after the operational store has committed (or alone, ``--warehouse-only``);
an import batch is ``complete`` only once this write has committed too.
Readers: the cycle (helper E) and analytics (helper D), through :func:`connect`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from arrears.kit import duck
from arrears.kit.errors import ArrearsError
from arrears.kit.faults import crash_point
from arrears.portfolio.extract import KnownRefs, Validated
from arrears.portfolio.layout import ORDER, SQL_TYPES, TABLES

# Back-testing labels for the UCI data: never a feature, never in the operational store.
UCI_OUTCOMES_DDL = (
    "account_id VARCHAR NOT NULL, outcome_month DATE NOT NULL, defaulted BOOLEAN NOT NULL"
)
UCI_OUTCOMES_KEY = ("account_id", "outcome_month")


class WarehouseBusy(ArrearsError):
    """Another process holds the DuckDB file (DuckDB allows one writer)."""

    exit_code = 3


def table_ddl(table: str) -> str:
    """Column definitions of a warehouse table (DECIMAL money, DATE dates, SMALLINT codes)."""
    spec = TABLES[table]
    return ", ".join(
        f"{c.name} {SQL_TYPES[c.kind]}" + (" NOT NULL" if c.required else "") for c in spec.columns
    )


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file (created with its parent folder when writing)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duck.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        raise WarehouseBusy(f"warehouse {path} is in use by another process ({exc})") from exc


def ensure_tables(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Create the extract tables and ``uci_outcomes`` if they are missing."""
    for table in ORDER:
        con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} ({table_ddl(table)})")
        # A warehouse written before an optional column joined the layout gets it (empty).
        for c in TABLES[table].columns:
            if not c.required:
                con.execute(
                    f"ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS {c.name} "
                    f"{SQL_TYPES[c.kind]}"
                )
    con.execute(f"CREATE TABLE IF NOT EXISTS {schema}.uci_outcomes ({UCI_OUTCOMES_DDL})")


def _replace(
    con: duckdb.DuckDBPyConnection, target: str, source: str, keys: tuple[str, ...], cols: str
) -> int:
    match = " AND ".join(f"{target}.{k} = s.{k}" for k in keys)
    # Skip the delete on an empty table: the 10M-account first load is a plain append.
    row = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {target} LIMIT 1)").fetchone()
    if row and row[0]:
        con.execute(f"DELETE FROM {target} USING {source} s WHERE {match}")
    row = con.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {source}").fetchone()
    return int(row[0]) if row else 0


def write(validated: Validated, path: Path, *, outcomes: pa.Table | None = None) -> dict[str, int]:
    """Replace the good rows of ``validated`` (and UCI ``outcomes``) in one transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = validated.con
    quoted = str(path).replace("'", "''")
    try:
        con.execute(f"ATTACH '{quoted}' AS wh")
    except duckdb.IOException as exc:
        raise WarehouseBusy(f"warehouse {path} is in use by another process ({exc})") from exc
    written: dict[str, int] = {}
    try:
        con.execute("BEGIN TRANSACTION")
        ensure_tables(con, "wh")
        for table in validated.tables:
            cols = ", ".join(TABLES[table].column_names)
            written[table] = _replace(con, f"wh.{table}", f"ok_{table}", TABLES[table].key, cols)
        if outcomes is not None:
            con.register("uci_outcomes_in", outcomes)
            _replace(
                con,
                "wh.uci_outcomes",
                "uci_outcomes_in",
                UCI_OUTCOMES_KEY,
                "account_id, outcome_month, defaulted",
            )
            written["uci_outcomes"] = outcomes.num_rows
        crash_point("before_warehouse_commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DETACH wh")
    return written


def counts(path: Path) -> dict[str, int]:
    """Row counts of the warehouse tables (empty when the file does not exist yet)."""
    if not path.exists():
        return {}
    con = connect(path, read_only=True)
    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        result: dict[str, int] = {}
        for table in (*ORDER, "uci_outcomes"):
            if table in names:
                row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
                result[table] = int(row[0]) if row else 0
        return result
    finally:
        con.close()


def known_refs(path: Path) -> KnownRefs:
    """A ``known_refs`` callback answering from the warehouse (for ``--warehouse-only``)."""

    def lookup(table: str, refs: list[str]) -> set[str]:
        if not path.exists() or not refs:
            return set()
        con = connect(path, read_only=True)
        try:
            exists = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
            ).fetchone()
            if not exists or not exists[0]:
                return set()
            key = TABLES[table].key[0]
            con.register("wanted", pa.table({"ref": pa.array(refs, pa.string())}))
            return {
                r[0]
                for r in con.execute(
                    f"SELECT {key} FROM {table} WHERE {key} IN (SELECT ref FROM wanted)"
                ).fetchall()
            }
        finally:
            con.close()

    return lookup
