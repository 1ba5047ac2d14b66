"""Admin pages beyond users: staff and agencies (from the workforce service), cycle run history
and imports (views of the cycle's and the importer's own records), and starting a cycle run."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from arrears.auth.policy import Principal
from arrears.kit import audit
from arrears.web import flash
from arrears.web import repository as repo
from arrears.web.deps import DbSession, require
from arrears.web.templating import render
from arrears.workforce import service as workforce_service

router = APIRouter(include_in_schema=False)


@router.get("/admin/staff")
def staff(
    request: Request, session: DbSession, _: Principal = Depends(require("staff.manage"))
) -> Response:
    return render(
        request,
        "admin_staff.html",
        {
            "staff": [s.model_dump() for s in workforce_service.list_staff(session=session)],
            "agencies": [a.model_dump() for a in workforce_service.list_agencies(session=session)],
        },
    )


@router.get("/admin/runs")
def runs(
    request: Request, session: DbSession, principal: Principal = Depends(require("cycle.read"))
) -> Response:
    return render(
        request,
        "admin_runs.html",
        {
            "can_run": principal.can("cycle.run"),
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
                for r in repo.cycle_runs(session, limit=100)
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
                for b in repo.import_batches(session, limit=100)
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
    """Run the cycle for ``as_of`` on the duckdb engine, in the request: the very function
    ``arrears cycle run`` calls, with its own units of work and its own run record."""
    from arrears.engine.service import run_cycle

    try:
        day = date.fromisoformat(as_of.strip())
    except ValueError:
        return flash.redirect("/admin/runs", error=f"as of: not a date (YYYY-MM-DD): {as_of!r}")
    # End the request's own transaction first: the cycle writes through its own sessions, and
    # SQLite allows one writer at a time.
    session.commit()
    app = request.app
    try:
        result = run_cycle(
            as_of=day, settings=app.state.settings, store=app.state.engine, engine="duckdb"
        )
    except Exception as exc:  # noqa: BLE001 - the run is recorded as failed; say so on the page
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return flash.redirect("/admin/runs", error=f"cycle run for {day} failed: {message}")
    audit.record(
        session,
        actor=principal.actor,
        action="cycle.run",
        entity="cycle_run",
        entity_id=result.run_id,
        after={"as_of": day.isoformat(), "engine": "duckdb", "cases": result.cases},
    )
    return flash.redirect("/admin/runs", done=f"run {result.run_id} ({day})")
