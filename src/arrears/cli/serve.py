"""``arrears serve``: the workbench and the JSON API on one port."""

from __future__ import annotations

import os
import secrets
from typing import Any

import typer

from arrears.cli.output import console
from arrears.config import get_settings

# Uvicorn would otherwise rewrite the client address from X-Forwarded-For for any peer on
# 127.0.0.1 (its default FORWARDED_ALLOW_IPS): the app alone decides whom to believe
# (ARREARS_TRUSTED_PROXIES), so a header from a local peer cannot dodge the sign-in throttle.
UVICORN_OPTIONS: dict[str, Any] = {"proxy_headers": False}

app = typer.Typer(help="Serve the web workbench and the JSON API.", invoke_without_command=True)


@app.callback()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind (intranet: keep it private)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (PostgreSQL only)."),
    secure_cookies: bool = typer.Option(False, help="Mark cookies Secure (behind TLS)."),
) -> None:
    """Run the app with Uvicorn against ARREARS_DATABASE_URL (migrate it first)."""
    import uvicorn

    from arrears.web.app import create_app

    settings = get_settings()
    console.print(f"[green]arrears[/green] serving on http://{host}:{port}  (API docs: /api/docs)")
    if workers > 1:
        if settings.database_url.startswith("sqlite"):
            from arrears.kit.errors import BadInput

            raise BadInput("--workers > 1 needs PostgreSQL (SQLite has one writer)")
        # Worker processes build the app from the environment, so the flag travels there.
        if secure_cookies:
            os.environ["ARREARS_SECURE_COOKIES"] = "1"
        if not settings.secret_key:
            # One key for all workers: a CSRF token signed by one must hold at another.
            os.environ["ARREARS_SECRET_KEY"] = secrets.token_urlsafe(32)
        uvicorn.run(
            "arrears.web.app:serve_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            **UVICORN_OPTIONS,
        )
        return
    uvicorn.run(
        create_app(settings, secure_cookies=secure_cookies, warm=True),
        host=host,
        port=port,
        log_level="warning",
        **UVICORN_OPTIONS,
    )
