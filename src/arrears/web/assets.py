"""Front-end assets from the registries: htmx, Swagger UI and ReDoc from npm (``npm ci`` into
node_modules, pinned by package-lock.json), Plotly's bundle from the Python package. Served by
the app itself; never a CDN, never copied into git."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]
# An installed package's own copy of the npm assets (setup.py copies them in at build time).
VENDOR = Path(__file__).resolve().parent / "vendor"


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


# Addresses on other hosts inside a vendor bundle, replaced when the bundle is served: ReDoc's
# sidebar shows its maker's logo from their CDN and has no option to leave it out. An empty
# data: image fails to load and ReDoc then drops the <img>; nothing leaves the intranet.
REWRITES: dict[str, tuple[tuple[bytes, bytes], ...]] = {
    "redoc.standalone.js": ((b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"data:,"),),
}


# Style elements ReDoc's bundle inserts as it loads, before it knows the page's nonce (its
# webpack style-loader: an empty element, then its scrollbar CSS). Admitted by hash on the API
# docs pages only; a new ReDoc version changes the second hash, and the browser test that
# checks /api/redoc for policy violations says so.
STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)


@lru_cache(maxsize=4)
def rewritten(path: Path, name: str) -> bytes:
    """The bundle at ``path`` with its ``REWRITES`` applied (read once per process)."""
    content = path.read_bytes()
    for old, new in REWRITES.get(name, ()):
        if old not in content:
            log.warning("%s: %r not found; the rewrite list needs updating", name, old)
        content = content.replace(old, new)
    return content


def discover() -> dict[str, Path]:
    """Name -> file for every vendor asset found; a missing one is logged, not fatal (pages
    are plain forms and work without htmx, only less smoothly; the API works without its
    docs pages)."""
    found: dict[str, Path] = {}
    for name, (package, inner) in NPM_ASSETS.items():
        path = _node_modules() / package / inner
        shipped = VENDOR / name  # copied into the package when it was built (setup.py)
        if path.exists():
            found[name] = path
        elif shipped.exists():
            found[name] = shipped
        else:
            log.warning("%s not installed (run `make assets`): %s missing", package, path)
    plotly_js = _plotly_bundle()
    if plotly_js is not None:
        found["plotly.min.js"] = plotly_js
    return found
