"""Authentication middleware (session cookie or bearer token), the CSRF check, the client's
address and the security headers of every response.

Authentication runs once per request, before routing, in its own short transaction (it may
slide a session's idle timer); authorisation is ``deps.require``.

CSRF: a form or HTMX request echoes a token (``csrf_token`` field or ``X-CSRF-Token`` header)
that is an HMAC, under the server's secret key, of what the browser is bound to: its session
once signed in, a random pre-session nonce (cookie ``arrears_presession``) on the sign-in form.
A token from another session, or a planted cookie with a field to match, is refused; nobody
without the key can make a token. Bearer-token requests carry no ambient credential and skip it.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import replace
from http.cookies import SimpleCookie
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arrears.auth import service as auth_service
from arrears.auth.errors import CsrfRejected
from arrears.auth.policy import Principal
from arrears.auth.security_policy import SecurityPolicy
from arrears.auth.sessions import csrf_token, new_token, pre_session_binding, session_binding
from arrears.kit.addresses import client_address
from arrears.kit.errors import NotAuthenticated
from arrears.web.context import current_locale, current_principal

SESSION_COOKIE = "arrears_session"
PRESESSION_COOKIE = "arrears_presession"
LOCALE_COOKIE = "arrears_locale"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOCALES = ("en", "zh-CN")
# What new_token() makes; anything else in the nonce cookie is replaced.
_NONCE = re.compile(r"[A-Za-z0-9_-]{43}")
# Public files, the same for everyone: cacheable even when a signed-in browser fetches them.
PUBLIC_PREFIXES = ("/static/", "/assets/")
# Called by machines and mail clients, never a browser session: each request carries its own
# HMAC signature (the SMS gateway's receipts, an e-mail's one-click opt-out, the payment
# provider's webhooks), checked instead.
SIGNED_PATHS = frozenset(
    {"/api/v1/channels/receipts", "/api/v1/channels/opt-out", "/api/v1/payments/webhook"}
)

# Every response: scripts and styles only from this origin (no inline code: the templates keep
# theirs in /static), never framed, no MIME sniffing, no full URLs leaked to other sites.
# The one hash admits an *empty* inline <style>: Plotly creates one and fills it through the
# CSSOM (which CSP does not restrict); any style text in it would be refused.
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; "
    f"style-src 'self' {EMPTY_STYLE}; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers without CSP level 2
)


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


def _accepted_locale(scope: Scope) -> str | None:
    """The first language of ``Accept-Language`` we write in, if any."""
    accept = (_header(scope, b"accept-language") or "").lower()
    if accept.startswith("zh"):
        return "zh-CN"
    if accept.startswith("en"):
        return "en"
    return None


def _pick_locale(scope: Scope, cookies: dict[str, str], default: str) -> str:
    if cookies.get(LOCALE_COOKIE) in LOCALES:
        return cookies[LOCALE_COOKIE]
    return _accepted_locale(scope) or default


def _headers(scope: Scope, wanted: bytes) -> str | None:
    """Every value of a repeatable header, joined as one list (``X-Forwarded-For`` may come
    as several headers)."""
    values = [v.decode("latin-1") for n, v in scope.get("headers", []) if n == wanted]
    return ", ".join(values) if values else None


def _with_secure(cookie: bytes) -> bytes:
    return cookie if b"; secure" in cookie.lower() else cookie + b"; Secure"


class AuthMiddleware:
    """Resolve the client's address, the principal and the CSRF token; set them on
    ``request.state`` and context; add the security headers to the response."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool = False) -> None:
        self.app = app
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app_state = scope["app"].state
        cookies = _cookies(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        peer = scope["client"][0] if scope.get("client") else "unknown"
        state["client_ip"] = client_address(
            peer, _headers(scope, b"x-forwarded-for"), app_state.trusted_proxies
        )
        principal: Principal | None = None
        authorization = _header(scope, b"authorization") or ""
        bearer = authorization.lower().startswith("bearer ")
        # The request's own session: authentication and the route share one transaction (one
        # connection checkout, one commit), and ``deps.get_session`` picks it up.
        db: Session | None = None
        if bearer:
            db = app_state.session_factory()
            principal = await run_in_threadpool(
                _resolve, db, "token", authorization[7:].strip(), app_state.security_policy
            )
        elif SESSION_COOKIE in cookies:
            db = app_state.session_factory()
            principal = await run_in_threadpool(
                _resolve, db, "session", cookies[SESSION_COOKIE], app_state.security_policy
            )
        state["db_session"] = db
        # The CSRF token this request must echo (and the pages it renders carry).
        new_nonce: str | None = None
        if principal is not None and principal.via == "session":
            binding = session_binding(cookies[SESSION_COOKIE])
        else:
            nonce = cookies.get(PRESESSION_COOKIE, "")
            if not _NONCE.fullmatch(nonce):
                nonce = new_nonce = new_token()
            binding = pre_session_binding(nonce)
        state["csrf_token"] = csrf_token(app_state.settings.secret_key, binding)
        state["session_ended"] = principal is None and SESSION_COOKIE in cookies
        default_locale = app_state.settings.locale
        if principal is not None and principal.via == "token":
            # An API client says per request which language it reads (Accept-Language);
            # without one, the token's user's own setting.
            asked = _accepted_locale(scope)
            if asked is not None and asked != principal.locale:
                principal = replace(principal, locale=asked)
        locale = principal.locale if principal else _pick_locale(scope, cookies, default_locale)
        state["principal"] = principal
        state["locale"] = locale
        tokens = (current_principal.set(principal), current_locale.set(locale))
        # A response to a request that carried credentials is never stored by the browser or a
        # proxy: Back after sign-out must not show the customer's page from the cache.
        private = (bearer or SESSION_COOKIE in cookies) and not str(scope["path"]).startswith(
            PUBLIC_PREFIXES
        )
        secure = self.secure

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if new_nonce is not None:
                    cookie = f"{PRESESSION_COOKIE}={new_nonce}; Path=/; HttpOnly; SameSite=Lax"
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                names = {name.lower() for name, _ in headers}
                sets_cookie = b"set-cookie" in names
                if secure and sets_cookie:
                    # Every cookie, whoever set it (session, locale, flash, the nonce).
                    headers = [
                        (n, _with_secure(v) if n.lower() == b"set-cookie" else v)
                        for n, v in headers
                    ]
                if private or sets_cookie:
                    headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in names)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            current_principal.reset(tokens[0])
            current_locale.reset(tokens[1])
            if db is not None and db.in_transaction():
                # A route without a DbSession still keeps the session's sliding timer.
                await run_in_threadpool(_finish, db)
            elif db is not None:
                # The route's DbSession already committed: closing does no I/O, so no thread hop.
                db.close()


def _resolve(db: Session, kind: str, secret: str, policy: SecurityPolicy) -> Principal | None:
    try:
        if kind == "token":
            return auth_service.resolve_api_token(session=db, secret=secret, policy=policy)
        return auth_service.resolve_session(session=db, token=secret, policy=policy)
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
    """App-wide dependency: unsafe methods without a bearer token must echo the CSRF token
    bound to the browser's session (or, before sign-in, to its pre-session nonce)."""
    if request.method in SAFE_METHODS or request.url.path in SIGNED_PATHS:
        return
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal) and principal.via == "token":
        return
    # Modern browsers say where a request comes from; another site's form never gets in, even
    # with a token pair it fetched for itself and a nonce cookie it managed to plant.
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CsrfRejected("a request from another site is refused")
    expected = getattr(request.state, "csrf_token", "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        if getattr(request.state, "session_ended", False):
            # The page was bound to a session that has since expired or ended.
            raise NotAuthenticated("your session has ended: sign in again")
        raise CsrfRejected("missing or wrong CSRF token: reload the page and try again")


def session_csrf_token(secret_key: str, session_cookie: str) -> str:
    """The CSRF token of the browser holding ``session_cookie`` (for clients that script
    sign-in themselves, e.g. the load benchmark)."""
    return csrf_token(secret_key, session_binding(session_cookie))
