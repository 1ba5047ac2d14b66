"""Errors of the auth domain (the shared hierarchy carries their HTTP status)."""

from __future__ import annotations

from arrears.kit.errors import ArrearsError, NotAuthenticated


class SignInFailed(NotAuthenticated):
    """Wrong username or password (never says which)."""


class TooManyAttempts(ArrearsError):
    status_code = 429
    exit_code = 3


class CsrfRejected(ArrearsError):
    status_code = 403
