"""Server-rendered pages (Jinja2 + HTMX): sign-in, language, admin users, the workbench."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from arrears.auth import service as auth_service
from arrears.auth.errors import SignInFailed, TooManyAttempts
from arrears.auth.policy import HOME
from arrears.web.deps import DbSession, OptionalUser
from arrears.web.security import LOCALE_COOKIE, LOCALES, SESSION_COOKIE
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    # Only same-site relative paths: an open redirect would hand phishers our sign-in page.
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    return target if not urlparse(target).netloc else None


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/")
def home(principal: OptionalUser) -> Response:
    if principal is None:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse(HOME.get(principal.role, "/queue"), status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"next": _safe_next(next) or "", "error": None})


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        user, token = auth_service.sign_in(
            session=session, username=username, password=password, ip=_client_ip(request)
        )
    except (SignInFailed, TooManyAttempts) as exc:
        # The failed attempt is recorded (committed) so the rate limit counts it.
        return render(
            request,
            "sign_in.html",
            {"next": _safe_next(next) or "", "error": exc.message, "username": username},
            status_code=exc.status_code,
        )
    target = _safe_next(next) or HOME.get(user.role, "/queue")
    response = RedirectResponse(target, status_code=303)
    secure = bool(request.app.state.secure_cookies)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/"
    )
    response.set_cookie(LOCALE_COOKIE, user.locale, samesite="lax", path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.end_session(session=session, token=token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/locale")
def switch_locale(
    request: Request,
    session: DbSession,
    principal: OptionalUser,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Switch language; stored on the user (per user), and in a cookie for the sign-in page."""
    chosen = locale if locale in LOCALES else "zh-CN"
    if principal is not None:
        auth_service.set_locale(session=session, user_id=principal.user_id, locale=chosen)
    response = RedirectResponse(_safe_next(next) or "/", status_code=303)
    response.set_cookie(LOCALE_COOKIE, chosen, samesite="lax", path="/")
    return response
