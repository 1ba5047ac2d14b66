"""Where Debian's Chromium is and where the e2e modules' screenshots go (the ``browser``
fixture that launches it is in tests/e2e/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = "/usr/bin/chromium"

# A page is settled when it has loaded and htmx has nothing left to do: no request in flight
# (``htmx-request`` stays on the requesting element or its indicator until the answer is
# swapped in), nothing swapped in but not yet processed (``htmx-added`` until htmx has processed
# the new content, which is when its own ``hx-trigger="load"`` requests start), nothing
# swapping or settling; the web fonts are in and every dashboard figure is drawn. Every
# ``load`` trigger of the first page starts before the ``load`` event (htmx processes the page
# on DOMContentLoaded), so there is no gap in which the page looks settled but is not.
SETTLED = """() => document.readyState === 'complete'
    && document.fonts.status === 'loaded'
    && !document.querySelector('.htmx-request, .htmx-added, .htmx-swapping, .htmx-settling')
    && !document.querySelector('.plot[data-figure]:not(:has(.main-svg))')"""


def settle(page: Any) -> None:
    """Wait until the page is settled (``SETTLED``). ``wait_for_load_state("networkidle")``
    proves the same for these pages but always waits 500 ms more: it needs half a second with
    no request before it returns."""
    page.wait_for_load_state("load")
    page.wait_for_function(SETTLED)
