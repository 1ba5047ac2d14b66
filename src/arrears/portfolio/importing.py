"""An import, end to end: validate the files, load the store, write the warehouse, one committed
step at a time, so a crash at any point leaves a batch state the rerun recognises and finishes
(docs/data-formats.md). Like the cycle's sync this is batch work that owns its transactions: it
opens a unit of work per step; services inside it only flush.

The CLI (``arrears import``) and the simulator both run imports through ``run_import``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from arrears.kit.db import unit_of_work
from arrears.kit.faults import crash_point
from arrears.portfolio import extract, service, warehouse


def _load_store(
    outcome: service.ImportOutcome,
    plan: service.ImportPlan,
    validated: extract.Validated,
    on_progress: service.Progress,
    actor: str,
) -> int:
    """The store half of an import, one committed step at a time; returns the batch id.

    ``loading`` is committed first, on its own, so a process killed during the load leaves a
    batch the rerun recognises; the load and the move to ``store_done`` commit together.
    """
    batch_id = plan.batch_id
    if batch_id is None:
        with unit_of_work() as session:
            batch_id = service.open_batch(
                session, kind=outcome.kind, source=outcome.source, sha256=outcome.sha256
            )
        crash_point("after_batch_open")
    claimed = False
    try:
        with unit_of_work() as session:
            batch = service.claim_batch(session, batch_id=batch_id)
            claimed = True
            outcome.loaded = service.load_batch(
                session, batch=batch, validated=validated, actor=actor, on_progress=on_progress
            )
            crash_point("before_store_commit")
    except BaseException:
        # Our load failed and rolled back: a failed import leaves no batch behind. If even that
        # cannot be written, the batch stays ``loading`` and the rerun loads it again.
        if claimed:
            with contextlib.suppress(Exception), unit_of_work() as session:
                service.discard_batch(session, batch_id=batch_id)
        raise
    crash_point("after_store_commit")
    return batch_id


def _no_progress(table: str, n: int) -> None:
    return None


def run_import(
    *,
    sources: dict[str, Path | pa.Table],
    sha256: str,
    kind: str,
    source: str,
    on_error: service.OnError,
    warehouse_path: Path,
    report: Path | None = None,
    force: bool = False,
    warehouse_only: bool = False,
    outcomes: pa.Table | None = None,
    on_progress: service.Progress = _no_progress,
    on_reject: Callable[[service.ImportRejected], None] | None = None,
    actor: str = "import",
) -> tuple[service.ImportOutcome, dict[str, int]]:
    """Import ``sources``; returns the outcome and the warehouse row counts. A file already
    imported is done (nothing changes); a batch an interrupted run left is finished. ``actor``
    is who the audit trail names: the stored user who ran it, or the import job."""
    outcome = service.ImportOutcome(kind=kind, source=source, sha256=sha256)
    wh: dict[str, int] = {}
    plan = service.ImportPlan("load")
    if not warehouse_only:
        with unit_of_work() as session:
            plan = service.plan_import(session, kind=kind, sha256=sha256, force=force)
        if plan.action == "done":
            outcome.batch_id, outcome.already_loaded = plan.batch_id, True
            outcome.state, outcome.loaded = plan.state, plan.counts
            return outcome, wh
    if warehouse_only:
        known = warehouse.known_refs(warehouse_path)
        validated = extract.validate(sources, sha256=sha256, known_refs=known)
    else:
        with unit_of_work() as session:  # reads only: which parents the store holds
            known = service.store_known_refs(session)
            validated = extract.validate(sources, sha256=sha256, known_refs=known)
    outcome.errors, outcome.read = validated.errors, dict(validated.rows_read)
    try:
        # A batch the store already took was judged then: its good rows go to the warehouse.
        if plan.action != "warehouse":
            try:
                service.check_policy(validated, on_error)
            except service.ImportRejected as exc:
                if on_reject is not None:
                    on_reject(exc)
                raise
        if not warehouse_only:
            outcome.resumed = plan.state
            if plan.action == "load":
                outcome.batch_id = _load_store(outcome, plan, validated, on_progress, actor)
            else:
                outcome.batch_id, outcome.loaded = plan.batch_id, plan.counts
            outcome.state = "store_done"
        if outcome.errors:
            # Quarantined rows always land in a report: the one asked for, or one beside the
            # warehouse named after the import.
            report = report or warehouse_path.parent / "quarantine" / f"{kind}-{sha256[:12]}.csv"
            service.write_report(outcome.errors, report)
            outcome.report = str(report)
        on_progress("warehouse", 0)
        wh = warehouse.write(validated, warehouse_path, outcomes=outcomes)
        crash_point("after_warehouse_commit")
        if warehouse_only:
            outcome.loaded = dict(wh)
        elif outcome.batch_id is not None:
            with unit_of_work() as session:
                service.complete_batch(
                    session, batch_id=outcome.batch_id, warehouse=wh, actor=actor
                )
            outcome.state = "complete"
    finally:
        validated.close()
    return outcome, wh
