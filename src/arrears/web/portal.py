"""The portal's web side: its router (mounted at ``/portal``), the ``current_customer``
dependency, the portal's own renderer (templates in ``arrears/portal/templates``) and the small
middleware that binds CSRF tokens to the portal session. ``install(app)`` wires it all; the app
factory calls it before adding its own auth middleware (so this one runs inside it, after the
request state is set). The portal's rules and data live in ``arrears.portal`` (a domain, below
``web``: it never imports it).

The portal session has its own cookie (``arrears_portal``, path ``/portal``), never the
workbench's. CSRF uses the workbench's HMAC scheme: before verification the token is bound to
the pre-session nonce (as on the sign-in form), after it to the portal session.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import arrears.portal as portal_package
from arrears.auth.dependencies import DbSession
from arrears.auth.errors import CsrfRejected
from arrears.auth.sessions import csrf_token, token_digest
from arrears.contacts.letters import letterhead
from arrears.kit.clock import center_today
from arrears.kit.errors import ArrearsError, BadInput, NotAuthenticated
from arrears.portal import service, views
from arrears.portal.models import PORTAL_LOCALES
from arrears.portal.service import PortalCustomer
from arrears.web.context import current_locale
from arrears.web.i18n import gettext_, ngettext_, pick
from arrears.web.templating import environment as workbench_environment

PREFIX = "/portal"
PORTAL_COOKIE = "arrears_portal"
LOCALE_COOKIE = "arrears_portal_locale"
CSRF_FIELD = "csrf_token"
TEMPLATES = Path(portal_package.__file__).parent / "templates"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


# --- rendering ------------------------------------------------------------------------------


def _build() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.globals["pick"] = pick
    # One amount and date format with the workbench (kit.wording through its filters).
    env.filters["money"] = workbench_environment.filters["money"]
    env.filters["local"] = workbench_environment.filters["local"]
    env.filters["catalog"] = gettext_
    return env


environment = _build()


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    locale: str,
    customer: PortalCustomer | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a portal template in ``locale``. Base blocks: ``title``, ``content``; every page
    gets ``csrf_token``, ``locale``, ``customer`` (None before verification) and ``path``."""
    full: dict[str, Any] = dict(context or {})
    full.update(
        csrf_token=getattr(request.state, "csrf_token", ""),
        locale=locale,
        customer=customer,
        path=request.url.path,
        today=center_today().isoformat(),
        bank=letterhead(locale),
    )
    token = current_locale.set(locale)
    try:
        html = environment.get_template(name).render(full)
    finally:
        current_locale.reset(token)
    return HTMLResponse(html, status_code=status_code)


def visitor_locale(request: Request, fallback: str | None = None) -> str:
    """Before verification: the language the visitor chose here, else the link's customer's,
    else the one the browser asks for."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in PORTAL_LOCALES:
        return str(chosen)
    if fallback in PORTAL_LOCALES:
        return str(fallback)
    state_locale = getattr(request.state, "locale", None)
    return str(state_locale) if state_locale in PORTAL_LOCALES else "zh-CN"


# --- the verified customer ------------------------------------------------------------------


class PortalSignedOut(NotAuthenticated):
    """No live portal session: the page sends the customer to /portal/ended (no data)."""


def current_customer(request: Request, session: DbSession) -> PortalCustomer:
    """The verified customer of this request's portal session (refreshes its idle timer), or
    ``PortalSignedOut``. Use it as ``customer: CurrentCustomer`` in a portal route."""
    token = request.cookies.get(PORTAL_COOKIE, "")
    customer = service.resolve_session(session, token=token) if _TOKEN.fullmatch(token) else None
    if customer is None:
        # Commit the ended-at of an expired session (the DbSession commits on success only).
        session.commit()
        raise PortalSignedOut("your portal session has ended")
    return customer


CurrentCustomer = Annotated[PortalCustomer, Depends(current_customer)]


# --- middleware -----------------------------------------------------------------------------


def _cookie(scope: Scope, name: str) -> str:
    jar: SimpleCookie = SimpleCookie()
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is just no cookie
                continue
    morsel = jar.get(name)
    return morsel.value if morsel is not None else ""


def _is_portal(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def portal_binding(session_token: str) -> str:
    """What a verified customer's CSRF token is bound to: the portal session (its digest)."""
    return "portal-session:" + token_digest(session_token)


class PortalMiddleware:
    """For ``/portal`` requests: bind the CSRF token to the portal session when there is one,
    never send the workbench's "sign in again" for a portal form, and keep every portal
    response out of caches (a shared phone's Back button must not show a debt)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_portal(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        token = _cookie(scope, PORTAL_COOKIE)
        if _TOKEN.fullmatch(token):
            key = scope["app"].state.settings.secret_key
            state["csrf_token"] = csrf_token(key, portal_binding(token))
        state["session_ended"] = False

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (n, v) for n, v in message.get("headers", []) if n.lower() != b"cache-control"
                ]
                headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, no_store)


# --- routes ---------------------------------------------------------------------------------

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        PORTAL_COOKIE,
        token,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=bool(request.app.state.secure_cookies),
    )


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# The form is read on the event loop (a dependency); the route itself is sync, so its database
# work (and a payment provider's HTTP call) runs in the thread pool, never on the loop.
PortalForm = Annotated[dict[str, str], Depends(_form)]


@router.get("/l/{token}")
def link_page(token: str, request: Request, session: DbSession) -> Response:
    """A link opened: the verification form, or a refusal (used, expired, locked, unknown), or
    for a third party the request to pass on. No personal data on any of them."""
    opening = service.open_link(session, token=token)
    locale = visitor_locale(request, opening.locale)
    if opening.state != "open":
        return render(
            request, "refused.html", {"state": opening.state}, locale=locale, status_code=410
        )
    if opening.audience != "debtor":
        return render(request, "third_party.html", {}, locale=locale)
    return render(request, "verify.html", {"facts": opening.facts, "token": token}, locale=locale)


@router.post("/l/{token}")
def verify_link(token: str, request: Request, session: DbSession, form: PortalForm) -> Response:
    """The facts typed: a session and the customer's page, or the reason not."""
    locale = visitor_locale(request)
    ip = getattr(request.state, "client_ip", "unknown")
    chosen = request.cookies.get(LOCALE_COOKIE)
    try:
        result = service.verify(
            session,
            token=token,
            form=form,
            ip=ip,
            locale=chosen if chosen in PORTAL_LOCALES else None,
        )
    except BadInput as exc:
        session.rollback()
        opening = service.open_link(session, token=token)
        return render(
            request,
            "verify.html",
            {"facts": opening.facts, "token": token, "error": exc.message.split(": ", 1)[-1]},
            locale=visitor_locale(request, opening.locale),
            status_code=422,
        )
    if result.outcome == "verified" and result.session_token:
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        _set_session_cookie(request, response, result.session_token)
        return response
    if result.outcome == "wrong":
        opening = service.open_link(session, token=token)
        return render(
            request,
            "verify.html",
            {"facts": opening.facts, "token": token, "wrong": True, "left": result.attempts_left},
            locale=visitor_locale(request, opening.locale),
            status_code=401,
        )
    if result.outcome == "throttled":
        return render(request, "throttled.html", {}, locale=locale, status_code=429)
    state = "locked" if result.outcome == "locked" else result.state
    return render(
        request,
        "refused.html",
        {"state": state},
        locale=locale,
        status_code=429 if state == "locked" else 410,
    )


@router.get("/")
def home(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    """What the customer owes, account by account, line by line."""
    seen = views.overview(session, cardholder_id=customer.cardholder_id, locale=customer.locale)
    service.record(
        session,
        customer=customer,
        action="portal.view.owed",
        entity="cardholder",
        entity_id=customer.cardholder_id,
    )
    name = views.greeting_name(session, cardholder_id=customer.cardholder_id)
    return render(
        request,
        "home.html",
        {"overview": seen, "name": name},
        locale=customer.locale,
        customer=customer,
    )


@router.get("/history")
def history(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    """The customer's promises and plans."""
    seen = views.overview(session, cardholder_id=customer.cardholder_id, locale=customer.locale)
    service.record(
        session,
        customer=customer,
        action="portal.view.history",
        entity="cardholder",
        entity_id=customer.cardholder_id,
    )
    return render(
        request, "history.html", {"overview": seen}, locale=customer.locale, customer=customer
    )


def _safe_next(value: str | None) -> str:
    """Only a portal path (never another site, never the workbench)."""
    if value and value.startswith(PREFIX + "/") and not value.startswith(PREFIX + "//"):
        return value
    return f"{PREFIX}/"


@router.post("/locale")
def switch_locale(request: Request, session: DbSession, form: PortalForm) -> Response:
    """Switch the language: on the portal session once verified, in a cookie before."""
    locale = form.get("locale", "")
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    if locale not in PORTAL_LOCALES:
        return response  # only the two buttons post here: anything else changes nothing
    token = request.cookies.get(PORTAL_COOKIE, "")
    customer = service.resolve_session(session, token=token) if _TOKEN.fullmatch(token) else None
    if customer is not None:
        service.set_locale(session, customer=customer, locale=locale)
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.secure_cookies),
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: DbSession, customer: CurrentCustomer) -> Response:
    service.end_session(session, customer=customer)
    response = RedirectResponse(f"{PREFIX}/ended?signed_out=1", status_code=303)
    response.delete_cookie(PORTAL_COOKIE, path=PREFIX)
    return response


@router.get("/ended")
def ended(request: Request, signed_out: int = 0) -> Response:
    """Signed out, or the session ended: no data, how to come back."""
    return render(
        request, "ended.html", {"signed_out": bool(signed_out)}, locale=visitor_locale(request)
    )


# --- wiring ---------------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """Add the portal to ``app``: call before the app adds its auth middleware."""
    from arrears.web import portal_act, portal_pay

    app.add_middleware(PortalMiddleware)
    app.include_router(router)
    app.include_router(portal_act.router)
    app.include_router(portal_pay.router)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        """A portal form without its token: the portal's own page (no workbench chrome, no
        data); elsewhere the app's handler for every expected error, as before."""
        if not _is_portal(str(request.url.path)):
            fallback = request.app.exception_handlers[ArrearsError]
            return await fallback(request, exc)
        return render(
            request,
            "expired_form.html",
            {},
            locale=visitor_locale(request),
            status_code=exc.status_code,
        )

    @app.exception_handler(PortalSignedOut)
    async def signed_out(request: Request, exc: PortalSignedOut) -> Response:
        if request.method == "GET":
            response: Response = RedirectResponse(f"{PREFIX}/ended", status_code=303)
        else:
            response = render(
                request,
                "ended.html",
                {"signed_out": False},
                locale=visitor_locale(request),
                status_code=401,
            )
        response.delete_cookie(PORTAL_COOKIE, path=PREFIX)
        return response
