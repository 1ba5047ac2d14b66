"""One-shot messages after a redirect ("saved", or the error a service raised), carried in a
cookie only this app sets, never in the URL: a crafted link cannot put words on a bank page."""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse

FLASH_COOKIE = "arrears_flash"


def redirect(url: str, **values: str | int | None) -> RedirectResponse:
    """A 303 to ``url`` carrying ``values`` to the next page rendered."""
    response = RedirectResponse(url, status_code=303)
    payload = {k: str(v) for k, v in values.items() if v is not None}
    if payload:
        response.set_cookie(
            FLASH_COOKIE,
            quote(json.dumps(payload, ensure_ascii=False)),
            httponly=True,
            samesite="lax",
            path="/",
            max_age=60,
        )
    return response


def read(request: Request) -> dict[str, str]:
    """The values of the last redirect (the renderer deletes the cookie once shown)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return {}
    try:
        loaded = json.loads(unquote(raw))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
