"""One handler renders every expected error: JSON for the API, a page (or redirect) for people."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from arrears.kit.errors import ArrearsError, NotAuthenticated

API_PREFIX = "/api/"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path in ("/openapi.json",)


def _error_code(exc: ArrearsError) -> str:
    name = type(exc).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def install(app: FastAPI) -> None:
    @app.exception_handler(ArrearsError)
    async def arrears_error(request: Request, exc: ArrearsError) -> Response:
        if _wants_json(request):
            body: dict[str, object] = {"error": _error_code(exc), "message": exc.message}
            if exc.detail is not None:
                body["detail"] = exc.detail
            return JSONResponse(body, status_code=exc.status_code)
        if isinstance(exc, NotAuthenticated) and request.method == "GET":
            return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
        from arrears.web.templating import render

        return render(
            request,
            "error.html",
            {"status": exc.status_code, "message": exc.message},
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
