"""The legal queue in the workbench: open legal cases, nearest hearing first (seniors, leads).
Moves, costs and documents go through the API and the CLI (``legal.service``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from arrears.auth.dependencies import DbSession, require
from arrears.auth.policy import Principal
from arrears.legal import service
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/legal")
def legal_queue(
    request: Request,
    session: DbSession,
    principal: Principal = Depends(require("legal.work")),
) -> Response:
    return render(request, "legal.html", {"cases": service.queue(session=session)})
