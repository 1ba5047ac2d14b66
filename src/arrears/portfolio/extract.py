"""The bank's extract: its layout, and row-by-row validation done set-wise in DuckDB.

Every file of a folder becomes a DuckDB view ``src_<table>`` with a ``_row`` column (1 = the first
data row). Each rule is one query that returns the offending rows (row, column, reason), so a file
of millions of rows is checked in seconds and every bad row is named. The good rows are exposed as
typed views ``ok_<table>``; the loaders (operational store, warehouse) read only those.
"""

from __future__ import annotations

import csv
import hashlib
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from arrears.kit import duck
from arrears.kit.errors import BadInput
from arrears.kit.textfile import first_line, not_utf8
from arrears.portfolio.layout import ORDER, ROW_RULES, SQL_TYPES, TABLES, Column, TableSpec


@dataclass(frozen=True)
class RowError:
    table: str
    row: int  # 1 = first data row; 0 = the file as a whole
    column: str
    reason: str
    value: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.table,
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
            "value": self.value,
        }


# A callback asking the target store which of these parent keys it already holds.
KnownRefs = Callable[[str, list[str]], set[str]]


@dataclass
class Validated:
    """The outcome of validation: a DuckDB connection holding ``ok_<table>`` views."""

    con: duckdb.DuckDBPyConnection
    tables: tuple[str, ...]
    files: dict[str, str]
    sha256: str
    errors: list[RowError] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)

    def ok_count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM ok_{table}").fetchone()
        return int(row[0]) if row else 0

    def counts(self) -> dict[str, int]:
        return {t: self.ok_count(t) for t in self.tables}

    def batches(self, table: str, size: int = 20_000) -> Iterable[pa.RecordBatch]:
        """The good rows of ``table`` in file order, as typed Arrow batches."""
        cols = ", ".join(TABLES[table].column_names)
        reader = self.con.execute(f"SELECT {cols} FROM ok_{table} ORDER BY _row").to_arrow_reader(
            size
        )
        yield from reader

    def close(self) -> None:
        self.con.close()


def find_files(folder: Path) -> dict[str, Path]:
    """The extract's files by table name; unknown or doubled names are refused."""
    if not folder.is_dir():
        raise BadInput(f"not a folder: {folder}")
    found: dict[str, Path] = {}
    strays: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        stem, suffix = path.stem, path.suffix.lower()
        if suffix not in (".csv", ".parquet") or stem not in TABLES:
            strays.append(path.name)
            continue
        if stem in found:
            raise BadInput(f"{folder}: both {found[stem].name} and {path.name}; keep one")
        found[stem] = path
    if strays:
        names = ", ".join(f"{t}.csv|.parquet" for t in TABLES)
        raise BadInput(f"{folder}: unexpected file(s) {', '.join(strays)}; expected {names}")
    if not found:
        raise BadInput(f"{folder}: no extract files (expected e.g. accounts.csv)")
    return found


def hash_files(files: dict[str, Path]) -> str:
    """One sha256 over the files' names and bytes: the identity of an import."""
    digest = hashlib.sha256()
    for table in sorted(files):
        digest.update(files[table].name.encode())
        with files[table].open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def new_connection() -> duckdb.DuckDBPyConnection:
    con = duck.connect()
    # Big extracts spill to disk rather than failing; keep the spill out of the working folder.
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/arrears_duckdb'")
    con.execute("SET preserve_insertion_order = true")
    return con


def _register_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    if not header:
        raise BadInput(f"{path.name}: empty file (a header row is required)")
    try:
        # Every column as text: the types are checked below, naming the row and the column.
        data = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path.name}: cannot read as CSV ({first_line(exc)})") from None
    data = data.append_column("_row", pa.array(range(1, data.num_rows + 1), pa.int64()))
    con.register(f"arrow_{table}", data)
    con.execute(f"CREATE OR REPLACE TEMP VIEW src_{table} AS SELECT * FROM arrow_{table}")
    return [n for n in data.column_names if n != "_row"]


def _register_parquet(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> list[str]:
    quoted = str(path).replace("'", "''")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW src_{table} AS SELECT * EXCLUDE (file_row_number), "
            f"file_row_number + 1 AS _row FROM read_parquet('{quoted}', file_row_number = true)"
        )
        names = [r[0] for r in con.execute(f"DESCRIBE src_{table}").fetchall()]
    except duckdb.Error as exc:
        raise BadInput(f"{path.name}: not a readable Parquet file ({first_line(exc)})") from None
    return [n for n in names if n != "_row"]


def _register_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> list[str]:
    data = data.append_column("_row", pa.array(range(1, data.num_rows + 1), pa.int64()))
    con.register(f"arrow_{table}", data)
    con.execute(f"CREATE OR REPLACE TEMP VIEW src_{table} AS SELECT * FROM arrow_{table}")
    return [n for n in data.column_names if n != "_row"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(col: str) -> str:
    return f"NULLIF(trim(CAST({_q(col)} AS VARCHAR)), '')"


_NUMBER = r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?"
_LIMITS = {"money": "1e16", "ratio": "100", "int": "32768"}
_SCALES = {"money": 2, "ratio": 4, "int": 0}


def _typed(col: Column, source_type: str) -> str:
    """SQL turning the source column into its type (NULL when it does not parse)."""
    if col.kind in ("str", "list"):
        return _text(col.name)
    value = _text(col.name) if not _native(col, source_type) else _q(col.name)
    return f"TRY_CAST({value} AS {SQL_TYPES[col.kind]})"


def _native(col: Column, source_type: str) -> bool:
    """Whether a typed source (Parquet, Arrow) already holds the column in a usable type."""
    if col.kind == "date":
        return source_type == "DATE"
    if col.kind in ("money", "ratio", "int"):
        return source_type.startswith(("DECIMAL", "TINYINT", "SMALLINT", "INTEGER", "BIGINT"))
    return False


def _column_checks(spec: TableSpec, types: dict[str, str]) -> list[tuple[str, str, str]]:
    """(column, SQL condition selecting bad rows, reason) for each column rule.

    Text is checked with regular expressions before any cast (a DECIMAL(38, x) cast of text is
    very slow in DuckDB); typed Parquet columns skip the format checks.
    """
    checks: list[tuple[str, str, str]] = []
    for col in spec.columns:
        if col.name not in types:
            continue
        raw = _text(col.name)
        native = _native(col, types[col.name])
        if col.required:
            checks.append((col.name, f"{_q(col.name) if native else raw} IS NULL", "required"))
        if col.kind == "date" and not native:
            checks.append(
                (
                    col.name,
                    f"{raw} IS NOT NULL AND (NOT regexp_full_match({raw}, "
                    f"'[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') OR TRY_CAST({raw} AS DATE) IS NULL)",
                    "not a date (YYYY-MM-DD)",
                )
            )
        elif col.kind in ("money", "ratio", "int"):
            scale = _SCALES[col.kind]
            what = "a whole number" if col.kind == "int" else "an amount"
            if native:
                value = _q(col.name)
                checks.append(
                    (
                        col.name,
                        f"{value} <> round({value}, {scale})",
                        f"more than {scale} decimal places" if scale else f"not {what}",
                    )
                )
            else:
                pattern = "[+-]?[0-9]+" if col.kind == "int" else _NUMBER
                checks.append(
                    (
                        col.name,
                        f"{raw} IS NOT NULL AND NOT regexp_full_match({raw}, '{pattern}')",
                        f"not {what}",
                    )
                )
                if scale:
                    checks.append(
                        (
                            col.name,
                            f"regexp_full_match({raw}, '[+-]?[0-9]*[.][0-9]{{{scale}}}0*[1-9]"
                            "[0-9]*')",
                            f"more than {scale} decimal places",
                        )
                    )
                value = f"TRY_CAST({raw} AS DOUBLE)"
            checks.append((col.name, f"abs({value}) >= {_LIMITS[col.kind]}", "out of range"))
            if col.low is not None and col.high is not None:
                checks.append(
                    (
                        col.name,
                        f"{value} < {col.low} OR {value} > {col.high}",
                        f"must be between {col.low} and {col.high}",
                    )
                )
        if col.enum is not None:
            allowed = ", ".join(col.enum)
            in_list = ", ".join("'" + v + "'" for v in col.enum)
            checks.append((col.name, f"{raw} NOT IN ({in_list})", f"not one of: {allowed}"))
        if col.max_len is not None:
            checks.append(
                (col.name, f"length({raw}) > {col.max_len}", f"longer than {col.max_len}")
            )
        if col.pattern is not None:
            checks.append(
                (
                    col.name,
                    f"NOT regexp_full_match({raw}, '{col.pattern}')",
                    col.pattern_reason or f"does not match {col.pattern}",
                )
            )
    return checks


def validate(
    sources: dict[str, Path | pa.Table],
    *,
    sha256: str,
    known_refs: KnownRefs | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Validated:
    """Check every row of every table; good rows end up in the ``ok_<table>`` views.

    ``known_refs`` lets child rows refer to parents the target store already holds (an
    incremental extract of payments only, say).
    """
    con = new_connection()
    tables = tuple(t for t in ORDER if t in sources)
    files = {
        t: (str(s) if isinstance(s, Path) else f"<{t}>") for t, s in sources.items() if t in TABLES
    }
    result = Validated(con=con, tables=tables, files=files, sha256=sha256)
    con.execute(
        "CREATE TEMP TABLE errors (tbl VARCHAR, _row BIGINT, col VARCHAR, reason VARCHAR, "
        "value VARCHAR)"
    )
    file_errors: list[RowError] = []
    for table in tables:
        if on_progress:
            on_progress(table)
        try:
            errors, result.rows_read[table] = _validate_table(
                con, table, sources[table], known_refs, tables
            )
        except (duckdb.InvalidInputException, duckdb.IOException) as exc:
            # A Parquet file whose footer reads but whose pages do not (truncated, corrupted).
            con.close()
            name = Path(files.get(table, table)).name
            raise BadInput(f"{name}: not a readable Parquet file ({first_line(exc)})") from None
        file_errors += errors
    result.errors = file_errors + [
        RowError(tbl, int(r), col, reason, value)
        for tbl, r, col, reason, value in con.execute(
            "SELECT tbl, _row, col, reason, value FROM errors ORDER BY tbl, _row, col"
        ).fetchall()
    ]
    return result


def _validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: Path | pa.Table,
    known_refs: KnownRefs | None,
    tables: tuple[str, ...],
) -> tuple[list[RowError], int]:
    """Register one table's source and check its rows: its file-level errors, rows read."""
    if isinstance(source, pa.Table):
        names = _register_arrow(con, table, source)
    elif source.suffix.lower() == ".csv":
        names = _register_csv(con, table, source)
    else:
        names = _register_parquet(con, table, source)
    spec = TABLES[table]
    present = set(names)
    file_errors = [
        RowError(table, 0, extra, "unknown column")
        for extra in sorted(present - set(spec.column_names))
    ]
    for col in spec.columns:
        if col.required and col.name not in present:
            file_errors.append(RowError(table, 0, col.name, "required column missing"))
    row = con.execute(f"SELECT count(*) FROM src_{table}").fetchone()
    types = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE src_{table}").fetchall()}
    _check_table(con, spec, {k: v for k, v in types.items() if k in spec.column_names})
    _check_duplicates(con, spec)
    _check_parent(con, spec, known_refs, tables)
    return file_errors, int(row[0]) if row else 0


def _report(
    con: duckdb.DuckDBPyConnection, t: str, source: str, checks: list[tuple[str, str, str]]
) -> None:
    """Insert one error per failed check. One scan of ``source`` finds the suspect rows first,
    so clean data costs a single pass however many rules there are."""
    if not checks:
        return
    any_bad = " OR ".join(f"coalesce(({cond}), false)" for _, cond, _ in checks)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE suspect_{t} AS SELECT * FROM {source} WHERE {any_bad}"
    )
    row = con.execute(f"SELECT count(*) FROM suspect_{t}").fetchone()
    if not row or not row[0]:
        return
    for column, condition, reason in checks:
        con.execute(
            f"INSERT INTO errors SELECT '{t}', _row, '{column}', ?, "
            f"CAST({_q(column)} AS VARCHAR) FROM suspect_{t} WHERE {condition}",
            [reason],
        )


def _check_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, types: dict[str, str]) -> None:
    t = spec.name
    _report(con, t, f"src_{t}", _column_checks(spec, types))
    typed = ", ".join(
        (_typed(c, types[c.name]) if c.name in types else f"CAST(NULL AS {SQL_TYPES[c.kind]})")
        + f" AS {_q(c.name)}"
        for c in spec.columns
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW typed_{t} AS SELECT _row, {typed} FROM src_{t}"
        + _unless_refused(con, t)
    )
    rules = [
        (column, condition.format(**{c: _q(c) for c in spec.column_names}), reason)
        for table, column, condition, reason in ROW_RULES
        if table == t
    ]
    _report(con, t, f"typed_{t}", rules)
    _refresh_ok(con, t)


def _unless_refused(con: duckdb.DuckDBPyConnection, t: str) -> str:
    """The filter dropping refused rows; none at all when the table has no error (fast path)."""
    row = con.execute("SELECT count(*) FROM errors WHERE tbl = ?", [t]).fetchone()
    if not row or not row[0]:
        return ""
    return f" WHERE _row NOT IN (SELECT _row FROM errors WHERE tbl = '{t}')"


def _refresh_ok(con: duckdb.DuckDBPyConnection, t: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW ok_{t} AS SELECT * FROM typed_{t}" + _unless_refused(con, t)
    )


def _check_duplicates(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    t = spec.name
    key = ", ".join(_q(k) for k in spec.key)
    what = "payment reference" if t == "payments" else "key (" + ", ".join(spec.key) + ")"
    column = spec.key[-1]
    # A hash aggregate finds the repeated keys (cheap on clean data); only those are revisited.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dupkeys_{t} AS SELECT {key}, min(_row) AS first_row "
        f"FROM ok_{t} GROUP BY {key} HAVING count(*) > 1"
    )
    row = con.execute(f"SELECT count(*) FROM dupkeys_{t}").fetchone()
    if not row or not row[0]:
        return
    match = " AND ".join(f"o.{_q(k)} = d.{_q(k)}" for k in spec.key)
    # The first occurrence stays; the later ones are reported (a file exported twice, say).
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dup_{t} AS SELECT o._row, d.first_row, "
        f"o.{_q(column)} AS v FROM ok_{t} o JOIN dupkeys_{t} d ON {match} "
        "WHERE o._row <> d.first_row"
    )
    con.execute(
        f"INSERT INTO errors SELECT '{t}', _row, '{column}', "
        f"'duplicate {what}: same as row ' || first_row, CAST(v AS VARCHAR) FROM dup_{t}"
    )
    _refresh_ok(con, t)


def _check_parent(
    con: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    known_refs: KnownRefs | None,
    present_tables: tuple[str, ...],
) -> None:
    if spec.parent is None:
        return
    t = spec.name
    column, parent = spec.parent
    pkey = TABLES[parent].key[0]
    has_parent = parent in present_tables
    parent_ok = f"(SELECT {pkey} FROM ok_{parent})" if has_parent else "(SELECT NULL LIMIT 0)"
    missing = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT {_q(column)} FROM ok_{t} WHERE {_q(column)} NOT IN {parent_ok}"
        ).fetchall()
    ]
    if not missing:
        return
    known = known_refs(parent, missing) if known_refs else set()
    con.execute("CREATE OR REPLACE TEMP TABLE known_parent (ref VARCHAR)")
    if known:
        con.executemany("INSERT INTO known_parent VALUES (?)", [(k,) for k in sorted(known)])
    singular = parent.removesuffix("s").replace("cardholder", "customer")
    if has_parent:
        # The parent row is in the file but was refused: its children go with it.
        con.execute(
            f"INSERT INTO errors SELECT '{t}', c._row, '{column}', "
            f"'depends on rejected {parent} row ' || min(p._row), CAST(c.{_q(column)} AS VARCHAR) "
            f"FROM ok_{t} c JOIN src_{parent} p ON CAST(p.{pkey} AS VARCHAR) = c.{_q(column)} "
            f"WHERE c.{_q(column)} NOT IN {parent_ok} AND c.{_q(column)} NOT IN "
            f"(SELECT ref FROM known_parent) GROUP BY c._row, c.{_q(column)}"
        )
        _refresh_ok(con, t)
    con.execute(
        f"INSERT INTO errors SELECT '{t}', _row, '{column}', 'unknown {singular}', "
        f"{_q(column)} FROM ok_{t} WHERE {_q(column)} NOT IN {parent_ok} "
        f"AND {_q(column)} NOT IN (SELECT ref FROM known_parent)"
    )
    _refresh_ok(con, t)
