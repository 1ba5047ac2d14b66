"""One handler renders every expected error: JSON for the API, a page (or redirect) for people."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from arrears.compliance.reasons import message_in
from arrears.kit.errors import ArrearsError, NotAuthenticated
from arrears.web.context import current_locale

API_PREFIX = "/api/"


class ErrorOut(BaseModel):
    """Every API error: a code (``bad_input``, ``rule_refused``, ``not_found``, ...) and a
    message; ``detail`` names the fields of a malformed request, or carries the refusal's facts."""

    error: str
    message: str
    detail: Any = Field(default=None, description="for bad_input: [{field, message}, ...]")


# What every API route may answer besides its success; declared so the OpenAPI schema (and
# the fuzzing that checks responses against it) describes the real error body.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (401, "not signed in, or the token expired"),
        (403, "the role may not do this, or compliance blocked it"),
        (404, "no such record within the caller's scope"),
        (409, "a business rule refused it, or someone changed the record first"),
        (422, "the request is malformed; nothing was changed"),
        (429, "too many attempts"),
    )
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path in ("/openapi.json",)


def _error_code(exc: ArrearsError) -> str:
    name = type(exc).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def install(app: FastAPI) -> None:
    @app.exception_handler(ArrearsError)
    async def arrears_error(request: Request, exc: ArrearsError) -> Response:
        # A compliance refusal reads in the reader's language; its rule id stays in ``detail``.
        message = message_in(exc, current_locale.get())
        if _wants_json(request):
            body: dict[str, object] = {"error": _error_code(exc), "message": message}
            if exc.detail is not None:
                body["detail"] = exc.detail
            return JSONResponse(body, status_code=exc.status_code)
        if isinstance(exc, NotAuthenticated) and request.method == "GET":
            return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
        from arrears.web.templating import render

        return render(
            request,
            "error.html",
            {"status": exc.status_code, "message": message},
            status_code=exc.status_code,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"error": "http_error", "message": str(exc.detail)}, status_code=exc.status_code
            )
        from arrears.web.templating import render

        return render(
            request,
            "error.html",
            {"status": exc.status_code, "message": str(exc.detail)},
            status_code=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "bad_input", "message": "the request is malformed", "detail": errors},
            status_code=422,
        )
