"""The app factory: JSON API under /api/v1 (OpenAPI at /api/docs), server-rendered pages, assets.

The API is the single-domain routers (``auth.api``, ``compliance.api``) and the case routes of
``web.api`` (which call the workbench's flows); the pages are ``web``'s own modules. Both are
listed here, explicitly.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from arrears.config import Settings, get_settings
from arrears.kit.db import make_engine
from arrears.web import assets, errors
from arrears.web.responses import MaskedJSONResponse
from arrears.web.security import AuthMiddleware, csrf_protect
from arrears.web.templating import TEMPLATES, environment

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
        # Sessions and tokens are random and stored hashed; the key only salts nothing critical,
        # so a per-process key is acceptable when none is configured.
        settings = settings.model_copy(update={"secret_key": secrets.token_urlsafe(32)})
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
        docs_url="/api/docs",
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
    app.add_middleware(AuthMiddleware, secure_cookies=secure_cookies)
    errors.install(app)

    from arrears.auth import api as auth_api
    from arrears.compliance import api as compliance_api
    from arrears.web import admin_pages, case_actions, compliance_pages, dashboard, pages
    from arrears.web.api import cases, contacts, promises, workbench

    api_routers = [
        auth_api.router,
        workbench.router,
        cases.router,
        contacts.router,
        promises.router,
        compliance_api.router,
    ]
    for router in api_routers:
        app.include_router(router, prefix=API_PREFIX)
    page_routers = [
        pages.router,
        case_actions.router,
        compliance_pages.router,
        dashboard.router,
        admin_pages.router,
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
        return FileResponse(
            path,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
