"""Admin pages beyond users: staff and agencies (from the workforce service), cycle run history
and imports (read-only views of the cycle's and the importer's own records)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from arrears.auth.policy import Principal
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
    request: Request, session: DbSession, _: Principal = Depends(require("cycle.read"))
) -> Response:
    return render(
        request,
        "admin_runs.html",
        {
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
