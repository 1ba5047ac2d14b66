"""Imports into the operational store: validated rows, bulk upserts, one batch record. Flushes only.

An import is a batch that moves ``loading`` → ``store_done`` → ``complete``. The boundary
(``arrears import ...``) commits each step in its own transaction: :func:`open_batch`, then
:func:`claim_batch` + :func:`load_batch`, then (after :mod:`arrears.portfolio.warehouse` wrote the
same validated rows) :func:`complete_batch`. :func:`plan_import` tells a rerun where a killed
import stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from arrears.kit import audit, csvsafe
from arrears.kit.clock import clock
from arrears.kit.errors import ArrearsError, Conflict, RuleRefused
from arrears.portfolio import repository
from arrears.portfolio.extract import RowError, Validated
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

OnError = Literal["reject", "quarantine"]
Progress = Callable[[str, int], None]  # (table, rows just loaded)
_CHUNK = 20_000  # rows converted to Python at a time: bounded memory on big extracts


class ImportRejected(ArrearsError):
    """The extract has bad rows and the policy is ``reject``: nothing was loaded."""

    status_code = 422
    exit_code = 1


@dataclass
class ImportOutcome:
    kind: str
    source: str
    sha256: str
    batch_id: int | None = None
    already_loaded: bool = False
    state: str | None = None  # the batch's state when the command ends
    resumed: str | None = None  # the state a killed earlier run left the batch in
    loaded: dict[str, int] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    report: str | None = None  # where the quarantined rows were written

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "sha256": self.sha256,
            "batch_id": self.batch_id,
            "already_loaded": self.already_loaded,
            "state": self.state,
            "resumed": self.resumed,
            "read": self.read,
            "loaded": self.loaded,
            "rejected": len({(e.table, e.row) for e in self.errors}),
            "errors": [e.as_dict() for e in self.errors[:100]],
            "report": self.report,
        }


def store_known_refs(session: Session) -> Callable[[str, list[str]], set[str]]:
    """Parents the operational store already holds (an incremental extract may rely on them)."""

    def lookup(table: str, refs: list[str]) -> set[str]:
        model = Cardholder if table == "cardholders" else CardAccount
        return set(repository.ids_by_ref(session, model=model, refs=refs))

    return lookup


def write_report(errors: list[RowError], path: Path) -> None:
    """The quarantine report: one line per bad row and column, with the reason. The cells come
    from the file and may be hostile (``=cmd|...``): they are written spreadsheet-safe."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csvsafe.writer(fh)
        out.writerow(["file", "row", "column", "reason", "value"])
        for e in errors:
            out.writerow([e.table, e.row, e.column, e.reason, e.value])


def check_policy(validated: Validated, on_error: OnError) -> None:
    """Refuse the load when the policy says so; a malformed file is refused under any policy."""
    if not validated.errors:
        return
    bad_rows = len({(e.table, e.row) for e in validated.errors})
    whole_file = [e for e in validated.errors if e.row == 0]
    if whole_file:
        first = whole_file[0]
        raise ImportRejected(
            f"{first.table}: column {first.column}: {first.reason}; nothing was loaded",
            detail=validated.errors,
        )
    if on_error == "reject":
        first = validated.errors[0]
        raise ImportRejected(
            f"{bad_rows} bad row(s), e.g. {first.table} row {first.row} column {first.column}: "
            f"{first.reason}; nothing was loaded",
            detail=validated.errors,
        )


@dataclass(frozen=True)
class ImportPlan:
    """What a run of some bytes has to do, given the batch the store recorded for them."""

    action: Literal["done", "load", "warehouse"]
    batch_id: int | None = None  # the batch to continue (None: a new one)
    state: str | None = None  # that batch's state when the run began
    counts: dict[str, int] = field(default_factory=dict)  # what the store took, if it did


def plan_import(session: Session, *, kind: str, sha256: str, force: bool) -> ImportPlan:
    """Decide from the batch record: a complete batch is a no-op (``force`` loads a new one); a
    ``store_done`` batch needs its warehouse write; a ``loading`` one (its process died before the
    store committed) loads again. A batch stranded between the stores blocks every other import,
    so the warehouse never gets an older file's rows after a newer one's."""
    batch = repository.find_import_batch(session, kind=kind, sha256=sha256)
    if batch is not None and batch.state == "complete" and not force:
        return ImportPlan("done", batch.id, batch.state, dict(batch.counts))
    current = batch if batch is not None and batch.state != "complete" else None
    stranded = repository.stranded_import_batches(
        session, other_than=current.id if current else None
    )
    if stranded:
        first = stranded[0]
        raise RuleRefused(
            f"import batch {first.id} ({first.kind} {first.source}) reached the operational store "
            "but not the warehouse: rerun that import first to finish it (the same command and "
            "files), so the warehouse never takes an older file's rows after a newer one's"
        )
    if current is None:
        return ImportPlan("load")
    action: Literal["load", "warehouse"] = "warehouse" if current.state == "store_done" else "load"
    return ImportPlan(action, current.id, current.state, dict(current.counts))


def open_batch(session: Session, *, kind: str, source: str, sha256: str) -> int:
    """Record the import as ``loading`` before any row goes in (the boundary commits this alone,
    so a load killed half-way leaves a batch the rerun recognises)."""
    try:
        batch = repository.add_import_batch(
            session, kind=kind, source=source, sha256=sha256, loaded_at=clock.now()
        )
    except IntegrityError as exc:  # the partial unique index: one unfinished batch per file
        raise Conflict(
            "another import of these files has just started; let it finish, then rerun"
        ) from exc
    return batch.id


def claim_batch(session: Session, *, batch_id: int) -> ImportBatch:
    """Lock a ``loading`` batch for this transaction; refuse if a live process holds it."""
    try:
        batch = repository.lock_import_batch(session, batch_id=batch_id)
    except OperationalError as exc:
        if "lock" not in str(exc).lower():
            raise
        raise Conflict(
            f"import batch {batch_id} is being loaded by another process; let it finish"
        ) from exc
    if batch is None or batch.state != "loading":
        raise Conflict(f"import batch {batch_id} was loaded by another process meanwhile; rerun")
    return batch


def load_batch(
    session: Session,
    *,
    batch: ImportBatch,
    validated: Validated,
    actor: str = "import",
    on_progress: Progress | None = None,
) -> dict[str, int]:
    """Upsert the good rows and move the (claimed) batch to ``store_done`` (flush, no commit)."""
    loaded = load(session=session, validated=validated, on_progress=on_progress)
    before = {"state": batch.state}
    batch.counts = loaded
    batch.rejected = len({(e.table, e.row) for e in validated.errors})
    batch.loaded_at = clock.now()
    batch.state = "store_done"
    audit.record(
        session,
        actor=actor,
        action="portfolio.import",
        entity="import_batch",
        entity_id=batch.id,
        before=before,
        after={"state": batch.state, "kind": batch.kind, "source": batch.source, "loaded": loaded},
    )
    session.flush()
    return loaded


def complete_batch(
    session: Session, *, batch_id: int, warehouse: dict[str, int], actor: str = "import"
) -> None:
    """The warehouse has the rows too: ``store_done`` becomes ``complete`` (once)."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.state == "complete":
        return  # another process finished the same batch first
    before = {"state": batch.state}
    batch.state = "complete"
    audit.record(
        session,
        actor=actor,
        action="portfolio.import.complete",
        entity="import_batch",
        entity_id=batch.id,
        before=before,
        after={"state": batch.state, "warehouse": warehouse},
    )
    session.flush()


def discard_batch(session: Session, *, batch_id: int) -> None:
    """Forget a ``loading`` batch whose load failed and rolled back: a failure leaves nothing."""
    repository.delete_loading_batch(session, batch_id=batch_id)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()] if value else []


def _rows(validated: Validated, table: str) -> Iterator[list[dict[str, Any]]]:
    for batch in validated.batches(table, size=_CHUNK):
        yield batch.to_pylist()


def load(
    *, session: Session, validated: Validated, on_progress: Progress | None = None
) -> dict[str, int]:
    """Upsert the good rows, parents first. Payments already present are skipped, never changed."""
    loaded: dict[str, int] = {}
    now: datetime = clock.now()

    def note(table: str, n: int) -> None:
        loaded[table] = loaded.get(table, 0) + n
        if on_progress:
            on_progress(table, n)

    if "cardholders" in validated.tables:
        cols: tuple[str, ...] = ("name", "id_number", "birth_date", "sex", "education")
        cols += ("marital_status", "occupation", "employer", "identity_category")
        cols += ("province", "city", "address")
        for chunk in _rows(validated, "cardholders"):
            rows = [
                {
                    "external_ref": r["customer_id"],
                    **{c: r[c] for c in cols},
                    "language": r["language"] or "zh-CN",
                    "time_zones": _split(r["time_zones"]),
                    "flags": _split(r["flags"]),
                    "created_at": now,
                }
                for r in chunk
            ]
            repository.bulk_upsert(
                session,
                model=Cardholder,
                rows=rows,
                keys=("external_ref",),
                update=(*cols, "language", "time_zones", "flags"),
            )
            note("cardholders", len(rows))

    holders = _ids(validated, session, Cardholder, ("phones", "contact_persons", "accounts"))
    if "phones" in validated.tables:
        for chunk in _rows(validated, "phones"):
            rows = [
                {
                    "cardholder_id": holders[r["customer_id"]],
                    "number": r["number"],
                    "type": r["type"],
                }
                for r in chunk
            ]
            repository.bulk_upsert(
                session, model=Phone, rows=rows, keys=("cardholder_id", "number"), update=("type",)
            )
            note("phones", len(rows))
    if "contact_persons" in validated.tables:
        for chunk in _rows(validated, "contact_persons"):
            rows = [
                {
                    "cardholder_id": holders[r["customer_id"]],
                    "name": r["name"],
                    "relation": r["relation"],
                    "phone": r["phone"],
                }
                for r in chunk
            ]
            repository.bulk_upsert(
                session,
                model=ContactPerson,
                rows=rows,
                keys=("cardholder_id", "name", "relation"),
                update=("phone",),
            )
            note("contact_persons", len(rows))
    if "accounts" in validated.tables:
        cols = ("product", "credit_limit", "currency", "open_date", "statement_day", "due_days")
        cols += ("min_payment_ratio",)
        for chunk in _rows(validated, "accounts"):
            rows = [
                {
                    "external_ref": r["account_id"],
                    "cardholder_id": holders[r["customer_id"]],
                    **{c: r[c] for c in cols},
                    "status": r["status"] or "active",
                }
                for r in chunk
            ]
            repository.bulk_upsert(
                session,
                model=CardAccount,
                rows=rows,
                keys=("external_ref",),
                update=("cardholder_id", *cols, "status"),
            )
            note("accounts", len(rows))

    accounts = _ids(validated, session, CardAccount, ("statements", "payments", "delinquency"))
    if "statements" in validated.tables:
        cols = ("cycle_date", "due_date", "closing_balance", "minimum_due")
        cols += ("previous_balance", "principal_billed", "interest_billed", "fees_billed")
        for chunk in _rows(validated, "statements"):
            rows = [
                {"account_id": accounts[r["account_id"]], **{c: r[c] for c in cols}} for r in chunk
            ]
            repository.bulk_upsert(
                session,
                model=Statement,
                rows=rows,
                keys=("account_id", "cycle_date"),
                update=cols[1:],
            )
            note("statements", len(rows))
    if "payments" in validated.tables:
        for chunk in _rows(validated, "payments"):
            rows = [
                {
                    "account_id": accounts[r["account_id"]],
                    "paid_on": r["paid_on"],
                    "amount": r["amount"],
                    "channel": r["channel"] or "other",
                    "reference": r["reference"],
                }
                for r in chunk
            ]
            repository.bulk_upsert(
                session, model=Payment, rows=rows, keys=("account_id", "reference")
            )
            note("payments", len(rows))
    if "delinquency" in validated.tables:
        for chunk in _rows(validated, "delinquency"):
            rows = [
                {
                    "account_id": accounts[r["account_id"]],
                    "reported_on": r["reported_on"],
                    "status": r["status"],
                }
                for r in chunk
            ]
            repository.bulk_upsert(
                session,
                model=ReportedDelinquency,
                rows=rows,
                keys=("account_id", "reported_on"),
                update=("status",),
            )
            note("delinquency", len(rows))
    return loaded


def _ids(
    validated: Validated,
    session: Session,
    model: type[Cardholder | CardAccount],
    children: tuple[str, ...],
) -> dict[str, int]:
    """Surrogate ids of the parents the children in this extract refer to."""
    column = "customer_id" if model is Cardholder else "account_id"
    refs: set[str] = set()
    for child in children:
        if child in validated.tables:
            refs.update(
                r[0]
                for r in validated.con.execute(
                    f"SELECT DISTINCT {column} FROM ok_{child}"
                ).fetchall()
            )
    return repository.ids_by_ref(session, model=model, refs=refs)
