"""Admin pages beyond users: staff and agencies (from the workforce service), cycle run history
and imports (views of the cycle's and the importer's own records), and starting a cycle run."""

from __future__ import annotations

import logging
import threading
from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.engine import repository as engine_repository
from arrears.kit.clock import center_today
from arrears.kit.errors import ArrearsError
from arrears.portfolio import repository as portfolio_repository
from arrears.web import flash
from arrears.web.templating import render
from arrears.workforce import agency_service, staff_service

if TYPE_CHECKING:
    from arrears.engine.service import CycleJob

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)


@router.get("/admin/staff")
def staff(
    request: Request, session: DbSession, _: Principal = Depends(require("staff.manage"))
) -> Response:
    return render(
        request,
        "admin_staff.html",
        {
            "staff": [s.model_dump() for s in staff_service.list_staff(session=session)],
            "agencies": [a.model_dump() for a in agency_service.list_agencies(session=session)],
        },
    )


@router.get("/admin/runs")
def runs(
    request: Request, session: DbSession, principal: Principal = Depends(require("cycle.read"))
) -> Response:
    history = engine_repository.history(session, limit=100)
    return render(
        request,
        "admin_runs.html",
        {
            "can_run": principal.can("cycle.run"),
            "today": center_today().isoformat(),  # the form offers no later day
            "running": any(r.status == "running" for r in history),
            "error": flash.read(request).get("error"),
            "done": flash.read(request).get("done"),
            "runs": [
                {
                    "id": r.id,
                    "as_of": r.as_of,
                    "engine": r.engine,
                    "strategy": r.strategy_name,
                    "status": r.status,
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "counts": r.counts,
                    "error": r.error,
                }
                for r in history
            ],
            "imports": [
                {
                    "id": b.id,
                    "kind": b.kind,
                    "source": b.source,
                    "loaded_at": b.loaded_at,
                    "counts": b.counts,
                    "rejected": b.rejected,
                }
                for b in portfolio_repository.import_batches(session, limit=100)
            ],
        },
    )


@router.post("/admin/runs")
def start_run(
    request: Request,
    session: DbSession,
    as_of: Annotated[str, Form()] = "",
    principal: Principal = Depends(require("cycle.run")),
) -> Response:
    """Start the cycle for ``as_of`` on the duckdb engine and return at once: the run goes on in
    a background thread (a night's run outlasts any request), the history shows it as running
    until it ends. The very functions ``arrears cycle run`` calls, with the same run record."""
    from arrears.engine.service import begin_cycle

    try:
        day = date.fromisoformat(as_of.strip())
    except ValueError:
        return flash.redirect("/admin/runs", error=f"as of: not a date (YYYY-MM-DD): {as_of!r}")
    # End the request's own transaction first: the cycle writes through its own sessions, and
    # SQLite allows one writer at a time.
    session.commit()
    app = request.app
    try:
        # Audits the start as the signed-in admin, in the transaction that opens the record.
        job = begin_cycle(
            as_of=day,
            settings=app.state.settings,
            store=app.state.engine,
            engine="duckdb",
            actor=principal.actor,
        )
    except ArrearsError as exc:  # a day after today, another run alive, a missing strategy
        return flash.redirect("/admin/runs", error=f"cycle run for {day}: {exc.message}")
    threading.Thread(
        target=_finish_quietly, args=(job,), name=f"cycle-run-{job.run_id}", daemon=True
    ).start()
    return flash.redirect("/admin/runs", done=f"run {job.run_id} ({day}) started")


def _finish_quietly(job: CycleJob) -> None:
    """The background half: the run record says how it ended (its error included)."""
    from arrears.engine.service import finish_cycle

    try:
        finish_cycle(job)
    except Exception:  # noqa: BLE001 - recorded on the run as failed, with the error
        logger.exception("cycle run %s failed", job.run_id)
