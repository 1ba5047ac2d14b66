"""The one serialisation layer for JSON: personal data is masked before it leaves the app."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from arrears.auth.masking import mask_payload
from arrears.web.context import current_principal


def masked_for_viewer(payload: Any) -> Any:
    """``payload`` masked unless nobody is signed in (no personal data is served anonymously)."""
    principal = current_principal.get()
    if principal is None or principal.masked:
        return mask_payload(payload)
    return payload


class MaskedJSONResponse(JSONResponse):
    """The app's default response class: every JSON body passes through the masking layer."""

    def render(self, content: Any) -> bytes:
        return super().render(masked_for_viewer(content))
