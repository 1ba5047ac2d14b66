"""Where the cycle's plan runs: DuckDB (the warehouse file itself) or Spark (local or a cluster).

Both compute the same Ibis expression and leave the decisions in the warehouse table
``decisions`` (rows of one as-of date replaced), which the later stages read. The plan takes the
as-of date from the backend (``materialize`` hands it to the plan's builder): on DuckDB it is a
session variable set before the statement runs, so the compiled SQL does not depend on the date
and is compiled once per strategy and fee schedule, not every night.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from arrears.engine.columnar import Snapshot
from arrears.engine.stages import DECISION_COLUMNS, DECISIONS_DDL
from arrears.kit.errors import BadInput
from arrears.portfolio import warehouse as wh

SNAPSHOT_TABLES = ("cardholders", "accounts", "statements", "payments", "delinquency")
ENGINES = ("duckdb", "spark")
_SQL_CACHE: dict[Hashable, str] = {}
AS_OF_VARIABLE = "arrears_cycle_as_of"
PlanBuilder = Callable[[ir.DateValue], ir.Table]  # the as-of date (an expression) -> decisions


@ibis.udf.scalar.builtin(name="getvariable")
def _getvariable(name: str) -> dt.date:
    """DuckDB's ``getvariable``: bound (folded to a constant) when the statement is planned."""


class Backend(Protocol):
    name: str

    def snapshot(self) -> Snapshot: ...

    def live_cases(self, table: pa.Table) -> ir.Table: ...

    def model_scores(self, table: pa.Table) -> ir.Table: ...

    def materialize(self, build: PlanBuilder, *, as_of: date, key: Hashable = None) -> int: ...


def ensure_decisions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS decisions ({DECISIONS_DDL})")
    # A warehouse written before experiments recorded their population gains the columns
    # (older rows: NULL, in no measured population).
    con.execute("ALTER TABLE decisions ADD COLUMN IF NOT EXISTS test VARCHAR")
    con.execute("ALTER TABLE decisions ADD COLUMN IF NOT EXISTS in_test BOOLEAN")


def _check_tables(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    missing = [t for t in SNAPSHOT_TABLES if t not in names]
    if missing:
        raise BadInput(
            f"warehouse {warehouse} has no {', '.join(missing)}: import a portfolio first "
            "(arrears import uci PATH, or arrears import portfolio DIR)"
        )


def _replace_decisions(con: duckdb.DuckDBPyConnection, source_sql: str, as_of: date) -> int:
    cols = ", ".join(DECISION_COLUMNS)
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_decisions(con)
        con.execute("DELETE FROM decisions WHERE as_of = ?", [as_of])
        con.execute(f"INSERT INTO decisions ({cols}) SELECT {cols} FROM ({source_sql})")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    row = con.execute("SELECT count(*) FROM decisions WHERE as_of = ?", [as_of]).fetchone()
    return int(row[0]) if row else 0


class DuckDBBackend:
    """Runs the plan inside the warehouse file: no data leaves DuckDB."""

    name = "duckdb"

    def __init__(self, warehouse: Path, *, memory_limit: str | None = None) -> None:
        if not warehouse.exists():
            raise BadInput(f"no warehouse at {warehouse}: import a portfolio first")
        self.warehouse = warehouse
        self.con: duckdb.DuckDBPyConnection = wh.connect(warehouse)
        if memory_limit:
            # Bounded memory: joins, windows and sorts spill to <warehouse>.tmp beyond it.
            self.con.execute("SET memory_limit = ?", [memory_limit])
        self.ibis = ibis.duckdb.from_connection(self.con)
        _check_tables(self.con, warehouse)

    def snapshot(self) -> Snapshot:
        return Snapshot(*(self.ibis.table(t) for t in SNAPSHOT_TABLES))

    def live_cases(self, table: pa.Table) -> ir.Table:
        self.con.register("cycle_live_cases", table)
        return self.ibis.table("cycle_live_cases")

    def model_scores(self, table: pa.Table) -> ir.Table:
        self.con.register("model_scores", table)
        return self.ibis.table("model_scores")

    def materialize(self, build: PlanBuilder, *, as_of: date, key: Hashable = None) -> int:
        # Building and compiling the plan costs seconds; the SQL only names tables and reads the
        # date from a variable, so every run with the same key (strategy, fee schedule) reuses it.
        sql = _SQL_CACHE.get(key) if key is not None else None
        if sql is None:
            # Named: Ibis cannot derive a column name from a builtin call on a literal.
            day = _getvariable(AS_OF_VARIABLE).name("as_of")
            sql = str(ibis.to_sql(build(day), dialect="duckdb"))
            if key is not None:
                _SQL_CACHE[key] = sql
        self.con.execute(f"SET VARIABLE {AS_OF_VARIABLE} = ?", [as_of])
        return _replace_decisions(self.con, sql, as_of)

    def close(self) -> None:
        self.con.close()


@lru_cache(maxsize=2)
def spark_session(master: str) -> Any:
    """One SparkSession per process (a JVM start costs seconds), sized for small machines."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(master)
        .appName("arrears-cycle")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkBackend:
    """Runs the plan on Spark: the snapshot goes over as Parquet, decisions come back as Parquet.

    On a cluster, point ``ARREARS_SPARK_MASTER`` at it and put ``ARREARS_SPARK_STAGING`` (a
    shared folder) so executors can read the snapshot files (docs/cycle.md).
    """

    name = "spark"

    def __init__(self, warehouse: Path, *, master: str, staging: Path | None = None) -> None:
        if not warehouse.exists():
            raise BadInput(f"no warehouse at {warehouse}: import a portfolio first")
        self.warehouse = warehouse
        self._own_tmp = staging is None
        self.tmp = Path(tempfile.mkdtemp(prefix="arrears-spark-")) if staging is None else staging
        self.tmp.mkdir(parents=True, exist_ok=True)
        con = wh.connect(warehouse, read_only=True)
        try:
            _check_tables(con, warehouse)
            for t in SNAPSHOT_TABLES:
                path = str(self.tmp / f"{t}.parquet").replace("'", "''")
                con.execute(f"COPY {t} TO '{path}' (FORMAT PARQUET)")
        finally:
            con.close()
        self.session = spark_session(master)
        self.ibis = ibis.pyspark.connect(self.session)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            *(
                self.ibis.read_parquet(str(self.tmp / f"{t}.parquet"), table_name=f"wh_{t}")
                for t in SNAPSHOT_TABLES
            )
        )

    def live_cases(self, table: pa.Table) -> ir.Table:
        path = self.tmp / "live_cases.parquet"
        import pyarrow.parquet as pq

        pq.write_table(table, path)
        return self.ibis.read_parquet(str(path), table_name="cycle_live_cases")

    def model_scores(self, table: pa.Table) -> ir.Table:
        # Staged beside the snapshot files, so cluster executors read it the same way.
        path = self.tmp / "model_scores.parquet"
        import pyarrow.parquet as pq

        pq.write_table(table, path)
        return self.ibis.read_parquet(str(path), table_name="model_scores")

    def materialize(self, build: PlanBuilder, *, as_of: date, key: Hashable = None) -> int:
        expr = build(ibis.literal(as_of, type="date"))
        out = self.tmp / "decisions"
        if out.exists():
            shutil.rmtree(out)
        self.ibis.to_parquet_dir(expr, str(out))
        pattern = str(out / "*.parquet").replace("'", "''")
        con = wh.connect(self.warehouse)
        try:
            return _replace_decisions(con, f"SELECT * FROM read_parquet('{pattern}')", as_of)
        finally:
            con.close()

    def close(self) -> None:
        if self._own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def check_engine(name: str) -> str:
    """``BadInput`` for an engine this build does not know (before any run record is written)."""
    if name not in ENGINES:
        raise BadInput(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
    return name


@contextmanager
def open_backend(
    name: str, warehouse: Path, *, spark_master: str, memory_limit: str | None = None
) -> Iterator[Backend]:
    check_engine(name)
    backend: DuckDBBackend | SparkBackend
    backend = (
        DuckDBBackend(warehouse, memory_limit=memory_limit)
        if name == "duckdb"
        else SparkBackend(warehouse, master=spark_master)
    )
    try:
        yield backend
    finally:
        backend.close()
