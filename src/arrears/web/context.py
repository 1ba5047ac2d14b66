"""Per-request context the serialisation layer needs: who is asking, in which language."""

from __future__ import annotations

from contextvars import ContextVar

from arrears.auth.policy import Principal

# Set by the auth middleware before routing; read by masking and translation.
current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)
current_locale: ContextVar[str] = ContextVar("current_locale", default="zh-CN")
