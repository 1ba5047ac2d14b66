"""Where Debian's Chromium is and where the e2e modules' screenshots go (the ``browser``
fixture that launches it is in tests/e2e/conftest.py)."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
