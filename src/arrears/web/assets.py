"""Front-end assets from the registries: htmx, Swagger UI and ReDoc from npm (``npm ci`` into
node_modules, pinned by package-lock.json), Plotly's bundle from the Python package. Served by
the app itself; never a CDN, never copied into git."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]


def _node_modules() -> Path:
    return Path(os.environ.get("ARREARS_NODE_MODULES", REPO_ROOT / "node_modules"))


def _plotly_bundle() -> Path | None:
    try:
        import plotly
    except ImportError:
        return None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path if path.exists() else None


# Name served at /assets/<name> -> file under node_modules.
NPM_ASSETS = {
    "htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
    "swagger-ui-bundle.js": ("swagger-ui-dist", "swagger-ui-bundle.js"),
    "swagger-ui.css": ("swagger-ui-dist", "swagger-ui.css"),
    "redoc.standalone.js": ("redoc", "bundles/redoc.standalone.js"),
}


def discover() -> dict[str, Path]:
    """Name -> file for every vendor asset found; a missing one is logged, not fatal (pages
    are plain forms and work without htmx, only less smoothly; the API works without its
    docs pages)."""
    found: dict[str, Path] = {}
    for name, (package, inner) in NPM_ASSETS.items():
        path = _node_modules() / package / inner
        if path.exists():
            found[name] = path
        else:
            log.warning("%s not installed (run `make assets`): %s missing", package, path)
    plotly_js = _plotly_bundle()
    if plotly_js is not None:
        found["plotly.min.js"] = plotly_js
    return found
