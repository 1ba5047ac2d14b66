"""Set-based writes of many rows for batch work (the nightly stages): one statement per shape of
row on PostgreSQL (``unnest`` of typed arrays, no per-row round trip and no huge SQL text), an
in-process executemany on SQLite. Values pass through as Python values; JSON columns as JSON.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CursorResult,
    Table,
    any_,
    bindparam,
    column,
    insert,
    text,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session

from arrears.kit.errors import Conflict

KEYS = ("row_id", "row_version")
CHUNK = 20_000


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def id_in(session: Session, column: Any, ids: Sequence[int]) -> Any:
    """``column IN ids`` as one array parameter on PostgreSQL (``= ANY(:ids)``: a short
    statement, where an IN list of thousands of parameters is parsed each time)."""
    if _pg(session):
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger())))
    return column.in_(list(ids))


def _shapes(rows: list[dict[str, Any]], *, drop_none: bool) -> dict[tuple[str, ...], list[dict]]:
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        kept = {k: v for k, v in row.items() if v is not None} if drop_none else row
        shapes[tuple(sorted(kept))].append(kept)
    return shapes


def _is_json(table: Table, name: str, session: Session) -> bool:
    return name in table.c and table.c[name].type.compile(dialect=session.get_bind().dialect) in (
        "JSON",
        "JSONB",
    )


def _arrays(
    session: Session, table: Table, columns: tuple[str, ...], rows: list[dict[str, Any]]
) -> tuple[Any, dict[str, Any]]:
    """``SELECT * FROM unnest(CAST(:a_x AS type[]), ...) AS u(x, ...)`` as a subquery ``v``,
    with its parameters (JSON travels as text and is cast back by the caller)."""
    dialect = session.get_bind().dialect
    kinds: dict[str, str] = {"row_id": "BIGINT", "row_version": "INTEGER"}
    arrays: dict[str, list[Any]] = {}
    for c in columns:
        as_json = _is_json(table, c, session)
        kind = kinds.get(c) or ("TEXT" if as_json else table.c[c].type.compile(dialect=dialect))
        kinds[c] = kind
        arrays[c] = [json.dumps(r[c]) if as_json and r[c] is not None else r[c] for r in rows]
    source = (
        "SELECT * FROM unnest("
        + ", ".join(f"CAST(:a_{c} AS {kinds[c]}[])" for c in columns)
        + f") AS u({', '.join(columns)})"
    )
    v = text(source).columns(*(column(c) for c in columns)).subquery("v")
    return v, {f"a_{c}": arrays[c] for c in columns}


def _value(session: Session, table: Table, v: Any, name: str) -> Any:
    return sa_cast(v.c[name], table.c[name].type) if _is_json(table, name, session) else v.c[name]


def update_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Each row's new values, found by ``row_id`` and, on a versioned table, ``row_version``
    (the version read, which the write bumps). A row changed since it was read fails the whole
    write with ``Conflict`` (the caller decides what to do, e.g. row by row)."""
    versioned = "version" in table.c
    for columns, group in _shapes(rows, drop_none=False).items():
        sets = [c for c in columns if c not in KEYS]
        done = 0
        for start in range(0, len(group), CHUNK):
            chunk = group[start : start + CHUNK]
            statement = update(table)
            params: Any
            if _pg(session):
                v, params = _arrays(session, table, columns, chunk)
                statement = statement.where(table.c.id == v.c.row_id)
                if versioned:
                    statement = statement.where(table.c.version == v.c.row_version)
                values = {c: _value(session, table, v, c) for c in sets}
            else:
                statement = statement.where(table.c.id == bindparam("row_id"))
                if versioned:
                    statement = statement.where(table.c.version == bindparam("row_version"))
                values = {c: bindparam(f"v_{c}") for c in sets}
                params = [{k if k in KEYS else f"v_{k}": x for k, x in r.items()} for r in chunk]
            if versioned:
                values["version"] = table.c.version + 1
            result = session.execute(statement.values(values), params)
            done += cast(CursorResult[Any], result).rowcount
        if done != len(group):
            raise Conflict(f"{len(group) - done} {table.name} rows changed meanwhile")


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows (ids from the table's sequence). A None is SQL NULL, JSON columns too."""
    for columns, group in _shapes(rows, drop_none=True).items():
        for start in range(0, len(group), CHUNK):
            chunk = group[start : start + CHUNK]
            if _pg(session):
                v, params = _arrays(session, table, columns, chunk)
                select_ = v.select().with_only_columns(
                    *(_value(session, table, v, c) for c in columns)
                )
                session.execute(insert(table).from_select(list(columns), select_), params)
            else:
                session.execute(insert(table), chunk)
