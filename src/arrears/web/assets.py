"""Front-end assets from the registries: htmx from npm (``npm ci`` into node_modules), Plotly's
bundle from the Python package. Served by the app itself; never a CDN, never copied into git."""

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


def discover() -> dict[str, Path]:
    """Name -> file for every vendor asset found; a missing one is logged, not fatal (pages
    are plain forms and work without htmx, only less smoothly)."""
    found: dict[str, Path] = {}
    htmx = _node_modules() / "htmx.org" / "dist" / "htmx.min.js"
    if htmx.exists():
        found["htmx.min.js"] = htmx
    else:
        log.warning("htmx not installed (run `make assets`): %s missing", htmx)
    plotly_js = _plotly_bundle()
    if plotly_js is not None:
        found["plotly.min.js"] = plotly_js
    return found
