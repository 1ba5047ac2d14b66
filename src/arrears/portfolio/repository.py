"""Every query on the portfolio tables. Services and commands never build SQL themselves."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import JSON, Connection, Executable, Row, Table, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from arrears.kit.db import Base
from arrears.portfolio.models import (
    CardAccount,
    Cardholder,
    ContactPerson,
    ImportBatch,
    Payment,
    Phone,
    ReportedDelinquency,
    Statement,
)

# --- reads (inspection: summary, account show) -------------------------------------------------
_READ_BATCH = 10_000  # rows per fetch when streaming the whole portfolio


def _stream(session: Session, stmt: Executable) -> Iterator[Any]:
    # Plain column rows through the session's connection (same transaction): the ORM result
    # layer would double the cost of a whole-portfolio read and adds nothing for tuples.
    return iter(session.connection().execute(stmt.execution_options(yield_per=_READ_BATCH)))


def count_accounts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CardAccount)) or 0


def stream_account_currencies(session: Session) -> Iterator[Row[int, str]]:
    """Every account on the active book (charged-off ones are on the charged-off book instead):
    (id, currency), in id order (the spine of a bulk merge)."""
    return _stream(
        session,
        select(CardAccount.id, CardAccount.currency)
        .where(CardAccount.status != "charged_off")
        .order_by(CardAccount.id),
    )


def stream_statements(
    session: Session, *, until: date
) -> Iterator[Row[int, date, date, Decimal, Decimal]]:
    """(account_id, cycle_date, due_date, closing_balance, minimum_due) issued by ``until``,
    ordered by account then cycle."""
    stmt = (
        select(
            Statement.account_id,
            Statement.cycle_date,
            Statement.due_date,
            Statement.closing_balance,
            Statement.minimum_due,
        )
        .where(Statement.cycle_date <= until)
        .order_by(Statement.account_id, Statement.cycle_date)
    )
    return _stream(session, stmt)


def stream_payments(session: Session, *, until: date) -> Iterator[Row[int, date, Decimal, str]]:
    """(account_id, paid_on, amount, reference) received by ``until``, ordered by account."""
    stmt = (
        select(Payment.account_id, Payment.paid_on, Payment.amount, Payment.reference)
        .where(Payment.paid_on <= until)
        .order_by(Payment.account_id, Payment.paid_on, Payment.reference)
    )
    return _stream(session, stmt)


def stream_reports(session: Session, *, until: date) -> Iterator[Row[int, date, int]]:
    """(account_id, reported_on, status) reported by ``until``, ordered by account."""
    stmt = (
        select(
            ReportedDelinquency.account_id,
            ReportedDelinquency.reported_on,
            ReportedDelinquency.status,
        )
        .where(ReportedDelinquency.reported_on <= until)
        .order_by(ReportedDelinquency.account_id, ReportedDelinquency.reported_on)
    )
    return _stream(session, stmt)


def get_account_by_ref(
    session: Session, *, external_ref: str
) -> tuple[CardAccount, Cardholder] | None:
    """An account by the card system's number, with its cardholder."""
    stmt = (
        select(CardAccount, Cardholder)
        .join(Cardholder, Cardholder.id == CardAccount.cardholder_id)
        .where(CardAccount.external_ref == external_ref)
    )
    row = session.execute(stmt).one_or_none()
    return None if row is None else (row[0], row[1])


def account_statements(session: Session, *, account_id: int) -> Sequence[Statement]:
    stmt = select(Statement).where(Statement.account_id == account_id)
    return session.scalars(stmt.order_by(Statement.cycle_date)).all()


def account_payments(session: Session, *, account_id: int) -> Sequence[Payment]:
    stmt = select(Payment).where(Payment.account_id == account_id)
    return session.scalars(stmt.order_by(Payment.paid_on, Payment.reference)).all()


def account_reports(session: Session, *, account_id: int) -> Sequence[ReportedDelinquency]:
    stmt = select(ReportedDelinquency).where(ReportedDelinquency.account_id == account_id)
    return session.scalars(stmt.order_by(ReportedDelinquency.reported_on)).all()


# --- a customer and his accounts, for the workbench and the workflow ---------------------------


def cardholder(session: Session, cardholder_id: int) -> Cardholder | None:
    return session.get(Cardholder, cardholder_id)


def phones(session: Session, cardholder_id: int) -> Sequence[Phone]:
    return session.scalars(
        select(Phone).where(Phone.cardholder_id == cardholder_id).order_by(Phone.id)
    ).all()


def contact_persons(session: Session, cardholder_id: int) -> Sequence[ContactPerson]:
    return session.scalars(
        select(ContactPerson)
        .where(ContactPerson.cardholder_id == cardholder_id)
        .order_by(ContactPerson.id)
    ).all()


def statements_of(session: Session, account_ids: Sequence[int]) -> Sequence[Statement]:
    if not account_ids:
        return []
    return session.scalars(
        select(Statement)
        .where(Statement.account_id.in_(account_ids))
        .order_by(Statement.account_id, Statement.cycle_date)
    ).all()


def payments_of(
    session: Session, account_ids: Sequence[int], *, since: date | None = None
) -> Sequence[Payment]:
    if not account_ids:
        return []
    query = select(Payment).where(Payment.account_id.in_(account_ids))
    if since is not None:
        query = query.where(Payment.paid_on >= since)
    return session.scalars(query.order_by(Payment.paid_on, Payment.reference)).all()


def reports_of(session: Session, account_ids: Sequence[int]) -> Sequence[ReportedDelinquency]:
    if not account_ids:
        return []
    return session.scalars(
        select(ReportedDelinquency)
        .where(ReportedDelinquency.account_id.in_(account_ids))
        .order_by(ReportedDelinquency.account_id, ReportedDelinquency.reported_on)
    ).all()


def import_batches(session: Session, *, limit: int) -> Sequence[ImportBatch]:
    return session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)).all()


# --- writes (imports: bulk, idempotent) --------------------------------------------------------

_BATCH = 5_000  # rows per executemany round trip (multi-row VALUES on PostgreSQL)


def bulk_upsert(
    session: Session,
    *,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """Insert ``rows``; on a natural-key clash update ``update`` columns (or skip when empty).

    The statement is compiled once and run with ``executemany`` on the driver, each value passed
    through its column type's bind processor (Decimal money, UTC datetimes, JSON): SQLAlchemy's
    per-row statement machinery costs more than the database on loads of millions of rows.
    """
    if not rows:
        return
    conn = session.connection()
    table = cast(Table, model.__table__)
    if conn.dialect.name == "postgresql":
        _copy_upsert(conn, table, rows, keys, update)
        return
    stmt = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    columns = list(rows[0])
    compiled = stmt.compile(dialect=conn.dialect, column_keys=columns)
    dialect = conn.dialect
    procs = [(c, table.c[c].type.dialect_impl(dialect).bind_processor(dialect)) for c in columns]
    sql = str(compiled)
    for start in range(0, len(rows), _BATCH):
        chunk = rows[start : start + _BATCH]
        values = [{c: (p(r[c]) if p else r[c]) for c, p in procs} for r in chunk]
        params: list[Any] = values
        if compiled.positional:
            order = compiled.positiontup or []
            params = [tuple(v[name] for name in order) for v in values]
        conn.exec_driver_sql(sql, params)


def _copy_upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """PostgreSQL: COPY into a temporary staging table, then one INSERT ... ON CONFLICT."""
    columns = list(rows[0])
    stage = f"_stage_{table.name}"
    cols = ", ".join(f'"{c}"' for c in columns)
    if update:
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
        conflict = f"DO UPDATE SET {sets}"
    else:
        conflict = "DO NOTHING"
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "
            f"SELECT {cols} FROM {table.name} WITH NO DATA"
        )
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([json.dumps(r[c]) if c in as_json else r[c] for c in columns])
        keys_sql = ", ".join(f'"{k}"' for k in keys)
        cur.execute(
            f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} "
            f"ON CONFLICT ({keys_sql}) {conflict}"
        )


def ids_by_ref(
    session: Session, *, model: type[Cardholder | CardAccount], refs: Iterable[str]
) -> dict[str, int]:
    """Surrogate ids of cardholders or accounts by their external reference."""
    wanted = sorted(set(refs))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start : start + _BATCH]
        rows = session.execute(
            select(model.external_ref, model.id).where(model.external_ref.in_(chunk))
        )
        found.update({ref: id_ for ref, id_ in rows})
    return found


def find_import_batch(session: Session, *, kind: str, sha256: str) -> ImportBatch | None:
    """The batch of exactly these bytes a rerun continues: the unfinished one if any (there is at
    most one), else the latest complete one, else None."""
    return session.scalars(
        select(ImportBatch)
        .where(ImportBatch.kind == kind, ImportBatch.sha256 == sha256)
        .order_by((ImportBatch.state == "complete").asc(), ImportBatch.id.desc())
        .limit(1)
    ).first()


def stranded_import_batches(session: Session, *, other_than: int | None) -> Sequence[ImportBatch]:
    """Batches in the store but not in the warehouse (``store_done``), apart from ``other_than``."""
    stmt = select(ImportBatch).where(ImportBatch.state == "store_done")
    if other_than is not None:
        stmt = stmt.where(ImportBatch.id != other_than)
    return session.scalars(stmt.order_by(ImportBatch.id)).all()


def add_import_batch(
    session: Session,
    *,
    kind: str,
    source: str,
    sha256: str,
    loaded_at: datetime,
) -> ImportBatch:
    """A new batch in state ``loading`` (flushed)."""
    batch = ImportBatch(
        kind=kind,
        source=source,
        sha256=sha256,
        loaded_at=loaded_at,
        counts={},
        rejected=0,
        state="loading",
    )
    session.add(batch)
    session.flush()
    return batch


def lock_import_batch(session: Session, *, batch_id: int) -> ImportBatch | None:
    """The batch, locked for this transaction: a row lock on PostgreSQL (waiting at most 5 s for
    a process that is still loading it), the database's write lock on SQLite (waiting for the
    busy timeout). A dead process's locks go with its connection."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        stmt = select(ImportBatch).where(ImportBatch.id == batch_id).with_for_update()
        batch = session.scalars(stmt.execution_options(populate_existing=True)).first()
        # The load's own upserts may wait on a collector's row as long as they need.
        conn.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")
        return batch
    # SQLite has one writer: a write takes the lock, held until this transaction ends.
    session.execute(
        update(ImportBatch).where(ImportBatch.id == batch_id).values(state=ImportBatch.state)
    )
    return session.scalars(
        select(ImportBatch)
        .where(ImportBatch.id == batch_id)
        .execution_options(populate_existing=True)
    ).first()


def delete_loading_batch(session: Session, *, batch_id: int) -> None:
    """Forget a batch whose load failed and rolled back (only while it is still ``loading``)."""
    session.execute(
        delete(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.state == "loading")
    )
