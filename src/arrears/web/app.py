"""The app factory: JSON API under /api/v1 (Swagger UI at /api/docs, ReDoc at /api/redoc),
server-rendered pages, assets.

The API is the single-domain routers (``auth.api``, ``compliance.api``) and the case routes of
``web.api`` (which call the workbench's flows); the pages are ``web``'s own modules. Both are
listed here, explicitly.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from arrears.auth.security_policy import load_security_policy
from arrears.config import Settings, get_settings
from arrears.kit.db import make_engine
from arrears.promises import service as promise_service
from arrears.web import assets, errors
from arrears.web.responses import MaskedJSONResponse
from arrears.web.security import AuthMiddleware, csrf_protect
from arrears.web.templating import TEMPLATES, environment
from arrears.workbench import approval_chain

API_PREFIX = "/api/v1"
STATIC = TEMPLATES.parent / "static"


def warm_up(engine: Engine) -> None:
    """Pay a worker's one-time costs before the first collector does: compile the templates,
    parse the catalogs, load the rule files and open a few pooled connections (a cold worker
    answered its first case pages 5-10x slower while everyone signed on in the morning)."""
    from arrears.contacts import service as contact_service
    from arrears.promises import service as promise_service
    from arrears.web import i18n
    from arrears.web.security import LOCALES

    for name in environment.list_templates():
        environment.get_template(name)
    for locale in LOCALES:
        i18n.translations(locale)
    contact_service.profile()
    contact_service.step_by_step_policy()
    promise_service.policy()
    connections = [engine.connect() for _ in range(1 if engine.dialect.name == "sqlite" else 4)]
    for connection in connections:
        connection.close()


def _docs_page(request: Request, template: str) -> Response:
    """Swagger UI or ReDoc from the app's own assets. ReDoc writes its styles into <style>
    elements at run time: these pages admit those carrying the page's nonce (ReDoc stamps its
    own with it) and the few its bundle inserts as it loads, by hash; ReDoc's search runs in a
    worker it builds from a blob. Scripts stay 'self' only."""
    nonce = secrets.token_urlsafe(16)
    hashes = " ".join(assets.STYLE_HASHES)
    policy = (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}' {hashes}; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    html = environment.get_template(template).render(
        openapi_url=request.app.openapi_url,
        nonce=nonce,
        assets=request.app.state.assets,
        csrf_token=getattr(request.state, "csrf_token", ""),
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def serve_app() -> FastAPI:
    """The factory ``arrears serve`` runs (in every worker): ``create_app``, warmed up."""
    return create_app(warm=True)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    secure_cookies: bool | None = None,
    warm: bool = False,
) -> FastAPI:
    """Build the app for ``settings`` (default: the process settings).

    ``secure_cookies``: mark cookies Secure (behind TLS; the intranet proxy terminates it);
    default ``settings.secure_cookies``.
    """
    settings = settings or get_settings()
    if secure_cookies is None:
        secure_cookies = settings.secure_cookies
    if not settings.secret_key:
        # The key signs CSRF tokens. Without one configured a per-process key works for a single
        # process (pages rendered before a restart then ask to be reloaded); `arrears serve
        # --workers N` hands its workers one shared key; production sets ARREARS_SECRET_KEY.
        settings = settings.model_copy(update={"secret_key": secrets.token_urlsafe(32)})
    # A bad policy file fails here, at start-up, not at the first sign-in.
    security_policy = load_security_policy(settings.security_policy)
    # So does an approval chain that would leave a proposal with nobody to approve it.
    approval_chain.check(promise_service.policy().approval)
    if engine is None:
        kwargs = {} if settings.database_url.startswith("sqlite") else {"pool_size": 20}
        engine = make_engine(settings.database_url, **kwargs)
    ready = engine

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            warm_up(ready)
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="arrears",
        version="0.1.0",
        description="Collections workbench and integration API.",
        # Served below from the app's own copies of Swagger UI and ReDoc (no CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        default_response_class=MaskedJSONResponse,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.state.assets = assets.discover()
    app.state.secure_cookies = secure_cookies
    app.state.trusted_proxies = settings.trusted_proxy_networks
    app.state.security_policy = security_policy
    # The customer portal (/portal): its middleware must run inside AuthMiddleware, so first.
    from arrears.web import portal as portal_web

    portal_web.install(app)
    app.add_middleware(AuthMiddleware, secure_cookies=secure_cookies)
    errors.install(app)

    from arrears.auth import api as auth_api
    from arrears.compliance import api as compliance_api
    from arrears.payments import api as payments_api
    from arrears.web import (
        admin_pages,
        case_actions,
        case_letters,
        compliance_pages,
        dashboard,
        legal_pages,
        pages,
        payments_sandbox,
    )
    from arrears.web.api import cases, contacts, legal, messages, promises, workbench, write_offs

    api_routers = [
        auth_api.router,
        workbench.router,
        cases.router,
        contacts.router,
        messages.router,
        promises.router,
        legal.router,
        write_offs.router,
        compliance_api.router,
        payments_api.router,
    ]
    for router in api_routers:
        app.include_router(router, prefix=API_PREFIX, responses=errors.ERROR_RESPONSES)
    page_routers = [
        pages.router,
        case_actions.router,
        case_letters.router,
        compliance_pages.router,
        dashboard.router,
        legal_pages.router,
        admin_pages.router,
        payments_sandbox.router,
    ]
    for router in page_routers:
        app.include_router(router)
    # The nav lists only pages that exist (domains add theirs as they land).
    app.state.page_paths = frozenset(
        getattr(route, "path", "") for router in page_routers for route in router.routes
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/assets/{name}", include_in_schema=False)
    def vendor_asset(name: str) -> Response:
        path = app.state.assets.get(name)
        if path is None:
            return Response(status_code=404)
        media_type = "text/css" if path.suffix == ".css" else "text/javascript"
        cache = {"Cache-Control": "public, max-age=86400"}
        if name in assets.REWRITES:
            content = assets.rewritten(path, name)
            return Response(content, media_type=media_type, headers=cache)
        return FileResponse(path, media_type=media_type, headers=cache)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        return _docs_page(request, "api_docs.html")

    @app.get("/api/redoc", include_in_schema=False)
    def api_redoc(request: Request) -> Response:
        return _docs_page(request, "api_redoc.html")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
