"""Authentication middleware (session cookie or bearer token) and the CSRF check.

Authentication runs once per request, before routing, in its own short transaction (it may
slide a session's idle timer); authorisation is ``deps.require``. The CSRF token is a
double-submit value: a random cookie that forms echo in a hidden field and HTMX in the
``X-CSRF-Token`` header. Bearer-token requests carry no ambient credentials and skip it.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arrears.auth import service as auth_service
from arrears.auth.errors import CsrfRejected
from arrears.auth.policy import Principal
from arrears.auth.sessions import new_token
from arrears.web.context import current_locale, current_principal

SESSION_COOKIE = "arrears_session"
CSRF_COOKIE = "arrears_csrf"
LOCALE_COOKIE = "arrears_locale"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOCALES = ("en", "zh-CN")


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is just no cookie
                continue
    return {k: m.value for k, m in jar.items()}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _pick_locale(scope: Scope, cookies: dict[str, str], default: str) -> str:
    if cookies.get(LOCALE_COOKIE) in LOCALES:
        return cookies[LOCALE_COOKIE]
    accept = (_header(scope, b"accept-language") or "").lower()
    if accept.startswith("zh"):
        return "zh-CN"
    if accept.startswith("en"):
        return "en"
    return default


class AuthMiddleware:
    """Resolve the principal and the CSRF token; set them on ``request.state`` and context."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool = False) -> None:
        self.app = app
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        principal: Principal | None = None
        authorization = _header(scope, b"authorization") or ""
        # The request's own session: authentication and the route share one transaction (one
        # connection checkout, one commit), and ``deps.get_session`` picks it up.
        db: Session | None = None
        if authorization.lower().startswith("bearer "):
            db = scope["app"].state.session_factory()
            principal = await run_in_threadpool(_resolve, db, "token", authorization[7:].strip())
        elif SESSION_COOKIE in cookies:
            db = scope["app"].state.session_factory()
            principal = await run_in_threadpool(_resolve, db, "session", cookies[SESSION_COOKIE])
        state["db_session"] = db
        csrf = cookies.get(CSRF_COOKIE) or ""
        new_csrf = not csrf
        if new_csrf:
            csrf = new_token()
        default_locale = scope["app"].state.settings.locale
        locale = principal.locale if principal else _pick_locale(scope, cookies, default_locale)
        state["principal"] = principal
        state["csrf_token"] = csrf
        state["locale"] = locale
        tokens = (current_principal.set(principal), current_locale.set(locale))
        secure = "; Secure" if self.secure else ""

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and new_csrf:
                headers = list(message.get("headers", []))
                cookie = f"{CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Lax{secure}"
                headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            current_principal.reset(tokens[0])
            current_locale.reset(tokens[1])
            if db is not None and db.in_transaction():
                # A route without a DbSession still keeps the session's sliding timer.
                await run_in_threadpool(_finish, db)
            elif db is not None:
                # The route's DbSession already committed: closing does no I/O, so no thread hop.
                db.close()


def _resolve(db: Session, kind: str, secret: str) -> Principal | None:
    try:
        if kind == "token":
            return auth_service.resolve_api_token(session=db, secret=secret)
        return auth_service.resolve_session(session=db, token=secret)
    except BaseException:
        db.rollback()
        db.close()
        raise


def _finish(db: Session) -> None:
    try:
        db.commit()  # a no-op when the route's DbSession already committed or rolled back
    except Exception:  # noqa: BLE001 - nothing to report to a response already sent
        db.rollback()
    finally:
        db.close()


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: unsafe methods of a cookie session must echo the CSRF token."""
    if request.method in SAFE_METHODS:
        return
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal) and principal.via == "token":
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRejected("missing or wrong CSRF token: reload the page and try again")
